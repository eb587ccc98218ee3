// HTTP plumbing: credentials, CSRF header, JSON bodies, error payloads and
// the "session expired" hook that sends the user back to the sign-in page.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let sessionExpired: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called on any 401 outside the sign-in calls themselves. */
export function onSessionExpired(handler: () => void): void {
  sessionExpired = handler;
}

export interface RequestOptions {
  /** Serialized as the JSON body. */
  json?: unknown;
  /** A raw body (an upload); ignored when `json` is given. */
  body?: BodyInit;
  signal?: AbortSignal;
  /** False for the sign-in calls, where a 401 is an answer, not an expiry. */
  expiry?: boolean;
}

export async function request(
  method: string,
  url: string,
  options: RequestOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) {
    headers['X-CSRF-Token'] = csrfToken;
  }
  const response = await fetch(url, {
    method,
    headers,
    body,
    credentials: 'same-origin',
    signal: options.signal,
  });
  if (response.ok) return response;
  const error = await errorFrom(response);
  if (response.status === 401 && options.expiry !== false) sessionExpired();
  throw error;
}

async function errorFrom(response: Response): Promise<ApiError> {
  try {
    const payload = (await response.json()) as { error_code?: string; message?: string };
    if (payload.message) {
      return new ApiError(response.status, payload.error_code ?? 'UNKNOWN', payload.message);
    }
  } catch {
    // Not JSON (a proxy's error page, say): fall back to the status line.
  }
  const text = `HTTP ${response.status} ${response.statusText}`.trim();
  return new ApiError(response.status, 'UNKNOWN', text);
}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const response = await request('GET', url, { signal });
  return (await response.json()) as T;
}

export async function sendJson<T>(
  method: string,
  url: string,
  json?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const response = await request(method, url, { ...options, json });
  return (await response.json()) as T;
}

/** Tagged template that percent-encodes every interpolated value:
 *  url`/api/tables/${c}/${s}/${t}` is safe for any name. */
export function url(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((out, part, i) => out + encodeURIComponent(String(values[i - 1])) + part);
}

/** URL of a volume path in the Files API, each path segment encoded.
 *  `kind` is the Files API resource: files, directories or versions. */
export function fsUrl(
  kind: 'files' | 'directories' | 'versions',
  volumePath: string,
): string {
  const segments = volumePath.split('/').filter((s) => s !== '').map(encodeURIComponent);
  const trailing = kind === 'files' ? '' : '/';
  return `/api/2.0/fs/${kind}/${segments.join('/')}${trailing}`;
}

/** A message for the user from anything thrown by a call. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
