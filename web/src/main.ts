// Entry point: checks the session, then shows the sign-in page or the app.

import './style.css';
import { ApiError, errorMessage, onSessionExpired, request, setCsrfToken } from './api';
import { showLogin } from './login';
import { Shell } from './shell';
import type { Session } from './types';

declare global {
  interface Window {
    /** Hooks for browser tests. */
    lakelensConsole: { setSql(text: string): void; getSql(): string };
  }
}

const root = document.getElementById('app') as HTMLElement;
let shell: Shell | null = null;
/** Editor text kept while signed out, so that it survives a re-sign-in. */
let pendingSql = '';

window.lakelensConsole = {
  setSql(text) {
    if (shell) shell.setSql(text);
    else pendingSql = text;
  },
  getSql() {
    return shell ? shell.getSql() : pendingSql;
  },
};

function start(session: Session): void {
  setCsrfToken(session.csrf_token);
  shell = new Shell(session, pendingSql, () => void signOut());
  root.replaceChildren(shell.element);
}

function stop(): void {
  if (!shell) return;
  pendingSql = shell.getSql();
  shell.destroy();
  shell = null;
  setCsrfToken(null);
}

function signIn(message: string | null): void {
  showLogin(root, message, start);
}

async function signOut(): Promise<void> {
  try {
    await request('DELETE', '/api/session', { expiry: false });
  } catch {
    // Signed out either way: the page forgets the session.
  }
  stop();
  signIn('You have signed out.');
}

onSessionExpired(() => {
  if (!shell) return;
  stop();
  signIn('Your session expired. Sign in again.');
});

async function boot(): Promise<void> {
  try {
    const response = await request('GET', '/api/session', { expiry: false });
    start((await response.json()) as Session);
  } catch (error) {
    const unauthenticated = error instanceof ApiError && error.status === 401;
    signIn(unauthenticated ? null : `Could not check the session: ${errorMessage(error)}`);
  }
}

void boot();
