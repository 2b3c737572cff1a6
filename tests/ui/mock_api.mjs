// A stand-in for `ferry controller`'s REST API (docs/api.md), for developing the UI without a
// controller and for checking the pages against the documented shapes: serves ui-static/ with
// the same security headers as apis/server/static_files.cc and an in-memory API with sessions,
// can-i, applications, the event stream, diff, plan, history, rollback and resource trees.
// Not used by the browser test (tests/ui/run.mjs runs real processes).
//
//   node tests/ui/mock_api.mjs [--port 8099] [--apps 1000] [--no-stream] [--no-initial-state]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const UI_DIR = path.resolve(here, '../../ui-static');
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

export function createMock({ apps = 12, stream = true, initialState = true } = {}) {
  const users = { admin: { password: 'admin-pass', roles: ['role:admin'] }, viewer: { password: 'viewer-pass', roles: ['role:readonly'] } };
  const sessions = new Map();
  const appsMap = new Map();
  const clients = new Set();
  let rv = 1;
  let historyId = 0;
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const sha = (s) => crypto.createHash('sha1').update(String(s)).digest('hex');

  function makeApp(name, extra = {}) {
    const revision = sha(`${name}-1`);
    return {
      apiVersion: 'ferry.dev/v1alpha1', kind: 'Application',
      metadata: { name, namespace: 'ferry', resourceVersion: String(rv++), annotations: extra.annotations || {}, labels: {} },
      spec: { project: extra.project || (name.endsWith('3') ? 'team-a' : 'default'), source: { repoURL: 'git://127.0.0.1/config.git', targetRevision: 'main', path: `apps/${name}` },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'default' }, syncPolicy: extra.manual ? {} : { automated: { prune: true, selfHeal: true } } },
      status: {
        sync: { status: 'Synced', revision }, health: { status: 'Healthy' }, reconciledAt: now(),
        resources: [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'default', name, status: 'Synced', health: { status: 'Healthy' } },
          { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'default', name: `${name}-config`, status: 'Synced' }],
        conditions: extra.conditions || [],
        history: [{ id: 0, revision, deployedAt: now() }],
        operationState: { phase: 'Succeeded', startedAt: now(), finishedAt: now(), operation: { sync: { revision }, initiatedBy: { automated: true } },
          syncResult: { revision, resources: [] } },
      },
      _history: [{ id: historyId++, kind: 'sync', revision, phase: 'Succeeded', message: '', initiatedBy: 'ferry', automated: true, startedAt: now(), finishedAt: now(), rollbackOf: 0, prune: true, dryRun: false }],
    };
  }
  const pub = (app) => { const { _history, ...rest } = app; return rest; };
  function put(app, type = 'MODIFIED') {
    app.metadata.resourceVersion = String(rv++);
    appsMap.set(app.metadata.name, app);
    const line = `data: ${JSON.stringify({ type, application: pub(app) })}\n\n`;
    for (const c of clients) c.write(line);
  }

  put(makeApp('root'), 'ADDED');
  const root = appsMap.get('root');
  root.status.resources.push({ group: 'ferry.dev', version: 'v1alpha1', kind: 'Application', namespace: 'ferry', name: 'child-a', status: 'Synced', health: { status: 'Healthy' } });
  put(makeApp('child-a', { annotations: { note: '<img src=x onerror=alert(1)>' }, conditions: [{ type: 'SyncError', message: '<script>alert("c")</script>', lastTransitionTime: now() }] }), 'ADDED');
  for (let i = 0; i < apps; i++) put(makeApp(`app-${String(i).padStart(5, '0')}`, { manual: i % 7 === 0 }), 'ADDED');

  const send = (res, code, body, headers = {}) => {
    res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const err = (res, code, error, message) => send(res, code, { error, code, message });
  const cookieUser = (req) => {
    const m = /(?:^|;\s*)ferry_session=([^;]+)/.exec(req.headers.cookie || '');
    return m ? sessions.get(m[1]) : undefined;
  };

  function handleApi(req, res, url, body) {
    const p = url.pathname;
    if (p === '/api/version') return send(res, 200, { Version: 'v0.1.0-mock' });
    if (p === '/api/v1/session' && req.method === 'POST') {
      let b;
      try { b = JSON.parse(body || '{}'); } catch { return err(res, 400, 'BadRequest', 'malformed JSON'); }
      const u = users[b.username];
      if (!u || u.password !== b.password) return err(res, 401, 'Unauthorized', 'invalid username or password');
      const token = `ferry_${crypto.randomBytes(12).toString('hex')}`;
      sessions.set(token, b.username);
      return send(res, 200, { token }, { 'Set-Cookie': `ferry_session=${token}; HttpOnly; SameSite=Strict; Path=/` });
    }
    const user = cookieUser(req);
    if (!user) return err(res, 401, 'Unauthorized', 'not logged in');
    if (req.method !== 'GET' && req.headers['x-requested-with'] !== 'ferry') return err(res, 403, 'Forbidden', 'missing X-Requested-With');
    const admin = users[user].roles.includes('role:admin');
    if (p === '/api/v1/session' && req.method === 'DELETE') return send(res, 200, {}, { 'Set-Cookie': 'ferry_session=; Max-Age=0; Path=/' });
    if (p === '/api/v1/session/userinfo') return send(res, 200, { loggedIn: true, username: user, groups: [], roles: users[user].roles });
    let m;
    if ((m = /^\/api\/v1\/account\/can-i\/([^/]+)\/([^/]+)\/(.+)$/.exec(p))) return send(res, 200, { value: admin || m[2] === 'get' ? 'yes' : 'no' });
    if (p === '/api/v1/stream/applications') {
      if (!stream) return err(res, 404, 'NotFound', 'no stream');
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      res.write(': hello\n\n');
      // As `ferry controller` does: the current state first, one ADDED event per app.
      if (initialState) for (const app of appsMap.values()) res.write(`data: ${JSON.stringify({ type: 'ADDED', application: pub(app) })}\n\n`);
      clients.add(res);
      res.on('close', () => clients.delete(res));
      return;
    }
    if (p === '/api/v1/applications') {
      const limit = Number(url.searchParams.get('limit') || 0);
      const start = Number(url.searchParams.get('continue') || 0);
      const all = [...appsMap.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      const page = limit ? all.slice(start, start + limit) : all;
      const cont = limit && start + limit < all.length ? String(start + limit) : '';
      return send(res, 200, { metadata: { continue: cont }, items: page.map(pub) });
    }
    if (!(m = /^\/api\/v1\/applications\/([^/]+)(\/.*)?$/.exec(p))) return err(res, 404, 'NotFound', 'no route');
    const name = decodeURIComponent(m[1]);
    const sub = m[2] || '';
    const app = appsMap.get(name);
    if (!app) return err(res, 404, 'NotFound', `application "${name}" not found`);
    if (sub === '' && req.method === 'GET') return send(res, 200, pub(app));
    if (sub === '' && req.method === 'DELETE') {
      if (!admin) return err(res, 403, 'Forbidden', 'permission denied');
      appsMap.delete(name);
      for (const c of clients) c.write(`data: ${JSON.stringify({ type: 'DELETED', application: pub(app) })}\n\n`);
      return send(res, 200, {});
    }
    if (sub === '/refresh') return send(res, 202, {});
    if (sub === '/sync' || sub === '/rollback') {
      if (!admin) return err(res, 403, 'Forbidden', `permission denied: applications, sync, ${app.spec.project}/${name}`);
      const b = JSON.parse(body || '{}');
      if (b.dryRun) return send(res, 200, { historyId: historyId++, phase: 'Succeeded', message: 'dry run', revision: app.status.sync.revision, resources: app.status.resources.map((r) => ({ ...r, status: 'Synced', message: 'would apply' })) });
      const entry = sub === '/rollback' ? app._history.find((e) => e.id === b.id) : null;
      const revision = entry ? entry.revision : app.status.sync.revision;
      const id = historyId++;
      app._history.unshift({ id, kind: entry ? 'rollback' : 'sync', revision, phase: 'Running', message: '', initiatedBy: user, automated: false, startedAt: now(), finishedAt: '', rollbackOf: entry ? entry.id : 0, prune: !!b.prune, dryRun: false });
      app.status.operationState = { phase: 'Running', startedAt: now(), operation: { sync: { revision }, initiatedBy: { username: user } }, syncResult: { revision, resources: [] } };
      put(app);
      let k = 0;
      const step = () => {
        const r = app.status.resources[k++];
        if (r) {
          app.status.operationState.syncResult.resources.push({ group: r.group, kind: r.kind, namespace: r.namespace, name: r.name, status: 'Synced', message: 'applied', syncPhase: 'Sync' });
          put(app);
          setTimeout(step, 400);
        } else {
          app.status.operationState.phase = 'Succeeded';
          app.status.operationState.finishedAt = now();
          app.status.sync = { status: 'Synced', revision };
          app._history[0].phase = 'Succeeded';
          app._history[0].finishedAt = now();
          put(app);
        }
      };
      setTimeout(step, 400);
      return send(res, 202, entry ? { historyId: id } : { requestId: String(id) });
    }
    if (sub === '/history') return send(res, 200, { metadata: { continue: '' }, items: app._history });
    if (sub === '/events') return send(res, 200, { items: [{ id: 1, time: now(), actor: 'admin', action: 'sync', message: '<b>not bold</b>' }] });
    if (sub === '/plan') return send(res, 200, { items: app.status.resources.map((r) => ({ phase: 'Sync', wave: 0, action: 'apply', ...r, reason: 'differs' })) });
    if (sub === '/diff') {
      return send(res, 200, { sync: app.status.sync.status, items: [{ group: '', version: 'v1', kind: 'ConfigMap', namespace: 'default', name: `${name}-config`, status: 'OutOfSync', hook: false,
        diff: '--- live\n+++ desired\n@@ -1,4 +1,4 @@\n apiVersion: v1\n data:\n-  k: v1\n+  k: <script>alert(2)</script>\n kind: ConfigMap\n',
        liveState: { metadata: { managedFields: [{ manager: 'ferry', operation: 'Apply' }, { manager: 'kubectl-edit', operation: 'Update' }] } }, targetState: {} }] });
    }
    if (sub === '/resource-tree') {
      return send(res, 200, { nodes: [
        ...app.status.resources.map((r) => ({ ...r, health: r.health || undefined, parentRefs: [], ...(r.kind === 'Application' ? { app: r.name } : {}) })),
        { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'default', name: `${name}-abc`, status: '', health: { status: 'Healthy' }, parentRefs: [{ group: 'apps', kind: 'Deployment', namespace: 'default', name }] },
      ] });
    }
    if ((m = /^\/revisions\/([^/]+)\/metadata$/.exec(sub))) return send(res, 200, { revision: m[1], author: 'Dev <dev@example.com>', date: now(), message: `commit ${m[1].slice(0, 7)}\n\n<script>alert(3)</script>`, tags: [] });
    return err(res, 404, 'NotFound', 'no route');
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (url.pathname.startsWith('/api/')) return handleApi(req, res, url, body);
      let file = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
      if (file.split('/').some((s) => s.startsWith('.') || s === '')) { res.writeHead(404); return res.end(); }
      file = path.join(UI_DIR, file);
      fs.readFile(file, (e, data) => {
        const headers = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' };
        if (e) { res.writeHead(404, headers); return res.end('not found'); }
        res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
        res.end(data);
      });
    });
  });
  return { server, appsMap, put, makeApp };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, d) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : d; };
  const { server } = createMock({ apps: Number(arg('--apps', 12)), stream: !process.argv.includes('--no-stream'), initialState: !process.argv.includes('--no-initial-state') });
  server.listen(Number(arg('--port', 8099)), '127.0.0.1', () => console.log(`mock api on http://127.0.0.1:${server.address().port}`));
}
