// The catalog explorer: a lazily loaded tree of catalogs, schemas and their
// objects on the left, the selected object's detail on the right.

import { errorMessage, getJson, isAbort, url } from './api';
import type { AppContext, DetailContext, View } from './context';
import { badge, detailHeader } from './detailheader';
import { el, showMessage } from './dom';
import { objectRoute, type ObjectKind } from './routes';
import { renderTableDetail } from './tabledetail';
import { TreeNode } from './tree';
import type { FunctionSummary, SchemaObjects } from './types';
import { renderVolumeDetail } from './volume';

export class CatalogView implements View {
  readonly element: HTMLElement;
  private readonly tree: HTMLUListElement;
  private readonly detailError: HTMLElement;
  private readonly detailBody: HTMLElement;
  /** Loaded nodes by `${kind}:${dotted name}`, to reveal a routed object. */
  private readonly nodes = new Map<string, TreeNode>();
  private functionsNode: TreeNode | null = null;
  private rootLoaded: Promise<void> | null = null;
  private selectedRow: HTMLElement | null = null;
  private detailController: AbortController | null = null;
  private shownPath: string | null = null;

  constructor(private readonly app: AppContext) {
    this.tree = el('ul', { class: 'tree', role: 'tree', 'data-testid': 'catalog-tree' });
    this.detailError = el('div', { class: 'detail-error', 'data-testid': 'detail-error', role: 'alert', hidden: true });
    this.detailBody = el('div', { class: 'detail-body' });
    this.element = el(
      'section',
      { class: 'view catalog-view' },
      el(
        'aside',
        { class: 'sidebar' },
        el(
          'div',
          { class: 'sidebar-header' },
          el('span', null, 'Catalog'),
          el('button', { class: 'icon-button', title: 'Reload the tree', onclick: () => void this.reload() }, '⟳'),
        ),
        this.tree,
      ),
      el('main', { class: 'detail', 'data-testid': 'object-detail' }, this.detailError, this.detailBody),
    );
  }

  show(path: string[]): void {
    this.rootLoaded ??= this.loadRoot();
    const key = path.join('/');
    // Coming back to the view (same route, or the bare #/catalog of the nav
    // link) keeps the open detail as it was.
    if (key === this.shownPath || (key === '' && this.shownPath !== null)) return;
    this.shownPath = key;
    const [kind, ...parts] = path;
    this.openDetail(kind, parts);
  }

  destroy(): void {
    this.detailController?.abort();
  }

  private reload(): Promise<void> {
    this.nodes.clear();
    this.rootLoaded = this.loadRoot();
    return this.rootLoaded;
  }

  private reportError = (error: unknown): void => {
    showMessage(this.detailError, errorMessage(error));
  };

  private register(key: string, node: TreeNode): TreeNode {
    this.nodes.set(key, node);
    return node;
  }

  private async loadRoot(): Promise<void> {
    this.tree.replaceChildren(el('li', { class: 'tree-note' }, 'Loading…'));
    try {
      const { catalogs } = await getJson<{ catalogs: { name: string; comment: string | null }[] }>('/api/catalogs');
      const catalogNodes = catalogs.map((c) =>
        this.register(
          `catalog:${c.name}`,
          new TreeNode({
            label: c.name,
            attrs: { 'data-node': c.name, 'data-kind': 'catalog', title: c.comment },
            load: () => this.loadSchemas(c.name),
            onError: this.reportError,
          }),
        ),
      );
      this.functionsNode = new TreeNode({
        label: 'Functions',
        group: true,
        load: () => this.loadFunctions(),
        onError: this.reportError,
      });
      this.tree.replaceChildren(...catalogNodes.map((n) => n.element), this.functionsNode.element);
    } catch (error) {
      this.tree.replaceChildren(el('li', { class: 'tree-note error' }, errorMessage(error)));
      this.reportError(error);
    }
  }

  private async loadSchemas(catalog: string): Promise<TreeNode[]> {
    const { schemas } = await getJson<{ schemas: { name: string }[] }>(url`/api/catalogs/${catalog}/schemas`);
    return schemas.map((s) => {
      const name = `${catalog}.${s.name}`;
      return this.register(
        `schema:${name}`,
        new TreeNode({
          label: s.name,
          attrs: { 'data-node': name, 'data-kind': 'schema' },
          load: () => this.loadObjects(catalog, s.name),
          onError: this.reportError,
        }),
      );
    });
  }

  private async loadObjects(catalog: string, schema: string): Promise<TreeNode[]> {
    const objects = await getJson<SchemaObjects>(url`/api/catalogs/${catalog}/schemas/${schema}/objects`);
    const leaf = (kind: string, name: string, route: ObjectKind, routeParts: string[]): TreeNode => {
      const node = `${catalog}.${schema}.${name}`;
      return this.register(
        `${route}:${routeParts.join('.')}`,
        new TreeNode({
          label: name,
          attrs: { 'data-node': node, 'data-kind': kind, title: node },
          onSelect: () => this.app.navigate(objectRoute(route, ...routeParts)),
        }),
      );
    };
    const objectLeaf = (kind: 'table' | 'view' | 'volume', name: string): TreeNode =>
      leaf(kind, name, kind === 'volume' ? 'volume' : 'table', [catalog, schema, name]);
    const functionNames = objects.functions.map((f) => (typeof f === 'string' ? f : f.name));
    const groups: [string, TreeNode[]][] = [
      ['Tables', objects.tables.filter((t) => t.type !== 'VIEW').map((t) => objectLeaf('table', t.name))],
      ['Views', objects.tables.filter((t) => t.type === 'VIEW').map((t) => objectLeaf('view', t.name))],
      ['Volumes', objects.volumes.map((v) => objectLeaf('volume', v.name))],
      // Schema functions are opened by their qualified name.
      ['Functions', functionNames.map((f) => leaf('function', f, 'function', [`${catalog}.${schema}.${f}`]))],
    ];
    return groups
      .filter(([, children]) => children.length > 0)
      .map(([label, children]) => new TreeNode({ label: `${label} (${children.length})`, group: true, children }));
  }

  /** lakelens' function library (SHOW FUNCTIONS), under the tree's "Functions" group. */
  private async loadFunctions(): Promise<TreeNode[]> {
    const { functions } = await getJson<{ functions: FunctionSummary[] }>('/api/functions');
    return functions.map((f) =>
      this.register(
        `function:${f.name}`,
        new TreeNode({
          label: f.name,
          attrs: { 'data-node': f.name, 'data-kind': 'function', title: f.signature },
          onSelect: () => this.app.navigate(objectRoute('function', f.name)),
        }),
      ),
    );
  }

  private openDetail(kind: string | undefined, parts: string[]): void {
    this.detailController?.abort();
    const controller = new AbortController();
    this.detailController = controller;
    showMessage(this.detailError, null);
    const ctx: DetailContext = {
      app: this.app,
      signal: controller.signal,
      reportError: (error) => {
        if (!controller.signal.aborted) this.reportError(error);
      },
    };

    let rendering: Promise<void>;
    if (kind === 'table' && parts.length === 3) {
      rendering = renderTableDetail(this.detailBody, ctx, parts[0], parts[1], parts[2]);
    } else if (kind === 'volume' && parts.length === 3) {
      rendering = renderVolumeDetail(this.detailBody, ctx, parts[0], parts[1], parts[2]);
    } else if (kind === 'function' && parts.length === 1) {
      rendering = renderFunctionDetail(this.detailBody, ctx, parts[0]);
    } else {
      this.highlight(null);
      this.detailBody.replaceChildren(
        el('div', { class: 'empty-detail' }, 'Select a table, view, volume or function in the tree to see its details.'),
      );
      return;
    }
    this.detailBody.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
    rendering.catch((error: unknown) => {
      if (isAbort(error) || controller.signal.aborted) return;
      this.detailBody.replaceChildren();
      ctx.reportError(error);
    });
    void this.reveal(kind, parts);
  }

  /** Expands the tree down to a routed object and highlights it. */
  private async reveal(kind: ObjectKind, parts: string[]): Promise<void> {
    await this.rootLoaded;
    if (parts.length === 3) {
      await this.nodes.get(`catalog:${parts[0]}`)?.expand();
      await this.nodes.get(`schema:${parts[0]}.${parts[1]}`)?.expand();
    } else {
      await this.functionsNode?.expand();
    }
    this.highlight(this.nodes.get(`${kind}:${parts.join('.')}`)?.row ?? null);
  }

  private highlight(row: HTMLElement | null): void {
    this.selectedRow?.classList.remove('selected');
    this.selectedRow = row;
    row?.classList.add('selected');
    row?.scrollIntoView({ block: 'nearest' });
  }
}

async function renderFunctionDetail(body: HTMLElement, ctx: DetailContext, name: string): Promise<void> {
  const fn = await getJson<{ name: string; description: string }>(url`/api/functions/${name}`, ctx.signal);
  body.replaceChildren(
    detailHeader(fn.name, [badge('FUNCTION')], null),
    el('pre', { class: 'function-description' }, fn.description),
  );
}
