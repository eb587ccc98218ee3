// Detail of a table or view: columns, properties, history, a sample of its
// rows, grants and lineage.

import { getJson, url } from './api';
import type { DetailContext } from './context';
import { badge, detailHeader } from './detailheader';
import { el, simpleTable } from './dom';
import { formatSeconds, formatTime } from './format';
import { grantsTable } from './grants';
import { lineageGraph } from './lineage';
import { ResultsGrid } from './results';
import { objectRoute } from './routes';
import { runStatement } from './statements';
import { createTabs } from './tabs';
import type { LineageNode, TableDetail } from './types';

export async function renderTableDetail(
  body: HTMLElement,
  ctx: DetailContext,
  catalog: string,
  schema: string,
  table: string,
): Promise<void> {
  const detail = await getJson<TableDetail>(url`/api/tables/${catalog}/${schema}/${table}`, ctx.signal);
  body.replaceChildren(
    detailHeader(
      detail.name,
      [badge(detail.type), detail.format ? badge(detail.format) : null],
      detail.comment,
      { ctx, sql: `SELECT * FROM ${detail.name} LIMIT 100` },
    ),
    createTabs([
      {
        id: 'columns',
        label: `Columns (${detail.columns.length})`,
        content: () =>
          simpleTable(
            ['Name', 'Type', 'Comment'],
            detail.columns.map((c) => [el('code', null, c.name), el('code', { class: 'type' }, c.type), c.comment ?? '']),
          ),
      },
      {
        id: 'properties',
        label: 'Properties',
        content: () =>
          simpleTable(
            ['Property', 'Value'],
            Object.entries(detail.properties).map(([k, v]) => [el('code', null, k), v]),
            'No properties.',
          ),
      },
      {
        id: 'history',
        label: 'History',
        content: () =>
          simpleTable(
            ['Version', 'Time', 'Operation', 'User'],
            detail.history.map((h) => [String(h.version), formatTime(h.timestamp), h.operation, h.user]),
            'No history (only Delta and Iceberg tables keep one).',
          ),
      },
      { id: 'sample', label: 'Sample', content: () => samplePanel(detail.sample_sql, ctx) },
      { id: 'grants', label: 'Grants', content: () => grantsTable(detail.grants) },
      {
        id: 'lineage',
        label: 'Lineage',
        content: () =>
          el(
            'div',
            { class: 'lineage-panel' },
            lineageGraph(
              { name: detail.name, type: detail.type },
              detail.lineage.upstream,
              detail.lineage.downstream,
              lineageRoute,
            ),
          ),
      },
    ]),
  );
}

/** Lineage neighbours with a three-part name open in the explorer. */
function lineageRoute(node: LineageNode): string | null {
  const parts = node.name.split('.');
  if (parts.length !== 3) return null;
  return objectRoute(node.type.toUpperCase() === 'VOLUME' ? 'volume' : 'table', ...parts);
}

/** Runs the table's sample query and shows it in a results grid. */
function samplePanel(sql: string, ctx: DetailContext): HTMLElement {
  const grid = new ResultsGrid('Running the sample query…');
  const state = el('span', { class: 'sample-state' }, 'PENDING');
  runStatement(
    sql,
    { onStatus: (status) => (state.textContent = `${status.state} · ${formatSeconds(status.elapsed_s)}`) },
    ctx.signal,
  )
    .then((final) => {
      if (!final) return;
      if (final.error) ctx.reportError(final.error.message);
      if (final.state === 'FINISHED') void grid.load(final.id, final.columns);
      else grid.clear(`The sample query ended in state ${final.state}.`);
    })
    .catch((error: unknown) => {
      grid.clear(null);
      ctx.reportError(error);
    });
  return el('div', { class: 'sample' }, el('div', { class: 'sample-bar' }, el('code', null, sql), state), grid.element);
}
