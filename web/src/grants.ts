// The grants table shown for tables, views and volumes.

import { el, simpleTable } from './dom';
import type { Grant } from './types';

export function grantsTable(grants: Grant[]): HTMLElement {
  return simpleTable(
    ['Principal', 'Privilege'],
    grants.map((g) => [g.principal, el('code', null, g.privilege)]),
    'No grants.',
  );
}
