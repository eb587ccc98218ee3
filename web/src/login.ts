// The sign-in page.

import { errorMessage, sendJson } from './api';
import { el, showMessage } from './dom';
import type { Session } from './types';

/** Fills `root` with the sign-in form; `onSignedIn` gets the new session. */
export function showLogin(
  root: HTMLElement,
  message: string | null,
  onSignedIn: (session: Session) => void,
): void {
  const user = el('input', { name: 'user', autocomplete: 'username', required: true });
  const password = el('input', { name: 'password', type: 'password', autocomplete: 'current-password' });
  const submit = el('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const info = el('p', { class: 'login-message', 'data-testid': 'login-message' });
  const error = el('p', { class: 'login-error', 'data-testid': 'login-error', role: 'alert' });
  showMessage(info, message);
  showMessage(error, null);

  const form = el(
    'form',
    { id: 'login-form', class: 'login-card' },
    el('div', { class: 'brand login-brand' }, el('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'lakelens'),
    el('p', { class: 'muted' }, 'Sign in to the SQL console'),
    info,
    el('label', null, 'User', user),
    el('label', null, 'Password', password),
    submit,
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    showMessage(error, null);
    try {
      const session = await sendJson<Session>(
        'POST',
        '/api/session',
        { user: user.value, password: password.value },
        { expiry: false },
      );
      onSignedIn(session);
    } catch (e) {
      showMessage(error, errorMessage(e));
      submit.disabled = false;
    }
  });

  root.replaceChildren(el('div', { class: 'login-page' }, form));
  user.focus();
}
