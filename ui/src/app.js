// tock ui: the page. Routes on location.hash:
//   #/                 every workflow
//   #/workflow/NAME    one workflow

import { initToken } from './api.js';
import { initChrome, clearMessage } from './ui.js';
import { listView } from './list.js';
import { workflowView } from './workflow.js';

window.tockPerf = { snapshot: [], delta: [] };
window.tockSeq = 0;

let teardown = null;

function route() {
  if (teardown) { teardown(); teardown = null; }
  clearMessage();
  const root = document.getElementById('app');
  const hash = location.hash || '#/';
  const m = /^#\/workflow\/(.+)$/.exec(hash);
  if (m) {
    let name;
    try { name = decodeURIComponent(m[1]); } catch (e) { name = m[1]; }
    teardown = workflowView(root, name);
  } else {
    teardown = listView(root);
  }
}

function start() {
  initToken();
  initChrome();
  window.addEventListener('hashchange', route);
  route();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
