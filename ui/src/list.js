// #/ : every workflow, live from /api/events.

import { apiUrl, diagnose } from './api.js';
import { STATES, RANK, esc, stateClass } from './states.js';
import { showMessage, setConn, setCrumbs } from './ui.js';

export function workflowHref(name) {
  return '#/workflow/' + encodeURIComponent(name);
}

function countsHtml(counts) {
  if (!counts) return '';
  const known = STATES.filter((s) => counts[s]);
  const other = Object.keys(counts).filter((s) => !RANK[s] && counts[s]);
  let html = '';
  for (const s of known.concat(other)) {
    html += `<span class="badge state-${stateClass(s)}" data-state="${esc(s)}" title="${esc(s)}">` +
      `<b>${counts[s]}</b> ${esc(s)}</span>`;
  }
  return html;
}

function rowHtml(w) {
  const name = esc(w.name);
  const live = w.live !== false;
  const status = esc(w.status || (live ? '' : 'ended'));
  const stalled = w.stalled
    ? ' <span class="flag flag-stalled" title="the workflow has stalled">stalled</span>' : '';
  return `<tr data-workflow="${name}" class="${live ? 'live' : 'ended'}">` +
    `<td class="name"><a href="${esc(workflowHref(w.name))}">${name}</a></td>` +
    `<td class="status"><span class="wf-status wf-${status}">${status}</span>${stalled}</td>` +
    `<td class="total">${w.tasks == null ? '' : w.tasks}</td>` +
    `<td class="counts">${countsHtml(w.counts)}</td>` +
    `<td class="run-dir" title="${esc(w.run_dir || '')}">${esc(w.run_dir || '')}</td></tr>`;
}

export function listView(root) {
  setCrumbs('<span class="crumb">workflows</span>');
  document.title = 'tock: workflows';
  root.innerHTML =
    '<section class="list-page">' +
    '<table id="workflows" class="list"><thead><tr>' +
    '<th>workflow</th><th>status</th><th class="total">tasks</th><th>by state</th><th>run directory</th>' +
    '</tr></thead><tbody></tbody></table>' +
    '<p id="no-workflows" class="empty" hidden>no workflow running (start one with: tock play FLOW.yaml)</p>' +
    '</section>';
  const tbody = root.querySelector('#workflows tbody');
  const empty = root.querySelector('#no-workflows');
  const rows = new Map(); // name -> [html, tr]

  function apply(list) {
    list = Array.isArray(list) ? list.slice() : [];
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // Replace only the rows that changed; keep the order by name.
    const seen = new Set();
    let prev = null;
    for (const w of list) {
      seen.add(w.name);
      const html = rowHtml(w);
      let entry = rows.get(w.name);
      if (!entry || entry[0] !== html) {
        const t = document.createElement('tbody');
        t.innerHTML = html;
        const tr = t.firstChild;
        if (entry) entry[1].replaceWith(tr);
        entry = [html, tr];
        rows.set(w.name, entry);
      }
      const want = prev ? prev.nextSibling : tbody.firstChild;
      if (want !== entry[1]) tbody.insertBefore(entry[1], want);
      prev = entry[1];
    }
    for (const [name, entry] of rows) {
      if (!seen.has(name)) { entry[1].remove(); rows.delete(name); }
    }
    empty.hidden = list.length > 0;
  }

  const url = apiUrl('/api/events');
  setConn('connecting');
  const es = new EventSource(url);
  es.addEventListener('open', () => setConn('live'));
  es.addEventListener('workflows', (e) => {
    setConn('live');
    let data;
    try { data = JSON.parse(e.data); } catch (err) { return; }
    apply(data);
  });
  es.addEventListener('error', async () => {
    if (es.readyState !== EventSource.CLOSED) { setConn('reconnecting'); return; }
    setConn('offline');
    const d = await diagnose(url);
    if (d.text) showMessage(d.text, 'error');
  });
  return () => es.close();
}
