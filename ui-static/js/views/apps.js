// The Applications list: filters (project, sync, health, name search), counts per status, and
// rows kept current from the store without re-rendering the table: each frame touches only the
// rows whose app changed, and moves rows only when the order or the filter result changed.
import { h, replace, setText, setAttr } from '../dom.js';
import {
  appProject, badge, destinationText, get, healthStatus, HEALTH_STATUSES, lastSyncTime,
  relativeTime, absoluteTime, shortRevision, SYNC_STATUSES, syncStatus, updateBadge,
} from '../format.js';

const COLUMNS = ['Name', 'Project', 'Sync', 'Health', 'Revision', 'Last sync', 'Destination', 'Source'];

export function mount(container, params, ctx) {
  const { store } = ctx;
  const filters = { search: '', project: '', sync: '', health: '' };
  readFilters(params.query);

  // name → { tr, cells, sig, app }
  const rows = new Map();
  let sortedNames = null;  // all names, sorted; null when membership changed
  const dirty = new Set();
  let needsLayout = true;
  let frame = 0, fallback = 0;
  let markedRows = false;

  const search = h('input', { type: 'search', id: 'app-search', placeholder: 'Search by name', 'aria-label': 'Search applications by name', value: filters.search });
  const project = h('select', { id: 'filter-project', 'aria-label': 'Project' }, h('option', { value: '' }, 'All projects'));
  const sync = h('select', { id: 'filter-sync', 'aria-label': 'Sync status' }, h('option', { value: '' }, 'Any sync status'),
    SYNC_STATUSES.map((s) => h('option', { value: s }, s)));
  const health = h('select', { id: 'filter-health', 'aria-label': 'Health status' }, h('option', { value: '' }, 'Any health'),
    HEALTH_STATUSES.map((s) => h('option', { value: s }, s)));
  sync.value = filters.sync;
  health.value = filters.health;
  const shown = h('span', { class: 'shown', id: 'apps-shown', 'aria-live': 'polite' });
  const clear = h('button', { type: 'button', class: 'btn small', onclick: () => setFilters({ search: '', project: '', sync: '', health: '' }) }, 'Clear filters');

  const chips = new Map();  // "sync:Synced" → { button, count }
  const chip = (kind, status) => {
    const count = h('span', { class: 'count' }, '0');
    const button = h('button', { type: 'button', class: `chip ${kind} s-${status}`, dataset: { kind, status }, 'aria-pressed': 'false' },
      badge(kind, status), count);
    button.addEventListener('click', () => setFilters({ [kind]: filters[kind] === status ? '' : status }));
    chips.set(`${kind}:${status}`, { button, count });
    return button;
  };
  const counts = h('div', { class: 'counts', id: 'status-counts' },
    h('div', { class: 'count-group', role: 'group', 'aria-label': 'Sync status counts' }, SYNC_STATUSES.map((s) => chip('sync', s))),
    h('div', { class: 'count-group', role: 'group', 'aria-label': 'Health counts' }, HEALTH_STATUSES.map((s) => chip('health', s))));

  // A grid of div rows rather than a <table>: rows off screen skip layout (content-visibility),
  // which keeps a list of thousands of apps fast. ARIA roles keep it a table to assistive tech.
  const tbody = h('div', { id: 'apps-body', class: 'grid-body', role: 'rowgroup' });
  const table = h('div', { class: 'apps-grid', id: 'apps-table', role: 'table', 'aria-label': 'Applications' },
    h('div', { class: 'grid-head', role: 'rowgroup' }, h('div', { class: 'app-row head', role: 'row' }, COLUMNS.map((c) => h('span', { role: 'columnheader' }, c)))),
    tbody);
  const status = h('div', { class: 'list-status', id: 'apps-status', role: 'status' });
  const section = h('section', { class: 'apps' },
    h('div', { class: 'page-head' }, h('h1', null, 'Applications')),
    h('div', { class: 'toolbar' }, search, project, sync, health, clear, shown),
    counts, status, h('div', { class: 'table-wrap' }, table));
  replace(container, section);

  // Every keystroke filters (a frame renders once however many keys arrived in it).
  search.addEventListener('input', () => setFilters({ search: search.value }));
  project.addEventListener('change', () => setFilters({ project: project.value }));
  sync.addEventListener('change', () => setFilters({ sync: sync.value }));
  health.addEventListener('change', () => setFilters({ health: health.value }));

  function readFilters(query) {
    filters.search = query.get('search') || '';
    filters.project = query.get('project') || '';
    filters.sync = query.get('sync') || '';
    filters.health = query.get('health') || '';
  }

  function setFilters(change) {
    Object.assign(filters, change);
    if (search.value !== filters.search) search.value = filters.search;
    if (sync.value !== filters.sync) sync.value = filters.sync;
    if (health.value !== filters.health) health.value = filters.health;
    if (project.value !== filters.project) project.value = filters.project;
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    const hash = `#/apps${q.toString() ? `?${q}` : ''}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
    needsLayout = true;
    schedule();
  }

  function schedule() {
    if (frame || fallback) return;
    if (store.burst && rows.size) {
      // The first list is still streaming in: render in steps, not every frame, so the events
      // are read faster (the rows on screen are there already).
      fallback = setTimeout(render, 150);
      return;
    }
    frame = requestAnimationFrame(render);
    // requestAnimationFrame pauses in background tabs; keep the table current anyway.
    fallback = setTimeout(render, 250);
  }

  function makeRow(name) {
    const link = h('a', { href: `#/apps/${encodeURIComponent(name)}`, class: 'app-link' }, name);
    const cells = {
      project: h('span', { role: 'cell', class: 'project' }),
      sync: badge('sync', 'Unknown'),
      health: badge('health', 'Unknown'),
      revision: h('code', { class: 'revision' }),
      time: h('time', { class: 'last-sync' }),
      dest: h('span', { role: 'cell', class: 'dest' }),
      source: h('span', { role: 'cell', class: 'source' }),
    };
    const tr = h('div', { class: 'app-row', role: 'row', dataset: { name } },
      h('span', { role: 'rowheader', class: 'name' }, link), cells.project, h('span', { role: 'cell' }, cells.sync),
      h('span', { role: 'cell' }, cells.health), h('span', { role: 'cell' }, cells.revision), h('span', { role: 'cell' }, cells.time),
      cells.dest, cells.source);
    return { tr, cells, sig: '', app: null };
  }

  function updateRow(row, app) {
    row.app = app;
    const revision = get(app, 'status.sync.revision', '');
    const last = lastSyncTime(app);
    const source = `${get(app, 'spec.source.repoURL', '')} ${get(app, 'spec.source.path', '')}`.trim();
    const op = get(app, 'status.operationState.phase', '');
    const sig = [appProject(app), syncStatus(app), healthStatus(app), revision, last, destinationText(app), source, op].join('\u0000');
    if (sig === row.sig) return;
    row.sig = sig;
    const c = row.cells;
    setText(c.project, appProject(app));
    updateBadge(c.sync, 'sync', syncStatus(app));
    updateBadge(c.health, 'health', healthStatus(app));
    setText(c.revision, shortRevision(revision));
    setAttr(c.revision, 'title', revision || null);
    setText(c.time, relativeTime(last));
    setAttr(c.time, 'datetime', last || null);
    setAttr(c.time, 'title', last ? absoluteTime(last) : null);
    setText(c.dest, destinationText(app));
    setText(c.source, source);
    row.tr.classList.toggle('operating', op === 'Running' || op === 'Terminating');
  }

  function matchesBase(app, name) {
    if (filters.project && appProject(app) !== filters.project) return false;
    if (filters.search && !name.toLowerCase().includes(filters.search.toLowerCase())) return false;
    return true;
  }

  function render() {
    cancelAnimationFrame(frame);
    clearTimeout(fallback);
    frame = 0;
    fallback = 0;
    if (!store.loaded) {
      showStatus();
      return;
    }
    for (const name of dirty) {
      const app = store.get(name);
      let row = rows.get(name);
      if (!app) {
        if (row) {
          row.tr.remove();
          rows.delete(name);
        }
        sortedNames = null;
        needsLayout = true;
        continue;
      }
      if (!row) {
        row = makeRow(name);
        rows.set(name, row);
        sortedNames = null;
        needsLayout = true;
      }
      const before = row.app;
      updateRow(row, app);
      if (!needsLayout && (filters.sync || filters.health || filters.project) &&
          (!before || syncStatus(before) !== syncStatus(app) || healthStatus(before) !== healthStatus(app) || appProject(before) !== appProject(app))) {
        needsLayout = true;
      }
    }
    const countsChanged = dirty.size > 0 || needsLayout;
    dirty.clear();
    if (needsLayout) layout();
    if (countsChanged) updateCounts();
    showStatus();
    if (!markedRows && rows.size) {
      markedRows = true;
      performance.mark('ferry:rows');
    }
  }

  // Puts the visible rows in order, moving only rows that are out of place; when the filter
  // adds or removes many rows at once, one replaceChildren is cheaper than many single moves.
  function layout() {
    needsLayout = false;
    if (!sortedNames) sortedNames = [...rows.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const visible = [];
    for (const name of sortedNames) {
      const row = rows.get(name);
      const app = row.app;
      if (!matchesBase(app, name)) continue;
      if (filters.sync && syncStatus(app) !== filters.sync) continue;
      if (filters.health && healthStatus(app) !== filters.health) continue;
      visible.push(row.tr);
    }
    if (Math.abs(tbody.childElementCount - visible.length) > 50) {
      tbody.replaceChildren(...visible);
    } else {
      let cursor = tbody.firstChild;
      for (const tr of visible) {
        if (tr === cursor) cursor = cursor.nextSibling;
        else tbody.insertBefore(tr, cursor);
      }
      while (cursor) {
        const next = cursor.nextSibling;
        cursor.remove();
        cursor = next;
      }
    }
    setText(shown, `Showing ${visible.length} of ${rows.size}`);
    section.classList.toggle('no-match', visible.length === 0);
  }

  function updateCounts() {
    const tally = new Map();
    const projects = new Set();
    for (const [name, row] of rows) {
      projects.add(appProject(row.app));
      if (!matchesBase(row.app, name)) continue;
      const s = `sync:${syncStatus(row.app)}`, hs = `health:${healthStatus(row.app)}`;
      tally.set(s, (tally.get(s) || 0) + 1);
      tally.set(hs, (tally.get(hs) || 0) + 1);
    }
    for (const [key, { button, count }] of chips) {
      const n = tally.get(key) || 0;
      setText(count, n);
      const [kind, value] = key.split(':');
      setAttr(button, 'aria-pressed', filters[kind] === value ? 'true' : 'false');
      button.classList.toggle('zero', n === 0);
    }
    // Project options follow the projects the apps use.
    const wanted = ['', ...[...projects].sort()];
    if (filters.project && !projects.has(filters.project)) wanted.push(filters.project);
    const have = [...project.options].map((o) => o.value);
    if (have.join('\u0000') !== wanted.join('\u0000')) {
      replace(project, wanted.map((p) => h('option', { value: p }, p || 'All projects')));
      project.value = filters.project;
    }
  }

  function showStatus() {
    if (!store.loaded) {
      if (store.error) {
        replace(status, ctx.errorPanel(`The applications could not be loaded: ${store.error.message}`, () => store.reload()));
      } else {
        replace(status, h('p', { class: 'loading' }, 'Loading applications…'));
      }
      return;
    }
    if (store.error) {
      replace(status, h('p', { class: 'warning' }, `Could not refresh the list: ${store.error.message} (showing the last known state)`));
    } else if (rows.size === 0) {
      replace(status, h('p', { class: 'empty' }, 'No applications yet. Create one with `ferry app create` or kubectl.'));
    } else if (section.classList.contains('no-match')) {
      replace(status, h('p', { class: 'empty' }, 'No applications match the filters.'));
    } else if (status.firstChild) {
      status.replaceChildren();
    }
  }

  const unsubscribe = store.subscribe((change) => {
    if (change.type === 'reset') {
      for (const name of rows.keys()) dirty.add(name);
      for (const name of store.apps.keys()) dirty.add(name);
      needsLayout = true;
    } else {
      for (const name of change.names) dirty.add(name);
    }
    schedule();
  });
  for (const name of store.apps.keys()) dirty.add(name);
  render();

  // Relative times age: refresh their text once in a while.
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const row of rows.values()) {
      const last = row.cells.time.getAttribute('datetime');
      if (last) setText(row.cells.time, relativeTime(last, now));
    }
  }, 30000);

  search.focus();
  return {
    update(next) {
      readFilters(next.query);
      setFilters({});
    },
    unmount() {
      unsubscribe();
      clearInterval(ticker);
      cancelAnimationFrame(frame);
      clearTimeout(fallback);
    },
  };
}
