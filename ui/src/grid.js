// The table of one workflow: a column per cycle point, a row per task,
// grouped by family.
//
// Speed (10,000 tasks): the table is built as one HTML string; it is laid
// out as blocks (CSS), its rows in <tbody> chunks of at most CHUNK rows with
// `content-visibility: auto`, so that only the chunks on screen are laid out
// and painted; cells are found from their row and column when first needed
// (no walk over the DOM after a build). A delta changes only the attributes
// of the cells it touches and of the family cells above them; the table is
// built again only when a row or a column appears or goes.

import { RANK, esc, stateClass } from './states.js';

const CHUNK = 32; // rows per <tbody>
const ROW = 22; // px: a row and the space under it (see app.css)

// A key that sorts names with their numbers in numeric order (mem2 < mem10):
// each run of digits padded to 12.
const PAD = '000000000000';
function sortKey(name) {
  let out = null;
  let last = 0;
  const n = name.length;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) continue;
    let j = i + 1;
    while (j < n && name.charCodeAt(j) >= 48 && name.charCodeAt(j) <= 57) j++;
    if (j - i < 12) out = (out === null ? '' : out) + name.slice(last, i) + PAD.slice(j - i) + name.slice(i, j);
    else out = (out === null ? '' : out) + name.slice(last, j);
    last = j;
    i = j;
  }
  return out === null ? name : out + name.slice(last);
}
function byKey(a, b) { return a.key < b.key ? -1 : a.key > b.key ? 1 : 0; }

const UNSAFE = /[&<>"']/;

// After a cell's id: [not held, held], by state.
const SUFFIX = Object.create(null);
for (const s in RANK) {
  SUFFIX[s] = [false, true].map((h) =>
    '" data-state="' + s + '" data-held="' + h + '" class="state-' + s + '"></td>');
}
const e = (s) => (UNSAFE.test(s) ? esc(s) : s);

function setFlag(td, name, on) {
  if (on) { if (!td.hasAttribute(name)) td.setAttribute(name, 'true'); }
  else if (td.hasAttribute(name)) td.removeAttribute(name);
}

function setCell(td, t) {
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

export class Grid {
  // WRAP: the element around the <table id="grid">; onSelect(id) when a
  // task cell is clicked.
  constructor(wrap, onSelect) {
    this.wrap = wrap;
    this.table = wrap.querySelector('#grid');
    this.onSelect = onSelect;
    this.families = Object.create(null); // task name -> [family, ..., "root"]
    this.collapsed = new Set();
    this.selected = null;
    this.tasks = new Map(); // set by render
    this.reset();
    wrap.addEventListener('click', (ev) => this.click(ev));
    wrap.addEventListener('mouseover', (ev) => this.hover(ev));
  }

  reset() {
    this.cellCache = new Map(); // id -> td, filled as cells are looked up
    this.rowEls = null; // the table's <tr>s in order, taken when first needed
    this.names = new Map(); // task name -> {key, fam, n (tasks), row (in rowEls)}
    this.points = new Map(); // point -> {cycle, n (tasks), col (0-based, after the names)}
    this.famRowOf = new Map(); // family -> index in rowEls
    this.famMembers = new Map(); // family -> [task name]
  }

  setFamilies(families) {
    this.families = families || Object.create(null);
  }

  nearestFamily(name) {
    const fams = this.families[name];
    if (!fams) return null;
    for (const f of fams) if (f !== 'root' && f !== name) return f;
    return null;
  }

  rows() {
    if (this.rowEls === null) this.rowEls = this.table.querySelectorAll('tr');
    return this.rowEls;
  }

  // The cell of task T (in the table), or undefined if it has no row or
  // column (yet).
  cellOf(t) {
    let td = this.cellCache.get(t.id);
    if (td !== undefined) return td;
    const r = this.names.get(t.task);
    const c = this.points.get(t.point);
    if (r === undefined || c === undefined || c.cycle !== t.cycle) return undefined;
    td = this.rows()[r.row].cells[c.col]; // (a task row has no <th>: its name is CSS)
    this.cellCache.set(t.id, td);
    return td;
  }

  famRow(fam) {
    const r = this.famRowOf.get(fam);
    return r === undefined ? undefined : this.rows()[r];
  }

  // A snapshot: LIST (an array of tasks) becomes this.tasks (a Map id ->
  // task) and the table.
  load(list) {
    this.render(null, list);
    return this.tasks;
  }

  // Builds the whole table from TASKS (a Map id -> task), or from LIST (an
  // array of tasks) into a new this.tasks.
  render(tasks, list) {
    this.reset();
    const names = this.names;
    const pts = this.points;
    const byName = []; // [info], info.first / info.list: the tasks of that name
    const add = (t) => {
      const p = pts.get(t.point);
      if (p === undefined) pts.set(t.point, { cycle: t.cycle, n: 1, col: 0, safe: !UNSAFE.test(t.cycle) });
      else p.n++;
      const info = names.get(t.task);
      if (info === undefined) {
        const i = { name: t.task, key: '', fam: null, n: 1, row: 0, first: t, list: null, isFam: false };
        names.set(t.task, i);
        byName.push(i);
      } else {
        info.n++;
        if (info.list === null) info.list = [info.first, t]; else info.list.push(t);
      }
    };
    if (tasks) for (const t of tasks.values()) add(t);
    else {
      tasks = new Map();
      for (let i = 0; i < list.length; i++) {
        const t = list[i];
        tasks.set(t.id, t);
        add(t);
      }
    }
    this.tasks = tasks;
    const points = this.numberColumns();
    const ncol = points.length;

    // Rows: families and the tasks of no family, by name; members by name.
    const groups = new Map(); // family -> [info]
    const top = [];
    let longest = 4;
    for (let i = 0; i < byName.length; i++) {
      const info = byName[i];
      const name = info.name;
      if (name.length > longest) longest = name.length;
      info.key = sortKey(name);
      const fam = this.nearestFamily(name);
      info.fam = fam;
      if (fam === null) { top.push(info); continue; }
      let g = groups.get(fam);
      if (g === undefined) {
        g = [];
        groups.set(fam, g);
        top.push({ name: fam, key: sortKey(fam), isFam: true });
        if (fam.length + 3 > longest) longest = fam.length + 3;
      }
      g.push(info);
    }
    top.sort(byKey);

    this.nameW = Math.min(longest, 44) * 8 + 44;
    const z = this.sizes();

    // The HTML, pushed in pieces on OUT and joined once at the end (far less
    // garbage than +=); it stays one-byte (no literal non-Latin-1 text).
    const out = ['<thead><tr><th class="corner">task \\ cycle</th>'];
    for (const p of points) {
      const c = e(pts.get(p).cycle);
      out.push('<th class="cycle" data-point="', String(p), '" title="', c, '"><span>', c, '</span></th>');
    }
    out.push('</tr></thead>');

    let row = 1; // index in rowEls (0: the header)
    const cells = new Array(ncol);
    // A task's cell: its attributes only (the colour is CSS); the part
    // after the id is one string per state (held or not).
    const cell = (t, safe) => {
      const s = t.state;
      const tail = SUFFIX[s];
      if (tail !== undefined && !t.runahead && !t.queued) {
        out.push('<td data-id="', safe ? t.id : esc(t.id), t.held ? tail[1] : tail[0]);
        return;
      }
      const known = RANK[s] !== undefined;
      out.push('<td data-id="', safe ? t.id : esc(t.id), '" data-state="', known ? s : esc(s),
        t.held ? '" data-held="true" class="state-' : '" data-held="false" class="state-',
        known ? s : 'unknown');
      if (t.runahead) out.push('" data-runahead="true');
      if (t.queued) out.push('" data-queued="true');
      out.push('"></td>');
    };
    const taskRow = (info, open) => {
      const safe = !UNSAFE.test(info.name);
      out.push(open, safe ? info.name : esc(info.name), '">');
      const list = info.list;
      if (ncol === 1) cell(info.first, safe && pts.get(info.first.point).safe);
      else {
        cells.fill(undefined);
        if (list === null) cells[pts.get(info.first.point).col] = info.first;
        else for (let k = 0; k < list.length; k++) cells[pts.get(list[k].point).col] = list[k];
        for (let k = 0; k < ncol; k++) {
          const t = cells[k];
          if (t === undefined) out.push('<td></td>');
          else cell(t, safe && pts.get(points[k]).safe);
        }
      }
      out.push('</tr>');
      info.row = row++;
      info.first = null;
      info.list = null;
    };
    const TASK = '<tr data-task="';
    const MEMBER = TASK;
    const tbody = (cls, attrs, nrows) =>
      '<tbody class="' + cls + '"' + attrs + ' style="contain-intrinsic-size:auto ' + nrows * ROW + 'px">';

    let i = 0;
    while (i < top.length) {
      if (!top[i].isFam) {
        // a chunk of tasks of no family
        let j = i;
        while (j < top.length && !top[j].isFam && j - i < CHUNK) j++;
        out.push(tbody('loose', '', j - i));
        for (; i < j; i++) taskRow(top[i], TASK);
        out.push('</tbody>');
        continue;
      }
      const fam = top[i++].name;
      const members = groups.get(fam).sort(byKey);
      this.famMembers.set(fam, members.map((m) => m.name));
      const col = this.collapsed.has(fam);
      const f = e(fam);
      const cls = col ? 'group collapsed' : 'group';
      const attrs = ' data-group="' + f + '"';
      out.push(tbody(cls, attrs, col ? 1 : Math.min(members.length + 1, CHUNK)),
        '<tr class="family" data-family="' + f + '"><th class="name">' +
        '<button type="button" class="toggle" aria-expanded="' + !col + '" title="collapse or expand ' + f +
        '">' + (col ? '&#9656;' : '&#9662;') + '</button>' + f +
        ' <span class="fam-count">' + members.length + '</span></th>');
      // the worst state of the members at each point
      const worst = new Array(ncol).fill(null);
      const rank = new Array(ncol).fill(0);
      for (const m of members) {
        const list = m.list === null ? [m.first] : m.list;
        for (const t of list) {
          const c = pts.get(t.point).col;
          const r = RANK[t.state] || RANK.waiting;
          if (r > rank[c]) { rank[c] = r; worst[c] = t.state; }
        }
      }
      for (let k = 0; k < ncol; k++) {
        const s = worst[k];
        if (s === null) out.push('<td class="fam"></td>');
        else out.push('<td class="fam state-', stateClass(s), '" data-state="', e(s), '"></td>');
      }
      out.push('</tr>');
      this.famRowOf.set(fam, row++);
      let inChunk = 1;
      for (let m = 0; m < members.length; m++) {
        if (inChunk === CHUNK) {
          out.push('</tbody>', tbody(cls + ' cont', attrs, col ? 0 : Math.min(members.length - m, CHUNK)));
          inChunk = 0;
        }
        taskRow(members[m], MEMBER);
        inChunk++;
      }
      out.push('</tbody>');
    }
    const html = out.join('');

    // A new table, filled before it goes in (the old one is dropped whole).
    const table = document.createElement('table');
    table.id = 'grid';
    if (z.many) table.className = 'many';
    const st = table.style;
    st.setProperty('--col', z.colW + 'px');
    st.setProperty('--name', this.nameW + 'px');
    st.width = z.width + 'px';
    table.innerHTML = html;
    this.table.replaceWith(table);
    this.table = table;
    if (this.selected) this.select(this.selected);
  }

  // The worst state of FAM's members at POINT, or null if none is there.
  worst(fam, point) {
    const members = this.famMembers.get(fam);
    const p = this.points.get(point);
    if (!members || p === undefined) return null;
    const cycle = p.cycle + '/';
    let best = null;
    let rank = 0;
    for (const m of members) {
      const t = this.tasks.get(cycle + m);
      if (t === undefined) continue;
      const r = RANK[t.state] || RANK.waiting;
      if (best === null || r > rank) { best = t.state; rank = r; }
    }
    return best;
  }

  // Applies a delta: CHANGED tasks (already in this.tasks) and the tasks
  // GONE (already removed from this.tasks; the task objects that were
  // there). A cycle point that comes or goes adds or removes a column in
  // place; the table is built again only when a row comes or goes.
  update(changed, gone) {
    const pts = this.points;
    const names = this.names;
    // a delta that changes much of the table: as fast to build it again
    let rebuild = changed.length + gone.length > 1000 && changed.length + gone.length > this.tasks.size / 3;
    const dirty = new Map(); // family -> Set of points
    const touch = (t) => {
      const info = names.get(t.task);
      const fam = info && info.fam;
      if (!fam) return;
      let s = dirty.get(fam);
      if (s === undefined) { s = new Set(); dirty.set(fam, s); }
      s.add(t.point);
    };
    for (let i = 0; i < gone.length && !rebuild; i++) {
      const t = gone[i];
      const td = this.cellOf(t);
      if (td === undefined || td.getAttribute('data-id') !== t.id) continue;
      clearCell(td);
      this.cellCache.delete(t.id);
      pts.get(t.point).n--;
      if (--names.get(t.task).n <= 0) rebuild = true;
      touch(t);
    }
    let added = null;
    for (let i = 0; i < changed.length && !rebuild; i++) {
      const t = changed[i];
      if (!names.has(t.task)) { rebuild = true; break; }
      const p = pts.get(t.point);
      if (p === undefined) {
        pts.set(t.point, { cycle: t.cycle, n: 0, col: -1, safe: !UNSAFE.test(t.cycle) });
        (added || (added = [])).push(t.point);
      } else if (p.cycle !== t.cycle) { rebuild = true; break; }
    }
    if (rebuild) { this.render(this.tasks); return; }
    if (added !== null) this.addColumns(added);
    for (const t of changed) {
      const td = this.cellOf(t);
      if (td.getAttribute('data-id') !== t.id) {
        // a task comes at a row and a column that are there already
        td.setAttribute('data-id', t.id);
        pts.get(t.point).n++;
        names.get(t.task).n++;
        if (t.id === this.selected) td.setAttribute('aria-selected', 'true');
      }
      setCell(td, t);
      touch(t);
    }
    let empty = null;
    for (const [p, info] of pts) if (info.n <= 0) (empty || (empty = [])).push(p);
    if (empty !== null) this.removeColumns(empty);
    for (const [fam, points] of dirty) {
      const tr = this.famRow(fam);
      if (tr === undefined) continue;
      for (const p of points) {
        const info = pts.get(p);
        if (info === undefined) continue; // its column went
        const td = tr.cells[info.col + 1];
        const s = this.worst(fam, p);
        if (s === null) {
          if (td.hasAttribute('data-state')) { td.removeAttribute('data-state'); td.className = 'fam'; }
        } else if (td.getAttribute('data-state') !== s) {
          td.setAttribute('data-state', s);
          td.className = 'fam state-' + stateClass(s);
        }
        if (td.title) td.title = '';
      }
    }
  }

  // Gives every point its column number, in order; returns the points.
  numberColumns() {
    const points = Array.from(this.points.keys()).sort((a, b) => a - b);
    for (let i = 0; i < points.length; i++) this.points.get(points[i]).col = i;
    return points;
  }

  // Inserts an empty column for each of POINTS (new in this.points).
  addColumns(points) {
    this.numberColumns();
    const cols = points.map((p) => this.points.get(p).col).sort((a, b) => a - b);
    const rows = this.rows();
    const fam = new Set(this.famRowOf.values());
    for (const c of cols) {
      const p = this.pointAt(c);
      const info = this.points.get(p);
      const th = document.createElement('th');
      th.className = 'cycle';
      th.setAttribute('data-point', String(p));
      th.title = info.cycle;
      const span = document.createElement('span');
      span.textContent = info.cycle;
      th.append(span);
      const head = rows[0];
      head.insertBefore(th, head.cells[c + 1] || null);
      for (let r = 1; r < rows.length; r++) {
        const tr = rows[r];
        if (fam.has(r)) tr.insertCell(c + 1).className = 'fam';
        else tr.insertCell(c);
      }
    }
    this.resize();
  }

  // Removes the columns of POINTS (no task left there).
  removeColumns(points) {
    const cols = points.map((p) => this.points.get(p).col).sort((a, b) => b - a);
    for (const p of points) this.points.delete(p);
    const rows = this.rows();
    const fam = new Set(this.famRowOf.values());
    for (const c of cols) {
      rows[0].deleteCell(c + 1);
      for (let r = 1; r < rows.length; r++) rows[r].deleteCell(fam.has(r) ? c + 1 : c);
    }
    this.numberColumns();
    this.resize();
  }

  pointAt(col) {
    for (const [p, info] of this.points) if (info.col === col) return p;
    return undefined;
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

  resize() {
    const z = this.sizes();
    this.table.classList.toggle('many', z.many);
    this.table.style.setProperty('--col', z.colW + 'px');
    this.table.style.width = z.width + 'px';
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

  toggle(fam) {
    const tr = this.famRow(fam);
    if (!tr) return;
    const col = !this.collapsed.has(fam);
    if (col) this.collapsed.add(fam); else this.collapsed.delete(fam);
    for (const tb of this.table.tBodies) {
      if (tb.getAttribute('data-group') === fam) tb.classList.toggle('collapsed', col);
    }
    const b = tr.querySelector('button.toggle');
    b.setAttribute('aria-expanded', String(!col));
    b.textContent = col ? '\u25b8' : '\u25be';
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
}
