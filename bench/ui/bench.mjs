// UI benchmark (bench/scenarios/80-ui.sh): Ferry's web UI with many apps, each figure beside a
// peer measured in the same run and the same browser (Debian's Chromium via playwright-core):
//  - navigation → list interactive (every row in the DOM and the search box filtering) vs. the
//    same rows as a plain static HTML table (navigation → load event);
//  - an update event → the row's badge changed, vs. a minimal EventSource handler that sets the
//    cell of a static table directly (the least work a live page can do);
//  - bytes transferred by the first load (the UI's files, and files + the API's list) vs. the
//    static table page (both gzip) and the goal of 250 KB.
// Prints `ROW` lines for bench/run. APPS=N overrides the app count (BENCH_QUICK=1: 200).
import http from 'node:http';
import zlib from 'node:zlib';
import { launch, missingBrowser } from '../../tests/ui/browser.mjs';
import { apiClient, makeRepo, startController, startSim, tempDir } from '../../tests/ui/procs.mjs';

const missing = missingBrowser();
if (missing) {
  console.error(`bench/ui: ${missing}`);
  process.exit(1);
}
const APPS = Number(process.env.APPS || (process.env.BENCH_QUICK ? 200 : 1000));
const UPDATES = 5;
const ADMIN_PASSWORD = 'bench admin password';
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const fmt = (x, d = 1) => x.toFixed(d);
const log = (m) => console.error(`bench/ui: ${m}`);
const name = (i) => `app-${String(i).padStart(5, '0')}`;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const dir = tempDir('ferry-bench-ui-');
const { kubectl, kubeconfig } = await startSim(dir, 0);
kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ferry\n');
const repo = makeRepo(dir);
const files = {};
let apps = '';
// The apps whose badge the benchmark flips are synced by hand (an automated app would re-apply
// the drift the benchmark makes); all others are automated.
const MEASURED = [...Array(UPDATES).keys()].flatMap((k) => [10 + k, 20 + k]);
for (let i = 0; i < APPS; i++) {
  files[`apps/${name(i)}/cm.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name(i)}\ndata:\n  k: v1\n`;
  apps += `---\napiVersion: ferry.dev/v1alpha1\nkind: Application\nmetadata:\n  name: ${name(i)}\n  namespace: ferry\nspec:\n  project: default\n` +
    `  source:\n    repoURL: ${repo.url}\n    targetRevision: main\n    path: apps/${name(i)}\n` +
    '  destination:\n    server: https://kubernetes.default.svc\n    namespace: default\n' +
    (MEASURED.includes(i) ? '' : '  syncPolicy:\n    automated:\n      prune: true\n');
}
repo.commit(files, 'apps');
const extra = ['--workers', '16', ...(process.env.FERRY_UI_DIR ? ['--ui-dir', process.env.FERRY_UI_DIR] : [])];
// A short refresh period for the cold sync; the measurements run after a restart with the default
// period, so the stream carries only what the benchmark changes.
let { controller, base } = await startController(dir, kubeconfig, { adminPassword: ADMIN_PASSWORD, resyncSeconds: 10, extra });
let api = apiClient(base);
await api.login('admin', ADMIN_PASSWORD);
log(`creating ${APPS} apps`);
kubectl(['apply', '-f', '-'], apps);
const started = Date.now();
for (const i of MEASURED) {
  await api.waitApp(name(i), (a) => a.status?.sync?.status === 'OutOfSync', 'compared', 120000);
  const r = await api.call('POST', `/api/v1/applications/${name(i)}/sync`, {});
  if (r.status !== 202) throw new Error(`sync ${name(i)}: ${r.status} ${JSON.stringify(r.data)}`);
}
for (;;) {
  const r = await api.call('GET', '/api/v1/applications');
  const items = r.data?.items || [];
  const synced = items.filter((a) => a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy').length;
  if (synced >= APPS) break;
  if (Date.now() - started > 600000) throw new Error(`only ${synced} of ${APPS} apps synced`);
  await new Promise((r) => setTimeout(r, 1000));
}
log(`all ${APPS} apps Synced/Healthy after ${((Date.now() - started) / 1000).toFixed(1)} s`);
await controller.stop();
({ controller, base } = await startController(dir, kubeconfig, { adminPassword: ADMIN_PASSWORD, resyncSeconds: 120, extra }));
api = apiClient(base);
await api.login('admin', ADMIN_PASSWORD);
// The restart re-checks every app once; wait until that wave is over.
const restarted = new Date(Date.now() - 1000).toISOString();
for (const until = Date.now() + 60000; Date.now() < until;) {
  const items = (await api.call('GET', '/api/v1/applications')).data?.items || [];
  if (items.length >= APPS && items.every((a) => (a.status?.reconciledAt || '') >= restarted.slice(0, 19))) break;
  await new Promise((r) => setTimeout(r, 1000));
}
await new Promise((r) => setTimeout(r, 3000));
log('controller restarted with the default refresh period');
const list = (await api.call('GET', '/api/v1/applications')).data.items;

// The peer: the same rows as a static table, and a minimal live page, served gzip from loopback;
// its event stream is the controller's, relayed with the admin's token.
const token = await api.login('admin', ADMIN_PASSWORD);
const rowsHtml = list.map((a) => `<tr data-name="${esc(a.metadata.name)}"><th>${esc(a.metadata.name)}</th><td>${esc(a.spec.project)}</td>` +
  `<td class="sync">${esc(a.status.sync.status)}</td><td>${esc(a.status.health.status)}</td><td>${esc((a.status.sync.revision || '').slice(0, 7))}</td>` +
  `<td>${esc(a.status.operationState?.finishedAt || '')}</td><td>in-cluster / default</td><td>${esc(a.spec.source.repoURL)} ${esc(a.spec.source.path)}</td></tr>`).join('\n');
const peerPage = (live) => `<!doctype html><html><head><meta charset="utf-8"><title>peer</title></head><body><input id="q" type="search"><table><thead><tr><th>Name</th><th>Project</th><th>Sync</th><th>Health</th><th>Revision</th><th>Last sync</th><th>Destination</th><th>Source</th></tr></thead><tbody id="rows">\n${rowsHtml}\n</tbody></table><script src="/peer.js${live ? '?live' : ''}"></script></body></html>`;
// The peer's whole script: a name filter and, on the live page, one cell set per stream event.
const peerJs = `const rows = [...document.querySelectorAll('#rows tr')];
document.getElementById('q').addEventListener('input', (e) => { const q = e.target.value; for (const r of rows) r.hidden = !r.dataset.name.includes(q); });
if (document.currentScript.src.endsWith('?live')) {
  const cells = new Map(rows.map((r) => [r.dataset.name, r.querySelector('.sync')]));
  new EventSource('/stream').onmessage = (m) => { const e = JSON.parse(m.data); const c = cells.get(e.application.metadata.name); if (c) c.textContent = e.application.status.sync.status; };
}`;
const peer = http.createServer((req, res) => {
  if (req.url === '/stream') {
    const up = http.get(`${base}/api/v1/stream/applications`, { headers: { Authorization: `Bearer ${token}` } }, (u) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      u.pipe(res);
    });
    req.on('close', () => up.destroy());
    return;
  }
  const body = req.url.startsWith('/peer.js') ? peerJs : peerPage(req.url === '/live.html');
  const gz = zlib.gzipSync(body, { level: 9 });
  res.writeHead(200, { 'Content-Type': req.url.startsWith('/peer.js') ? 'text/javascript' : 'text/html; charset=utf-8', 'Content-Encoding': 'gzip', 'Cache-Control': 'no-cache' });
  res.end(gz);
});
await new Promise((r) => peer.listen(0, '127.0.0.1', r));
const peerBase = `http://127.0.0.1:${peer.address().port}`;

const browser = await launch();

// Records when a row's sync badge/cell changes, and when the stream delivered that change.
const instrument = () => {
  window.__events = new Map();
  window.__changes = new Map();
  const Original = window.EventSource;
  window.EventSource = class extends Original {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (m) => {
        const t = performance.now();
        window.__seen = (window.__seen || 0) + 1;
        try {
          const e = JSON.parse(m.data);
          const n = e.application?.metadata?.name;
          if (n && e.application.status?.sync?.status === 'OutOfSync' && !window.__events.has(n)) window.__events.set(n, t);
        } catch { /* not ours */ }
      });
    }
  };
  new MutationObserver((records) => {
    const t = performance.now();
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      const row = el && el.closest && el.closest('[data-name]');
      if (row && !window.__changes.has(row.dataset.name) && /OutOfSync/.test((row.querySelector('.badge.sync, .sync') || {}).textContent || '')) {
        window.__changes.set(row.dataset.name, t);
      }
    }
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
};

// Bytes on the wire per request while fn() runs (CDP: compressed body + headers; a stream that
// is still open counts what arrived so far).
async function bytesOf(page, fn) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map(), finished = new Map(), partial = new Map();
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  const messages = new Map();
  cdp.on('Network.dataReceived', (e) => partial.set(e.requestId, (partial.get(e.requestId) || 0) + e.encodedDataLength));
  cdp.on('Network.loadingFinished', (e) => finished.set(e.requestId, e.encodedDataLength));
  // Chromium reports an event stream's data as decoded messages, not as received bytes.
  cdp.on('Network.eventSourceMessageReceived', (e) => messages.set(e.requestId, (messages.get(e.requestId) || 0) + e.data.length + 8));
  const headers = new Map();  // the request headers as sent (cookie and Accept-Encoding included)
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => headers.set(e.requestId, e.headers));
  await fn();
  await new Promise((r) => setTimeout(r, 300));
  await cdp.detach();
  const out = [];
  for (const [id, url] of urls) {
    let bytes = finished.has(id) ? finished.get(id) : partial.get(id) || 0;
    // An open event stream Chromium gave no byte count for: the same request again from here,
    // with the browser's headers, counting the bytes on the wire of its initial burst.
    if (!finished.has(id) && !bytes && messages.get(id)) bytes = await wireBytes(url, headers.get(id) || {});
    out.push({ url, bytes });
  }
  return out;
}

// Raw bytes of a streamed answer (no decoding) until it has been quiet for 500 ms.
function wireBytes(url, sentHeaders) {
  const headers = Object.fromEntries(Object.entries(sentHeaders).filter(([k]) => !k.startsWith(':')));
  return new Promise((resolve) => {
    let bytes = 0, quiet = 0;
    const req = http.get(url, { headers }, (res) => {
      const done = () => { req.destroy(); resolve(bytes); };
      quiet = setTimeout(done, 2000);
      res.on('data', (d) => { bytes += d.length; clearTimeout(quiet); quiet = setTimeout(done, 500); });
      res.on('end', () => { clearTimeout(quiet); resolve(bytes); });
    });
    req.on('error', () => resolve(0));
  });
}
const sum = (sizes, pred = () => true) => sizes.filter((s) => pred(s.url)).reduce((a, s) => a + s.bytes, 0);

// First load: a new browser profile (empty cache) opens the UI, logs in and gets the list.
let ferryBytes = 0, ferryFileBytes = 0, peerBytes = 0;
{
  const fresh = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await fresh.newPage();
  const sizes = await bytesOf(page, async () => {
    await page.goto(`${base}/`);
    await page.fill('#login-username', 'admin');
    await page.fill('#login-password', ADMIN_PASSWORD);
    await page.click('.login-form button[type=submit]');
    await page.waitForFunction((n) => document.querySelectorAll('#apps-body .app-row').length >= n, APPS, { timeout: 120000 });
  });
  ferryBytes = sum(sizes);
  ferryFileBytes = sum(sizes, (u) => !u.includes('/api/'));
  log(`first load: ${sizes.map((s) => `${s.url.replace(/^https?:\/\/[^/]+/, '')} ${s.bytes}`).join(', ')}`);
  await fresh.close();
  const peerCtx = await browser.newContext();
  const p = await peerCtx.newPage();
  peerBytes = sum(await bytesOf(p, () => p.goto(`${peerBase}/table.html`, { waitUntil: 'load' })));
  await peerCtx.close();
}

// Navigation → every row rendered, and a search keystroke → the table filtered, both timed in
// the page (a requestAnimationFrame loop: the frame that will show the result), three runs each,
// Ferry with a logged-in profile whose HTTP cache is warm.
const rowsDetector = ([sel, n]) => {
  const tick = () => {
    const body = document.querySelector(sel);
    if (body && body.childElementCount >= n) window.__rowsAt = performance.now();
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
};
const filterTime = ([input, body, query]) => new Promise((resolve) => {
  const el = document.querySelector(input);
  const visible = () => [...document.querySelector(body).children].filter((r) => !r.hidden).length;
  const t0 = performance.now();
  el.value = query;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  const tick = () => (visible() === 1 ? resolve(performance.now() - t0) : requestAnimationFrame(tick));
  requestAnimationFrame(tick);
});
const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
const login = await ctx.newPage();
await login.goto(`${base}/#/login`);
await login.fill('#login-username', 'admin');
await login.fill('#login-password', ADMIN_PASSWORD);
await login.click('.login-form button[type=submit]');
await login.waitForSelector('#apps-body .app-row');
await login.close();
const peerCtx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
const rowsAt = [], peerRowsAt = [], filterMs = [], peerFilterMs = [];
for (let run = 0; run < 3; run++) {
  const page = await ctx.newPage();
  await page.addInitScript(rowsDetector, ['#apps-body', APPS]);
  // Where the time goes: the stream's open, first and last event (logged below).
  await page.addInitScript(() => {
    window.__stream = [];
    const Original = window.EventSource;
    window.EventSource = class extends Original {
      constructor(...args) {
        super(...args);
        this.addEventListener('open', () => window.__stream.push(['open', performance.now()]));
        this.addEventListener('message', () => window.__stream.push(['event', performance.now()]));
      }
    };
  });
  await page.goto(`${base}/#/apps`);
  await page.waitForFunction(() => window.__rowsAt, undefined, { timeout: 120000 });
  rowsAt.push(await page.evaluate(() => window.__rowsAt));
  await page.waitForTimeout(300);
  filterMs.push(await page.evaluate(filterTime, ['#app-search', '#apps-body', name(APPS - 1)]));
  const timings = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => `${e.name.replace(/^https?:\/\/[^/]+/, '')} ${Math.round(e.startTime)}-${Math.round(e.responseEnd)}`));
  const stream = await page.evaluate(() => window.__stream);
  const marks = await page.evaluate(() => performance.getEntriesByType('mark').map((m) => `${m.name.replace('ferry:', '')} ${Math.round(m.startTime)}`).join(', '));
  const events = stream.filter((e) => e[0] === 'event');
  log(`ferry run ${run}: rows at ${fmt(rowsAt[run])} ms, filter ${fmt(filterMs[run])} ms; ${timings.filter((t) => t.includes('/api/')).join(', ')}; ` +
    `stream open ${fmt(stream.find((e) => e[0] === 'open')?.[1] ?? -1)}, events ${fmt(events[0]?.[1] ?? -1)}-${fmt(events[APPS - 1]?.[1] ?? -1)} ms; ${marks}`);
  await page.close();

  const p = await peerCtx.newPage();
  await p.addInitScript(rowsDetector, ['#rows', APPS]);
  await p.goto(`${peerBase}/table.html`);
  await p.waitForFunction(() => window.__rowsAt, undefined, { timeout: 120000 });
  peerRowsAt.push(await p.evaluate(() => window.__rowsAt));
  await p.waitForTimeout(300);
  peerFilterMs.push(await p.evaluate(filterTime, ['#q', '#rows', name(APPS - 1)]));
  log(`peer run ${run}: rows at ${fmt(peerRowsAt[run])} ms, filter ${fmt(peerFilterMs[run])} ms`);
  await p.close();
}

// Update → badge: drift one app's ConfigMap at a time and refresh it; the controller marks it OutOfSync.
async function measureUpdates(page, first) {
  const out = [];
  for (let k = 0; k < UPDATES; k++) {
    const n = name(first + k);
    kubectl(['patch', 'configmap', n, '-n', 'default', '--type', 'merge', '-p', '{"data":{"k":"drift"}}']);
    await api.call('POST', `/api/v1/applications/${n}/refresh?type=normal`);  // compare now, not at the next refresh period
    await page.waitForFunction((x) => window.__changes.has(x) && window.__events.has(x), n, { timeout: 60000 }).catch(async (e) => {
      const state = await page.evaluate((x) => ({ events: window.__events.has(x), changes: window.__changes.has(x), seen: window.__seen,
        row: document.querySelector(`[data-name="${x}"]`)?.textContent }), n);
      throw new Error(`${n}: no badge change seen (${JSON.stringify(state)}): ${e.message}`);
    });
    out.push(await page.evaluate((x) => window.__changes.get(x) - window.__events.get(x), n));
  }
  return out;
}
const ferryPage = await ctx.newPage();
await ferryPage.addInitScript(instrument);
await ferryPage.goto(`${base}/#/apps`);
await ferryPage.waitForFunction((n) => document.querySelectorAll('#apps-body .app-row').length >= n, APPS, { timeout: 120000 });
await ferryPage.waitForFunction(() => document.querySelector('#conn')?.textContent === 'live');
const ferryUpdates = await measureUpdates(ferryPage, 10);
const livePage = await peerCtx.newPage();
await livePage.addInitScript(instrument);
await livePage.goto(`${peerBase}/live.html`);
await livePage.waitForTimeout(500);
const peerUpdates = await measureUpdates(livePage, 20);
log(`update → badge (ms): ferry ${ferryUpdates.map((x) => fmt(x)).join(', ')}; peer ${peerUpdates.map((x) => fmt(x)).join(', ')}`);

await browser.close();
peer.close();

const row = (scenario, ferry, peerName, peerValue, unit, better) => console.log(['ROW', scenario, ferry, peerName, peerValue, unit, better].join('\t'));
row(`ui: ${APPS} apps, navigation to every row rendered (median of 3)`, fmt(median(rowsAt), 0),
  'the same rows as a static HTML table', fmt(median(peerRowsAt), 0), 'ms', 'lower');
row(`ui: ${APPS} apps, search keystroke to table filtered (median of 3)`, fmt(median(filterMs), 1),
  'static table + 3-line filter script', fmt(median(peerFilterMs), 1), 'ms', 'lower');
row(`ui: ${APPS} apps, stream event to badge changed (median of ${UPDATES})`, fmt(median(ferryUpdates), 2),
  'minimal EventSource handler setting a static table cell', fmt(median(peerUpdates), 2), 'ms', 'lower');
row(`ui: first load transferred: login, UI files, API data of ${APPS} apps`, fmt(ferryBytes / 1024, 0),
  'the same rows as a static HTML table (gzip)', fmt(peerBytes / 1024, 0), 'KiB', 'lower');
row('ui: first load transferred, the UI\'s own files (gzip)', fmt(ferryFileBytes / 1024, 0), 'goal', '250', 'KiB', 'lower');
process.exit(0);
