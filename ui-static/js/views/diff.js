// Diff rendering: a unified diff text (as the API gives it) shown unified or side by side.
// Lines are placed with textContent, so manifest content is never interpreted as HTML.
import { h } from '../dom.js';

const MAX_LINES = 4000;

// Parses unified diff text into rows: {type: meta|hunk|ctx|add|del, text, old, new}.
export function parseUnified(text) {
  const rows = [];
  let oldLine = 0, newLine = 0;
  const lines = String(text || '').split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    if (line.startsWith('@@')) {
      const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
      if (m) {
        oldLine = Number(m[1]);
        newLine = Number(m[2]);
      }
      rows.push({ type: 'hunk', text: line });
    } else if (line.startsWith('---') || line.startsWith('+++') || line.startsWith('diff ') || line.startsWith('index ')) {
      rows.push({ type: 'meta', text: line });
    } else if (line.startsWith('+')) {
      rows.push({ type: 'add', text: line.slice(1), new: newLine++ });
    } else if (line.startsWith('-')) {
      rows.push({ type: 'del', text: line.slice(1), old: oldLine++ });
    } else if (line.startsWith('\\')) {
      rows.push({ type: 'meta', text: line });
    } else {
      rows.push({ type: 'ctx', text: line.startsWith(' ') ? line.slice(1) : line, old: oldLine++, new: newLine++ });
    }
  }
  return rows;
}

const td = (cls, text) => h('td', { class: cls }, text === undefined ? '' : String(text));
const SIGN = { add: '+', del: '-', ctx: ' ' };

export function renderUnified(rows) {
  const shown = rows.slice(0, MAX_LINES);
  return h('table', { class: 'diff unified' },
    h('colgroup', null, h('col', { class: 'ln-col' }), h('col', { class: 'ln-col' }), h('col')),
    h('tbody', null, shown.map((r) => (r.type === 'hunk' || r.type === 'meta'
      ? h('tr', { class: r.type }, h('td', { class: 'code', colspan: '3' }, r.text))
      : h('tr', { class: r.type }, td('ln', r.old), td('ln', r.new), h('td', { class: 'code' }, h('span', { class: 'sign', 'aria-hidden': 'true' }, SIGN[r.type]), r.text))))),
    rows.length > MAX_LINES ? h('tfoot', null, h('tr', null, h('td', { colspan: '3', class: 'muted' }, `… ${rows.length - MAX_LINES} more lines not shown`))) : null);
}

// Side by side: runs of removed and added lines are paired row by row.
export function renderSplit(rows) {
  const out = [];
  let i = 0;
  while (i < rows.length && out.length < MAX_LINES) {
    const r = rows[i];
    if (r.type === 'hunk' || r.type === 'meta') {
      if (r.type === 'hunk') out.push(h('tr', { class: 'hunk' }, h('td', { class: 'code', colspan: '4' }, r.text)));
      i++;
    } else if (r.type === 'ctx') {
      out.push(h('tr', { class: 'ctx' }, td('ln', r.old), td('code', r.text), td('ln', r.new), td('code', r.text)));
      i++;
    } else {
      const dels = [], adds = [];
      while (i < rows.length && rows[i].type === 'del') dels.push(rows[i++]);
      while (i < rows.length && rows[i].type === 'add') adds.push(rows[i++]);
      for (let k = 0; k < Math.max(dels.length, adds.length); k++) {
        const d = dels[k], a = adds[k];
        out.push(h('tr', { class: 'pair' },
          td(`ln ${d ? 'del' : 'empty'}`, d ? d.old : ''), td(`code ${d ? 'del' : 'empty'}`, d ? d.text : ''),
          td(`ln ${a ? 'add' : 'empty'}`, a ? a.new : ''), td(`code ${a ? 'add' : 'empty'}`, a ? a.text : '')));
      }
    }
  }
  return h('table', { class: 'diff split' },
    h('colgroup', null, h('col', { class: 'ln-col' }), h('col'), h('col', { class: 'ln-col' }), h('col')),
    h('thead', null, h('tr', null, h('th', { colspan: '2' }, 'Live'), h('th', { colspan: '2' }, 'Desired (git)'))),
    h('tbody', null, out));
}

// Field managers of an item: what the server names, else the live object's managedFields.
export function fieldManagers(item) {
  const named = item.fieldManager || item.manager || item.managers;
  if (named) return Array.isArray(named) ? named.map(String) : [String(named)];
  const managed = item.liveState && item.liveState.metadata && item.liveState.metadata.managedFields;
  if (!Array.isArray(managed)) return [];
  const out = [];
  for (const m of managed) {
    if (!m || !m.manager) continue;
    const label = m.operation ? `${m.manager} (${m.operation})` : String(m.manager);
    if (!out.includes(label)) out.push(label);
  }
  return out;
}
