// The task panel: what `show` says of one task, its commands and its logs.

import { apiUrl, getJSON, workflowPath, diagnose, TOKEN_MESSAGE } from './api.js';
import { esc, stateClass } from './states.js';

const LOGS = [
  ['out', 'job.out'], ['err', 'job.err'], ['job', 'job script'], ['status', 'job.status'],
];

export const PANEL_HTML =
  '<aside id="task-panel" hidden>' +
  '<div class="panel-head">' +
  '<span id="task-id"></span>' +
  '<span id="task-state" class="state-text"></span>' +
  '<span id="task-flags"></span>' +
  '<button type="button" id="task-close" class="close" title="close (Esc)">×</button>' +
  '</div>' +
  '<div class="panel-actions">' +
  '<button type="button" id="btn-hold" title="hold: it will not run until released">Hold</button>' +
  '<button type="button" id="btn-release" title="release a hold">Release</button>' +
  '<button type="button" id="btn-trigger" title="run it now, whatever it waits for">Trigger</button>' +
  '<button type="button" id="btn-kill" class="danger" title="kill its active job">Kill</button>' +
  '<span class="set-group">' +
  '<button type="button" id="btn-set" title="complete this output as if the job had">Set</button>' +
  '<select id="set-output" title="the output to set"><option value="succeeded" selected>succeeded</option></select>' +
  '</span>' +
  '</div>' +
  '<div id="task-body" class="panel-body">' +
  '<p id="task-note" class="note" hidden></p>' +
  '<dl class="job"><dt>job</dt><dd id="task-job">–</dd></dl>' +
  '<h3>prerequisites</h3><ul id="task-prereqs" class="checks"></ul>' +
  '<h3>xtriggers</h3><ul id="task-xtriggers" class="checks"></ul>' +
  '<h3>outputs</h3><ul id="task-outputs" class="checks"></ul>' +
  '</div>' +
  '<div class="logs">' +
  '<div class="log-tabs" role="tablist">' +
  LOGS.map(([f, label]) =>
    `<button type="button" role="tab" data-log="${f}" title="${label}">${f}</button>`).join('') +
  '<span id="log-path" class="log-path"></span>' +
  '</div>' +
  '<pre id="log" tabindex="0"></pre>' +
  '</div>' +
  '</aside>';

export class TaskPanel {
  // EL: the <aside>; WORKFLOW: its name; TASKS(): the Map id -> task of the
  // stream; onClose() when closed.
  constructor(el, workflow, tasks, onClose) {
    this.el = el;
    this.workflow = workflow;
    this.tasks = tasks;
    this.onClose = onClose;
    this.id = null;
    this.file = 'out';
    this.es = null;
    this.fetching = false;
    this.again = false;
    this.num = 0;
    this.q = (sel) => el.querySelector(sel);
    this.q('#task-close').addEventListener('click', () => this.close());
    for (const b of el.querySelectorAll('button[data-log]')) {
      b.addEventListener('click', () => this.openLog(b.getAttribute('data-log')));
    }
  }

  open(id) {
    const same = id === this.id;
    this.id = id;
    this.el.hidden = false;
    this.q('#task-id').textContent = id;
    const t = this.tasks().get(id);
    if (!same) {
      const st = this.q('#task-state');
      st.textContent = '';
      st.className = 'state-text';
      st.removeAttribute('data-state');
      this.q('#task-flags').innerHTML = '';
    }
    this.showStreamState(t);
    if (!same) {
      this.clearDetails();
      this.num = t ? t.num || 0 : 0;
      this.openLog('out');
    }
    this.refresh();
  }

  close() {
    if (this.id === null) return;
    this.closeLog();
    this.id = null;
    this.el.hidden = true;
    this.onClose();
  }

  destroy() {
    this.closeLog();
    this.id = null;
  }

  clearDetails() {
    for (const sel of ['#task-prereqs', '#task-xtriggers', '#task-outputs']) {
      this.q(sel).innerHTML = '';
      this.q(sel).removeAttribute('data-empty');
    }
    this.q('#task-job').textContent = '–';
    this.q('#task-note').hidden = true;
    const sel = this.q('#set-output');
    sel.innerHTML = '<option value="succeeded" selected>succeeded</option>';
  }

  // The state as the stream has it (before, and between, fetches).
  showStreamState(t) {
    const el = this.q('#task-state');
    if (!t) return;
    el.textContent = t.state;
    el.className = 'state-text state-' + stateClass(t.state);
    el.setAttribute('data-state', t.state);
    this.showFlags(t);
  }

  showFlags(t) {
    const flags = [];
    if (t.held) flags.push('held');
    if (t.queued) flags.push('queued');
    if (t.runahead) flags.push('runahead');
    if (t.retrying) flags.push('retrying');
    if (t.ready) flags.push('ready');
    if (t.in_pool === false) flags.push('not in the pool');
    this.q('#task-flags').innerHTML = flags.map((f) => `<span class="flag flag-${f.replace(/ /g, '-')}">${esc(f)}</span>`).join('');
    this.el.setAttribute('data-held', t.held ? 'true' : 'false');
  }

  // A delta or a snapshot touched the task: show its state now, and fetch
  // the details again (one fetch at a time; one more if asked meanwhile).
  changed(t) {
    if (this.id === null) return;
    if (t) {
      this.showStreamState(t);
      if ((t.num || 0) !== this.num) {
        this.num = t.num || 0;
        if (this.es) this.openLog(this.file); // a new job: follow its log
      }
    }
    this.refresh();
  }

  async refresh() {
    if (this.id === null) return;
    if (this.fetching) { this.again = true; return; }
    this.fetching = true;
    const id = this.id;
    try {
      let reply = await getJSON(workflowPath(this.workflow, 'task'), { id });
      if (reply && reply.ok) reply = reply.ok;
      if (id !== this.id) return;
      const t = reply && reply.tasks && reply.tasks.find((x) => x.id === id) || (reply && reply.tasks && reply.tasks[0]);
      if (!t) throw new Error('no such task');
      this.showDetails(t);
    } catch (e) {
      if (id === this.id) {
        const note = this.q('#task-note');
        note.textContent = e.message === TOKEN_MESSAGE ? e.message : 'could not get the task: ' + e.message;
        note.hidden = false;
        note.classList.add('error');
      }
    } finally {
      this.fetching = false;
      if (this.again) { this.again = false; this.refresh(); }
    }
  }

  showDetails(t) {
    const live = this.tasks().get(t.id);
    // The stream is more recent than a reply that raced with a delta.
    const state = live ? live.state : t.state;
    const st = this.q('#task-state');
    st.textContent = state;
    st.className = 'state-text state-' + stateClass(state);
    st.setAttribute('data-state', state);
    this.showFlags(Object.assign({}, t, live ? { held: live.held } : {}));

    const note = this.q('#task-note');
    note.classList.remove('error');
    if (t.note) { note.textContent = t.note; note.hidden = false; } else note.hidden = true;

    const checks = (list, key) => (list || []).map((p) =>
      `<li class="${p.met ? 'met' : 'unmet'}">${esc(p[key])}</li>`).join('');
    const pre = t.prerequisites || [];
    this.q('#task-prereqs').innerHTML = pre.length ? checks(pre, 'prerequisite') : '';
    this.q('#task-prereqs').setAttribute('data-empty', pre.length ? 'false' : 'true');
    const xt = t.xtriggers || [];
    this.q('#task-xtriggers').innerHTML = checks(xt, 'prerequisite');
    this.q('#task-xtriggers').setAttribute('data-empty', xt.length ? 'false' : 'true');

    const outs = (t.outputs || []).map((o) => (typeof o === 'string' ? { output: o, completed: true } : o));
    this.q('#task-outputs').innerHTML = outs.map((o) =>
      `<li class="${o.completed ? 'completed' : 'incomplete'}" data-required="${o.required ? 'true' : 'false'}">${esc(o.output)}</li>`).join('');
    this.q('#task-outputs').setAttribute('data-empty', outs.length ? 'false' : 'true');

    const sel = this.q('#set-output');
    const keep = sel.value;
    const names = outs.map((o) => o.output);
    if (!names.includes('succeeded')) names.unshift('succeeded');
    const want = names.includes(keep) ? keep : 'succeeded';
    sel.innerHTML = names.map((n) => `<option value="${esc(n)}"${n === want ? ' selected' : ''}>${esc(n)}</option>`).join('');

    const job = this.q('#task-job');
    if (t.job) {
      job.innerHTML = `<span id="task-job-num">${esc(String(t.job.num).padStart(2, '0'))}</span> ` +
        `<code id="task-job-dir">${esc(t.job.dir || '')}</code>`;
    } else job.textContent = 'no job yet';
  }

  // Follows one log file of the task's latest job.
  openLog(file) {
    this.closeLog();
    if (this.id === null) return;
    this.file = file;
    for (const b of this.el.querySelectorAll('button[data-log]')) {
      const on = b.getAttribute('data-log') === file;
      b.classList.toggle('active', on);
      b.setAttribute('aria-selected', String(on));
    }
    const pre = this.q('#log');
    const path = this.q('#log-path');
    pre.textContent = '';
    path.textContent = '';
    pre.classList.remove('missing');
    let missing = false;
    const url = apiUrl(workflowPath(this.workflow, 'log'), { id: this.id, file });
    const es = new EventSource(url);
    this.es = es;
    let opened = false;
    es.addEventListener('open', () => {
      // a reconnection: the server sends the whole file again
      if (opened && this.es === es) { pre.textContent = ''; missing = false; pre.classList.remove('missing'); }
      opened = true;
    });
    const atBottom = () => pre.scrollHeight - pre.scrollTop - pre.clientHeight < 8;
    es.addEventListener('data', (e) => {
      if (this.es !== es) return;
      let d;
      try { d = JSON.parse(e.data); } catch (err) { return; }
      const stick = atBottom();
      if (missing) { pre.textContent = ''; pre.classList.remove('missing'); missing = false; }
      if (d.text) pre.append(d.text);
      if (d.path) path.textContent = d.path;
      if (stick) pre.scrollTop = pre.scrollHeight;
    });
    es.addEventListener('missing', (e) => {
      if (this.es !== es) return;
      let d;
      try { d = JSON.parse(e.data); } catch (err) { d = {}; }
      if (pre.textContent && !missing) return; // some text already: keep it
      pre.textContent = '(no such file yet: ' + (d.path || file) + ')';
      pre.classList.add('missing');
      path.textContent = d.path || '';
      missing = true;
    });
    es.addEventListener('error', async () => {
      if (this.es !== es || es.readyState !== EventSource.CLOSED) return;
      const d = await diagnose(url);
      if (this.es === es && d.text) {
        pre.textContent = '(' + d.text + ')';
        pre.classList.add('missing');
        missing = true;
      }
    });
  }

  closeLog() {
    if (this.es) { this.es.close(); this.es = null; }
  }
}
