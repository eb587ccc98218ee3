// Full-size image overlay; a click anywhere or Escape closes it.

import { el } from './dom';

export function openLightbox(src: string, caption: string): void {
  const close = (): void => {
    overlay.remove();
    document.removeEventListener('keydown', onKey);
  };
  const onKey = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') close();
  };
  const overlay = el(
    'div',
    { class: 'lightbox', role: 'dialog', 'aria-label': caption, onclick: close },
    el('img', { src, alt: caption }),
    el(
      'div',
      { class: 'lightbox-bar' },
      el('span', null, caption),
      el('a', { href: src, target: '_blank', rel: 'noopener', onclick: (e: MouseEvent) => e.stopPropagation() }, 'Open in new tab'),
    ),
  );
  document.addEventListener('keydown', onKey);
  document.body.append(overlay);
}
