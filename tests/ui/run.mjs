// Browser test of Ferry's web UI against real processes: `ferry sim`, a git repository holding an
// app of apps, and `ferry controller` serving the API and the embedded UI, driven by Debian's
// Chromium through playwright-core. Screenshots of the main views go to $FERRY_UI_ARTIFACTS
// (default: <dir of FERRY_BIN>/ui-artifacts).
//
// Covers: the UI's HTTP answers (security headers, ETag/304, gzip, 404s, no path traversal);
// login (a wrong password, then admin), the user and role shown; the list with badges, counts,
// search and live updates without a reload; an app of apps' tree with a child opened in place and
// as its own page; a dry run and a sync from the sync dialog with the operation shown; a commit
// seen as OutOfSync and its diff (unified and side by side) and plan; rollback through the
// confirmation dialog; a read-only user whose sync/rollback/delete buttons are disabled and whose
// writes the server refuses; the CSRF header; and XSS payloads in a commit message, an
// annotation and a condition message rendered as text (no dialog, no element injected).
//
// Exit status: 0 pass, 1 fail, 77 skipped (no Chromium or playwright-core: run scripts/setup).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { launch, missingBrowser, watchPage } from './browser.mjs';
import { apiClient, ferryBin, makeRepo, startController, startSim, tempDir } from './procs.mjs';

const missing = missingBrowser();
if (missing) {
  console.log(`SKIPPED: the browser test needs Chromium and playwright-core: ${missing}`);
  process.exit(77);
}

const ARTIFACTS = process.env.FERRY_UI_ARTIFACTS || path.join(path.dirname(ferryBin()), 'ui-artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });
const ADMIN_PASSWORD = 'ui-test admin password';
const VIEWER_PASSWORD = 'viewer password 123';
const XSS_COMMIT = 'second <img src=x onerror=alert("commit")> <script>alert("commit2")</script>';
const XSS_ANNOTATION = '<img src=x onerror=alert("annotation")>';
const XSS_PATH = 'apps/<img src=x onerror=alert("condition")>';
const T = 90000;

const cm = (name, value) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: ${value}\n`;
const deployment = (name) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: ${name}}\n  template:\n    metadata:\n      labels: {app: ${name}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n`;
const application = (name, repo, appPath, { automated = true, annotations = '' } = {}) =>
  `apiVersion: ferry.dev/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: ferry\n${annotations}spec:\n  project: default\n  source:\n    repoURL: ${repo}\n    targetRevision: main\n    path: ${JSON.stringify(appPath)}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: default\n${automated ? '  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n' : ''}`;

let step = '';
const results = [];
const notes = [];
let page = null;
let browser = null;
let controllerLog = () => '';

function check(cond, message) {
  if (!cond) throw new Error(message);
}

async function stage(name, fn) {
  step = name;
  const started = Date.now();
  await fn();
  results.push(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(results[results.length - 1]);
}

async function shot(name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// A raw request (no decompression, the path sent as is) for the serving checks.
function raw(base, method, target, headers = {}) {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: target, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function main() {
  const dir = tempDir();
  const { kubectl, kubeconfig } = await startSim(dir);
  kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ferry\n');

  const repo = makeRepo(dir);
  repo.commit({
    'root/child-a.yaml': application('child-a', repo.url, 'apps/a'),
    'root/child-b.yaml': application('child-b', repo.url, 'apps/b'),
    'apps/a/cm.yaml': cm('from-a', 'a'),
    'apps/a/deploy.yaml': deployment('web-a'),
    'apps/b/cm.yaml': cm('from-b', 'b'),
    'apps/web/cm.yaml': cm('web-config', 'v1'),
  }, 'initial config');

  const settings = 'accounts.viewer: login\npolicy.default: role:readonly\npolicy.csv: |\n  g, viewer, role:readonly\n';
  // FERRY_UI_DIR: serve the UI from disk (development) instead of the copy embedded in the binary.
  const extra = process.env.FERRY_UI_DIR ? ['--ui-dir', process.env.FERRY_UI_DIR] : [];
  const { controller, base } = await startController(dir, kubeconfig, { settings, adminPassword: ADMIN_PASSWORD, extra });
  controllerLog = () => controller.output();
  const api = apiClient(base);

  await stage('the API answers (the server side has landed)', async () => {
    const v = await api.call('GET', '/api/version', undefined, { auth: false });
    check(v.status === 200 && v.data && v.data.Version, `/api/version answered ${v.status}: ${JSON.stringify(v.data)}`);
    await api.login('admin', ADMIN_PASSWORD);
    const pw = await api.call('PUT', '/api/v1/account/password', { name: 'viewer', currentPassword: ADMIN_PASSWORD, newPassword: VIEWER_PASSWORD });
    check(pw.status === 200, `setting the viewer's password: ${pw.status} ${JSON.stringify(pw.data)}`);
  });

  await stage('UI files: security headers, ETag/304, gzip, 404 and no traversal', async () => {
    const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    const index = await raw(base, 'GET', '/');
    check(index.status === 200, `GET / → ${index.status}`);
    check(/^text\/html/.test(index.headers['content-type']), `GET / content-type ${index.headers['content-type']}`);
    check(index.headers['content-security-policy'] === csp, `CSP: ${index.headers['content-security-policy']}`);
    check(index.headers['x-content-type-options'] === 'nosniff', 'nosniff');
    check(index.headers['referrer-policy'] === 'no-referrer', 'Referrer-Policy');
    check(index.headers['x-frame-options'] === 'DENY', 'X-Frame-Options');
    check(index.headers.etag && index.headers['cache-control'], 'ETag and Cache-Control');
    check(!/<script>|style=/.test(index.body.toString()), 'index.html has no inline script or style');
    const again = await raw(base, 'GET', '/', { 'If-None-Match': index.headers.etag });
    check(again.status === 304 && again.body.length === 0, `If-None-Match → ${again.status}`);
    check(again.headers['content-security-policy'] === csp, '304 carries the CSP');
    const js = await raw(base, 'GET', '/js/app.js', { 'Accept-Encoding': 'gzip, deflate' });
    check(js.status === 200 && /javascript/.test(js.headers['content-type']), `app.js: ${js.status} ${js.headers['content-type']}`);
    check(js.headers['content-encoding'] === 'gzip', `app.js not gzipped: ${js.headers['content-encoding']}`);
    check(zlib.gunzipSync(js.body).toString().includes('hashchange'), 'gzip body decodes to app.js');
    const plain = await raw(base, 'GET', '/js/app.js');
    check(!plain.headers['content-encoding'] && plain.body.toString().includes('hashchange'), 'identity app.js');
    const css = await raw(base, 'GET', '/css/ferry.css');
    check(/^text\/css/.test(css.headers['content-type']), `css type ${css.headers['content-type']}`);
    const head = await raw(base, 'HEAD', '/');
    check(head.status === 200 && head.headers['content-security-policy'] === csp, `HEAD / → ${head.status}`);
    for (const bad of ['/CMakeLists.txt', '/README.md', '/embedded_files.h', '/nope.js', '/js/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/js/%2e%2e/index.html', '/.hidden', '/js/', '/..%2f..%2fetc%2fpasswd']) {
      const r = await raw(base, 'GET', bad);
      check(r.status === 404, `GET ${bad} → ${r.status}`);
      check(!r.body.toString().includes('root:'), `GET ${bad} leaked a file`);
      check(r.headers['content-security-policy'] === csp, `404 for ${bad} lacks the CSP`);
    }
    const post = await raw(base, 'POST', '/index.html');
    check(post.status === 405, `POST /index.html → ${post.status}`);
  });

  kubectl(['apply', '-f', '-'], application('root', repo.url, 'root'));
  kubectl(['apply', '-f', '-'], application('web', repo.url, 'apps/web', { automated: false }));
  kubectl(['apply', '-f', '-'], application('xss', repo.url, XSS_PATH, {
    automated: false, annotations: `  annotations:\n    ferry.dev/note: ${JSON.stringify(XSS_ANNOTATION)}\n`,
  }));
  for (const name of ['root', 'child-a', 'child-b']) {
    await api.waitApp(name, (a) => a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy', 'Synced/Healthy', T);
  }
  await api.waitApp('web', (a) => a.status?.sync?.status === 'OutOfSync', 'OutOfSync', T);
  await api.waitApp('xss', (a) => (a.status?.conditions || []).length > 0, 'with a condition', T);

  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  // 401 before login and the read-only user's refused writes are expected answers.
  const watch = watchPage(page, { ignore: [/status of 40[13]/] });

  await stage('login page; a wrong password is refused with a message', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('#login-username', { timeout: T });
    await shot('01-login');
    await page.fill('#login-username', 'admin');
    await page.fill('#login-password', 'wrong');
    await page.click('.login-form button[type=submit]');
    await page.waitForSelector('.form-error:not([hidden])');
    check(/wrong username or password/i.test(await page.textContent('.form-error')), 'no error message');
  });

  await stage('admin logs in; name and role shown; no token in storage', async () => {
    await page.fill('#login-password', ADMIN_PASSWORD);
    await page.click('.login-form button[type=submit]');
    await page.waitForSelector('#apps-body .app-row', { timeout: T });
    check((await page.textContent('#user-name')) === 'admin', 'user name');
    check((await page.textContent('#user-role')).includes('admin'), `role: ${await page.textContent('#user-role')}`);
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    check(!/ferry_/.test(stored), `a token is readable by scripts: ${stored}`);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'ferry_session');
    check(session && session.httpOnly, 'the session cookie is HttpOnly');
    await page.evaluate(() => { window.__ferryNoReload = 'still here'; });
  });

  await stage('applications list: rows, badges, counts, search', async () => {
    for (const name of ['root', 'child-a', 'child-b', 'web', 'xss']) await page.waitForSelector(`#apps-body [data-name="${name}"]`);
    const rowText = await page.textContent('#apps-body [data-name="child-a"]');
    check(rowText.includes('Synced') && rowText.includes('Healthy'), `child-a row: ${rowText}`);
    check((await page.textContent('#apps-body [data-name="web"] .badge.sync')).includes('OutOfSync'), 'web badge');
    const synced = Number(await page.textContent('#status-counts .chip.sync.s-Synced .count'));
    check(synced >= 2, `Synced count ${synced}`);
    await shot('02-applications');
    await page.fill('#app-search', 'child');
    await page.waitForFunction(() => document.querySelectorAll('#apps-body .app-row').length === 2);
    await page.click('button:text("Clear filters")');
    await page.click('#status-counts .chip.sync.s-OutOfSync');
    await page.waitForFunction(() => document.querySelectorAll('#apps-body .app-row').length === 1);
    check((await page.textContent('#apps-body .app-row')).includes('web'), 'filtered row');
    await page.click('button:text("Clear filters")');
    await page.waitForFunction(() => document.querySelectorAll('#apps-body .app-row').length >= 5);
  });

  await stage('app of apps: child apps as nested nodes, opened in place and as a page', async () => {
    await page.click('#apps-body a.app-link:text-is("root")');
    await page.waitForSelector('#summary');
    await page.click('#tab-tree');
    await page.waitForSelector('#tree details.child-app[data-app="child-a"]', { timeout: T });
    await page.click('#tree details.child-app[data-app="child-a"] > summary .kind');
    await page.waitForSelector('#tree details.child-app[data-app="child-a"] .child-tree .node[data-name="from-a"]', { timeout: T });
    await page.waitForSelector('#tree details.child-app[data-app="child-a"] .child-tree .node[data-name="web-a"]');
    await shot('03-tree-app-of-apps');
    await page.click('#tree details.child-app[data-app="child-b"] a.open-app');
    await page.waitForFunction(() => location.hash.startsWith('#/apps/child-b'));
    await page.waitForSelector('#summary');
    check((await page.textContent('.app-title')) === 'child-b', 'child-b page');
    await page.click('#tab-tree');
    await page.waitForSelector('#tree .node[data-name="from-b"]', { timeout: T });
  });

  await stage('sync dialog: a dry run, then a sync with progress', async () => {
    await page.goto(`${base}/#/apps/web`);
    await page.waitForSelector('#summary', { timeout: T });
    await page.waitForFunction(() => !document.querySelector('#btn-sync').disabled, undefined, { timeout: T });
    await page.click('#btn-sync');
    await page.waitForSelector('#sync-dialog');
    check(await page.isChecked('#sync-all'), 'all resources selected');
    await page.check('#sync-dry-run');
    await page.click('#sync-submit');
    await page.waitForSelector('#sync-result .op-result', { timeout: T });
    await shot('04-sync-dialog-dry-run');
    check(!(await kubectlOk(kubectl, ['get', 'configmap', 'web-config'])), 'a dry run created the ConfigMap');
    await page.uncheck('#sync-dry-run');
    await page.click('#sync-submit');
    await page.waitForSelector('#sync-dialog', { state: 'detached' });
    await page.waitForFunction(() => document.querySelector('.title-line .badge.sync')?.textContent.includes('Synced'), undefined, { timeout: T });
    check(kubectl(['get', 'configmap', 'web-config', '-o', 'jsonpath={.data.k}']) === 'v1', 'web-config is v1');
    // The operation panel shows status.operationState when the server writes it.
    if (await page.isVisible('#operation')) {
      await page.waitForFunction(() => document.querySelector('#operation .badge.phase')?.textContent.includes('Succeeded'), undefined, { timeout: T });
    } else {
      notes.push('the server wrote no status.operationState for a sync requested through the API: the operation panel had nothing to show');
    }
    await shot('05-after-sync');
    await page.click('#tab-history');
    await page.waitForFunction(() => [...document.querySelectorAll('#history-table tbody tr')].some((r) => r.textContent.includes('admin') && r.textContent.includes('Succeeded')), undefined, { timeout: T });
    await page.click('#tab-summary');
  });

  let second = '';
  await stage('a new commit: OutOfSync live in the list (no reload), then its diff and plan', async () => {
    second = repo.commit({ 'apps/web/cm.yaml': cm('web-config', 'v2') }, XSS_COMMIT);
    await page.click('#btn-refresh');
    await page.click('.nav a');
    await page.waitForFunction(() => document.querySelector('#apps-body [data-name="web"] .badge.sync')?.textContent.includes('OutOfSync'),
      undefined, { timeout: T });
    check(await page.evaluate(() => window.__ferryNoReload) === 'still here', 'the page was reloaded');
    await page.goto(`${base}/#/apps/web/diff`);
    await page.waitForSelector('#diff .diff-item[data-name="web-config"]', { timeout: T });
    await page.waitForFunction(() => [...document.querySelectorAll('#diff tr.add')].some((r) => r.textContent.includes('v2')), undefined, { timeout: T });
    check([...await page.$$eval('#diff tr.del', (rs) => rs.map((r) => r.textContent))].some((t) => t.includes('v1')), 'removed line v1');
    await shot('06-diff-unified');
    await page.click('#diff-mode-split');
    await page.waitForSelector('#diff table.diff.split td.add');
    await shot('07-diff-side-by-side');
    await page.click('#tab-plan');
    await page.waitForSelector('#plan-table', { timeout: T });
    check((await page.textContent('#plan-table')).includes('web-config'), 'plan names web-config');
    await shot('08-plan');
    await page.click('#tab-summary');
    await page.waitForSelector('#sum-target-commit .commit-message', { timeout: T });
    const message = await page.textContent('#sum-target-commit .commit-message');
    check(message.includes(XSS_COMMIT), `commit message shown as text: ${message}`);
    await shot('09-summary-commit');
  });

  await stage('sync to the new commit, then roll back through the confirmation dialog', async () => {
    await page.click('#btn-sync');
    await page.waitForSelector('#sync-dialog');
    await page.click('#sync-submit');
    await page.waitForSelector('#sync-dialog', { state: 'detached' });
    await waitUntil(() => kubectl(['get', 'configmap', 'web-config', '-o', 'jsonpath={.data.k}']) === 'v2', 'web-config v2');
    await page.waitForFunction(() => document.querySelector('.title-line .badge.sync')?.textContent.includes('Synced'), undefined, { timeout: T });
    await page.click('#tab-history');
    await page.waitForFunction((sha) => [...document.querySelectorAll('#history-table tbody tr')].some((r) => r.textContent.includes(sha.slice(0, 7)) && r.textContent.includes('Succeeded')),
      second, { timeout: T });
    const rows = await page.$$eval('#history-table tbody tr', (rs) => rs.map((r) => ({ id: r.dataset.id, text: r.textContent, enabled: !r.querySelector('button').disabled })));
    const target = rows.find((r) => r.enabled && !r.text.includes(second.slice(0, 7)));
    check(target, `no older entry to roll back to: ${JSON.stringify(rows)}`);
    await page.click(`#history-table tr[data-id="${target.id}"] button`);
    await page.waitForSelector('#rollback-dialog');
    await shot('10-rollback-confirm');
    await page.click('#rollback-dialog button[type=submit]');
    await page.waitForSelector('#rollback-dialog', { state: 'detached' });
    await waitUntil(() => kubectl(['get', 'configmap', 'web-config', '-o', 'jsonpath={.data.k}']) === 'v1', 'web-config back to v1');
    await page.waitForFunction(() => [...document.querySelectorAll('#history-table tbody tr')].some((r) => /rollback/.test(r.textContent)), undefined, { timeout: T });
    await shot('11-history-after-rollback');
  });

  await stage('XSS through an annotation and a condition message is shown as text', async () => {
    await page.goto(`${base}/#/apps/xss`);
    await page.waitForSelector('#sum-annotations', { timeout: T });
    check((await page.textContent('#sum-annotations')).includes(XSS_ANNOTATION), 'annotation as text');
    await page.waitForFunction(() => document.querySelector('#conditions')?.textContent.includes('onerror'), undefined, { timeout: T });
    const conditions = await page.textContent('#conditions');
    check(conditions.includes('<img src=x onerror=alert("condition")>'), `condition message as text: ${conditions}`);
    await shot('12-xss-as-text');
    const injected = await page.evaluate(() => document.querySelectorAll('img[src="x"], main script').length);
    check(injected === 0, `${injected} elements injected`);
  });

  await stage('CSRF guard: a cookie-authenticated write without X-Requested-With is refused', async () => {
    const status = await page.evaluate(async () => (await fetch('/api/v1/applications/web/refresh?type=normal', { method: 'POST', credentials: 'same-origin' })).status);
    check(status === 403 || status === 401, `POST without the header → ${status}`);
  });

  await stage('read-only user: buttons disabled, writes refused', async () => {
    await page.click('#logout');
    await page.waitForSelector('#login-username', { timeout: T });
    check(await page.isHidden('#user'), 'user box hidden after logout');
    await page.fill('#login-username', 'viewer');
    await page.fill('#login-password', VIEWER_PASSWORD);
    await page.click('.login-form button[type=submit]');
    await page.waitForSelector('#apps-body .app-row', { timeout: T });
    check((await page.textContent('#user-name')) === 'viewer', 'viewer name');
    check((await page.textContent('#user-role')).includes('readonly'), `viewer role: ${await page.textContent('#user-role')}`);
    await page.goto(`${base}/#/apps/web/history`);
    await page.waitForSelector('#history-table', { timeout: T });
    await page.waitForFunction(() => document.querySelector('#btn-sync').disabled && document.querySelector('#btn-delete').disabled, undefined, { timeout: T });
    await page.waitForFunction(() => [...document.querySelectorAll('#history-table button')].every((b) => b.disabled), undefined, { timeout: T });
    await shot('13-read-only-user');
    const status = await page.evaluate(async () => (await fetch('/api/v1/applications/web/sync', {
      method: 'POST', credentials: 'same-origin', headers: { 'X-Requested-With': 'ferry', 'Content-Type': 'application/json' }, body: '{}',
    })).status);
    check(status === 403, `the viewer's sync → ${status}`);
  });

  await stage('no alert/confirm/prompt fired, no console errors or CSP violations', async () => {
    check(watch.dialogs.length === 0, `dialogs fired: ${watch.dialogs.join('; ')}`);
    check(watch.problems.length === 0, `problems:\n${watch.problems.join('\n')}`);
  });
}

async function kubectlOk(kubectl, args) {
  try {
    kubectl(args);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(pred, what, timeoutMs = T) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if (await pred()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

try {
  await main();
  for (const n of notes) console.log(`note: ${n}`);
  console.log(`PASS: ${results.length} stages; screenshots in ${ARTIFACTS}`);
  await browser?.close();
  process.exit(0);
} catch (e) {
  console.error(`FAIL in "${step}": ${e.stack || e}`);
  if (page) {
    await page.screenshot({ path: path.join(ARTIFACTS, 'failure.png'), fullPage: true }).catch(() => {});
    console.error(`screenshot: ${path.join(ARTIFACTS, 'failure.png')}`);
  }
  console.error(`--- controller log (tail):\n${controllerLog().slice(-4000)}`);
  await browser?.close().catch(() => {});
  process.exit(1);
}
