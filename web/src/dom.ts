// A tiny element builder instead of a UI framework. Text always goes in as
// text nodes, so server data can never turn into markup.

export type Child = Node | string | number | null | undefined | false;

// Handlers are typed with a `never` parameter so that listeners for any
// event type (MouseEvent, DragEvent, ...) can be passed.
type Handler = (event: never) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Handler>;

function apply(node: Element, attrs: Attrs | null | undefined, children: (Child | Child[])[]): void {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (typeof value === 'function') {
      node.addEventListener(key.slice(2), value as EventListener);
    } else if (value === true) {
      node.setAttribute(key, '');
    } else if (value !== false && value !== null && value !== undefined) {
      node.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

/** el('button', {class: 'primary', onclick: run}, 'Run') */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  apply(node, attrs, children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: (Child | Child[])[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  apply(node, attrs, children);
  return node;
}

/** A plain table: header labels and rows of cells. */
export function simpleTable(headers: string[], rows: Child[][], empty = 'Nothing to show.'): HTMLElement {
  if (rows.length === 0) return el('p', { class: 'muted' }, empty);
  return el(
    'table',
    { class: 'plain-table' },
    el('thead', null, el('tr', null, headers.map((h) => el('th', null, h)))),
    el('tbody', null, rows.map((row) => el('tr', null, row.map((cell) => el('td', null, cell))))),
  );
}

/** Shows `message` in `node`, or hides the node when the message is null. */
export function showMessage(node: HTMLElement, message: string | null): void {
  node.textContent = message ?? '';
  node.hidden = message === null;
}
