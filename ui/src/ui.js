// Page-wide pieces: the message line, the confirmation modal, the legend,
// the connection indicator.

import { STATES, STATE_HELP, esc } from './states.js';

const $ = (id) => document.getElementById(id);

export function showMessage(text, kind) {
  const el = $('message');
  el.textContent = text;
  el.className = kind || 'info';
  el.hidden = false;
}

export function clearMessage() {
  const el = $('message');
  el.hidden = true;
  el.textContent = '';
}

// Resolves true (yes) or false (no, Escape, a click outside).
let pending = null;
export function confirmAction(text, yesLabel) {
  const box = $('confirm');
  if (pending) pending(false);
  $('confirm-text').textContent = text;
  $('confirm-yes').textContent = yesLabel || 'Yes';
  box.hidden = false;
  $('confirm-yes').focus();
  return new Promise((resolve) => {
    pending = (answer) => {
      pending = null;
      box.hidden = true;
      resolve(answer);
    };
  });
}

export function initChrome() {
  $('message').addEventListener('click', clearMessage);
  $('confirm-yes').addEventListener('click', () => pending && pending(true));
  $('confirm-no').addEventListener('click', () => pending && pending(false));
  $('confirm').addEventListener('click', (e) => {
    if (e.target === e.currentTarget && pending) pending(false);
  });
  document.addEventListener('keydown', (e) => {
    if (!pending) return;
    if (e.key === 'Escape') { e.preventDefault(); pending(false); }
  });
  let html = '';
  for (const s of STATES) {
    html += `<li title="${esc(STATE_HELP[s])}"><span class="swatch state-${s}"></span>${s}</li>`;
  }
  html += '<li title="held: it will not run until released"><span class="swatch state-waiting" data-held="true"></span>held</li>';
  html += '<li title="runahead: beyond the runahead limit"><span class="swatch state-waiting" data-runahead="true"></span>runahead</li>';
  html += '<li title="queued: waiting in a queue"><span class="swatch state-waiting" data-queued="true"></span>queued</li>';
  $('legend').innerHTML = html;
}

// The indicator in the header: "live", "connecting", "ended", "offline".
export function setConn(state, title) {
  const el = $('conn');
  el.textContent = state;
  el.className = 'conn conn-' + state.replace(/\s+/g, '-');
  el.title = title || '';
}

export function setCrumbs(html) {
  $('crumbs').innerHTML = html;
}
