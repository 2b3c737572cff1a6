// Real processes for the browser test and the UI benchmark: `ferry sim`, a git repository on
// disk (file://), `ferry controller` with a settings file, kubectl against the simulator.
// Every child is killed (by its own pid) when the Node process exits.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const children = new Set();
function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { killAll(); process.exit(130); });

export function ferryBin() {
  const bin = process.env.FERRY_BIN || path.resolve('build/ferry');
  if (!fs.existsSync(bin)) throw new Error(`ferry binary not found at ${bin} (set FERRY_BIN)`);
  return bin;
}

export function findKubectl() {
  for (const c of [process.env.FERRY_KUBECTL, '/opt/ferry/tools/kubectl', '/opt/ferry-tools/kubectl', '/usr/local/bin/kubectl']) {
    if (c && fs.existsSync(c)) return c;
  }
  return 'kubectl';
}

export function tempDir(prefix = 'ferry-ui-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// A long-running child whose output is kept; waitFor(regex) resolves with the match.
export function startChild(argv, { env = {}, cwd } = {}) {
  const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const waiters = new Set();
  const feed = (chunk) => {
    output += chunk.toString();
    for (const w of waiters) w();
  };
  child.stdout.on('data', feed);
  child.stderr.on('data', feed);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    children.delete(child);
    for (const w of waiters) w();
  });
  return {
    child,
    output: () => output,
    waitFor(regex, timeoutMs = 60000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`timed out waiting for ${regex} in:\n${output.slice(-3000)}`)); }, timeoutMs);
        const check = () => {
          const m = regex.exec(output);
          if (m) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(m);
          } else if (exited) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`${argv[0]} exited (${JSON.stringify(exited)}) before ${regex}:\n${output.slice(-3000)}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await done;
      clearTimeout(timer);
    },
  };
}

export async function startSim(dir, readyDelayMs = 100) {
  const kubeconfig = path.join(dir, 'kubeconfig');
  const sim = startChild([ferryBin(), 'sim', '--listen', '127.0.0.1:0', '--kubeconfig-out', kubeconfig, '--ready-delay-ms', String(readyDelayMs), '--tls']);
  await sim.waitFor(/ready/, 30000);
  const kubectlBin = findKubectl();
  const kubectl = (args, input) => execFileSync(kubectlBin, ['--kubeconfig', kubeconfig, ...args],
    { input, env: { ...process.env, HOME: dir }, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 256 << 20 }).toString();
  return { sim, kubeconfig, kubectl };
}

// A bare repository (the "server", read through file://) and a clone to commit from.
export function makeRepo(dir, name = 'config') {
  const bare = path.join(dir, 'srv', `${name}.git`);
  const work = path.join(dir, 'work', name);
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Ada Tester', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada Tester',
    GIT_COMMITTER_EMAIL: 'ada@example.com', HOME: dir, GIT_CONFIG_NOSYSTEM: '1' };
  const git = (...args) => execFileSync('git', args, { cwd: fs.existsSync(work) ? work : dir, env, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  fs.mkdirSync(path.dirname(bare), { recursive: true });
  fs.mkdirSync(work, { recursive: true });
  git('init', '-q', '--bare', '-b', 'main', bare);
  git('init', '-q', '-b', 'main', work);
  git('-C', work, 'remote', 'add', 'origin', bare);
  return {
    url: `file://${bare}`,
    // Writes files, commits with `message` and pushes; returns the new SHA.
    commit(files, message) {
      for (const [file, content] of Object.entries(files)) {
        const full = path.join(work, file);
        fs.mkdirSync(path.dirname(full), { recursive: true });
        fs.writeFileSync(full, content);
      }
      git('-C', work, 'add', '-A');
      git('-C', work, 'commit', '-q', '--allow-empty', '-m', message);
      git('-C', work, 'push', '-q', 'origin', 'main');
      return git('-C', work, 'rev-parse', 'HEAD');
    },
  };
}

// Starts `ferry controller` and returns its base URL.
export async function startController(dir, kubeconfig, { settings, adminPassword, resyncSeconds = 2, extra = [] } = {}) {
  const argv = [ferryBin(), 'controller', '--kubeconfig', kubeconfig, '--namespace', 'ferry', '--data-dir', path.join(dir, 'data'),
    '--listen', '127.0.0.1:0', '--resync-seconds', String(resyncSeconds), '--resync-jitter-seconds', '0', '--health-poll-ms', '100',
    '--wave-delay-ms', '0', '--kube-qps', '0', ...extra];
  if (settings) {
    fs.writeFileSync(path.join(dir, 'settings.yaml'), settings);
    argv.push('--settings', path.join(dir, 'settings.yaml'));
  }
  if (adminPassword) {
    fs.writeFileSync(path.join(dir, 'admin.password'), `${adminPassword}\n`);
    argv.push('--admin-password-file', path.join(dir, 'admin.password'));
  }
  const controller = startChild(argv, { env: { HOME: dir } });
  const m = await controller.waitFor(/ferry controller ready on (https?:\/\/127\.0\.0\.1:\d+)/, 90000);
  return { controller, base: m[1] };
}

// A small JSON client for the REST API with a bearer token (the test's own calls, not the UI's).
export function apiClient(base) {
  let token = '';
  const call = async (method, p, body, { auth = true } = {}) => {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth && token) headers.Authorization = `Bearer ${token}`;
    const r = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    return { status: r.status, data, headers: r.headers };
  };
  return {
    call,
    async login(username, password) {
      const r = await call('POST', '/api/v1/session', { username, password }, { auth: false });
      if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.data)}`);
      token = r.data.token;
      return token;
    },
    async app(name) {
      const r = await call('GET', `/api/v1/applications/${name}`);
      return r.status === 200 ? r.data : null;
    },
    // Polls until pred(app) holds; the loop only bounds a hang.
    async waitApp(name, pred, what, timeoutMs = 120000) {
      const until = Date.now() + timeoutMs;
      let last = null;
      while (Date.now() < until) {
        last = await this.app(name);
        if (last && pred(last)) return last;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`${name} never became ${what}; last: ${JSON.stringify(last && last.status).slice(0, 2000)}`);
    },
  };
}
