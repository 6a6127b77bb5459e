// The page's speed with 10,000 active tasks, in headless chromium
// (bench/ui.sh runs this): a real workflow (10,000 tasks in simulation,
// each "running" for an hour), a real `tock ui`, real pages.
//   node ui/test/perf.mjs TOCK WORKDIR [ROUNDS]
// HOME must be a scratch directory. Prints a table: the first full render
// (the snapshot applied and laid out), each update of 100 tasks (a hold or
// a release of 100 tasks from the command endpoint, one delta), the time
// from the command to the page showing it, and the server's memory and CPU
// with 1 and with 10 pages open.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

const [tock, work, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 20);
const N = 10000;
const token = 'perf' + Math.random().toString(16).slice(2);
writeFileSync(`${work}/big.yaml`, `name: big
parameters:
  m: 1..${N}
scheduling:
  cycling: integer
  final: 1
  graph:
    R1: model<m>
runtime:
  ENS:
    simulation: {run_length: PT1H}
  model<m>:
    inherit: ENS
`);

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };
const max = (a) => Math.max(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const proc = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const tick = 100;  // USER_HZ
  const rss = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
  return { cpuMs: ((Number(stat[11]) + Number(stat[12])) * 1000) / tick, rssMB: rss / 1024 };
};

let ui, browser;
async function finish(code) {
  if (browser) await browser.close().catch(() => {});
  if (ui) ui.kill('SIGTERM');
  try { execFileSync(tock, ['stop', 'big', '--now'], { stdio: 'ignore' }); } catch {}
  process.exit(code);
}

execFileSync(tock, ['play', `${work}/big.yaml`, '--mode', 'simulation'], { stdio: 'ignore' });
const url = await new Promise((resolve, reject) => {
  ui = spawn(tock, ['ui', '--port', '0', '--token', token], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  ui.stdout.on('data', (d) => { out += d; const m = out.match(/open (http:\/\/\S+)/); if (m) resolve(m[1]); });
  ui.on('exit', (c) => reject(new Error(`tock ui ended (${c})`)));
});
const base = url.replace(/\/\?token=.*/, '');
const api = (p) => `${base}${p}${p.includes('?') ? '&' : '?'}token=${token}`;
// Every task running (all submitted), so that only our commands change it.
for (let i = 0; ; ++i) {
  const list = await (await fetch(api('/api/workflows'))).json();
  const big = list.find((w) => w.name === 'big');
  if (big && (big.counts.running || 0) === N) break;
  if (i > 600) { console.error('the workflow did not reach 10,000 running tasks'); await finish(1); }
  await sleep(100);
}

browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
// Each page in a browser context of its own, as ten operators' browsers
// would be: one browser holds at most six HTTP/1.1 connections to a host,
// and each page keeps one open for its event stream.
async function openPage() {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  const t0 = Date.now();
  await page.goto(`${url}#/workflow/big`);
  // (the table has only the rows on screen in the DOM: its model counts)
  await page.waitForFunction((n) => document.querySelector('#grid')?.getAttribute('data-tasks') === String(n) &&
    (window.tockPerf?.snapshot?.length || 0) > 0, { timeout: 60000 }, N);
  return { page, loadMs: Date.now() - t0 };
}
const ids = (k) => Array.from({ length: 100 }, (_, i) => `1/model_m${String(k * 100 + i + 1).padStart(5, '0')}`);
// Task names as the parameter template writes them: read one from the list.
const sample = await (await fetch(api('/api/workflows/big/task?id=1/model_m00001'))).json();
if (!sample.tasks) { console.error('unexpected task names:', JSON.stringify(sample).slice(0, 200)); await finish(1); }

async function updates(pages, n) {
  const server0 = proc(ui.pid);
  const lag = [];
  for (let r = 0; r < n; ++r) {
    const op = r % 2 === 0 ? 'hold' : 'release';
    const want = op === 'hold' ? 'true' : 'false';
    const which = ids(Math.floor(r / 2) % 100);
    const seqs = await Promise.all(pages.map((p) => p.evaluate(() => window.tockSeq)));
    const t0 = Date.now();
    const res = await (await fetch(api('/api/workflows/big/command'), {
      method: 'POST', body: JSON.stringify({ op, args: { ids: which } }) })).json();
    if (!res.ok || res.ok.done.length !== 100) throw new Error(`${op}: ${JSON.stringify(res).slice(0, 200)}`);
    // The task in the page's model (its row need not be in the DOM), after
    // a delta (each sets #grid's data-tasks: a mutation).
    for (let i = 0; i < pages.length; i++) {
      await pages[i].waitForFunction((id, w, s0) => window.tockSeq > s0 && window.tockTask(id)?.held === w,
        { timeout: 30000, polling: 'mutation' }, which[99], want === 'true', seqs[i]);
    }
    lag.push(Date.now() - t0);
  }
  const server1 = proc(ui.pid);
  return { lag, cpuPerUpdate: (server1.cpuMs - server0.cpuMs) / n, rssMB: server1.rssMB };
}

try {
  const first = await openPage();
  const one = await updates([first.page], rounds);
  const perf = await first.page.evaluate(() => window.tockPerf);
  const more = [first];
  for (let i = 1; i < 10; ++i) more.push(await openPage());
  const ten = await updates(more.map((m) => m.page), rounds);
  const loads = more.map((m) => m.loadMs);
  // The first render of each of the 10 pages (each its own snapshot).
  const firsts = [];
  for (const m of more) firsts.push(await m.page.evaluate(() => window.tockPerf.snapshot[0]));
  const deltas = perf.delta.filter((x) => x > 0);
  const row = (what, value, target) => console.log(`${what.padEnd(72)} ${value.padStart(12)}  ${target}`);
  console.log(`\ntock ui, a workflow of ${N} active tasks, ${rounds} updates of 100 tasks each (headless chromium)\n`);
  row('measure', 'value', 'target');
  const later = firsts.slice(1);
  row('first full render (snapshot applied and laid out), one page open, ms', firsts[0].toFixed(1), `< 100 (${(firsts[0] / 100).toFixed(2)}x of it)`);
  row('first full render, pages 2-10 (the others open), median ms', median(later).toFixed(1), `${(median(later) / 100).toFixed(2)}x of 100`);
  row('first full render, pages 2-10 (the others open), max ms', max(later).toFixed(1), '');
  row('update of 100 tasks applied and laid out, median ms', median(deltas).toFixed(1), `< 100 (${(median(deltas) / 100).toFixed(2)}x)`);
  row('update of 100 tasks applied and laid out, max ms', max(deltas).toFixed(1), '< 100');
  row('page load to the table shown (fetch, 10,000-task snapshot), median ms', String(median(loads)), '');
  row('command to the change on the page, 1 page, median ms', String(median(one.lag)), '');
  row('command to the change on all 10 pages, median ms', String(median(ten.lag)), '');
  row('server CPU per update, 1 page open, ms', one.cpuPerUpdate.toFixed(1), '');
  row('server CPU per update, 10 pages open, ms', ten.cpuPerUpdate.toFixed(1), `${(ten.cpuPerUpdate / Math.max(one.cpuPerUpdate, 0.1)).toFixed(2)}x of 1 page`);
  row('server RSS, 1 page open, MB', one.rssMB.toFixed(1), '');
  row('server RSS, 10 pages open, MB', ten.rssMB.toFixed(1), '');
  const ok = firsts[0] < 100 && max(deltas) < 100;
  console.log(ok ? '\nwithin the targets' : '\nOVER A TARGET');
  await finish(0);
} catch (e) {
  console.error(e);
  await finish(1);
}
