// DOM helpers. Every value from the API reaches the page through these as text (text nodes,
// textContent, attribute values): nothing here parses HTML, so a name, annotation, commit or
// condition message is always shown literally.

// h('a', {class: 'link', href: '#/apps', onclick: fn}, 'text', child, [more])
// Attributes: `class`, `text`, `dataset` (object), `on<event>` (function), booleans (set when
// true), anything else through setAttribute. `style` and `innerHTML` are refused on purpose.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = String(value);
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
      else if (key === 'style' || key === 'innerHTML' || key === 'outerHTML') throw new Error(`h(): ${key} is not allowed`);
      else if (value === true) el.setAttribute(key, '');
      else el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

// Appends strings (as text nodes), numbers, nodes and nested arrays; skips null/undefined/false.
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
  return parent;
}

// Replaces all children of `parent`.
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

// Sets text only when it differs (avoids needless layout work on live updates).
export function setText(el, text) {
  const value = text === undefined || text === null ? '' : String(text);
  if (el.textContent !== value) el.textContent = value;
}

// Sets an attribute only when it differs; null removes it.
export function setAttr(el, name, value) {
  if (value === null || value === undefined) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== String(value)) {
    el.setAttribute(name, String(value));
  }
}
