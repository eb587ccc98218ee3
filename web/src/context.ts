// What the views share: the session and app-wide navigation.

import type { Session } from './types';

export interface AppContext {
  readonly session: Session;
  /** Puts `sql` into the SQL editor and switches to it. */
  openInEditor(sql: string): void;
  /** Goes to a route, e.g. '#/catalog/table/demo/media/assets'. */
  navigate(hash: string): void;
}

/** A top-level view; `show` gets the route's path after the view name. */
export interface View {
  readonly element: HTMLElement;
  show(path: string[]): void;
  destroy?(): void;
}

/** Handed to the detail pane's renderers in the catalog explorer. */
export interface DetailContext {
  readonly app: AppContext;
  /** Aborted when another object is opened. */
  readonly signal: AbortSignal;
  /** Shows an error in the detail pane. */
  reportError(error: unknown): void;
}
