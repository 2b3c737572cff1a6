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
  constructor({ pollMs = 5000, streamRetryMs = 30000, settleMs = 150, firstEventMs = 2000, streamWaitMs = 5000 } = {}) {
    this.apps = new Map();           // name → Application
    this.listeners = new Set();
    this.mode = 'idle';              // idle | loading | live | polling | reconnecting
    this.loaded = false;
    this.error = null;               // the last load error (ApiError), null when fine
    this.pollMs = pollMs;
    this.streamRetryMs = streamRetryMs;
    this.settleMs = settleMs;          // quiet time that ends the initial burst
    this.firstEventMs = firstEventMs;  // how long an open stream may stay silent before it counts as empty
    this.streamWaitMs = streamWaitMs;
    this.source = null;
    this.pollTimer = 0;
    this.retryTimer = 0;
    this.waitTimer = 0;
    this.generation = 0;             // bumps on stop(), so late answers of an old session are dropped
    // The stream starts with an ADDED event per app (the current state). Until that burst
    // settles, events are collected; then apps it did not name are gone. A server that sends
    // no initial state is detected (an empty burst, but the list has apps) and read by list.
    this.burst = null;
    this.settleTimer = 0;
    this.streamSendsState = true;
    this.emptyBurst = false;
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
    this.openStream();
    // No stream state soon (a proxy buffering it, an old server): read the list meanwhile.
    this.waitTimer = setTimeout(() => { if (!this.loaded) this.reload(); }, this.streamWaitMs);
  }

  stop() {
    this.generation++;
    if (this.source) this.source.close();
    this.source = null;
    for (const t of [this.pollTimer, this.retryTimer, this.waitTimer, this.settleTimer]) clearTimeout(t);
    this.apps.clear();
    this.loaded = false;
    this.burst = null;
    this.error = null;
    this.notify({ type: 'reset', names: new Set() });
    this.setMode('idle');
  }

  finishLoad(changed) {
    const first = !this.loaded;
    this.loaded = true;
    clearTimeout(this.waitTimer);
    this.notify({ type: first ? 'reset' : 'changes', names: changed });
  }

  // One full list (paged); replaces what the store holds and reports the difference.
  async reload() {
    const generation = this.generation;
    let items;
    try {
      items = await listAll((page) => api.listApplications(page));
    } catch (e) {
      if (generation !== this.generation) return;
      this.error = e;
      this.notify({ type: 'error', names: new Set(), error: e });
      if (this.mode !== 'live') this.schedulePoll();
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
      // An event may have brought a newer version while the list was on its way.
      if (old && !notOlder(app.metadata.resourceVersion, old.metadata.resourceVersion)) continue;
      if (!old || !app.metadata.resourceVersion || old.metadata.resourceVersion !== app.metadata.resourceVersion) {
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
    if (this.emptyBurst && seen.size > 0) this.streamSendsState = false;
    this.emptyBurst = false;
    this.finishLoad(changed);
    if (this.mode === 'loading') this.setMode(this.source && this.source.readyState === 1 ? 'live' : 'polling');
    if (this.mode !== 'live') this.schedulePoll();
  }

  schedulePoll() {
    clearTimeout(this.pollTimer);
    const every = this.apps.size > 500 ? this.pollMs * 2 : this.pollMs;
    this.pollTimer = setTimeout(() => {
      if (this.mode !== 'live' || this.error) this.reload();
    }, every);
  }

  openStream() {
    if (typeof EventSource === 'undefined') {
      this.reload();
      return;
    }
    const generation = this.generation;
    const source = new EventSource(STREAM_URL);
    this.source = source;
    source.onopen = () => {
      if (generation !== this.generation) return;
      clearTimeout(this.pollTimer);
      if (this.loaded) this.setMode('live');
      if (this.streamSendsState) {
        this.burst = new Set();
        this.armSettle();
      } else {
        this.reload();  // events may have been missed while the stream was down
      }
    };
    source.onmessage = (message) => {
      if (generation !== this.generation) return;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      const changed = new Set();
      if (this.burst) {
        const name = this.apply(event, changed);
        if (name) this.burst.add(name);
        this.armSettle();
        // The first load shows apps as they arrive (views batch the updates per frame).
        if (changed.size && !this.loaded) {
          this.finishLoad(changed);
          return;
        }
      } else {
        this.apply(event, changed);
      }
      if (changed.size) this.notify({ type: 'changes', names: changed });
    };
    source.onerror = () => {
      if (generation !== this.generation) return;
      this.burst = null;
      clearTimeout(this.settleTimer);
      if (source.readyState === 2) {
        // Closed for good (not an event stream, 401, 404 ...): poll, and try the stream later.
        this.source = null;
        this.checkSession();
        if (this.loaded) this.setMode('polling');
        this.reload();
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => {
          if (generation === this.generation && !this.source) this.openStream();
        }, this.streamRetryMs);
      } else if (this.loaded) {
        // The browser reconnects by itself; poll meanwhile in case that takes long.
        this.setMode('reconnecting');
        this.schedulePoll();
      }
    };
  }

  armSettle() {
    clearTimeout(this.settleTimer);
    // The server may take a moment to serialize its first app; after that, a short pause ends it.
    const wait = this.burst && this.burst.size === 0 ? this.firstEventMs : this.settleMs;
    this.settleTimer = setTimeout(() => this.settle(), wait);
  }

  // The initial burst is over: apps it did not name were deleted while we were not listening.
  settle() {
    const burst = this.burst;
    if (!burst) return;
    if (burst.size === 0 && !this.loaded) {
      // An empty cluster, or a server that sends no initial state: the list tells.
      this.burst = null;
      this.emptyBurst = true;
      this.reload();
      return;
    }
    this.burst = null;
    const changed = new Set();
    for (const name of [...this.apps.keys()]) {
      if (!burst.has(name)) {
        this.apps.delete(name);
        changed.add(name);
      }
    }
    this.error = null;
    this.finishLoad(changed);
    this.setMode('live');
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

  // Applies one stream event; returns the app's name (or '' when the event is not usable).
  apply(event, changed) {
    if (!event || typeof event !== 'object') return '';
    const app = event.application || event.object;
    const name = app && app.metadata && app.metadata.name;
    if (!name) return '';
    const type = String(event.type || '').toUpperCase();
    if (type === 'DELETED') {
      if (this.apps.delete(name)) changed.add(name);
      return '';
    }
    if (type === 'ADDED' || type === 'MODIFIED') {
      this.apps.set(name, app);
      changed.add(name);
      return name;
    }
    return '';
  }
}

export const store = new AppStore();
