// The signed-in application: top bar, hash routing and the views.

import { CatalogView } from './catalog';
import type { AppContext, View } from './context';
import { el } from './dom';
import { SqlEditorView } from './editorview';
import { HistoryView } from './history';
import { RecipesView } from './recipes';
import { parseRoute } from './routes';
import type { Session } from './types';

const NAV: [view: string, label: string][] = [
  ['editor', 'SQL editor'],
  ['catalog', 'Catalog'],
  ['recipes', 'Recipes'],
  ['history', 'History'],
];

export class Shell {
  readonly element: HTMLElement;
  private readonly editor: SqlEditorView;
  private readonly views = new Map<string, View>();
  private readonly factories: Record<string, () => View>;
  private readonly content: HTMLElement;
  private readonly navLinks = new Map<string, HTMLAnchorElement>();
  private current: View | null = null;
  private readonly onHashChange = (): void => this.route();

  constructor(session: Session, initialSql: string, onSignOut: () => void) {
    const ctx: AppContext = {
      session,
      openInEditor: (sql) => {
        this.editor.setSql(sql);
        this.navigate('#/editor');
      },
      navigate: (hash) => this.navigate(hash),
    };
    this.editor = new SqlEditorView(ctx, initialSql);
    this.views.set('editor', this.editor);
    // The other views are built when first visited.
    this.factories = {
      catalog: () => new CatalogView(ctx),
      recipes: () => new RecipesView(ctx),
      history: () => new HistoryView(ctx),
    };

    for (const [view, label] of NAV) {
      this.navLinks.set(view, el('a', { class: 'nav-link', href: `#/${view}`, 'data-testid': `nav-${view}` }, label));
    }
    this.content = el('div', { class: 'content' });
    this.element = el(
      'div',
      { class: 'shell' },
      el(
        'header',
        { class: 'topbar' },
        el('a', { class: 'brand', href: '#/editor' }, el('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'lakelens'),
        el('nav', { class: 'nav' }, [...this.navLinks.values()]),
        el('span', { class: 'spacer' }),
        el(
          'span',
          { class: 'user' },
          el('span', { class: 'avatar', 'aria-hidden': 'true' }, session.user.slice(0, 1).toUpperCase()),
          el('span', { 'data-testid': 'current-user' }, session.user),
          session.admin ? el('span', { class: 'badge' }, 'admin') : null,
        ),
        el('button', { class: 'ghost', 'data-testid': 'logout', onclick: onSignOut }, 'Sign out'),
      ),
      this.content,
    );
    window.addEventListener('hashchange', this.onHashChange);
    this.route();
  }

  getSql(): string {
    return this.editor.getSql();
  }

  setSql(text: string): void {
    this.editor.setSql(text);
  }

  destroy(): void {
    window.removeEventListener('hashchange', this.onHashChange);
    for (const view of this.views.values()) view.destroy?.();
  }

  private navigate(hash: string): void {
    if (location.hash === hash) this.route();
    else location.hash = hash;
  }

  private route(): void {
    const { view, path } = parseRoute(location.hash);
    const name = this.views.has(view) || view in this.factories ? view : 'editor';
    let target = this.views.get(name);
    if (!target) {
      target = this.factories[name]();
      this.views.set(name, target);
    }
    if (target !== this.current) {
      // Only the shown view stays in the document; the others keep their state.
      this.current?.element.querySelectorAll('audio, video').forEach((media) => (media as HTMLMediaElement).pause());
      this.content.replaceChildren(target.element);
      this.current = target;
    }
    for (const [view, link] of this.navLinks) link.classList.toggle('active', view === name);
    target.show(path);
  }
}
