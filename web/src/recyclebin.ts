// A volume's recycle bin: removed files whose content is still kept as a
// version, each restorable.

import { errorMessage, fsUrl, getJson, sendJson } from './api';
import type { DetailContext } from './context';
import { el, showMessage } from './dom';
import { formatBytes, formatTime } from './format';
import type { FileVersion } from './types';

export class RecycleBin {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly message: HTMLElement;

  constructor(
    private readonly volumePath: string,
    private readonly ctx: DetailContext,
    private readonly onRestored: () => void,
  ) {
    this.list = el('div');
    this.message = el('p', { class: 'notice', hidden: true, 'aria-live': 'polite' });
    this.element = el(
      'div',
      { class: 'recycle-bin-panel' },
      el('p', { class: 'muted' }, 'Deleted files are kept here until they expire.'),
      this.message,
      this.list,
    );
  }

  async refresh(): Promise<void> {
    try {
      const { versions } = await getJson<{ versions: FileVersion[] }>(fsUrl('versions', this.volumePath), this.ctx.signal);
      const removed = versions
        .filter((v) => v.status === 'REMOVED')
        .sort((a, b) => b.last_modified - a.last_modified);
      if (removed.length === 0) {
        this.list.replaceChildren(el('p', { class: 'muted empty' }, 'The recycle bin is empty.'));
        return;
      }
      const headers = ['Path', 'Version', 'Size', 'Deleted by', 'Deleted', 'Kept until', ''];
      this.list.replaceChildren(
        el(
          'table',
          { class: 'plain-table' },
          el('thead', null, el('tr', null, headers.map((h) => el('th', null, h)))),
          el('tbody', null, removed.map((v) => this.row(v))),
        ),
      );
    } catch (error) {
      this.ctx.reportError(error);
    }
  }

  private row(version: FileVersion): HTMLTableRowElement {
    const cells = [
      el('code', null, this.relative(version.path)),
      String(version.version),
      formatBytes(version.file_size),
      version.changed_by,
      formatTime(version.last_modified),
      version.expires === null ? 'no expiry' : formatTime(version.expires),
      this.restoreButton(version),
    ];
    return el(
      'tr',
      { 'data-path': version.path, 'data-version': version.version },
      cells.map((cell) => el('td', null, cell)),
    );
  }

  private relative(path: string): string {
    return path.startsWith(`${this.volumePath}/`) ? path.slice(this.volumePath.length + 1) : path;
  }

  private restoreButton(version: FileVersion): HTMLButtonElement {
    const button = el('button', { class: 'small', 'data-action': 'restore' }, 'Restore');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const { restored } = await sendJson<{ restored: string }>('POST', '/api/volumes/restore', {
          path: version.path,
          version: version.version,
        });
        showMessage(this.message, `Restored ${this.relative(restored)}.`);
        this.onRestored();
        await this.refresh();
      } catch (error) {
        button.disabled = false;
        showMessage(this.message, null);
        this.ctx.reportError(`Restore failed: ${errorMessage(error)}`);
      }
    });
    return button;
  }
}
