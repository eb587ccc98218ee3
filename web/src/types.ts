// Shapes of the server's JSON payloads (see the console API contract).

export interface Session {
  user: string;
  csrf_token: string;
  auth: 'none' | 'plain';
  catalog: string;
  schema: string;
  admin: boolean;
}

export type StatementState =
  | 'PENDING'
  | 'RUNNING'
  | 'FINISHED'
  | 'ERROR'
  | 'CANCELED'
  | 'TIMEDOUT'
  | 'CLOSED';

export interface Column {
  name: string;
  type: string;
}

export interface StageProgress {
  stage_id: number;
  status: 'RUNNING' | 'PENDING' | 'SUCCEEDED' | 'SKIPPED';
  total: number;
  completed: number;
  running: number;
  failed: number;
}

export interface StatementError {
  error_class: string | null;
  sqlstate: string | null;
  message: string;
  line: number | null;
  column: number | null;
}

export interface StatementStatus {
  id: string;
  sql: string;
  state: StatementState;
  elapsed_s: number;
  progress: { fraction: number; stages: StageProgress[] } | null;
  columns: Column[] | null;
  error: StatementError | null;
  catalog: string;
  schema: string;
}

export interface BinaryValue {
  size: number;
  mime: string;
  name: string | null;
  url: string | null;
}

/** One result cell as the server encodes it in JSON. */
export type Cell =
  | null
  | boolean
  | number
  | string
  | Cell[]
  | { $binary: BinaryValue }
  | { $map: [Cell, Cell][] }
  | { $text: string; length: number }
  | { [field: string]: Cell };

export interface RowsPage {
  columns: Column[];
  offset: number;
  rows: Cell[][];
  has_more: boolean;
  row_count: number | null;
  truncated: boolean;
}

/** One of the user's statements, from the server's audit log (any client's). */
export interface HistoryEntry {
  sql: string;
  state: 'FINISHED' | 'ERROR';
  started_at: string;
  /** web-console, hiveserver2 (…), flight-sql (…). */
  client: string | null;
  error: string | null;
}

export interface Grant {
  principal: string;
  privilege: string;
}

export interface LineageNode {
  name: string;
  type: string;
  /** On an edge next to the object: the functions applied on the way, "embed_text, ocr". */
  functions?: string | null;
}

export interface TableDetail {
  name: string;
  type: 'TABLE' | 'VIEW';
  format: string | null;
  comment: string | null;
  columns: { name: string; type: string; comment: string | null }[];
  properties: Record<string, string>;
  history: { version: number; timestamp: string; operation: string; user: string }[];
  grants: Grant[];
  lineage: { upstream: LineageNode[]; downstream: LineageNode[] };
  sample_sql: string;
}

export interface VolumeDetail {
  name: string;
  type: 'MANAGED' | 'EXTERNAL';
  comment: string | null;
  owner: string | null;
  grants: Grant[];
  path: string;
  /** The user holds WRITE VOLUME on it. */
  writable: boolean;
}

export interface SchemaObjects {
  tables: { name: string; type: 'TABLE' | 'VIEW' }[];
  volumes: { name: string }[];
  /** The contract leaves the entries' shape open: accept names or {name}. */
  functions: (string | { name: string })[];
}

export interface FunctionSummary {
  name: string;
  /** extract, clean, filter, dedup, embed … */
  class: string;
  modality: string;
  /** ocr(image BINARY [, lang STRING] …) → STRING */
  signature: string;
}

export interface CompletionData {
  functions: string[];
  tables: Record<string, string[]>;
}

export interface DirectoryEntry {
  path: string;
  name: string;
  is_directory: boolean;
  file_size?: number;
  last_modified?: number;
}

export interface FileVersion {
  path: string;
  version: number;
  file_size: number;
  status: 'OVERWRITTEN' | 'REMOVED' | 'CURRENT';
  last_modified: number;
  changed_by: string;
  expires: number | null;
}

export interface RecipeParam {
  name: string;
  default: string;
  kind: 'name' | 'number' | 'word';
}

export interface Recipe {
  name: string;
  description: string;
  params: RecipeParam[];
  sql: string;
}
