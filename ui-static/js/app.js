// Ferry's web UI: boots the session, routes by hash (#/login, #/apps, #/apps/NAME[/TAB]) and
// mounts one view at a time into <main id="view">. The server only serves files; all data comes
// from the REST API (docs/api.md).
import { api, onUnauthorized } from './api.js';
import { h, replace, setText } from './dom.js';
import { store } from './store.js';
// The first views are part of the initial module graph (index.html preloads it); the app page,
// the biggest, loads when first opened.
import * as appsView from './views/apps.js';
import * as loginView from './views/login.js';

const view = document.getElementById('view');
const banner = document.getElementById('banner');
const toasts = document.getElementById('toasts');
const conn = document.getElementById('conn');

let user = null;          // userinfo while logged in
let current = null;       // { key, instance }
let afterLogin = '#/apps';
let loginNotice = '';

export function toast(message, kind = 'info') {
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  toasts.appendChild(el);
  setTimeout(() => el.remove(), kind === 'error' ? 10000 : 5000);
}

export function showBanner(message) {
  if (!message) {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  replace(banner, h('span', null, message), h('button', { type: 'button', class: 'btn small', onclick: () => showBanner('') }, 'Dismiss'));
  banner.hidden = false;
}

// can(action, object) → Promise<boolean>, cached briefly; an error answers true (the server
// still refuses what is not allowed, and a broken can-i must not lock the UI).
const canCache = new Map();
export function can(resource, action, object) {
  const key = `${resource}/${action}/${object}`;
  const hit = canCache.get(key);
  if (hit && hit.until > Date.now()) return hit.value;
  const value = api.canI(resource, action, object).then((a) => a && a.value === 'yes', () => true);
  canCache.set(key, { value, until: Date.now() + 30000 });
  return value;
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// "#/apps/web/diff?x=1" → { parts: ['apps', 'web', 'diff'], query: URLSearchParams }
function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/apps';
  const [path, qs] = raw.split('?', 2);
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return { parts, query: new URLSearchParams(qs || '') };
}

const ctx = { store, toast, showBanner, navigate, can, errorPanel, get user() { return user; } };

async function route() {
  const { parts, query } = parseHash();
  if (parts[0] === 'login' || !user) {
    if (parts[0] !== 'login') afterLogin = location.hash || '#/apps';
    if (user && parts[0] === 'login') return navigate('#/apps');
    return mount('login', () => loginView, { onLogin: loggedIn, notice: loginNotice });
  }
  store.start();
  if (parts[0] === 'apps' && parts.length >= 2) {
    return mount(`app:${parts[1]}`, () => import('./views/app.js'), { name: parts[1], tab: parts[2] || 'summary', query });
  }
  if (parts[0] === 'apps' || parts.length === 0) return mount('apps', () => appsView, { query });
  return mount('notfound', null, {});
}

let mountSeq = 0;
async function mount(key, loader, params) {
  const seq = ++mountSeq;
  if (current && current.key === key && current.instance && current.instance.update) {
    current.instance.update(params);
    return;
  }
  if (current && current.instance && current.instance.unmount) current.instance.unmount();
  current = { key, instance: null };
  if (!loader) {
    replace(view, h('section', { class: 'panel' }, h('h1', null, 'Page not found'), h('p', null, h('a', { href: '#/apps' }, 'Back to the applications'))));
    return;
  }
  let module;
  try {
    module = await loader();
  } catch (e) {
    replace(view, errorPanel(`The page could not be loaded: ${e.message}`));
    return;
  }
  if (seq !== mountSeq) return;
  view.replaceChildren();
  try {
    current.instance = module.mount(view, params, ctx);
    mark(`mounted:${key.split(':')[0]}`);
  } catch (e) {
    console.error(e);
    replace(view, errorPanel(`The page failed: ${e.message}`));
  }
}

export function errorPanel(message, retry) {
  return h('section', { class: 'panel error-panel', role: 'alert' },
    h('h2', null, 'Something went wrong'),
    h('p', { class: 'error-text' }, message),
    retry ? h('button', { type: 'button', class: 'btn', onclick: retry }, 'Try again') : null);
}

function showUser() {
  const box = document.getElementById('user');
  if (!user) {
    box.hidden = true;
    return;
  }
  setText(document.getElementById('user-name'), user.username || '(unknown)');
  const roles = Array.isArray(user.roles) ? user.roles : [];
  const roleText = roles.length ? roles.map((r) => String(r).replace(/^role:/, '')).join(', ') : (Array.isArray(user.groups) && user.groups.length ? user.groups.join(', ') : 'no role');
  setText(document.getElementById('user-role'), roleText);
  document.getElementById('user-role').title = roles.join(', ');
  box.hidden = false;
}

async function loggedIn() {
  const info = await api.userinfo();
  if (!info || info.loggedIn === false) throw new Error('the server did not keep the session (are cookies blocked?)');
  user = info;
  loginNotice = '';
  canCache.clear();
  showUser();
  const target = afterLogin && !afterLogin.startsWith('#/login') ? afterLogin : '#/apps';
  navigate(target);
}

// `returnHere`: log in again to the page that was open (an expired session), not the list.
function loggedOut(notice, returnHere) {
  user = null;
  canCache.clear();
  store.stop();
  showUser();
  loginNotice = notice || '';
  conn.hidden = true;
  if (current && current.instance && current.instance.unmount) current.instance.unmount();
  current = null;
  afterLogin = returnHere && !location.hash.startsWith('#/login') ? location.hash || '#/apps' : '#/apps';
  navigate('#/login');
}

onUnauthorized(() => {
  if (user) loggedOut('Your session has ended. Please log in again.', true);
});

document.getElementById('logout').addEventListener('click', async () => {
  try {
    await api.logout();
  } catch (e) {
    if (e.status !== 401) toast(`Logout: ${e.message}`, 'error');
  }
  loggedOut('You are logged out.', false);
});

store.subscribe((change) => {
  if (change.type !== 'mode') return;
  const labels = { live: 'live', polling: 'polling', reconnecting: 'reconnecting…', loading: 'loading…' };
  conn.hidden = !labels[store.mode];
  setText(conn, labels[store.mode] || '');
  conn.className = `conn conn-${store.mode}`;
  conn.title = store.mode === 'live' ? 'Updates arrive as they happen (server-sent events)'
    : store.mode === 'polling' ? 'The event stream is unavailable: the list is re-read every few seconds' : '';
});

window.addEventListener('hashchange', route);
window.addEventListener('error', (e) => showBanner(`Unexpected error: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => {
  const reason = e.reason;
  if (reason && reason.name === 'AbortError') return;
  showBanner(`Unexpected error: ${reason && reason.message ? reason.message : reason}`);
});

// Marks for the benchmark and the browser's performance panel: boot, session known, view mounted.
const mark = (name) => performance.mark && performance.mark(`ferry:${name}`);

async function boot() {
  mark('boot');
  // The app list streams in while the session is checked; without a session it is dropped.
  const early = !location.hash.startsWith('#/login');
  if (early) store.start();
  try {
    const info = await api.userinfo();
    mark('session');
    if (info && info.loggedIn !== false) {
      user = info;
      showUser();
    } else if (early) {
      store.stop();
    }
  } catch (e) {
    if (early) store.stop();
    if (e.status !== 401) {
      replace(view, errorPanel(`Cannot read the session from the Ferry server: ${e.message}`, () => boot()));
      return;
    }
  }
  route();
}

boot();
