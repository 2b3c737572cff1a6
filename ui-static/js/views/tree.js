// The resource tree (GET /resource-tree): top-level resources grouped by kind, children nested
// under their parentRefs, and an app of apps' child Applications as nodes that open in place
// (their own tree, fetched on first open) or as their own page.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { groupKind, icon } from '../format.js';

const KIND_ORDER = ['Application', 'Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'Role', 'ClusterRole',
  'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'Service', 'Deployment', 'StatefulSet', 'DaemonSet',
  'ReplicaSet', 'Pod', 'Job', 'CronJob', 'Ingress'];

const keyOf = (n) => `${n.group || ''}/${n.kind || ''}/${n.namespace || ''}/${n.name || ''}`;

function kindRank(kind) {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

// Renders `nodes` into a list of kind groups. `visited` holds the apps already on the path (a
// cycle in an app of apps must not recurse forever).
export function renderTree(nodes, { visited = new Set(), depth = 0 } = {}) {
  if (!Array.isArray(nodes) || nodes.length === 0) return h('p', { class: 'muted' }, 'No resources.');
  const byKey = new Map(nodes.map((n) => [keyOf(n), n]));
  const children = new Map();
  const roots = [];
  for (const n of nodes) {
    const parents = (Array.isArray(n.parentRefs) ? n.parentRefs : []).map(keyOf).filter((k) => byKey.has(k) && k !== keyOf(n));
    if (parents.length === 0) roots.push(n);
    for (const p of parents) {
      if (!children.has(p)) children.set(p, []);
      children.get(p).push(n);
    }
  }
  const groups = new Map();
  for (const n of roots) {
    if (!groups.has(n.kind)) groups.set(n.kind, []);
    groups.get(n.kind).push(n);
  }
  const kinds = [...groups.keys()].sort((a, b) => kindRank(a) - kindRank(b) || String(a).localeCompare(String(b)));
  return h('div', { class: 'tree' }, kinds.map((kind) => {
    const list = groups.get(kind).sort((a, b) => String(a.name).localeCompare(String(b.name)));
    return h('details', { class: 'kind-group', open: true, dataset: { kind } },
      h('summary', null, h('span', { class: 'kind' }, kind), h('span', { class: 'count' }, String(list.length))),
      h('ul', { class: 'nodes' }, list.map((n) => renderNode(n, children, visited, depth, new Set()))));
  }));
}

function nodeLabel(n) {
  const health = n.health && n.health.status;
  const blank = () => h('span', { class: 'icon-only none', 'aria-hidden': 'true' }, ' ');
  return [
    // Resources the app does not manage itself (a Deployment's ReplicaSets) have no sync status.
    n.status ? icon('sync', n.status) : blank(),
    health ? icon('health', health) : blank(),
    h('span', { class: 'kind' }, groupKind(n.group, n.kind)),
    h('span', { class: 'name' }, n.name || ''),
    n.namespace ? h('span', { class: 'ns' }, n.namespace) : null,
    n.status ? h('span', { class: 'status-text' }, n.status) : null,
    n.health && n.health.message ? h('span', { class: 'health-msg' }, n.health.message) : null,
  ];
}

function renderNode(n, children, visited, depth, path) {
  const key = keyOf(n);
  const kids = path.has(key) ? [] : (children.get(key) || []);
  const nextPath = new Set(path).add(key);
  const sub = kids.length ? h('ul', { class: 'nodes' }, kids.map((c) => renderNode(c, children, visited, depth, nextPath))) : null;
  if (n.app) return h('li', { class: 'node app-node' }, childApp(n, visited, depth), sub);
  return h('li', { class: 'node', dataset: { kind: n.kind || '', name: n.name || '' } }, h('div', { class: 'node-row' }, nodeLabel(n)), sub);
}

// A child Application: a <details> whose body is that app's tree, loaded when first opened.
function childApp(n, visited, depth) {
  const name = String(n.app);
  const body = h('div', { class: 'child-tree' });
  const details = h('details', { class: 'child-app', dataset: { app: name } },
    h('summary', null, nodeLabel(n), h('a', { class: 'open-app', href: `#/apps/${encodeURIComponent(name)}`, title: `Open ${name}` }, 'open ↗')));
  details.appendChild(body);
  let loaded = false;
  details.addEventListener('toggle', async () => {
    if (!details.open || loaded) return;
    loaded = true;
    if (visited.has(name) || depth >= 6) {
      replace(body, h('p', { class: 'muted' }, `${name} is already shown above (a cycle in the app of apps).`));
      return;
    }
    replace(body, h('p', { class: 'loading' }, 'Loading…'));
    try {
      const tree = await api.resourceTree(name);
      replace(body, renderTree(tree.nodes, { visited: new Set(visited).add(name), depth: depth + 1 }));
    } catch (e) {
      loaded = false;
      replace(body, h('p', { class: 'error-text', role: 'alert' }, `The tree of ${name} could not be loaded: ${e.message}`));
    }
  });
  return details;
}
