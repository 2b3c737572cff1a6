// The Applications the UI knows, kept current by the server-sent event stream
// (GET /api/v1/stream/applications) with a polling fallback when the stream is unavailable.
// Views subscribe and receive the names that changed; they never reload the page.
import { api, ApiError, listAll, signalUnauthorized } from './api.js';

const STREAM_URL = '/api/v1/stream/applications';

// resourceVersion a >= b, when both are numbers (the simulator's and Kubernetes' usual form);
// true when they cannot be compared.
function notOlder(a, b) {
  const x = Number(a), y = Number(b);
  if (!a || !b || !Number.isFinite(x) || !Number.isFinite(y)) return true;
  return x >= y;
}

export class AppStore {
  constructor({ pollMs = 5000, streamRetryMs = 30000 } = {}) {
    this.apps = new Map();           // name → Application
    this.listeners = new Set();
    this.mode = 'idle';              // idle | loading | live | polling | reconnecting
    this.loaded = false;
    this.error = null;               // the last load error (ApiError), null when fine
    this.pollMs = pollMs;
    this.streamRetryMs = streamRetryMs;
    this.source = null;
    this.buffer = null;              // events that arrive before the first list
    this.pollTimer = 0;
    this.retryTimer = 0;
    this.generation = 0;             // bumps on stop(), so late answers of an old session are dropped
    this.lastEventAt = 0;
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  notify(change) {
    for (const fn of [...this.listeners]) {
      try {
        fn(change);
      } catch (e) {
        console.error('store listener failed', e);
      }
    }
  }

  setMode(mode) {
    if (this.mode === mode) return;
    this.mode = mode;
    this.notify({ type: 'mode', names: new Set() });
  }

  get(name) { return this.apps.get(name); }

  start() {
    if (this.mode !== 'idle') return;
    this.setMode('loading');
    this.buffer = [];
    this.openStream();
    this.reload();
  }

  stop() {
    this.generation++;
    if (this.source) this.source.close();
    this.source = null;
    clearTimeout(this.pollTimer);
    clearTimeout(this.retryTimer);
    this.apps.clear();
    this.loaded = false;
    this.buffer = null;
    this.mode = 'idle';
    this.notify({ type: 'reset', names: new Set() });
  }

  // One full list; replaces what the store holds and reports the difference.
  async reload() {
    const generation = this.generation;
    let items;
    try {
      items = await listAll((page) => api.listApplications(page));
    } catch (e) {
      if (generation !== this.generation) return;
      this.error = e;
      this.notify({ type: 'error', names: new Set(), error: e });
      if (!this.source || this.mode === 'polling') this.schedulePoll();
      return;
    }
    if (generation !== this.generation) return;
    this.error = null;
    const changed = new Set();
    const seen = new Set();
    for (const app of items) {
      const name = app && app.metadata && app.metadata.name;
      if (!name) continue;
      seen.add(name);
      const old = this.apps.get(name);
      if (!old || old.metadata.resourceVersion !== app.metadata.resourceVersion || !app.metadata.resourceVersion) {
        if (!old || JSON.stringify(old) !== JSON.stringify(app)) changed.add(name);
        this.apps.set(name, app);
      }
    }
    for (const name of [...this.apps.keys()]) {
      if (!seen.has(name)) {
        this.apps.delete(name);
        changed.add(name);
      }
    }
    const first = !this.loaded;
    this.loaded = true;
    if (this.buffer) {
      const buffered = this.buffer;
      this.buffer = null;
      for (const event of buffered) this.apply(event, changed, true);
    }
    this.notify({ type: first ? 'reset' : 'changes', names: changed });
    if (this.mode === 'loading') this.setMode(this.source && this.source.readyState === 1 ? 'live' : 'polling');
    if (this.mode === 'polling') this.schedulePoll();
  }

  schedulePoll() {
    clearTimeout(this.pollTimer);
    const every = this.apps.size > 500 ? this.pollMs * 2 : this.pollMs;
    this.pollTimer = setTimeout(() => {
      if (this.mode === 'polling' || this.mode === 'reconnecting' || this.error) this.reload();
    }, every);
  }

  openStream() {
    if (typeof EventSource === 'undefined') {
      this.setMode('polling');
      return;
    }
    const generation = this.generation;
    const source = new EventSource(STREAM_URL, { withCredentials: true });
    this.source = source;
    let dropped = false;
    source.onopen = () => {
      if (generation !== this.generation) return;
      clearTimeout(this.pollTimer);
      if (this.loaded) this.setMode('live');
      // Events may have been missed while the stream was down: one list catches up.
      if (dropped) this.reload();
      dropped = false;
    };
    source.onmessage = (message) => {
      if (generation !== this.generation) return;
      this.lastEventAt = performance.now();
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (this.buffer) {
        this.buffer.push(event);
        return;
      }
      const changed = new Set();
      this.apply(event, changed, false);
      if (changed.size) this.notify({ type: 'changes', names: changed });
    };
    source.onerror = () => {
      if (generation !== this.generation) return;
      dropped = true;
      if (source.readyState === 2) {
        // Closed for good (not an event stream, 401, 404 ...): poll, and try the stream later.
        this.source = null;
        this.checkSession();
        this.setMode(this.loaded ? 'polling' : this.mode);
        if (this.loaded) this.schedulePoll();
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => {
          if (generation === this.generation && !this.source) this.openStream();
        }, this.streamRetryMs);
      } else {
        // The browser reconnects by itself; poll meanwhile in case that takes long.
        if (this.loaded) {
          this.setMode('reconnecting');
          this.schedulePoll();
        }
      }
    };
  }

  // A stream that fails may mean the session ended: ask, and tell the app when it did.
  async checkSession() {
    try {
      const info = await api.userinfo();
      if (info && info.loggedIn === false) signalUnauthorized(new ApiError(401, 'Unauthorized', 'the session has ended'));
    } catch (e) {
      if (e && e.status === 401) signalUnauthorized(e);
    }
  }

  apply(event, changed, buffered) {
    if (!event || typeof event !== 'object') return;
    const app = event.application || event.object;
    const name = app && app.metadata && app.metadata.name;
    if (!name) return;
    const type = String(event.type || '').toUpperCase();
    const old = this.apps.get(name);
    if (type === 'DELETED') {
      if (old && (!buffered || notOlder(app.metadata.resourceVersion, old.metadata.resourceVersion))) {
        this.apps.delete(name);
        changed.add(name);
      }
    } else if (type === 'ADDED' || type === 'MODIFIED') {
      if (buffered && old && !notOlder(app.metadata.resourceVersion, old.metadata.resourceVersion)) return;
      this.apps.set(name, app);
      changed.add(name);
    }
  }
}

export const store = new AppStore();
