// The query history view: this user's statements, newest first; a click
// loads one back into the editor.

import { errorMessage, getJson } from './api';
import type { AppContext, View } from './context';
import { el, showMessage } from './dom';
import { formatTime } from './format';
import type { HistoryEntry } from './types';

export class HistoryView implements View {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly error: HTMLElement;
  private readonly empty: HTMLElement;

  constructor(private readonly ctx: AppContext) {
    this.list = el('ul', { class: 'history-list' });
    this.error = el('p', { class: 'error-text', role: 'alert', hidden: true });
    this.empty = el('p', { class: 'muted', hidden: true }, 'No statements yet.');
    this.element = el(
      'section',
      { class: 'view page-view', 'data-testid': 'history' },
      el(
        'div',
        { class: 'page-header' },
        el('h1', null, 'Query history'),
        el('span', { class: 'spacer' }),
        el('button', { onclick: () => void this.load() }, 'Refresh'),
      ),
      this.error,
      this.empty,
      this.list,
    );
  }

  show(): void {
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const { statements } = await getJson<{ statements: HistoryEntry[] }>('/api/history?limit=50');
      showMessage(this.error, null);
      this.list.replaceChildren(...statements.map((entry) => this.row(entry)));
      this.empty.hidden = statements.length > 0;
    } catch (error) {
      showMessage(this.error, errorMessage(error));
    }
  }

  private row(entry: HistoryEntry): HTMLLIElement {
    const open = (): void => this.ctx.openInEditor(entry.sql);
    return el(
      'li',
      {
        class: 'history-entry',
        tabindex: 0,
        title: entry.sql,
        onclick: open,
        onkeydown: (event: KeyboardEvent) => {
          if (event.key === 'Enter') open();
        },
      },
      el('span', { class: 'state-badge', 'data-state': entry.state }, entry.state),
      el('span', { class: 'history-time' }, formatTime(entry.started_at)),
      el('span', { class: 'history-client' }, entry.client ?? ''),
      el('code', { class: 'history-sql' }, entry.sql.replace(/\s+/g, ' ').trim()),
      entry.error ? el('span', { class: 'history-error', title: entry.error }, entry.error.split(' ')[0]) : null,
    );
  }
}
