// Spark SQL language support for CodeMirror: highlighting (a Spark dialect,
// which lang-sql does not ship) and completion of names the user can see.

import type { Completion, CompletionContext, CompletionResult, CompletionSource } from '@codemirror/autocomplete';
import { syntaxTree } from '@codemirror/language';
import { SQLDialect, sql, type SQLNamespace } from '@codemirror/lang-sql';
import type { Extension } from '@codemirror/state';
import type { CompletionData } from './types';

// Spark SQL keywords (reserved and common non-reserved ones) and types.
const KEYWORDS =
  'add after all alter always analyze and anti any archive as asc at authorization between both bucket buckets by ' +
  'cache cascade case cast catalog catalogs change check clear cluster clustered collate collection column columns ' +
  'comment commit compute constraint create cross cube current current_date current_time current_timestamp ' +
  'current_user data database databases dbproperties delete delimited desc describe directory distinct distribute ' +
  'div drop else end escape except exists explain extended external false fetch fields fileformat first following ' +
  'for foreign format formatted from full function functions global grant group grouping having if ignore ilike ' +
  'in inner inpath insert intersect interval into is join keys last lateral lazy leading left like limit lines ' +
  'list load local location lock matched merge minus msck namespace namespaces natural no not null nulls of on ' +
  'only option options or order outer over overwrite partition partitioned partitions percent pivot preceding ' +
  'primary purge qualify range recover reduce references refresh rename repair replace reset respect restrict ' +
  'revoke right rlike role roles rollback rollup row rows schema schemas select semi serde session_user set sets ' +
  'show some sort sorted statistics stored table tables tablesample tblproperties temporary then to trailing ' +
  'transaction true truncate unbounded uncache union unique unknown unpivot unset update use user using values ' +
  'version view views volume volumes when where window with within';
const TYPES =
  'array bigint binary boolean byte char date decimal dec double float int integer interval long map numeric ' +
  'real short smallint string struct timestamp timestamp_ltz timestamp_ntz tinyint varchar variant void';

export const SparkSQL = SQLDialect.define({
  keywords: KEYWORDS,
  types: TYPES,
  identifierQuotes: '`',
  caseInsensitiveIdentifiers: true,
  doubleQuotedStrings: true,
  backslashEscapes: true,
});

/** Table names as the user may write them: fully qualified, relative to the
 *  current catalog, and bare for tables of the current schema. */
function namespaceFor(tables: Record<string, string[]>, catalog: string, schema: string): SQLNamespace {
  const namespace: Record<string, string[]> = {};
  for (const [name, columns] of Object.entries(tables)) {
    namespace[name] = columns;
    const [c, s, t] = name.split('.');
    if (t !== undefined && c === catalog) {
      namespace[`${s}.${t}`] = columns;
      if (s === schema) namespace[t] = columns;
    }
  }
  return namespace;
}

/** Completes plain words (function names) outside strings,
 *  comments and qualified names (those are the schema source's job). */
function wordSource(options: Completion[]): CompletionSource {
  return (context: CompletionContext): CompletionResult | null => {
    const word = context.matchBefore(/\w+/);
    if (!word && !context.explicit) return null;
    const from = word ? word.from : context.pos;
    if (context.state.sliceDoc(from - 1, from) === '.') return null;
    const node = syntaxTree(context.state).resolveInner(context.pos, -1);
    if (/String|Comment|QuotedIdentifier/.test(node.name)) return null;
    return { from, options, validFor: /^\w*$/ };
  };
}

/** The SQL language extension for the given completion data and the
 *  session's current catalog and schema. */
export function sqlLanguage(data: CompletionData | null, catalog: string, schema: string): Extension {
  if (!data) return sql({ dialect: SparkSQL, upperCaseKeywords: true });
  const words: Completion[] = data.functions.map((name) => ({ label: name, type: 'function', boost: 1 }));
  return [
    sql({
      dialect: SparkSQL,
      upperCaseKeywords: true,
      schema: namespaceFor(data.tables, catalog, schema),
    }),
    SparkSQL.language.data.of({ autocomplete: wordSource(words) }),
  ];
}
