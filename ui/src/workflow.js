// #/workflow/NAME : one workflow, live from /api/workflows/NAME/events.

import { apiUrl, command, diagnose, workflowPath } from './api.js';
import { STATES, RANK, esc } from './states.js';
import { Grid } from './grid.js';
import { GraphView } from './graph.js';
import { TaskPanel, PANEL_HTML } from './panel.js';
import { showMessage, confirmAction, setConn, setCrumbs } from './ui.js';

const STOP_MODES = {
  clean: 'submit nothing more, and stop once the active jobs end',
  kill: 'kill the active jobs, then stop',
  now: 'stop at once, leaving the active jobs running',
};

// A command's reply as one line for the message bar.
export function describeReply(op, r) {
  if (r && Array.isArray(r.done)) {
    const parts = [];
    if (r.done.length) parts.push(op + ': ' + r.done.join(', ') + ' done');
    const refused = r.refused || [];
    if (refused.length) {
      parts.push((r.done.length ? 'refused: ' : op + ': refused: ') +
        refused.map((x) => x.task + ' (' + x.why + ')').join(', '));
    }
    return parts.join('; ') || op + ': nothing to do';
  }
  if (r && (op === 'pause' || op === 'resume') && 'changed' in r) {
    if (op === 'pause') return r.changed ? 'pause: paused' : 'pause: it was paused already';
    return r.changed ? 'resume: resumed' : 'resume: it was not paused';
  }
  if (r && op === 'stop' && r.stopping) {
    if (r.stopping === 'now') return 'stop: stopping now';
    const n = r.active || 0;
    return 'stop: stopping (' + r.stopping + '), ' + n + ' active job' + (n === 1 ? '' : 's');
  }
  return op + ': ' + (r === undefined ? 'done' : JSON.stringify(r));
}

export function workflowView(root, name) {
  const n = esc(name);
  document.title = 'tock: ' + name;
  setCrumbs('<a href="#/" class="crumb">workflows</a><span class="sep">›</span><span class="crumb">' + n + '</span>');
  root.innerHTML =
    '<section class="wf-page">' +
    '<div class="wf-head">' +
    '<a id="back" href="#/" title="every workflow">← workflows</a>' +
    '<span id="workflow-name">' + n + '</span>' +
    '<span id="workflow-status" class="wf-status"></span>' +
    '<span id="workflow-stalled" class="flag flag-stalled" hidden></span>' +
    '<span class="spacer"></span>' +
    '<span class="wf-controls">' +
    '<button type="button" id="btn-pause" title="submit no new job until resumed">Pause</button>' +
    '<button type="button" id="btn-resume" title="submit jobs again">Resume</button>' +
    '<span class="stop-group">' +
    '<select id="stop-mode" title="how to stop">' +
    '<option value="clean" selected>clean</option><option value="kill">kill</option><option value="now">now</option>' +
    '</select>' +
    '<button type="button" id="btn-stop" class="danger" title="stop the workflow">Stop</button>' +
    '</span>' +
    '</span>' +
    '</div>' +
    '<div class="tabs" role="tablist">' +
    '<button type="button" id="tab-table" role="tab" aria-selected="true" class="active">Table</button>' +
    '<button type="button" id="tab-graph" role="tab" aria-selected="false">Graph</button>' +
    '<span class="tab-tools" id="table-tools">' +
    '<button type="button" id="expand-all" title="expand every family">expand all</button>' +
    '<button type="button" id="collapse-all" title="collapse every family">collapse all</button>' +
    '</span>' +
    '<span class="tab-tools" id="graph-tools" hidden>' +
    '<button type="button" id="graph-refresh" title="draw the graph again">Refresh</button>' +
    '<button type="button" id="graph-zoom-out" title="zoom out">−</button>' +
    '<button type="button" id="graph-zoom-in" title="zoom in">+</button>' +
    '<button type="button" id="graph-fit" title="fit the graph in the window">fit</button>' +
    '<button type="button" id="graph-actual" title="actual size">1:1</button>' +
    '</span>' +
    '<span id="wf-note" class="note"></span>' +
    '<span id="workflow-counts" class="counts"></span>' +
    '</div>' +
    '<div class="wf-body">' +
    '<div class="views">' +
    '<div id="view-table" class="view"><div class="grid-wrap"><table id="grid"></table></div>' +
    '<p id="grid-empty" class="empty" hidden>no task in view</p>' +
    '<p id="grid-wait" class="empty">waiting for the workflow…</p></div>' +
    '<div id="view-graph" class="view" hidden><div id="graph"></div></div>' +
    '</div>' +
    PANEL_HTML +
    '</div>' +
    '</section>';

  const $ = (id) => root.querySelector('#' + id);
  let seq = 0;
  let ended = false;
  let es = null;

  const grid = new Grid(root.querySelector('.grid-wrap'), (id) => selectTask(id));
  let tasks = grid.tasks; // the model (grid.js's Tasks): get(id), size, counts
  const graph = new GraphView($('graph'), name, (id) => selectTask(id));
  const panel = new TaskPanel($('task-panel'), name, () => tasks, () => {
    grid.select(null);
    graph.select(null);
  });

  // For tests and benchmarks: a task of the model (whether its row is in
  // the DOM or not).
  window.tockTask = (id) => tasks.get(id);

  function selectTask(id) {
    grid.select(id);
    graph.select(id);
    panel.open(id);
  }

  // ---- the workflow's header ----

  function setWorkflow(w) {
    if (!w) return;
    const st = $('workflow-status');
    const status = w.status == null ? '' : String(w.status);
    st.textContent = status;
    st.className = 'wf-status wf-' + status.replace(/[^a-z-]/gi, '');
    const stalled = $('workflow-stalled');
    if (w.stalled) {
      stalled.textContent = 'stalled' + (w.stall_reason ? ': ' + w.stall_reason : '');
      stalled.title = w.stall_reason || 'the workflow has stalled';
      stalled.hidden = false;
    } else {
      stalled.hidden = true;
      stalled.textContent = '';
    }
    $('btn-pause').classList.toggle('current', status === 'paused');
  }

  let countsQueued = false;
  function showCounts() {
    if (countsQueued) return;
    countsQueued = true;
    requestAnimationFrame(() => {
      countsQueued = false;
      const counts = tasks.counts;
      let html = '';
      for (const s of STATES) {
        if (counts[s]) html += `<span class="badge state-${s}" title="${s}"><b>${counts[s]}</b> ${s}</span>`;
      }
      for (const s in counts) {
        if (!RANK[s] && counts[s]) html += `<span class="badge state-unknown" title="${esc(s)}"><b>${counts[s]}</b> ${esc(s)}</span>`;
      }
      html += `<span class="total" title="tasks in view">${tasks.size} tasks</span>`;
      $('workflow-counts').innerHTML = html;
    });
  }

  // ---- the stream ----

  function forceLayout() {
    return document.getElementById('grid').offsetHeight;
  }

  function onSnapshot(e) {
    const t0 = performance.now();
    let d;
    try { d = JSON.parse(e.data); } catch (err) { return; }
    grid.setFamilies(d.families);
    tasks = grid.load(Array.isArray(d.tasks) ? d.tasks : []);
    seq = d.seq || 0;
    window.tockSeq = seq;
    setWorkflow(d.workflow);
    $('grid-wait').hidden = true;
    $('grid-empty').hidden = tasks.size > 0;
    if (graph.loaded) graph.colourAll(tasks);
    if (panel.id !== null) panel.changed(tasks.get(panel.id));
    showCounts();
    forceLayout();
    window.tockPerf.snapshot.push(performance.now() - t0);
  }

  function onDelta(e) {
    const t0 = performance.now();
    let d;
    try { d = JSON.parse(e.data); } catch (err) { return; }
    if (typeof d.seq === 'number' && d.seq <= seq) return; // in the snapshot already
    const changed = Array.isArray(d.tasks) ? d.tasks : [];
    const gone = Array.isArray(d.gone) ? d.gone : [];
    grid.update(changed, gone);
    let touched = false;
    if (panel.id !== null) {
      for (let i = 0; i < changed.length && !touched; i++) touched = changed[i].id === panel.id;
      touched = touched || gone.includes(panel.id);
    }
    if (graph.nodes.size) {
      graph.colour(changed.map((t) => t.id), tasks);
      graph.colour(gone, tasks);
    }
    if (d.workflow) setWorkflow(d.workflow);
    if (typeof d.seq === 'number') { seq = d.seq; window.tockSeq = seq; }
    if (touched) panel.changed(tasks.get(panel.id));
    $('grid-empty').hidden = tasks.size > 0;
    showCounts();
    forceLayout();
    window.tockPerf.delta.push(performance.now() - t0);
  }

  function onEnded(e) {
    let d = {};
    try { d = JSON.parse(e.data); } catch (err) { /* keep {} */ }
    ended = true;
    const st = $('workflow-status');
    const status = d.status == null ? 'ended' : String(d.status);
    st.textContent = status;
    st.className = 'wf-status wf-' + status.replace(/[^a-z-]/gi, '') + ' wf-ended';
    $('wf-note').textContent = 'the scheduler has ended';
    setConn('ended', 'the scheduler has ended');
    for (const id of ['btn-pause', 'btn-resume', 'btn-stop', 'stop-mode', 'btn-hold', 'btn-release',
      'btn-trigger', 'btn-kill', 'btn-set', 'set-output']) $(id).disabled = true;
    if (es) { es.close(); es = null; }
  }

  // The page laid out now, before the first snapshot comes.
  forceLayout();

  const url = apiUrl(workflowPath(name, 'events'));
  function connect() {
    setConn('connecting');
    es = new EventSource(url);
    const mine = es;
    es.addEventListener('open', () => setConn('live'));
    es.addEventListener('snapshot', onSnapshot);
    es.addEventListener('delta', onDelta);
    es.addEventListener('ended', onEnded);
    es.addEventListener('error', async () => {
      if (es !== mine || ended) return;
      if (mine.readyState !== EventSource.CLOSED) { setConn('reconnecting'); return; }
      setConn('offline');
      const d = await diagnose(url);
      if (es !== mine) return;
      if (d.status === 404) {
        $('grid-wait').textContent = 'no workflow ' + name + ': ' + (d.text || 'not found');
        $('grid-wait').hidden = false;
      } else if (d.text) showMessage(d.text, 'error');
      // try again later unless it is the token
      if (d.status !== 403 && d.status !== 404) setTimeout(() => { if (es === mine) connect(); }, 3000);
    });
  }
  connect();

  // ---- commands ----

  async function run(op, args) {
    try {
      const reply = await command(name, op, args);
      const text = describeReply(op, reply);
      showMessage(text, reply && reply.refused && reply.refused.length ? 'warn' : 'ok');
    } catch (e) {
      showMessage(e.message, 'error');
    }
  }

  $('btn-pause').addEventListener('click', () => run('pause', {}));
  $('btn-resume').addEventListener('click', () => run('resume', {}));
  $('btn-stop').addEventListener('click', async () => {
    const mode = $('stop-mode').value || 'clean';
    const ok = await confirmAction(`Stop ${name} (${mode}): ${STOP_MODES[mode] || mode}?`, 'Stop');
    if (ok) run('stop', { mode });
  });

  const taskOp = (op, confirmText, yes, extra) => async () => {
    const id = panel.id;
    if (id === null) return;
    if (confirmText && !(await confirmAction(confirmText(id), yes))) return;
    run(op, Object.assign({ ids: [id] }, extra ? extra() : {}));
  };
  $('btn-hold').addEventListener('click', taskOp('hold'));
  $('btn-release').addEventListener('click', taskOp('release'));
  $('btn-trigger').addEventListener('click', taskOp('trigger',
    (id) => `Trigger ${id}: run it now, whatever it waits for?`, 'Trigger'));
  $('btn-kill').addEventListener('click', taskOp('kill', (id) => `Kill the job of ${id}?`, 'Kill'));
  $('btn-set').addEventListener('click', taskOp('set',
    (id) => `Set output ${$('set-output').value || 'succeeded'} of ${id} as completed? Its downstream tasks follow.`, 'Set',
    () => ({ out: [$('set-output').value || 'succeeded'] })));

  // ---- tabs ----

  function showTab(which) {
    const table = which === 'table';
    $('tab-table').classList.toggle('active', table);
    $('tab-graph').classList.toggle('active', !table);
    $('tab-table').setAttribute('aria-selected', String(table));
    $('tab-graph').setAttribute('aria-selected', String(!table));
    $('view-table').hidden = !table;
    $('view-graph').hidden = table;
    $('table-tools').hidden = !table;
    $('graph-tools').hidden = table;
    if (!table && !graph.loaded) graph.load(() => tasks);
  }
  $('tab-table').addEventListener('click', () => showTab('table'));
  $('tab-graph').addEventListener('click', () => showTab('graph'));
  $('graph-refresh').addEventListener('click', () => graph.load(() => tasks));
  $('graph-zoom-in').addEventListener('click', () => graph.setZoom(graph.zoom * 1.25));
  $('graph-zoom-out').addEventListener('click', () => graph.setZoom(graph.zoom / 1.25));
  $('graph-fit').addEventListener('click', () => graph.fit());
  $('graph-actual').addEventListener('click', () => graph.setZoom(1));
  $('expand-all').addEventListener('click', () => grid.expandAll());
  $('collapse-all').addEventListener('click', () => grid.collapseAll());

  const onKey = (e) => {
    if (e.key === 'Escape' && document.getElementById('confirm').hidden && panel.id !== null) panel.close();
  };
  document.addEventListener('keydown', onKey);

  return () => {
    if (es) { es.close(); es = null; }
    ended = true;
    panel.destroy();
    document.removeEventListener('keydown', onKey);
    graph.destroy();
    grid.destroy();
    window.tockTask = () => undefined;
  };
}
