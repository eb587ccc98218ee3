// The results grid: one server-side page of rows at a time, with a pager
// and download links. Used by the SQL editor and the table sample tab.

import { errorMessage, getJson, url } from './api';
import { renderCell } from './cells';
import { el, showMessage } from './dom';
import { downloadUrl } from './statements';
import type { Column, RowsPage } from './types';

const PAGE_SIZE = 100;

export class ResultsGrid {
  readonly element: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly info: HTMLElement;
  private readonly csv: HTMLAnchorElement;
  private readonly parquet: HTMLAnchorElement;
  private readonly scroller: HTMLElement;
  private readonly notice: HTMLElement;
  private statementId: string | null = null;
  private offset = 0;
  /** Bumped on every load, so that a late answer for an old page is dropped. */
  private generation = 0;

  constructor(placeholder = 'Run a query to see its results here.') {
    this.prev = el('button', { class: 'icon-button', 'data-testid': 'page-prev', title: 'Previous page', onclick: () => this.turn(-1) }, '‹');
    this.next = el('button', { class: 'icon-button', 'data-testid': 'page-next', title: 'Next page', onclick: () => this.turn(1) }, '›');
    this.info = el('span', { class: 'page-info', 'data-testid': 'page-info' });
    this.csv = el('a', { class: 'link-button', 'data-testid': 'download-csv', download: 'result.csv' }, 'CSV');
    this.parquet = el('a', { class: 'link-button', 'data-testid': 'download-parquet', download: 'result.parquet' }, 'Parquet');
    this.bar = el(
      'div',
      { class: 'results-bar' },
      this.prev,
      this.info,
      this.next,
      el('span', { class: 'spacer' }),
      el('span', { class: 'muted' }, 'Download'),
      this.csv,
      this.parquet,
    );
    this.scroller = el('div', { class: 'results-scroll' });
    this.notice = el('div', { class: 'results-notice' });
    this.element = el('div', { class: 'results', 'data-testid': 'results' }, this.bar, this.notice, this.scroller);
    this.clear(placeholder);
  }

  /** Empties the grid, showing `message` in its place. */
  clear(message: string | null = null): void {
    this.generation += 1;
    this.statementId = null;
    this.bar.hidden = true;
    this.scroller.replaceChildren();
    this.setNotice(message);
  }

  /** Shows the first page of a finished statement's result. */
  load(statementId: string, columns: Column[] | null): Promise<void> {
    if (columns !== null && columns.length === 0) {
      this.clear('The statement finished; it returned no result set.');
      return Promise.resolve();
    }
    this.statementId = statementId;
    this.csv.href = downloadUrl(statementId, 'csv');
    this.parquet.href = downloadUrl(statementId, 'parquet');
    return this.loadPage(0);
  }

  private turn(direction: number): void {
    void this.loadPage(Math.max(0, this.offset + direction * PAGE_SIZE));
  }

  private async loadPage(offset: number): Promise<void> {
    const id = this.statementId;
    if (id === null) return;
    const generation = ++this.generation;
    this.prev.disabled = true;
    this.next.disabled = true;
    try {
      const page = await getJson<RowsPage>(url`/api/statements/${id}/rows?offset=${offset}&limit=${PAGE_SIZE}`);
      if (generation !== this.generation) return;
      this.offset = offset;
      this.render(page);
    } catch (error) {
      if (generation !== this.generation) return;
      this.scroller.replaceChildren();
      this.setNotice(`Could not load the rows: ${errorMessage(error)}`, true);
    }
  }

  private render(page: RowsPage): void {
    const first = page.offset + 1;
    const last = page.offset + page.rows.length;
    // Without has_more the end is known even when row_count is not given.
    const total = page.row_count ?? (page.has_more ? null : last);
    this.info.textContent =
      page.rows.length === 0 ? `rows 0 of ${total ?? 'many'}` : `rows ${first}–${last} of ${total ?? 'many'}`;
    this.prev.disabled = page.offset === 0;
    this.next.disabled = !page.has_more;
    this.bar.hidden = false;
    this.setNotice(page.truncated ? 'The result was truncated by the server’s row limit.' : null);

    const table = el(
      'table',
      { class: 'grid' },
      el(
        'thead',
        null,
        el(
          'tr',
          null,
          page.columns.map((column) =>
            el('th', null, el('div', { class: 'col-name' }, column.name), el('div', { class: 'col-type' }, column.type)),
          ),
        ),
      ),
      el(
        'tbody',
        null,
        page.rows.map((row) =>
          el(
            'tr',
            null,
            row.map((value) => el('td', { class: typeof value === 'number' ? 'num' : null }, renderCell(value))),
          ),
        ),
      ),
    );
    this.scroller.replaceChildren(table);
    this.scroller.scrollTo(0, 0);
  }

  private setNotice(message: string | null, isError = false): void {
    showMessage(this.notice, message);
    this.notice.classList.toggle('error', isError);
  }
}
