// Running a statement through the API: submit, long-poll until done, cancel.

import { ApiError, getJson, isAbort, sendJson, url } from './api';
import type { StatementState, StatementStatus } from './types';

const TERMINAL: ReadonlySet<StatementState> = new Set([
  'FINISHED',
  'ERROR',
  'CANCELED',
  'TIMEDOUT',
  'CLOSED',
]);

export function isTerminal(state: StatementState): boolean {
  return TERMINAL.has(state);
}

export interface RunHandlers {
  /** Called once the server has accepted the statement. */
  onSubmitted?: (id: string) => void;
  /** Called with every status the long-poll returns, the final one included. */
  onStatus: (status: StatementStatus) => void;
}

const POLL_WAIT_S = 2;
/** Network failures (not server answers) tolerated in a row while polling. */
const POLL_RETRIES = 3;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Submits `sql` and polls until a terminal state; returns the final status,
 *  or null when `signal` aborted the wait (the statement keeps running). */
export async function runStatement(
  sql: string,
  handlers: RunHandlers,
  signal: AbortSignal,
): Promise<StatementStatus | null> {
  try {
    const { id } = await sendJson<{ id: string }>('POST', '/api/statements', { sql }, { signal });
    handlers.onSubmitted?.(id);
    let failures = 0;
    for (;;) {
      let status: StatementStatus;
      try {
        status = await getJson<StatementStatus>(
          url`/api/statements/${id}?wait_s=${POLL_WAIT_S}`,
          signal,
        );
        failures = 0;
      } catch (error) {
        if (error instanceof ApiError || isAbort(error) || ++failures > POLL_RETRIES) throw error;
        await sleep(1000);
        continue;
      }
      handlers.onStatus(status);
      if (isTerminal(status.state)) return status;
    }
  } catch (error) {
    if (isAbort(error)) return null;
    throw error;
  }
}

export function cancelStatement(id: string): Promise<StatementStatus> {
  return sendJson<StatementStatus>('POST', url`/api/statements/${id}/cancel`);
}

export function downloadUrl(id: string, format: 'csv' | 'parquet'): string {
  return url`/api/statements/${id}/download?format=${format}`;
}
