// One Application: header with status and actions (sync, refresh, hard refresh, delete), the
// running operation's progress, and tabs — summary, resource tree, diff, plan, history, events.
// The app itself follows the store (stream or polling); a tab's data is re-read when the app's
// state changes in a way that can change it.
import { api } from '../api.js';
import { h, replace, setText } from '../dom.js';
import {
  absoluteTime, appProject, badge, destinationText, get, groupKind, healthStatus, shortRevision, syncStatus, timeEl, updateBadge,
} from '../format.js';
import { confirmDialog, syncDialog } from './dialogs.js';
import { fieldManagers, parseUnified, renderSplit, renderUnified } from './diff.js';
import { renderTree } from './tree.js';

const TABS = [
  ['summary', 'Summary'], ['tree', 'Resources'], ['diff', 'Diff'], ['plan', 'Plan'], ['history', 'History'], ['events', 'Events'],
];

// revision metadata, shared by every app page: "app\0rev" → Promise<metadata|null>
const revisionCache = new Map();

export function mount(container, params, ctx) {
  const name = params.name;
  const { store } = ctx;
  let app = store.get(name) || null;
  let tab = TABS.some(([id]) => id === params.tab) ? params.tab : 'summary';
  let destroyed = false;
  let initialized = false;
  let tabSeq = 0;
  let tabSig = '';
  let opSig = null;
  let headSig = '';
  let pollTimer = 0;
  let refreshTimer = 0;
  const perms = { sync: null, rollback: null, delete: null };
  const state = { diffAll: false, diffMode: 'unified', planPrune: null, history: [], historyContinue: '' };

  // Header
  const title = h('h1', { class: 'app-title' }, name);
  const syncBadge = badge('sync', 'Unknown');
  const healthBadge = badge('health', 'Unknown');
  const opBadge = badge('phase', '');
  opBadge.hidden = true;
  const btnSync = h('button', { type: 'button', class: 'btn primary', id: 'btn-sync' }, 'Sync…');
  const btnRefresh = h('button', { type: 'button', class: 'btn', id: 'btn-refresh' }, 'Refresh');
  const btnHard = h('button', { type: 'button', class: 'btn', id: 'btn-hard-refresh', title: 'Re-fetch from git and re-render, bypassing caches' }, 'Hard refresh');
  const btnDelete = h('button', { type: 'button', class: 'btn danger', id: 'btn-delete' }, 'Delete…');
  const notice = h('div', { class: 'app-notice', role: 'status' });
  const opPanel = h('section', { class: 'operation', id: 'operation', hidden: true });
  const tabLinks = new Map();
  const tabNav = h('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'Application views' }, TABS.map(([id, label]) => {
    const a = h('a', { href: `#/apps/${encodeURIComponent(name)}/${id}`, role: 'tab', id: `tab-${id}`, dataset: { tab: id } }, label);
    tabLinks.set(id, a);
    return a;
  }));
  const body = h('div', { class: 'tab-body', id: 'tab-body', role: 'tabpanel' });
  replace(container, h('section', { class: 'app-page' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/apps' }, 'Applications'), ' / ', h('span', null, name)),
    h('div', { class: 'page-head' }, h('div', { class: 'title-line' }, title, syncBadge, healthBadge, opBadge),
      h('div', { class: 'actions' }, btnSync, btnRefresh, btnHard, btnDelete)),
    notice, opPanel, tabNav, body));

  btnSync.addEventListener('click', () => {
    if (!app) return;
    syncDialog({
      app,
      onSync: async (req, dryRun) => {
        const answer = await api.sync(name, req, dryRun);
        if (!dryRun) {
          ctx.toast(`Sync of ${name} started`, 'success');
          soon();
        }
        return answer;
      },
    });
  });
  btnRefresh.addEventListener('click', () => refresh('normal'));
  btnHard.addEventListener('click', () => refresh('hard'));
  btnDelete.addEventListener('click', async () => {
    const done = await confirmDialog({
      id: 'delete-dialog', title: `Delete ${name}?`, danger: true, confirmLabel: 'Delete',
      message: [h('p', null, 'The Application is removed from Ferry.'), h('p', null, 'With cascade, the resources it manages are deleted from the cluster too.')],
      checkboxes: [{ name: 'cascade', label: 'Cascade (delete the app\'s resources)', checked: true }],
      run: (values) => api.deleteApplication(name, values.cascade).then(() => true),
    });
    if (done) {
      ctx.toast(`${name} is being deleted`, 'success');
      ctx.navigate('#/apps');
    }
  });

  async function refresh(type) {
    const button = type === 'hard' ? btnHard : btnRefresh;
    button.disabled = true;
    try {
      await api.refresh(name, type);
      ctx.toast(`${type === 'hard' ? 'Hard refresh' : 'Refresh'} of ${name} queued`, 'success');
      soon();
    } catch (e) {
      ctx.toast(`Refresh failed: ${e.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  }

  // Reads the app now and then; the stream normally makes this unnecessary.
  async function fetchApp() {
    try {
      const fresh = await api.getApplication(name);
      if (destroyed) return;
      setApp(fresh);
    } catch (e) {
      if (destroyed) return;
      if (!initialized) {
        replace(body, ctx.errorPanel(e.status === 404 ? `Application "${name}" was not found.` : `The application could not be loaded: ${e.message}`, () => fetchApp()));
        tabNav.hidden = true;
      } else {
        replace(notice, h('p', { class: 'warning' }, `Could not re-read the application: ${e.message}`));
      }
    }
  }

  function soon() {
    setTimeout(() => { if (!destroyed && store.mode !== 'live') fetchApp(); }, 400);
  }

  function schedulePoll() {
    clearTimeout(pollTimer);
    const running = ['Running', 'Terminating'].includes(get(app, 'status.operationState.phase', ''));
    if (store.mode === 'live') return;
    pollTimer = setTimeout(fetchApp, running ? 1500 : 5000);
  }

  function setApp(next) {
    const first = !initialized;
    initialized = true;
    app = next;
    tabNav.hidden = false;
    renderHead();
    renderOperation();
    if (first) {
      checkPermissions();
      showTab(true);
    } else {
      maybeRefreshTab();
    }
    schedulePoll();
  }

  function renderHead() {
    updateBadge(syncBadge, 'sync', syncStatus(app));
    updateBadge(healthBadge, 'health', healthStatus(app));
    const phase = get(app, 'status.operationState.phase', '');
    const running = phase === 'Running' || phase === 'Terminating';
    opBadge.hidden = !running;
    if (running) updateBadge(opBadge, 'phase', phase);
    btnSync.disabled = perms.sync === false || running;
    btnSync.title = perms.sync === false ? 'You are not allowed to sync this application' : running ? 'An operation is running' : '';
    const deleting = !!get(app, 'metadata.deletionTimestamp', '');
    const sig = `${deleting}`;
    if (sig !== headSig) {
      headSig = sig;
      replace(notice, deleting ? h('p', { class: 'warning' }, 'This application is being deleted.') : null);
    }
  }

  async function checkPermissions() {
    const object = `${appProject(app)}/${name}`;
    const [s, r, d] = await Promise.all(['sync', 'rollback', 'delete'].map((a) => ctx.can('applications', a, object)));
    if (destroyed) return;
    perms.sync = s;
    perms.rollback = r;
    perms.delete = d;
    btnDelete.disabled = !d;
    btnDelete.title = d ? '' : 'You are not allowed to delete this application';
    renderHead();
    if (tab === 'history') renderHistory();
  }

  // ---- operation progress (status.operationState)
  function renderOperation() {
    const op = get(app, 'status.operationState', null);
    const sig = JSON.stringify(op) + (app.status && app.status.resources ? app.status.resources.length : 0);
    if (sig === opSig) return;
    opSig = sig;
    if (!op) {
      opPanel.hidden = true;
      return;
    }
    const phase = op.phase || 'Unknown';
    const running = phase === 'Running' || phase === 'Terminating';
    const results = get(op, 'syncResult.resources', []);
    const total = Math.max(Array.isArray(app.status.resources) ? app.status.resources.filter((r) => !r.hook).length : 0, results.length);
    const done = results.length;
    const sync = get(op, 'operation.sync', {});
    const who = get(op, 'operation.initiatedBy.username', '') || (get(op, 'operation.initiatedBy.automated', false) ? 'automated' : '');
    const revision = get(op, 'syncResult.revision', '') || sync.revision || '';
    replace(opPanel,
      h('div', { class: 'op-head' },
        h('h2', null, running ? 'Operation in progress' : 'Last operation'), badge('phase', phase),
        h('span', { class: 'op-meta' },
          sync.dryRun ? 'dry run · ' : '', revision ? `revision ${shortRevision(revision)} · ` : '', who ? `by ${who} · ` : '',
          'started ', timeEl(op.startedAt), op.finishedAt ? [' · finished ', timeEl(op.finishedAt)] : '')),
      op.message ? h('p', { class: `op-message${phase === 'Failed' || phase === 'Error' ? ' error-text' : ''}` }, op.message) : null,
      running && total ? h('div', { class: 'progress-line' }, h('progress', { max: String(total), value: String(Math.min(done, total)), id: 'op-progress' }),
        h('span', null, `${done} of ${total} resources`)) : null,
      results.length ? h('details', { class: 'op-resources', open: running },
        h('summary', null, `Resources (${results.length})`),
        h('table', { class: 'grid compact', id: 'op-resources' },
          h('thead', null, h('tr', null, ['Phase', 'Kind', 'Name', 'Result', 'Hook', 'Message'].map((c) => h('th', null, c)))),
          h('tbody', null, results.map((r) => h('tr', null,
            h('td', null, r.syncPhase || ''), h('td', null, groupKind(r.group, r.kind)),
            h('td', null, r.namespace ? `${r.namespace}/${r.name}` : r.name),
            h('td', null, badge('sync', r.status || 'Unknown')),
            h('td', null, r.hookPhase || r.hookType || ''), h('td', { class: 'msg' }, r.message || '')))))) : null);
    opPanel.classList.toggle('running', running);
    opPanel.hidden = false;
  }

  // ---- tabs
  function dataSignature() {
    const s = app.status || {};
    return JSON.stringify([s.sync && s.sync.status, s.sync && s.sync.revision, s.health, s.resources, s.conditions,
      s.operationState && s.operationState.phase, Array.isArray(s.history) ? s.history.length : 0, app.spec, app.metadata.annotations]);
  }

  function maybeRefreshTab() {
    const sig = dataSignature();
    if (sig === tabSig) return;
    clearTimeout(refreshTimer);
    // A burst of updates (a sync moving through its resources) becomes one re-read.
    refreshTimer = setTimeout(() => showTab(false), tab === 'summary' ? 0 : 500);
  }

  function showTab(reset) {
    tabSig = dataSignature();
    for (const [id, a] of tabLinks) {
      a.classList.toggle('active', id === tab);
      a.setAttribute('aria-selected', id === tab ? 'true' : 'false');
    }
    const seq = ++tabSeq;
    const render = { summary: renderSummary, tree: loadTree, diff: loadDiff, plan: loadPlan, history: loadHistory, events: loadEvents }[tab];
    if (reset) replace(body, h('p', { class: 'loading' }, 'Loading…'));
    render(seq, reset);
  }

  // Runs fetch() for the current tab and renders its answer unless a newer load started.
  async function load(seq, fetch, draw, what) {
    body.classList.add('updating');
    try {
      const data = await fetch();
      if (destroyed || seq !== tabSeq) return;
      draw(data);
    } catch (e) {
      if (destroyed || seq !== tabSeq) return;
      replace(body, ctx.errorPanel(`The ${what} could not be loaded: ${e.message}`, () => showTab(true)));
    } finally {
      if (seq === tabSeq) body.classList.remove('updating');
    }
  }

  function revisionMeta(rev) {
    if (!rev) return Promise.resolve(null);
    const key = `${name}\u0000${rev}`;
    if (!revisionCache.has(key)) revisionCache.set(key, api.revisionMetadata(name, rev).catch(() => null));
    return revisionCache.get(key);
  }

  function commitBlock(rev, id) {
    const box = h('div', { class: 'commit', id }, h('code', { class: 'sha', title: rev }, rev || '—'));
    if (rev) {
      revisionMeta(rev).then((meta) => {
        if (!meta) return;
        box.append(
          h('div', { class: 'commit-meta' }, meta.author ? `${meta.author}` : '', meta.date ? ` · ${absoluteTime(meta.date)}` : '',
            Array.isArray(meta.tags) && meta.tags.length ? ` · tags: ${meta.tags.join(', ')}` : ''),
          h('pre', { class: 'commit-message' }, meta.message || ''));
      });
    }
    return box;
  }

  function renderSummary() {
    const spec = app.spec || {};
    const status = app.status || {};
    const src = spec.source || {};
    const policy = spec.syncPolicy || {};
    const auto = policy.automated;
    const history = Array.isArray(status.history) ? status.history : [];
    const deployed = get(status, 'operationState.syncResult.revision', '') || (history.length ? history[history.length - 1].revision : '');
    const row = (label, ...value) => [h('dt', null, label), h('dd', null, value)];
    const labels = get(app, 'metadata.labels', {});
    const annotations = get(app, 'metadata.annotations', {});
    const pairs = (obj) => {
      const keys = Object.keys(obj || {}).filter((k) => k !== 'kubectl.kubernetes.io/last-applied-configuration');
      return keys.length ? h('ul', { class: 'pairs' }, keys.map((k) => h('li', null, h('span', { class: 'k' }, k), '=', h('span', { class: 'v' }, String(obj[k]))))) : h('span', { class: 'muted' }, 'none');
    };
    const conditions = Array.isArray(status.conditions) ? status.conditions : [];
    replace(body, h('div', { class: 'summary', id: 'summary' },
      h('dl', { class: 'facts' },
        row('Project', appProject(app)),
        row('Repository', h('span', { class: 'mono', id: 'sum-repo' }, src.repoURL || '')),
        row('Path', h('span', { class: 'mono' }, src.path || (src.chart ? `chart ${src.chart}` : ''))),
        row('Target revision', h('span', { class: 'mono' }, src.targetRevision || 'HEAD'), status.sourceType ? h('span', { class: 'tag' }, status.sourceType) : null),
        row('Compared revision', commitBlock(get(status, 'sync.revision', ''), 'sum-target-commit')),
        row('Synced revision', deployed && deployed !== get(status, 'sync.revision', '') ? commitBlock(deployed, 'sum-synced-commit')
          : deployed ? h('span', { class: 'muted' }, 'same as compared') : h('span', { class: 'muted' }, 'never synced')),
        row('Destination', destinationText(app)),
        row('Sync policy', auto ? `Automated${auto.prune ? ', prune' : ''}${auto.selfHeal ? ', self-heal' : ''}${auto.allowEmpty ? ', allow empty' : ''}` : 'Manual',
          Array.isArray(policy.syncOptions) && policy.syncOptions.length ? h('div', { class: 'mono' }, policy.syncOptions.join(', ')) : null,
          policy.retry ? h('div', { class: 'muted' }, `retry limit ${policy.retry.limit === undefined ? 'default' : policy.retry.limit}`) : null),
        row('Health', badge('health', healthStatus(app)), get(status, 'health.message', '') ? h('span', { class: 'health-msg' }, ` ${status.health.message}`) : null),
        row('Last reconciled', timeEl(status.reconciledAt)),
        Array.isArray(get(status, 'summary.images', null)) && status.summary.images.length ? row('Images', h('span', { class: 'mono' }, status.summary.images.join(', '))) : null,
        row('Labels', pairs(labels)),
        row('Annotations', h('div', { id: 'sum-annotations' }, pairs(annotations)))),
      h('h2', null, 'Conditions'),
      conditions.length
        ? h('ul', { class: 'conditions', id: 'conditions' }, conditions.map((c) => h('li', { class: /Error$/.test(c.type || '') ? 'error' : 'warn' },
          h('strong', null, c.type || 'Condition'), ' ', c.lastTransitionTime ? timeEl(c.lastTransitionTime) : null,
          h('div', { class: 'cond-message' }, c.message || ''))))
        : h('p', { class: 'muted', id: 'conditions' }, 'No conditions.')));
  }

  function loadTree(seq) {
    load(seq, () => api.resourceTree(name), (tree) => {
      replace(body, h('div', { class: 'tree-view', id: 'tree' }, renderTree(tree.nodes, { visited: new Set([name]) })));
    }, 'resource tree');
  }

  function loadDiff(seq) {
    load(seq, () => api.diff(name, state.diffAll), (answer) => {
      const items = Array.isArray(answer.items) ? answer.items : [];
      const allBox = h('input', { type: 'checkbox', id: 'diff-all', checked: state.diffAll });
      allBox.addEventListener('change', () => { state.diffAll = allBox.checked; showTab(false); });
      const mode = (value, label) => {
        const input = h('input', { type: 'radio', name: 'diff-mode', value, id: `diff-mode-${value}`, checked: state.diffMode === value });
        input.addEventListener('change', () => { state.diffMode = value; showTab(false); });
        return h('label', { class: 'check', for: `diff-mode-${value}` }, input, ` ${label}`);
      };
      const reload = h('button', { type: 'button', class: 'btn small', onclick: () => showTab(false) }, 'Reload');
      replace(body, h('div', { class: 'diff-view', id: 'diff' },
        h('div', { class: 'toolbar' }, h('label', { class: 'check', for: 'diff-all' }, allBox, ' Show unchanged resources too'),
          h('span', { class: 'sep' }), mode('unified', 'Unified'), mode('split', 'Side by side'), reload,
          h('span', { class: 'muted' }, `Overall: ${answer.sync || syncStatus(app)}`)),
        items.length === 0 ? h('p', { class: 'empty' }, 'No differences: the cluster matches git.') : null,
        items.map((item) => diffItem(item))));
    }, 'diff');
  }

  function diffItem(item) {
    const rows = parseUnified(item.diff);
    const managers = fieldManagers(item);
    let content;
    if (rows.length) content = state.diffMode === 'split' ? renderSplit(rows) : renderUnified(rows);
    else if (item.status === 'Missing') content = h('p', { class: 'muted' }, 'Not in the cluster: a sync creates it.');
    else if (item.status === 'RequiresPruning') content = h('p', { class: 'muted' }, 'In the cluster but no longer in git: a sync with prune deletes it.');
    else content = h('p', { class: 'muted' }, 'No differences.');
    const st = item.status || 'Unknown';
    return h('article', { class: 'diff-item', dataset: { kind: item.kind || '', name: item.name || '' } },
      h('header', null, badge('sync', st), h('span', { class: 'kind' }, groupKind(item.group, item.kind)),
        h('span', { class: 'name' }, item.namespace ? `${item.namespace}/${item.name}` : item.name),
        item.hook ? h('span', { class: 'tag' }, 'hook') : null,
        managers.length ? h('span', { class: 'managers' }, `field manager${managers.length > 1 ? 's' : ''}: ${managers.join(', ')}`) : null),
      content);
  }

  function loadPlan(seq) {
    if (state.planPrune === null) state.planPrune = !!get(app, 'spec.syncPolicy.automated.prune', false);
    load(seq, () => api.plan(name, state.planPrune), (answer) => {
      const items = Array.isArray(answer.items) ? answer.items : [];
      const prune = h('input', { type: 'checkbox', id: 'plan-prune', checked: state.planPrune });
      prune.addEventListener('change', () => { state.planPrune = prune.checked; showTab(false); });
      replace(body, h('div', { class: 'plan-view', id: 'plan' },
        h('div', { class: 'toolbar' }, h('label', { class: 'check', for: 'plan-prune' }, prune, ' With prune'),
          h('span', { class: 'muted' }, 'What the next sync would do, in order.')),
        items.length === 0 ? h('p', { class: 'empty' }, 'Nothing to do.')
          : h('table', { class: 'grid', id: 'plan-table' },
            h('thead', null, h('tr', null, ['#', 'Phase', 'Wave', 'Action', 'Kind', 'Name', 'Reason'].map((c) => h('th', null, c)))),
            h('tbody', null, items.map((it, i) => h('tr', { class: `action-${/^[a-z]+$/.test(it.action || '') ? it.action : 'other'}` },
              h('td', null, String(i + 1)), h('td', null, it.phase || ''), h('td', null, String(it.wave ?? 0)),
              h('td', null, h('span', { class: 'tag' }, it.action || '')), h('td', null, groupKind(it.group, it.kind)),
              h('td', null, it.namespace ? `${it.namespace}/${it.name}` : it.name), h('td', { class: 'msg' }, it.reason || '')))))));
    }, 'plan');
  }

  function loadHistory(seq) {
    load(seq, () => api.history(name), (answer) => {
      state.history = Array.isArray(answer.items) ? answer.items : [];
      state.historyContinue = get(answer, 'metadata.continue', '');
      renderHistory();
    }, 'history');
  }

  function renderHistory() {
    if (tab !== 'history') return;
    const items = state.history;
    // The entry in effect now: the newest that succeeded and changed the cluster.
    const current = items.find((e) => e.phase === 'Succeeded' && !e.dryRun);
    const more = state.historyContinue
      ? h('button', { type: 'button', class: 'btn small', onclick: async (e) => {
        e.target.disabled = true;
        try {
          const answer = await api.history(name, state.historyContinue);
          state.history = state.history.concat(answer.items || []);
          state.historyContinue = get(answer, 'metadata.continue', '');
          renderHistory();
        } catch (err) {
          ctx.toast(`History: ${err.message}`, 'error');
          e.target.disabled = false;
        }
      } }, 'Load more')
      : null;
    const commitCell = (rev) => {
      const cell = h('td', { class: 'commit-cell' }, h('code', { title: rev || '' }, shortRevision(rev)));
      if (rev) revisionMeta(rev).then((meta) => { if (meta && meta.message) cell.append(' ', h('span', { class: 'commit-subject' }, String(meta.message).split('\n')[0])); });
      return cell;
    };
    replace(body, h('div', { class: 'history-view', id: 'history' },
      items.length === 0 ? h('p', { class: 'empty' }, 'No operations yet.')
        : h('table', { class: 'grid', id: 'history-table' },
          h('thead', null, h('tr', null, ['ID', 'Kind', 'Revision', 'Result', 'Initiated by', 'Started', 'Finished', ''].map((c) => h('th', null, c)))),
          h('tbody', null, items.map((e) => {
            let reason = '';
            if (perms.rollback === false) reason = 'You are not allowed to roll back this application';
            else if (e === current) reason = 'This is the revision in effect';
            else if (e.phase !== 'Succeeded') reason = 'Only a successful operation can be rolled back to';
            else if (e.dryRun) reason = 'A dry run changed nothing';
            const button = h('button', { type: 'button', class: 'btn small', disabled: !!reason, title: reason || `Roll back to #${e.id}`, dataset: { id: String(e.id) } },
              e === current ? 'Current' : 'Rollback…');
            button.addEventListener('click', () => rollback(e));
            return h('tr', { dataset: { id: String(e.id) } },
              h('td', null, String(e.id)),
              h('td', null, e.kind === 'rollback' ? `rollback${e.rollbackOf ? ` of #${e.rollbackOf}` : ''}` : e.kind || 'sync',
                e.dryRun ? h('span', { class: 'tag' }, 'dry run') : null, e.prune ? h('span', { class: 'tag' }, 'prune') : null),
              commitCell(e.revision),
              h('td', null, badge('phase', e.phase || 'Unknown'), e.message ? h('div', { class: 'msg' }, e.message) : null),
              h('td', null, e.automated ? `${e.initiatedBy || ''} (automated)`.trim() : e.initiatedBy || ''),
              h('td', null, timeEl(e.startedAt)), h('td', null, timeEl(e.finishedAt)), h('td', null, button));
          }))),
      more));
  }

  async function rollback(entry) {
    const result = await confirmDialog({
      id: 'rollback-dialog', title: `Roll back ${name}?`, confirmLabel: 'Roll back',
      message: [h('p', null, `Re-apply exactly what history entry #${entry.id} applied (revision `, h('code', null, shortRevision(entry.revision)), ').'),
        h('p', { class: 'muted' }, 'Automated sync then waits for a new revision instead of undoing the rollback.')],
      checkboxes: [{ name: 'prune', label: 'Prune resources that entry did not have', checked: false }],
      run: (values) => api.rollback(name, entry.id, values.prune),
    });
    if (result) {
      ctx.toast(`Rollback of ${name} to #${entry.id} started${result.historyId !== undefined ? ` (operation #${result.historyId})` : ''}`, 'success');
      soon();
    }
  }

  function loadEvents(seq) {
    load(seq, () => api.events(name), (answer) => {
      const items = Array.isArray(answer.items) ? answer.items : [];
      replace(body, h('div', { class: 'events-view', id: 'events' },
        items.length === 0 ? h('p', { class: 'empty' }, 'No events.')
          : h('table', { class: 'grid' },
            h('thead', null, h('tr', null, ['Time', 'Actor', 'Action', 'Message'].map((c) => h('th', null, c)))),
            h('tbody', null, items.map((e) => h('tr', null, h('td', null, timeEl(e.time)), h('td', null, e.actor || ''),
              h('td', null, e.action || ''), h('td', { class: 'msg' }, e.message || '')))))));
    }, 'events');
  }

  const unsubscribe = store.subscribe((change) => {
    if (change.type === 'mode') return schedulePoll();
    if (!change.names.has(name) && change.type !== 'reset') return;
    const next = store.get(name);
    if (next) setApp(next);
    else if (store.loaded && app) replace(notice, h('p', { class: 'warning' }, `${name} no longer exists.`));
  });

  if (app) setApp(app);
  fetchApp();

  return {
    update(next) {
      const wanted = TABS.some(([id]) => id === next.tab) ? next.tab : 'summary';
      if (wanted === tab) return;
      tab = wanted;
      if (app) showTab(true);
    },
    unmount() {
      destroyed = true;
      unsubscribe();
      clearTimeout(pollTimer);
      clearTimeout(refreshTimer);
      for (const d of document.querySelectorAll('dialog')) d.close();
    },
  };
}
