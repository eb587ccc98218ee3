// Hash routes: #/<view>/<path segments…>, each segment percent-encoded.

export type ObjectKind = 'table' | 'volume' | 'function';

export interface Route {
  view: string;
  path: string[];
}

export function parseRoute(hash: string): Route {
  const [view = '', ...path] = hash.replace(/^#\/?/, '').split('/').map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
  return { view, path };
}

/** Route of a catalog object's detail, e.g. objectRoute('table', 'demo', 'media', 'assets'). */
export function objectRoute(kind: ObjectKind, ...parts: string[]): string {
  return `#/catalog/${kind}/${parts.map(encodeURIComponent).join('/')}`;
}
