// The graph tab: graphviz's SVG, each node coloured by its task's state.

import { getText, workflowPath } from './api.js';
import { stateClass } from './states.js';

export class GraphView {
  // BOX: the scrolling <div id="graph">; onSelect(id) when a node is clicked.
  constructor(box, workflow, onSelect) {
    this.box = box;
    this.workflow = workflow;
    this.onSelect = onSelect;
    this.nodes = new Map(); // id -> <g class="node">
    this.svg = null;
    this.size = null; // [width, height] as drawn, in px
    this.zoom = 1;
    this.loaded = false;
    this.loading = null;
    this.selected = null;
    box.addEventListener('click', (e) => {
      if (this.dragged) return;
      const g = e.target.closest && e.target.closest('g.node');
      if (g && g.hasAttribute('data-id')) this.onSelect(g.getAttribute('data-id'));
    });
    this.panning();
  }

  // Drag with the mouse to pan (the box scrolls as well).
  panning() {
    let start = null;
    this.dragged = false;
    this.box.addEventListener('mousedown', (e) => {
      if (e.button !== 0) return;
      start = [e.clientX, e.clientY, this.box.scrollLeft, this.box.scrollTop];
      this.dragged = false;
    });
    const move = (e) => {
      if (!start) return;
      const dx = e.clientX - start[0];
      const dy = e.clientY - start[1];
      if (!this.dragged && Math.abs(dx) + Math.abs(dy) < 4) return;
      this.dragged = true;
      this.box.classList.add('panning');
      this.box.scrollLeft = start[2] - dx;
      this.box.scrollTop = start[3] - dy;
      e.preventDefault();
    };
    const up = () => {
      if (!start) return;
      start = null;
      this.box.classList.remove('panning');
      // the click that ends a drag is not a click on a node
      setTimeout(() => { this.dragged = false; }, 0);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
    this.destroy = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
  }

  // Fetches the SVG and colours it from TASKS (Map id -> task).
  async load(tasks) {
    if (this.loading) return this.loading;
    this.box.setAttribute('aria-busy', 'true');
    this.loading = (async () => {
      try {
        const text = await getText(workflowPath(this.workflow, 'graph'));
        this.insert(text);
        this.colourAll(tasks());
        this.loaded = true;
      } catch (e) {
        this.box.innerHTML = '';
        const p = document.createElement('p');
        p.className = 'graph-error';
        p.textContent = 'no graph: ' + e.message;
        this.box.append(p);
        this.nodes = new Map();
      } finally {
        this.box.removeAttribute('aria-busy');
        this.loading = null;
      }
    })();
    return this.loading;
  }

  insert(text) {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    let svg = doc.documentElement;
    if (!svg || svg.nodeName.toLowerCase() !== 'svg' || doc.querySelector('parsererror')) {
      throw new Error('the server sent no SVG');
    }
    svg = document.importNode(svg, true);
    for (const s of svg.querySelectorAll('script, foreignObject')) s.remove();
    this.box.innerHTML = '';
    this.box.append(svg);
    this.svg = svg;
    // graphviz gives the size in pt: keep it as drawn, and zoom from there
    const vb = svg.viewBox && svg.viewBox.baseVal;
    const w = vb && vb.width ? vb.width : svg.getBBox().width;
    const h = vb && vb.height ? vb.height : svg.getBBox().height;
    this.size = [w * 4 / 3, h * 4 / 3];
    this.applyZoom();
    this.nodes = new Map();
    for (const g of svg.querySelectorAll('g.node')) {
      const title = g.querySelector('title');
      if (!title) continue;
      const id = title.textContent.trim();
      if (id.startsWith('@') || !id.includes('/')) continue; // an xtrigger, not a task
      g.setAttribute('data-id', id);
      this.nodes.set(id, g);
    }
    if (this.selected) this.select(this.selected);
  }

  applyZoom() {
    if (!this.svg || !this.size) return;
    this.svg.setAttribute('width', Math.round(this.size[0] * this.zoom) + 'px');
    this.svg.setAttribute('height', Math.round(this.size[1] * this.zoom) + 'px');
  }

  setZoom(z) {
    this.zoom = Math.max(0.1, Math.min(4, z));
    this.applyZoom();
  }

  fit() {
    if (!this.size) return;
    const z = Math.min(this.box.clientWidth / this.size[0], this.box.clientHeight / this.size[1], 1);
    this.setZoom(z);
  }

  colourNode(g, t) {
    if (t === undefined) {
      if (g.hasAttribute('data-state')) {
        g.removeAttribute('data-state');
        g.removeAttribute('data-held');
        g.setAttribute('class', 'node');
      }
      return;
    }
    if (g.getAttribute('data-state') !== t.state) {
      g.setAttribute('data-state', t.state);
      g.setAttribute('class', 'node state-' + stateClass(t.state));
    }
    const h = t.held ? 'true' : 'false';
    if (g.getAttribute('data-held') !== h) g.setAttribute('data-held', h);
  }

  colourAll(tasks) {
    for (const [id, g] of this.nodes) this.colourNode(g, tasks.get(id));
  }

  // IDS changed or left: recolour those nodes.
  colour(ids, tasks) {
    if (this.nodes.size === 0) return;
    for (const id of ids) {
      const g = this.nodes.get(id);
      if (g !== undefined) this.colourNode(g, tasks.get(id));
    }
  }

  select(id) {
    if (this.selected) {
      const old = this.nodes.get(this.selected);
      if (old) old.removeAttribute('aria-selected');
    }
    this.selected = id;
    const g = id && this.nodes.get(id);
    if (g) g.setAttribute('aria-selected', 'true');
  }
}
