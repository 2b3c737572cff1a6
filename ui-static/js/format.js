// Small pure helpers: status badges, icons, times, revisions and field access.
import { h, setText, setAttr } from './dom.js';

export const SYNC_STATUSES = ['Synced', 'OutOfSync', 'Unknown'];
export const HEALTH_STATUSES = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'];

const ICONS = {
  sync: { Synced: '✓', OutOfSync: '≠', Unknown: '?', Missing: '○', RequiresPruning: '⌫', SyncFailed: '✗', Pruned: '⌫', PruneSkipped: '–' },
  health: { Healthy: '♥', Progressing: '◐', Degraded: '✗', Suspended: '‖', Missing: '○', Unknown: '?' },
  phase: { Running: '◐', Terminating: '◐', Succeeded: '✓', Failed: '✗', Error: '✗', Interrupted: '!' },
};

// A class-safe token of a status ("OutOfSync" → "OutOfSync"; anything odd → "other").
function token(status) {
  return /^[A-Za-z]{1,40}$/.test(status) ? status : 'other';
}

// <span class="badge sync s-Synced"><span class="icon">✓</span><span>Synced</span></span>
export function badge(kind, status) {
  const el = h('span', { class: 'badge' }, h('span', { class: 'icon', 'aria-hidden': 'true' }), h('span', { class: 'label' }));
  updateBadge(el, kind, status);
  return el;
}

export function updateBadge(el, kind, status) {
  const value = status || 'Unknown';
  const cls = `badge ${kind} s-${token(value)}`;
  if (el.className !== cls) el.className = cls;
  setText(el.firstChild, (ICONS[kind] && ICONS[kind][value]) || '•');
  setText(el.lastChild, value);
  setAttr(el, 'title', `${kind}: ${value}`);
}

// Icon only (for dense trees), with the status as its accessible name.
export function icon(kind, status) {
  const value = status || 'Unknown';
  return h('span', { class: `icon-only ${kind} s-${token(value)}`, title: `${kind}: ${value}`, role: 'img', 'aria-label': `${kind} ${value}` },
    (ICONS[kind] && ICONS[kind][value]) || '•');
}

export function shortRevision(rev) {
  if (!rev) return '';
  return /^[0-9a-f]{40}$/.test(rev) ? rev.slice(0, 7) : rev;
}

// RFC 3339 text, or Unix seconds / milliseconds as a number.
export function parseTime(text) {
  if (!text) return null;
  if (typeof text === 'number') return text < 1e12 ? text * 1000 : text;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t;
}

export function relativeTime(text, now = Date.now()) {
  const t = parseTime(text);
  if (t === null) return '';
  const s = Math.round((now - t) / 1000);
  if (s < 0) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function absoluteTime(text) {
  const t = parseTime(text);
  if (t === null) return text ? String(text) : '';
  const d = new Date(t);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// <time> with a relative text and the absolute time as its title.
export function timeEl(text) {
  if (!text) return h('span', { class: 'muted' }, '—');
  const t = parseTime(text);
  return h('time', { datetime: t === null ? String(text) : new Date(t).toISOString(), title: absoluteTime(text) }, relativeTime(text));
}

export function get(obj, path, fallback = undefined) {
  let cur = obj;
  for (const key of path.split('.')) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return fallback;
    cur = cur[key];
  }
  return cur === undefined || cur === null ? fallback : cur;
}

export function appName(app) { return get(app, 'metadata.name', ''); }
export function appProject(app) { return get(app, 'spec.project', 'default') || 'default'; }
export function syncStatus(app) { return get(app, 'status.sync.status', 'Unknown'); }
export function healthStatus(app) { return get(app, 'status.health.status', 'Unknown'); }

// When the app last synced: the operation's end, else the newest history entry.
export function lastSyncTime(app) {
  const finished = get(app, 'status.operationState.finishedAt', '');
  if (finished) return finished;
  const history = get(app, 'status.history', []);
  if (Array.isArray(history) && history.length) {
    const last = history[history.length - 1];
    return (last && (last.deployedAt || last.deployStartedAt)) || '';
  }
  return '';
}

export function destinationText(app) {
  const dest = get(app, 'spec.destination', {});
  const server = dest.name || dest.server || '';
  const cluster = server === 'https://kubernetes.default.svc' || server === 'in-cluster' ? 'in-cluster' : server;
  return `${cluster}${dest.namespace ? ` / ${dest.namespace}` : ''}`;
}

// "apps/Deployment" or "Deployment" for the core group.
export function groupKind(group, kind) {
  return group ? `${group}/${kind}` : kind;
}

export function resourceKey(r) {
  return `${r.group || ''}/${r.kind || ''}/${r.namespace || ''}/${r.name || ''}`;
}
