// Modal dialogs built on <dialog>: a confirmation (rollback, delete) and the sync dialog.
// Everything shown in them is text; they resolve a Promise instead of using window.confirm.
import { h, replace, setText } from '../dom.js';
import { groupKind, resourceKey } from '../format.js';

function modal(id, title, body, actions) {
  const dialog = h('dialog', { class: 'dialog', id, 'aria-labelledby': `${id}-title` },
    h('form', { class: 'dialog-form', method: 'dialog' },
      h('h2', { id: `${id}-title` }, title), body, h('div', { class: 'dialog-actions' }, actions)));
  document.body.appendChild(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.showModal();
  return dialog;
}

// confirm({title, message: [nodes|strings], checkboxes: [{name, label, checked}], confirmLabel,
//          danger, run(values) → Promise}) → Promise<result of run | null when cancelled>.
// `run` executes inside the dialog so its errors are shown there.
export function confirmDialog({ id = 'confirm-dialog', title, message, checkboxes = [], confirmLabel = 'OK', danger = false, run }) {
  return new Promise((resolve) => {
    const boxes = checkboxes.map((c) => {
      const input = h('input', { type: 'checkbox', name: c.name, checked: !!c.checked });
      return { name: c.name, input, label: h('label', { class: 'check' }, input, ` ${c.label}`) };
    });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const ok = h('button', { type: 'submit', class: `btn ${danger ? 'danger' : 'primary'}`, value: 'ok' }, confirmLabel);
    const cancel = h('button', { type: 'button', class: 'btn', value: 'cancel' }, 'Cancel');
    let result = null;
    const dialog = modal(id, title, [h('div', { class: 'dialog-message' }, message), boxes.map((b) => b.label), error], [cancel, ok]);
    cancel.addEventListener('click', () => dialog.close());
    dialog.querySelector('form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const values = Object.fromEntries(boxes.map((b) => [b.name, b.input.checked]));
      ok.disabled = true;
      error.hidden = true;
      try {
        result = run ? await run(values) : values;
        dialog.close();
      } catch (err) {
        setText(error, err.message);
        error.hidden = false;
        ok.disabled = false;
      }
    });
    dialog.addEventListener('close', () => resolve(result));
  });
}

// The sync dialog: revision, prune, dry run, sync options and the resources to sync.
// onSync(body, dryRun) → Promise<operation result | null>; a dry run's result is shown in place.
export function syncDialog({ app, onSync }) {
  const resources = Array.isArray(app.status && app.status.resources) ? app.status.resources : [];
  const policy = (app.spec && app.spec.syncPolicy) || {};
  const revision = h('input', { name: 'revision', id: 'sync-revision', placeholder: (app.spec && app.spec.source && app.spec.source.targetRevision) || 'HEAD' });
  const check = (name, label, checked = false) => {
    const input = h('input', { type: 'checkbox', name, id: `sync-${name}`, checked });
    return { input, label: h('label', { class: 'check', for: `sync-${name}` }, input, ` ${label}`) };
  };
  const prune = check('prune', 'Prune (delete resources that are no longer in git)', !!(policy.automated && policy.automated.prune));
  const dryRun = check('dry-run', 'Dry run (show what would happen, change nothing)');
  const outOfSyncOnly = check('apply-out-of-sync-only', 'Apply out-of-sync resources only');
  const createNs = check('create-namespace', 'Create the destination namespace if missing');
  const items = resources.filter((r) => !r.hook).map((r) => {
    const input = h('input', { type: 'checkbox', checked: true, dataset: { key: resourceKey(r) } });
    return { r, input, label: h('label', { class: 'check resource' }, input, ' ',
      h('span', { class: 'kind' }, groupKind(r.group, r.kind)), ' ', h('span', null, r.namespace ? `${r.namespace}/${r.name}` : r.name),
      r.status ? h('span', { class: `tag s-${/^[A-Za-z]+$/.test(r.status) ? r.status : 'other'}` }, r.status) : null) };
  });
  const all = h('input', { type: 'checkbox', id: 'sync-all', checked: true });
  all.addEventListener('change', () => items.forEach((i) => { i.input.checked = all.checked; }));
  items.forEach((i) => i.input.addEventListener('change', () => {
    const n = items.filter((x) => x.input.checked).length;
    all.checked = n === items.length;
    all.indeterminate = n > 0 && n < items.length;
  }));
  const resourceBox = items.length
    ? h('fieldset', { class: 'resources' }, h('legend', null, 'Resources'),
        h('label', { class: 'check all', for: 'sync-all' }, all, ` All (${items.length})`), h('div', { class: 'resource-list' }, items.map((i) => i.label)))
    : h('p', { class: 'muted' }, 'No resources known yet: the whole app will be synced.');
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const result = h('div', { class: 'dry-run-result', id: 'sync-result' });
  const ok = h('button', { type: 'submit', class: 'btn primary', id: 'sync-submit' }, 'Synchronize');
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Close');
  const dialog = modal('sync-dialog', `Synchronize ${app.metadata.name}`,
    [h('label', { for: 'sync-revision' }, 'Revision'), revision,
      h('div', { class: 'options' }, prune.label, dryRun.label, outOfSyncOnly.label, createNs.label),
      resourceBox, error, result], [cancel, ok]);
  cancel.addEventListener('click', () => dialog.close());
  dryRun.input.addEventListener('change', () => setText(ok, dryRun.input.checked ? 'Dry run' : 'Synchronize'));
  dialog.querySelector('form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = items.filter((i) => i.input.checked);
    if (items.length && chosen.length === 0) {
      setText(error, 'Select at least one resource.');
      error.hidden = false;
      return;
    }
    const body = { prune: prune.input.checked, dryRun: dryRun.input.checked };
    if (revision.value.trim()) body.revision = revision.value.trim();
    if (chosen.length < items.length) {
      body.resources = chosen.map(({ r }) => ({ group: r.group || '', kind: r.kind, namespace: r.namespace || '', name: r.name }));
    }
    const options = [];
    if (outOfSyncOnly.input.checked) options.push('ApplyOutOfSyncOnly=true');
    if (createNs.input.checked) options.push('CreateNamespace=true');
    if (options.length) body.syncOptions = { items: options };
    ok.disabled = true;
    error.hidden = true;
    replace(result);
    try {
      const answer = await onSync(body, body.dryRun);
      if (body.dryRun && answer) {
        replace(result, operationResult(answer));
        ok.disabled = false;
      } else {
        dialog.close();
      }
    } catch (err) {
      setText(error, err.message);
      error.hidden = false;
      ok.disabled = false;
    }
  });
  return dialog;
}

// An operation result (sync/rollback with wait): phase, message and one row per resource.
export function operationResult(op) {
  const rows = Array.isArray(op.resources) ? op.resources : [];
  return h('div', { class: 'op-result' },
    h('p', null, h('strong', null, `Result: ${op.phase || 'unknown'}`), op.message ? ` — ${op.message}` : ''),
    rows.length
      ? h('table', { class: 'grid compact' },
          h('thead', null, h('tr', null, ['Kind', 'Name', 'Status', 'Message'].map((c) => h('th', null, c)))),
          h('tbody', null, rows.map((r) => h('tr', null, h('td', null, groupKind(r.group, r.kind)),
            h('td', null, r.namespace ? `${r.namespace}/${r.name}` : r.name), h('td', null, r.status || ''), h('td', null, r.message || '')))))
      : h('p', { class: 'muted' }, 'No resources would change.'));
}
