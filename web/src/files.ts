// The volume file browser: folders, thumbnails, downloads, deletes and
// uploads (file picker or drag and drop).

import { ApiError, errorMessage, fsUrl, getJson, request } from './api';
import type { DetailContext } from './context';
import { el } from './dom';
import { formatBytes, formatTime } from './format';
import { openLightbox } from './lightbox';
import type { DirectoryEntry } from './types';

const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'svg', 'avif']);

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

function fileIcon(entry: DirectoryEntry): HTMLElement {
  if (entry.is_directory) return el('span', { class: 'file-icon folder', 'aria-hidden': 'true' });
  const ext = extension(entry.name);
  return el('span', { class: 'file-icon', 'data-ext': ext, 'aria-hidden': 'true' }, ext.slice(0, 4) || 'file');
}

interface DirectoryPage {
  contents?: DirectoryEntry[];
  next_page_token?: string;
}

export class FileBrowser {
  readonly element: HTMLElement;
  private readonly breadcrumb: HTMLElement;
  private readonly rows: HTMLTableSectionElement;
  private readonly more: HTMLButtonElement;
  private readonly uploadStatus: HTMLElement;
  private directory: string;
  private nextToken: string | null = null;
  /** Bumped on every listing, so that a late answer for another folder is dropped. */
  private generation = 0;

  /** `writable`: the user holds WRITE VOLUME, so uploads and deletes are offered (the server
   *  checks again either way). */
  constructor(
    private readonly root: string,
    private readonly ctx: DetailContext,
    private readonly writable: boolean,
  ) {
    this.directory = root;
    this.breadcrumb = el('nav', { class: 'breadcrumb', 'aria-label': 'Folder' });
    this.rows = el('tbody');
    this.more = el('button', { class: 'load-more', hidden: true, onclick: () => void this.loadPage(this.nextToken) }, 'Load more');
    this.uploadStatus = el('div', { class: 'upload-status', 'data-testid': 'upload-status', 'aria-live': 'polite' });

    const input = el('input', { type: 'file', multiple: true, class: 'visually-hidden', 'data-testid': 'upload-input' });
    input.addEventListener('change', () => {
      const files = Array.from(input.files ?? []);
      input.value = '';
      void this.upload(files);
    });
    const dropZone = el(
      'label',
      { class: 'drop-zone', 'data-testid': 'drop-zone' },
      input,
      el('span', null, 'Drop files here to upload them to this folder, or '),
      el('span', { class: 'link' }, 'choose files'),
    );
    dropZone.addEventListener('dragover', (event) => {
      event.preventDefault();
      dropZone.classList.add('dragging');
    });
    dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
    dropZone.addEventListener('drop', (event) => {
      event.preventDefault();
      dropZone.classList.remove('dragging');
      void this.upload(Array.from(event.dataTransfer?.files ?? []));
    });

    this.element = el(
      'div',
      { class: 'file-browser', 'data-testid': 'file-browser' },
      this.breadcrumb,
      el(
        'table',
        { class: 'file-list' },
        el('thead', null, el('tr', null, el('th'), el('th', null, 'Name'), el('th', null, 'Size'), el('th', null, 'Modified'), el('th'))),
        this.rows,
      ),
      this.more,
      writable ? dropZone : el('p', { class: 'muted' }, 'You may read this volume; uploading and deleting need WRITE VOLUME.'),
      this.uploadStatus,
    );
  }

  /** Lists the current folder again. */
  refresh(): Promise<void> {
    return this.loadPage(null);
  }

  private open(directory: string): void {
    this.directory = directory;
    void this.refresh();
  }

  /** Loads the first page (token null) or appends the page after `token`. */
  private async loadPage(token: string | null): Promise<void> {
    const generation = ++this.generation;
    this.renderBreadcrumb();
    const query = token ? `?page_token=${encodeURIComponent(token)}` : '';
    try {
      const page = await getJson<DirectoryPage>(fsUrl('directories', this.directory) + query, this.ctx.signal);
      if (generation !== this.generation) return;
      // Folders first, each group in the server's order.
      const entries = [...(page.contents ?? [])].sort((a, b) => Number(b.is_directory) - Number(a.is_directory));
      const rows = entries.map((entry) => this.row(entry));
      if (token === null) this.rows.replaceChildren(...rows);
      else this.rows.append(...rows);
      if (this.rows.childElementCount === 0) {
        this.rows.append(el('tr', null, el('td', { colspan: 5, class: 'muted empty' }, 'This folder is empty.')));
      }
      this.nextToken = page.next_page_token ?? null;
      this.more.hidden = this.nextToken === null;
    } catch (error) {
      if (generation === this.generation) this.ctx.reportError(error);
    }
  }

  private renderBreadcrumb(): void {
    const relative = this.directory.slice(this.root.length).split('/').filter((s) => s !== '');
    const crumbs = [this.root.split('/').pop() ?? this.root, ...relative];
    this.breadcrumb.replaceChildren(
      ...crumbs.flatMap((name, i) => {
        const target = [this.root, ...relative.slice(0, i)].join('/');
        const crumb =
          i === crumbs.length - 1
            ? el('span', { class: 'crumb current' }, name)
            : el('button', { class: 'crumb link', onclick: () => this.open(target) }, name);
        return i === 0 ? [crumb] : [el('span', { class: 'crumb-sep' }, '/'), crumb];
      }),
    );
  }

  private row(entry: DirectoryEntry): HTMLTableRowElement {
    const href = fsUrl('files', entry.path);
    let preview: HTMLElement = fileIcon(entry);
    if (!entry.is_directory && IMAGE_EXTENSIONS.has(extension(entry.name))) {
      preview = el('img', { class: 'file-thumb', loading: 'lazy', src: href, alt: entry.name, onclick: () => openLightbox(href, entry.name) });
    }
    const name = entry.is_directory
      ? el('button', { class: 'link folder-link', onclick: () => this.open(entry.path.replace(/\/$/, '')) }, `${entry.name}/`)
      : el('span', null, entry.name);
    const remove = el('button', { class: 'small danger', 'data-action': 'delete', title: `Delete ${entry.name}` }, 'Delete');
    remove.addEventListener('click', () => void this.remove(entry, remove));
    return el(
      'tr',
      { 'data-file': entry.name, 'data-type': entry.is_directory ? 'directory' : 'file' },
      el('td', { class: 'file-preview' }, preview),
      el('td', { class: 'file-name' }, name),
      el('td', { class: 'file-size' }, entry.is_directory ? '' : formatBytes(entry.file_size ?? 0)),
      el('td', { class: 'file-modified' }, formatTime(entry.last_modified)),
      el(
        'td',
        { class: 'file-actions' },
        entry.is_directory
          ? null
          : [el('a', { class: 'link-button small', 'data-action': 'download', href, download: entry.name }, 'Download'),
             this.writable ? remove : null],
      ),
    );
  }

  private async remove(entry: DirectoryEntry, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await request('DELETE', fsUrl('files', entry.path));
      await this.refresh();
    } catch (error) {
      button.disabled = false;
      this.ctx.reportError(error);
    }
  }

  /** Uploads one file after another, then lists the folder again. */
  private async upload(files: File[]): Promise<void> {
    if (files.length === 0) return;
    const directory = this.directory;
    this.uploadStatus.replaceChildren();
    for (const [i, file] of files.entries()) {
      const line = el('div', { class: 'upload-line' }, `Uploading ${file.name} (${i + 1}/${files.length})…`);
      this.uploadStatus.append(line);
      try {
        line.textContent = await this.uploadFile(directory, file);
      } catch (error) {
        line.textContent = `${file.name}: ${errorMessage(error)}`;
        line.classList.add('error');
      }
    }
    await this.refresh();
  }

  /** PUTs one file; on a name clash asks before overwriting. Returns the outcome. */
  private async uploadFile(directory: string, file: File): Promise<string> {
    const put = (overwrite: boolean): Promise<Response> =>
      request('PUT', `${fsUrl('files', `${directory}/${file.name}`)}?overwrite=${overwrite}`, { body: file });
    try {
      await put(false);
      return `Uploaded ${file.name} (${formatBytes(file.size)})`;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error;
      if (!window.confirm(`${file.name} already exists in this folder. Overwrite it?`)) {
        return `Skipped ${file.name}: it already exists.`;
      }
      await put(true);
      return `Replaced ${file.name} (${formatBytes(file.size)})`;
    }
  }
}
