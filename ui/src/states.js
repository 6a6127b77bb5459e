// Task states: their order in the legend and which is "worst" for a family.

export const STATES = [
  'waiting', 'preparing', 'submitted', 'running', 'succeeded',
  'failed', 'submit-failed', 'expired', 'done',
];

// Higher is worse: what a collapsed family shows for a cycle point.
const WORST = [
  'succeeded', 'done', 'expired', 'waiting', 'preparing', 'submitted',
  'running', 'submit-failed', 'failed',
];
export const RANK = Object.create(null);
WORST.forEach((s, i) => { RANK[s] = i + 1; });

export const STATE_HELP = {
  waiting: 'waiting for its prerequisites',
  preparing: 'its job is being prepared',
  submitted: 'its job was submitted',
  running: 'its job is running',
  succeeded: 'its job succeeded',
  failed: 'its job failed',
  'submit-failed': 'its job could not be submitted',
  expired: 'it expired: it will not run',
  done: 'it completed without succeeding',
};

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]);
}

// A state as a CSS class name part (anything unexpected becomes "unknown").
export function stateClass(s) {
  return RANK[s] ? s : 'unknown';
}
