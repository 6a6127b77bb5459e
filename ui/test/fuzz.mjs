// `tock ui`'s HTTP server under bad input (tests/check_ui.sh --fuzz): random
// and malformed requests, with and without the token, and raw garbage on
// its TCP port. Each must get a 4xx answer (or the connection closed), never
// a 5xx other than the graph's, never a crash; afterwards the server still
// serves, and it counted every request refused for its token.
//   node ui/test/fuzz.mjs TOCK FLOW.yaml      (HOME a scratch directory)
import { spawn, execFileSync } from 'node:child_process';
import net from 'node:net';

const [tock, flow] = process.argv.slice(2);
const token = 'fz' + Math.random().toString(16).slice(2);
let seed = Number(process.env.SEED || Date.now() % 100000);
console.log(`seed ${seed} (SEED=N to repeat)`);
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const pick = (a) => a[Math.floor(rand() * a.length)];
const junk = (n) => Array.from({ length: n }, () => String.fromCharCode(Math.floor(rand() * 256))).join('');
const failures = [];
const check = (what, ok, detail = '') => { if (!ok) { failures.push(what); console.log(`FAIL ${what} ${detail}`); } };

execFileSync(tock, ['play', flow, '--mode', 'simulation'], { stdio: 'ignore' });
const ui = spawn(tock, ['ui', '--port', '0', '--token', token], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let out = '';
  ui.stdout.on('data', (d) => { out += d; const m = out.match(/open (http:\/\/\S+)/); if (m) resolve(m[1]); });
  ui.on('exit', (c) => reject(new Error(`tock ui ended (${c})`)));
});
const base = url.replace(/\/\?token=.*/, '');
const port = Number(new URL(base).port);
let died = false;
ui.on('exit', () => { died = true; });
// Wait until the hub follows the workflow.
for (let i = 0; i < 100; ++i) {
  const l = await (await fetch(`${base}/api/workflows?token=${token}`)).json();
  if (l.some((w) => w.name === 'uitest' && w.live)) break;
  await new Promise((r) => setTimeout(r, 100));
}

const paths = ['/', '/app.js', '/api/workflows', '/api/events', '/api/stats',
  '/api/workflows/uitest/task', '/api/workflows/uitest/log', '/api/workflows/uitest/graph',
  '/api/workflows/uitest/command', '/api/workflows/nosuch/events', '/api/workflows/../../etc/passwd',
  '/api/workflows/uitest/log?id=../../../etc/passwd', '/api/workflows/uitest/log?id=1/greet&file=../../x',
  '/api/workflows/uitest/log?id=1/..&file=out', '/api/workflows/uitest/log?id=1/greet&num=-5',
  '/api/workflows/uitest/log?id=1/greet&num=99999999999', '/api/workflows/uitest/task?id=%00',
  '/%2e%2e/%2e%2e', '/api/workflows/uitest/task?id=' + 'x'.repeat(5000)];
const bodies = () => [junk(50), '{}', '[]', 'null', '{"op": 1}', '{"op": "rm -rf"}', '{"op": "hold", "args": []}',
  '{"op": "hold", "args": {"ids": "1/greet"}}', '{"op": "hold", "args": {"ids": [1, 2]}}',
  '{"op": "stop", "args": {"mode": "explode"}}', '{"op": "set", "args": {"ids": ["1/greet"], "out": ["nope"]}}',
  '{"op": "hold", "args": ' + '{"a":'.repeat(200) + '1' + '}'.repeat(200) + '}', 'x'.repeat(2 << 20)];

let refusedSent = 0;
const N = Number(process.env.FUZZ_N || 400);
for (let i = 0; i < N && !died; ++i) {
  const withToken = rand() < 0.8;
  const p = pick(paths);
  const method = pick(['GET', 'POST', 'PUT', 'DELETE', 'GET']);
  const sep = p.includes('?') ? '&' : '?';
  const u = base + p + (withToken ? `${sep}token=${token}` : rand() < 0.5 ? `${sep}token=${junk(8).replace(/[^a-z]/g, 'a')}` : '');
  const opts = { method, signal: AbortSignal.timeout(5000) };
  if (method === 'POST') opts.body = pick(bodies());
  if (rand() < 0.2) opts.headers = { Cookie: pick(['tock_ui_token=', `tock_ui_token=${token}x`, 'a=b; tock_ui_token']) };
  if (!withToken) ++refusedSent;
  let status = 0;
  try {
    const r = await fetch(u, opts);
    status = r.status;
    // Event streams stay open: read a little, then let go.
    if (r.headers.get('content-type')?.includes('event-stream')) await r.body.cancel();
    else await r.arrayBuffer();
  } catch (e) {
    if (e.name !== 'TimeoutError' && e.name !== 'AbortError') check(`request ${method} ${p}`, false, e.message);
    continue;
  }
  if (!withToken) check(`no token: ${method} ${p}`, status === 403, `got ${status}`);
  else check(`${method} ${p}`, status < 500 || p.includes('/graph'), `got ${status}`);
  if (withToken && p.includes('etc/passwd') && status === 200) check(`${p} served a file outside the run`, false);
}
// Raw garbage on the port.
for (let i = 0; i < 50 && !died; ++i) {
  await new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => { s.end(junk(Math.floor(rand() * 4000))); });
    s.on('error', resolve); s.on('close', resolve); s.setTimeout(3000, () => s.destroy());
    s.resume();
  });
}
check('the server is still up', !died);
const stats = await (await fetch(`${base}/api/stats?token=${token}`)).json();
check('it counted the requests refused for their token', stats.refused >= refusedSent,
  `${stats.refused} counted, ${refusedSent} sent`);
const list = await (await fetch(`${base}/api/workflows?token=${token}`)).json();
check('it still follows the workflow', list.some((w) => w.name === 'uitest' && w.live));
ui.kill('SIGTERM');
try { execFileSync(tock, ['stop', 'uitest', '--now'], { stdio: 'ignore' }); } catch {}
console.log(failures.length ? `${failures.length} failed` : `all passed (${N} requests, 50 raw connections; ${JSON.stringify(stats)})`);
process.exit(failures.length ? 1 : 0);
