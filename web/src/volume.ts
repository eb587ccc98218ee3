// Detail of a volume: its files, recycle bin and grants.

import { getJson, url } from './api';
import type { DetailContext } from './context';
import { badge, detailHeader } from './detailheader';
import { el } from './dom';
import { FileBrowser } from './files';
import { RecycleBin } from './recyclebin';
import { grantsTable } from './grants';
import { createTabs } from './tabs';
import type { VolumeDetail } from './types';

export async function renderVolumeDetail(
  body: HTMLElement,
  ctx: DetailContext,
  catalog: string,
  schema: string,
  volume: string,
): Promise<void> {
  const detail = await getJson<VolumeDetail>(url`/api/volumes/${catalog}/${schema}/${volume}`, ctx.signal);
  const browser = new FileBrowser(detail.path, ctx, detail.writable);
  const bin = new RecycleBin(detail.path, ctx, () => void browser.refresh());
  body.replaceChildren(
    detailHeader(
      detail.name,
      [
        badge('VOLUME'),
        badge(detail.type),
        detail.owner ? el('span', { class: 'muted' }, `owner ${detail.owner}`) : null,
        el('code', { class: 'muted' }, detail.path),
      ],
      detail.comment,
      { ctx, sql: `SELECT name, content FROM ${detail.name}` },
    ),
    createTabs([
      { id: 'files', label: 'Files', content: () => browser.element, onShow: () => void browser.refresh() },
      {
        id: 'recycle-bin',
        label: 'Recycle bin',
        attrs: { 'data-testid': 'recycle-bin' },
        content: () => bin.element,
        onShow: () => void bin.refresh(),
      },
      { id: 'grants', label: 'Grants', content: () => grantsTable(detail.grants) },
    ]),
  );
}
