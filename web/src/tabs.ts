// Tabs whose panels are built on first use.

import { el } from './dom';

export interface Tab {
  /** Becomes the button's data-tab attribute. */
  id: string;
  label: string;
  /** Extra attributes for the tab button (e.g. a data-testid). */
  attrs?: Record<string, string>;
  content: () => Node;
  /** Called each time the tab is shown, after its content is built. */
  onShow?: () => void;
}

export function createTabs(tabs: Tab[]): HTMLElement {
  const panel = el('div', { class: 'tab-panel' });
  const built = new Map<string, Node>();
  const buttons = tabs.map((tab) =>
    el(
      'button',
      { ...tab.attrs, class: 'tab', role: 'tab', 'data-tab': tab.id, onclick: () => select(tab) },
      tab.label,
    ),
  );
  const select = (tab: Tab): void => {
    buttons.forEach((button) => button.setAttribute('aria-selected', String(button.dataset.tab === tab.id)));
    let content = built.get(tab.id);
    if (!content) {
      content = tab.content();
      built.set(tab.id, content);
    }
    panel.replaceChildren(content);
    tab.onShow?.();
  };
  select(tabs[0]);
  return el('div', { class: 'tabs' }, el('div', { class: 'tab-bar', role: 'tablist' }, buttons), panel);
}
