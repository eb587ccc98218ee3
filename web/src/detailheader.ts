// The head of an object's detail pane: its name, badges, comment and, for what can be
// queried, a "Query in editor" button.

import type { DetailContext } from './context';
import { el } from './dom';

export function badge(text: string): HTMLElement {
  return el('span', { class: 'badge' }, text);
}

export function detailHeader(
  title: string,
  badges: (Node | null)[],
  comment: string | null,
  query?: { ctx: DetailContext; sql: string },
): HTMLElement {
  return el(
    'div',
    { class: 'detail-header' },
    el(
      'div',
      null,
      el('h2', null, title),
      el('div', { class: 'badges' }, badges),
      comment ? el('p', { class: 'comment' }, comment) : null,
    ),
    query
      ? el('button', { 'data-testid': 'query-in-editor', onclick: () => query.ctx.app.openInEditor(query.sql) }, 'Query in editor')
      : null,
  );
}
