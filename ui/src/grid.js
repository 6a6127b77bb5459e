// The table of one workflow: a column per cycle point, a row per task,
// grouped by family.
//
// Speed (10,000 tasks and more): the whole table is a model in JavaScript
// (the tasks by id, a row per task name or family, a column per cycle
// point, and per family and point a count of its members by state); only
// the rows on screen and a screen above and below are in the DOM, between
// two spacer rows that give the scrollbar and the rows the positions of the
// whole table (every row is ROW px high). Scrolling and resizing render
// another slice (at most once a frame). A delta updates the model and
// changes only the attributes of the cells on screen it touches (and of
// their families' cells): its cost is that of the delta, not of the table.
// A row or a column that comes or goes orders the rows again and renders
// the slice again.

import { RANK, esc, stateClass } from './states.js';

const ROW = 22; // px: a row and the space under it (see app.css)

// The state shown for a rank (a family's worst member).
const BY_RANK = [];
for (const s in RANK) BY_RANK[RANK[s]] = s;
const NRANK = BY_RANK.length;
const rankOf = (s) => RANK[s] || RANK.waiting;

// Names in natural order: runs of digits compare as numbers (mem2 < mem10).
// A comparison allocates nothing, and names that come sorted (as a
// snapshot's do) cost one comparison each; most are decided by the first
// character that differs.
const isDigit = (c) => c >= 48 && c <= 57;
function natural(a, b) {
  const na = a.length;
  const nb = b.length;
  const n = na < nb ? na : nb;
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  const ca = i < na ? a.charCodeAt(i) : -1;
  const cb = i < nb ? b.charCodeAt(i) : -1;
  const da = isDigit(ca);
  const db = isDigit(cb);
  if (!(da && db) && !((da || db) && i > 0 && isDigit(a.charCodeAt(i - 1)))) {
    return ca === -1 || cb === -1 ? na - nb : ca - cb;
  }
  // in a run of digits: compare from its start (the text before is the same)
  while (i > 0 && isDigit(a.charCodeAt(i - 1))) i--;
  return naturalFrom(a, b, i);
}
function naturalFrom(a, b, from) {
  const na = a.length;
  const nb = b.length;
  let i = from;
  let j = from;
  while (i < na && j < nb) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      // skip leading zeros, then the longer run is the bigger number
      let si = i;
      let sj = j;
      while (si < na - 1 && a.charCodeAt(si) === 48 && isDigit(a.charCodeAt(si + 1))) si++;
      while (sj < nb - 1 && b.charCodeAt(sj) === 48 && isDigit(b.charCodeAt(sj + 1))) sj++;
      let ei = si;
      let ej = sj;
      while (ei < na && isDigit(a.charCodeAt(ei))) ei++;
      while (ej < nb && isDigit(b.charCodeAt(ej))) ej++;
      if (ei - si !== ej - sj) return (ei - si) - (ej - sj);
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k);
        if (d !== 0) return d;
      }
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca - cb;
    i++;
    j++;
  }
  return (na - i) - (nb - j);
}
function byNames(x, y) {
  return natural(x.name, y.name) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
}

const UNSAFE = /[&<>"']/;

// After a cell's id: [not held, held], by state.
const SUFFIX = Object.create(null);
for (const s in RANK) {
  SUFFIX[s] = [false, true].map((h) =>
    '" data-state="' + s + '" data-held="' + h + '" class="state-' + s + '"></td>');
}
const e = (s) => (UNSAFE.test(s) ? esc(s) : s);

// A task's cell: its attributes only (the colour is CSS). SAFE: its id
// needs no escaping.
function cellHtml(t, safe) {
  const s = t.state;
  const tail = SUFFIX[s];
  const id = safe ? t.id : esc(t.id);
  if (tail !== undefined && !t.runahead && !t.queued) return '<td data-id="' + id + (t.held ? tail[1] : tail[0]);
  const known = tail !== undefined;
  return '<td data-id="' + id + '" data-state="' + (known ? s : esc(s)) +
    (t.held ? '" data-held="true" class="state-' : '" data-held="false" class="state-') +
    (known ? s : 'unknown') + (t.runahead ? '" data-runahead="true' : '') +
    (t.queued ? '" data-queued="true' : '') + '"></td>';
}

function setFlag(td, name, on) {
  if (on) { if (!td.hasAttribute(name)) td.setAttribute(name, 'true'); }
  else if (td.hasAttribute(name)) td.removeAttribute(name);
}

function setCell(td, t) {
  if (td.getAttribute('data-id') !== t.id) td.setAttribute('data-id', t.id);
  const s = t.state;
  if (td.getAttribute('data-state') !== s) {
    td.setAttribute('data-state', s);
    td.className = 'state-' + stateClass(s);
  }
  const h = t.held ? 'true' : 'false';
  if (td.getAttribute('data-held') !== h) td.setAttribute('data-held', h);
  setFlag(td, 'data-runahead', t.runahead);
  setFlag(td, 'data-queued', t.queued);
  if (td.title) td.title = '';
}

function clearCell(td) {
  td.removeAttribute('data-id');
  td.removeAttribute('data-state');
  td.removeAttribute('data-held');
  td.removeAttribute('data-runahead');
  td.removeAttribute('data-queued');
  td.removeAttribute('aria-selected');
  td.className = '';
  td.title = '';
}

// The worst state in COUNTS (a family's members at a point, by rank), or
// null.
function worstOf(counts) {
  if (counts === undefined) return null;
  for (let r = NRANK - 1; r > 0; r--) if (counts[r] > 0) return BY_RANK[r];
  return null;
}

function famCellHtml(s) {
  return s === null ? '<td class="fam"></td>'
    : '<td class="fam state-' + stateClass(s) + '" data-state="' + e(s) + '"></td>';
}

function setFamCell(td, s) {
  if (s === null) {
    if (td.hasAttribute('data-state')) { td.removeAttribute('data-state'); td.className = 'fam'; }
  } else if (td.getAttribute('data-state') !== s) {
    td.setAttribute('data-state', s);
    td.className = 'fam state-' + stateClass(s);
  }
  if (td.title) td.title = '';
}

// A row of tasks: one task name. Its tasks are T (while it has one) or MORE
// (a Map cycle -> task, once it has had two).
function at(info, cycle) {
  if (info.more !== null) return info.more.get(cycle);
  const t = info.t;
  return t !== null && t.cycle === cycle ? t : undefined;
}

// The tasks of a workflow, as the stream gives them (the objects are kept
// as parsed): by task name, then by cycle point. What the page reads as a
// Map: get(id), has(id), size; and counts (tasks by state).
export class Tasks {
  constructor() {
    this.names = new Map(); // task name -> {name, fam, n, row, safe, isFam, t, more}
    this.size = 0;
    this.counts = Object.create(null); // state -> number of tasks
  }

  get(id) {
    if (typeof id !== 'string') return undefined;
    const i = id.lastIndexOf('/'); // (a name has no "/", a cycle point may)
    if (i < 0) return undefined;
    const info = this.names.get(id.slice(i + 1));
    return info === undefined ? undefined : at(info, id.slice(0, i));
  }

  has(id) {
    return this.get(id) !== undefined;
  }
}

export class Grid {
  // WRAP: the scrolling element around the <table id="grid">; onSelect(id)
  // when a task cell is clicked.
  constructor(wrap, onSelect) {
    this.wrap = wrap;
    this.table = wrap.querySelector('#grid');
    this.table.innerHTML = '<thead></thead><tbody></tbody>';
    this.thead = this.table.tHead;
    this.tbody = this.table.tBodies[0];
    this.onSelect = onSelect;
    this.families = Object.create(null); // task name -> [family, ..., "root"]
    this.collapsed = new Set();
    this.selected = null;
    this.reset();
    this.queued = false;
    wrap.addEventListener('click', (ev) => this.click(ev));
    wrap.addEventListener('mouseover', (ev) => this.hover(ev));
    wrap.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.onResize = () => this.schedule();
    if (typeof ResizeObserver === 'function') {
      this.resizeObserver = new ResizeObserver(this.onResize);
      this.resizeObserver.observe(wrap);
    } else window.addEventListener('resize', this.onResize);
  }

  reset() {
    this.tasks = new Tasks(); // the model
    this.names = this.tasks.names;
    this.points = new Map(); // point -> {cycle, n (tasks), col (0-based), safe}
    this.cols = []; // col -> point
    this.fams = new Map(); // family -> {name, isFam, members: [info], row, counts: Map point -> Int32Array by rank}
    this.order = []; // the tasks of no family and the families, in order
    this.rows = []; // the rows as shown: [info or family] (a collapsed family without its members)
    this.ra = 0; // the rows in the DOM: [ra, rb)
    this.rb = 0;
  }

  setFamilies(families) {
    this.families = families && typeof families === 'object' ? families : Object.create(null);
  }

  // ---- the model ----

  // The nearest family of task NAME (not root), or null.
  nearestFamily(name) {
    // (a name such as "constructor" finds no array: no family)
    const chain = this.families[name];
    if (!Array.isArray(chain)) return null;
    for (let k = 0; k < chain.length; k++) {
      const f = chain[k];
      if (f !== 'root' && f !== name) return f;
    }
    return null;
  }

  // The row of task name NAME, made if new (NEW: the caller's flag, set).
  info(name) {
    let info = this.names.get(name);
    if (info === undefined) {
      const fam = this.nearestFamily(name);
      info = { name, fam, n: 0, row: -1, safe: !UNSAFE.test(name), isFam: false, t: null, more: null };
      this.names.set(name, info);
      if (fam !== null && !this.fams.has(fam)) {
        this.fams.set(fam, { name: fam, isFam: true, members: [], row: -1, counts: new Map() });
      }
    }
    return info;
  }

  // FAM's members at POINT, counted by rank (made if missing).
  famCounts(fam, point) {
    const f = this.fams.get(fam);
    let c = f.counts.get(point);
    if (c === undefined) { c = new Int32Array(NRANK); f.counts.set(point, c); }
    return c;
  }

  // Adds task T (new); true if it makes a new row or a new column.
  addTask(t) {
    let grew = false;
    const p = this.points.get(t.point);
    if (p === undefined) {
      this.points.set(t.point, { cycle: t.cycle, n: 1, col: -1, safe: !UNSAFE.test(t.cycle) });
      grew = true;
    } else p.n++;
    const info = this.info(t.task);
    if (info.n === 0) grew = true;
    info.n++;
    if (info.more !== null) info.more.set(t.cycle, t);
    else if (info.t === null) info.t = t;
    else {
      info.more = new Map([[info.t.cycle, info.t], [t.cycle, t]]);
      info.t = null;
    }
    if (info.fam !== null) this.famCounts(info.fam, t.point)[rankOf(t.state)]++;
    const m = this.tasks;
    m.size++;
    m.counts[t.state] = (m.counts[t.state] || 0) + 1;
    return grew;
  }

  // Removes task T (in the model); true if its row or its column goes.
  removeTask(t) {
    let shrank = false;
    const p = this.points.get(t.point);
    if (p !== undefined && --p.n <= 0) { this.points.delete(t.point); shrank = true; }
    const info = this.names.get(t.task);
    if (info.more !== null) info.more.delete(t.cycle); else info.t = null;
    if (--info.n <= 0) { this.names.delete(t.task); shrank = true; }
    if (info.fam !== null) this.famCounts(info.fam, t.point)[rankOf(t.state)]--;
    const m = this.tasks;
    m.size--;
    m.counts[t.state]--;
    return shrank;
  }

  // A snapshot: LIST (an array of tasks, kept as they are) becomes the
  // model (returned) and the table.
  load(list) {
    this.reset();
    const names = this.names;
    const points = this.points;
    const fams = this.fams;
    const counts = this.tasks.counts;
    // One loop with the last point, family and state at hand (a snapshot's
    // tasks come by cycle point, often many of one family together): a
    // task costs a lookup of its name and little more.
    let lastPoint = NaN;
    let p = null;
    let lastFam = null;
    let famPoint = NaN;
    let fc = null;
    let lastState = '';
    let nState = 0;
    for (let i = 0; i < list.length; i++) {
      const t = list[i];
      const point = t.point;
      if (point !== lastPoint) {
        p = points.get(point);
        if (p === undefined) {
          p = { cycle: t.cycle, n: 0, col: -1, safe: !UNSAFE.test(t.cycle) };
          points.set(point, p);
        }
        lastPoint = point;
      }
      p.n++;
      const info = this.info(t.task);
      if (info.n++ === 0) info.t = t;
      else if (info.more !== null) info.more.set(t.cycle, t);
      else {
        info.more = new Map([[info.t.cycle, info.t], [t.cycle, t]]);
        info.t = null;
      }
      const fam = info.fam;
      const s = t.state;
      if (fam !== null) {
        if (fam !== lastFam || point !== famPoint) {
          fc = this.famCounts(fam, point);
          lastFam = fam;
          famPoint = point;
        }
        fc[rankOf(s)]++;
      }
      if (s === lastState) nState++;
      else {
        if (nState) counts[lastState] = (counts[lastState] || 0) + nState;
        lastState = s;
        nState = 1;
      }
    }
    if (nState) counts[lastState] = (counts[lastState] || 0) + nState;
    this.tasks.size = list.length;
    this.buildOrder();
    this.buildColumns();
    this.render();
    return this.tasks;
  }

  // Applies a delta: CHANGED tasks (new or replacing the task of their id)
  // and the ids GONE. Changes only the cells in the DOM it touches (and
  // their families' cells), unless a row or a column comes or goes.
  update(changed, gone) {
    let reshape = false;
    const touched = []; // [task, or the old task if it left]
    for (let i = 0; i < changed.length; i++) {
      const t = changed[i];
      const info = this.names.get(t.task);
      const old = info === undefined ? undefined : at(info, t.cycle);
      if (old === undefined) {
        if (this.addTask(t)) reshape = true;
      } else {
        if (info.more !== null) info.more.set(t.cycle, t); else info.t = t;
        const c = this.tasks.counts;
        if (old.state !== t.state) {
          c[old.state]--;
          c[t.state] = (c[t.state] || 0) + 1;
          if (info.fam !== null) {
            const fc = this.famCounts(info.fam, t.point);
            fc[rankOf(old.state)]--;
            fc[rankOf(t.state)]++;
          }
        }
      }
      touched.push(t);
    }
    const left = [];
    for (let i = 0; i < gone.length; i++) {
      const old = this.tasks.get(gone[i]);
      if (old === undefined) continue;
      if (this.removeTask(old)) reshape = true;
      left.push(old);
    }
    this.table.setAttribute('data-tasks', String(this.tasks.size));
    if (reshape) {
      this.buildOrder();
      this.buildColumns();
      this.render();
      return;
    }
    let dirty = null; // family -> Set of points
    const touch = (t) => {
      const info = this.names.get(t.task);
      if (info === undefined || info.fam === null) return;
      const f = this.fams.get(info.fam);
      if (f.row < this.ra || f.row >= this.rb) return;
      if (dirty === null) dirty = new Map();
      let s = dirty.get(f);
      if (s === undefined) { s = new Set(); dirty.set(f, s); }
      s.add(t.point);
    };
    for (let i = 0; i < touched.length; i++) {
      const t = touched[i];
      const td = this.cellOf(t);
      if (td !== undefined) {
        if (t.id === this.selected && !td.hasAttribute('aria-selected')) td.setAttribute('aria-selected', 'true');
        setCell(td, t);
      }
      touch(t);
    }
    for (let i = 0; i < left.length; i++) {
      const t = left[i];
      const td = this.cellOf(t);
      if (td !== undefined && td.getAttribute('data-id') === t.id) clearCell(td);
      touch(t);
    }
    if (dirty === null) return;
    for (const [f, points] of dirty) {
      const tr = this.rowEl(f.row);
      for (const p of points) {
        const info = this.points.get(p);
        if (info !== undefined) setFamCell(tr.cells[info.col + 1], worstOf(f.counts.get(p)));
      }
    }
  }

  // Orders the rows: families and the tasks of no family by name, each
  // family's members by name. (Names that come in order, as a snapshot's
  // do, cost one comparison each.)
  buildOrder() {
    const top = [];
    let longest = 4;
    for (const f of this.fams.values()) f.members = [];
    for (const info of this.names.values()) {
      if (info.name.length > longest) longest = info.name.length;
      if (info.fam === null) top.push(info);
      else this.fams.get(info.fam).members.push(info);
    }
    for (const [name, f] of this.fams) {
      if (f.members.length === 0) { this.fams.delete(name); continue; }
      f.members.sort(byNames);
      top.push(f);
      if (name.length + 3 > longest) longest = name.length + 3;
    }
    top.sort(byNames);
    this.order = top;
    this.nameW = Math.min(longest, 44) * 8 + 44;
    this.layoutRows();
  }

  // The rows as shown (the members of a collapsed family are not).
  layoutRows() {
    const rows = [];
    for (const r of this.order) {
      r.row = rows.length;
      rows.push(r);
      if (!r.isFam) continue;
      const members = r.members;
      if (this.collapsed.has(r.name)) {
        for (let i = 0; i < members.length; i++) members[i].row = -1;
      } else {
        for (let i = 0; i < members.length; i++) { members[i].row = rows.length; rows.push(members[i]); }
      }
    }
    this.rows = rows;
  }

  // Numbers the columns: the points in order.
  buildColumns() {
    const cols = Array.from(this.points.keys()).sort((a, b) => a - b);
    for (let i = 0; i < cols.length; i++) this.points.get(cols[i]).col = i;
    this.cols = cols;
  }

  // ---- the DOM ----

  // The whole table again: its size, its header, its slice of rows.
  render() {
    const z = this.sizes();
    const table = this.table;
    table.classList.toggle('many', z.many);
    const st = table.style;
    st.setProperty('--col', z.colW + 'px');
    st.setProperty('--name', this.nameW + 'px');
    st.width = z.width + 'px';
    let html = '<tr><th class="corner">task \\ cycle</th>';
    for (const p of this.cols) {
      const c = e(this.points.get(p).cycle);
      html += '<th class="cycle" data-point="' + p + '" title="' + c + '"><span>' + c + '</span></th>';
    }
    this.thead.innerHTML = html + '</tr>';
    table.setAttribute('data-tasks', String(this.tasks.size));
    this.slice(true);
  }

  // The slice again at the next frame (on a scroll, a resize).
  schedule() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.slice(false);
    });
  }

  // Puts in the DOM the rows on screen and a screen above and below them,
  // unless half a screen around them is there already (or if FORCE).
  slice(force) {
    const n = this.rows.length;
    const h = this.wrap.clientHeight || window.innerHeight || 800;
    const screen = Math.ceil(h / ROW) + 1;
    // (the header's height is not subtracted: the margin covers it)
    const first = Math.min(Math.floor(this.wrap.scrollTop / ROW), Math.max(0, n - 1));
    if (!force && this.ra <= Math.max(0, first - (screen >> 1)) &&
        this.rb >= Math.min(n, first + screen + (screen >> 1))) return;
    this.ra = Math.max(0, first - screen);
    this.rb = Math.min(n, first + 2 * screen);
    this.renderRows();
  }

  renderRows() {
    const rows = this.rows;
    const ra = this.ra;
    const rb = this.rb;
    const ncol = this.cols.length;
    const pts = this.cols.map((p) => this.points.get(p));
    const sel = this.selected;
    let html = '<tr class="spacer" style="height:' + ra * ROW + 'px"></tr>';
    for (let r = ra; r < rb; r++) {
      const row = rows[r];
      if (row.isFam) {
        const f = e(row.name);
        const col = this.collapsed.has(row.name);
        html += '<tr class="family' + (col ? ' collapsed' : '') + '" data-family="' + f + '"><th class="name">' +
          '<button type="button" class="toggle" aria-expanded="' + !col + '" title="collapse or expand ' + f +
          '">' + (col ? '&#9656;' : '&#9662;') + '</button>' + f +
          ' <span class="fam-count">' + row.members.length + '</span></th>';
        for (let k = 0; k < ncol; k++) html += famCellHtml(worstOf(row.counts.get(this.cols[k])));
        html += '</tr>';
        continue;
      }
      html += '<tr data-task="' + (row.safe ? row.name : esc(row.name)) + (row.fam === null ? '">' : '" class="member">');
      for (let k = 0; k < ncol; k++) {
        const p = pts[k];
        const t = at(row, p.cycle);
        if (t === undefined) { html += '<td></td>'; continue; }
        const c = cellHtml(t, row.safe && p.safe);
        html += t.id === sel ? '<td aria-selected="true" ' + c.slice(4) : c;
      }
      html += '</tr>';
    }
    html += '<tr class="spacer" style="height:' + (rows.length - rb) * ROW + 'px"></tr>';
    this.tbody.innerHTML = html;
  }

  // The <tr> of row R if it is in the DOM.
  rowEl(r) {
    if (r < this.ra || r >= this.rb) return undefined;
    return this.tbody.rows[1 + r - this.ra];
  }

  // The cell of task T if it is in the DOM (it may be empty yet).
  cellOf(t) {
    const info = this.names.get(t.task);
    const p = this.points.get(t.point);
    if (info === undefined || p === undefined) return undefined;
    const tr = this.rowEl(info.row);
    return tr && tr.cells[p.col];
  }

  // The widths of the columns and of the table (fixed: a fixed layout is
  // much faster); narrow columns with upright labels when there are many.
  sizes() {
    const ncol = this.points.size;
    const many = ncol > 8;
    let label = 1;
    for (const p of this.points.values()) if (p.cycle.length > label) label = p.cycle.length;
    const colW = many ? 20 : Math.max(26, label * 8 + 12);
    return { many, colW, width: this.nameW + ncol * (colW + 2) + 12 };
  }

  select(id) {
    if (this.selected) {
      const t = this.tasks.get(this.selected);
      const old = t && this.cellOf(t);
      if (old) old.removeAttribute('aria-selected');
    }
    this.selected = id;
    const t = id && this.tasks.get(id);
    const td = t && this.cellOf(t);
    if (td && td.getAttribute('data-id') === id) td.setAttribute('aria-selected', 'true');
  }

  // Collapses (or expands) family FAM: the rows are laid out again.
  toggle(fam) {
    if (!this.fams.has(fam)) return;
    if (this.collapsed.has(fam)) this.collapsed.delete(fam); else this.collapsed.add(fam);
    this.layoutRows();
    this.slice(true);
  }

  expandAll() {
    this.collapsed.clear();
    this.layoutRows();
    this.slice(true);
  }

  collapseAll() {
    for (const f of this.fams.keys()) this.collapsed.add(f);
    this.layoutRows();
    this.slice(true);
  }

  click(ev) {
    const btn = ev.target.closest('button.toggle');
    if (btn) { this.toggle(btn.closest('tr').getAttribute('data-family')); return; }
    const td = ev.target.closest('td[data-id]');
    if (td) this.onSelect(td.getAttribute('data-id'));
  }

  hover(ev) {
    const td = ev.target.closest && ev.target.closest('td');
    if (!td || td.title) return;
    const id = td.getAttribute('data-id');
    if (id) {
      const t = this.tasks.get(id);
      if (!t) return;
      let flags = '';
      if (t.held) flags += ', held';
      if (t.runahead) flags += ', runahead';
      if (t.queued) flags += ', queued';
      if (t.retrying) flags += ', retrying';
      td.title = id + ': ' + t.state + flags + (t.num ? ' (job ' + t.num + ')' : '');
    } else if (td.classList.contains('fam') && td.hasAttribute('data-state')) {
      td.title = td.parentNode.getAttribute('data-family') + ': worst member ' + td.getAttribute('data-state');
    }
  }

  destroy() {
    if (this.resizeObserver) this.resizeObserver.disconnect();
    else window.removeEventListener('resize', this.onResize);
  }
}
