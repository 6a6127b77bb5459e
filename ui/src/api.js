// The HTTP API of tock ui (docs/ui.md): the token, URLs, JSON, commands.

const TOKEN_KEY = 'tock_ui_token';
export const TOKEN_MESSAGE =
  'the token is missing or wrong: open the address tock ui printed';

let token = '';

// Takes the token from the address (once), keeps it for this tab and
// removes it from the address bar.
export function initToken() {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    try { sessionStorage.setItem(TOKEN_KEY, fromUrl); } catch (e) { /* private mode */ }
    params.delete('token');
    const query = params.toString();
    history.replaceState(history.state, '',
      location.pathname + (query ? '?' + query : '') + location.hash);
    token = fromUrl;
  } else {
    try { token = sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { token = ''; }
  }
}

// PATH (absolute, e.g. "/api/events") with QUERY (an object) and the token.
export function apiUrl(path, query) {
  const params = new URLSearchParams(query || {});
  if (token) params.set('token', token); // else the cookie, if any
  const q = params.toString();
  return q ? path + '?' + q : path;
}

export function workflowPath(name, rest) {
  return '/api/workflows/' + encodeURIComponent(name) + '/' + rest;
}

export class ApiError extends Error {
  constructor(status, text) {
    super(text);
    this.status = status;
  }
}

async function errorOf(res) {
  if (res.status === 403) return new ApiError(403, TOKEN_MESSAGE);
  let text = '';
  try {
    text = await res.text();
    const j = JSON.parse(text);
    if (j && typeof j.error === 'string') text = j.error;
  } catch (e) { /* not JSON: keep the text */ }
  return new ApiError(res.status, text || res.status + ' ' + res.statusText);
}

export async function getJSON(path, query) {
  const res = await fetch(apiUrl(path, query), { credentials: 'same-origin' });
  if (!res.ok) throw await errorOf(res);
  return res.json();
}

export async function getText(path, query) {
  const res = await fetch(apiUrl(path, query), { credentials: 'same-origin' });
  if (!res.ok) throw await errorOf(res);
  return res.text();
}

// POSTs a command; resolves to the reply's "ok" value, or throws an
// ApiError with the scheduler's or the server's error text.
export async function command(workflow, op, args) {
  let res;
  try {
    res = await fetch(apiUrl(workflowPath(workflow, 'command')), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ op, args: args || {} }),
    });
  } catch (e) {
    throw new ApiError(0, 'tock ui does not answer: ' + e.message);
  }
  if (!res.ok) throw await errorOf(res);
  const reply = await res.json();
  if (reply && reply.error !== undefined) throw new ApiError(res.status, String(reply.error));
  return reply ? reply.ok : reply;
}

// Why an EventSource on URL failed for good: asks the same URL once and
// reads the status only (the body of a stream is never read).
export async function diagnose(url) {
  const ctl = new AbortController();
  try {
    const res = await fetch(url, { signal: ctl.signal, credentials: 'same-origin' });
    let text = '';
    if (res.status === 403) text = TOKEN_MESSAGE;
    else if (!res.ok) {
      try { text = await res.text(); const j = JSON.parse(text); if (j.error) text = j.error; } catch (e) { /* keep */ }
      text = text || res.status + ' ' + res.statusText;
    }
    return { status: res.status, text };
  } catch (e) {
    return { status: 0, text: 'tock ui does not answer' };
  } finally {
    ctl.abort();
  }
}
