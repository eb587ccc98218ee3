// A lazily loaded tree node: a clickable row and a list of children.

import { errorMessage } from './api';
import { el, type Attrs } from './dom';

export interface TreeNodeOptions {
  label: string;
  /** Attributes of the row (data-node, data-kind, title). */
  attrs?: Attrs;
  /** A grouping row (Tables, Views, …) rather than an object. */
  group?: boolean;
  /** Children known up front; the node starts expanded. */
  children?: TreeNode[];
  /** Children fetched on first expand. */
  load?: () => Promise<TreeNode[]>;
  /** Called when the row is clicked (in addition to toggling). */
  onSelect?: () => void;
  /** Called when `load` fails (the error is also shown in the tree). */
  onError?: (error: unknown) => void;
}

export class TreeNode {
  readonly element: HTMLLIElement;
  readonly row: HTMLElement;
  private readonly childList: HTMLUListElement;
  private loading: Promise<void> | null = null;

  constructor(private readonly options: TreeNodeOptions) {
    const expandable = Boolean(options.children || options.load);
    this.row = el(
      'div',
      { ...options.attrs, class: options.group ? 'tree-row tree-group' : 'tree-row', role: 'treeitem', tabindex: 0 },
      el('span', { class: expandable ? 'twisty' : 'twisty leaf', 'aria-hidden': 'true' }),
      el('span', { class: 'tree-icon', 'aria-hidden': 'true' }),
      el('span', { class: 'tree-label' }, options.label),
    );
    this.row.addEventListener('click', () => this.activate());
    this.row.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        this.activate();
      }
    });
    this.childList = el('ul', { class: 'tree-children', role: 'group', hidden: true });
    this.element = el('li', null, this.row, this.childList);
    if (options.children) {
      this.childList.append(...options.children.map((child) => child.element));
      this.loading = Promise.resolve();
      this.setExpanded(true);
    } else if (options.load) {
      this.setExpanded(false);
    }
  }

  /** Expands the node, loading its children the first time. */
  expand(): Promise<void> {
    this.setExpanded(true);
    this.loading ??= this.loadChildren();
    return this.loading;
  }

  private activate(): void {
    if (this.options.children || this.options.load) {
      if (this.childList.hidden) void this.expand();
      else this.setExpanded(false);
    }
    this.options.onSelect?.();
  }

  private setExpanded(expanded: boolean): void {
    this.childList.hidden = !expanded;
    this.row.setAttribute('aria-expanded', String(expanded));
  }

  private async loadChildren(): Promise<void> {
    this.childList.replaceChildren(el('li', { class: 'tree-note' }, 'Loading…'));
    try {
      const children = (await this.options.load?.()) ?? [];
      this.childList.replaceChildren(...children.map((child) => child.element));
      if (children.length === 0) this.childList.append(el('li', { class: 'tree-note' }, 'Empty'));
    } catch (error) {
      this.loading = null; // a later expand tries again
      this.childList.replaceChildren(el('li', { class: 'tree-note error' }, errorMessage(error)));
      this.options.onError?.(error);
    }
  }
}
