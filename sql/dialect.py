"""The `lakelens` SQL dialect: Spark SQL plus the catalog and volume statements.

sqlglot's Spark dialect round-trips Spark SQL, but it does not know the statements a
lakehouse catalog adds (``CREATE CATALOG``, ``CREATE VOLUME``, ``SHOW VOLUMES``, ``LIST
'/Volumes/…'``, ``PUT … INTO …``, ``RESTORE TABLE … TO VERSION AS OF``, …): it either
fails or falls back to an opaque ``Command``. This dialect subclasses Spark and parses
them into real expression nodes, so every statement reaching the planner has an AST.

>>> import sqlglot
>>> sqlglot.parse_one("SHOW VOLUMES IN demo.media LIKE 'sc*'", read=Lakelens)
ShowObjects(this=VOLUMES, scope=[demo, media], like='sc*')
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.tokens import TokenType

from ..udfs import FUNCTIONS as _LIBRARY

# Library function names (and their try_ twins), upper-case as sqlglot keys its parsers.
LIBRARY_NAMES = frozenset(n.upper() for spec in _LIBRARY.values()
                          for n in (spec.name, *((f"try_{spec.name}",) if spec.reads_media else ())))


class LakelensStatement(exp.Expression):
    """Base of lakelens-only statements (answered by the catalog, never sent to Spark)."""

    def __repr__(self) -> str:  # compact and stable, used in docs and errors
        args = ", ".join(f"{k}={v!r}" for k, v in self.args.items() if v not in (None, False, []))
        return f"{type(self).__name__}({args})"


class CreateCatalog(LakelensStatement):
    arg_types = {"this": True, "exists": False, "comment": False}


class DropCatalog(LakelensStatement):
    arg_types = {"this": True, "exists": False, "cascade": False}


class AlterCatalog(LakelensStatement):
    arg_types = {"this": True, "owner": False, "rename": False, "properties": False}


class CreateVolume(LakelensStatement):
    arg_types = {"this": True, "exists": False, "external": False, "location": False, "comment": False}


class DropVolume(LakelensStatement):
    arg_types = {"this": True, "exists": False, "purge": False}


class AlterObject(LakelensStatement):
    """`ALTER SCHEMA|VOLUME|TABLE|VIEW name [SET] OWNER TO user` (Spark has no AST for it), and
    `ALTER SCHEMA name SET DBPROPERTIES (…)`."""

    arg_types = {"kind": True, "this": True, "owner": False, "rename": False, "properties": False}


class ShowDropped(LakelensStatement):
    """`SHOW TABLES|VOLUMES DROPPED [IN|FROM schema] [LIMIT n]` (Databricks' recycle bin)."""

    arg_types = {"this": True, "scope": False, "limit": False}


class Undrop(LakelensStatement):
    """`UNDROP TABLE|VIEW|VOLUME name` or `… WITH ID 'uuid'`; `PURGE …` (purge=True) takes
    the same forms and deletes from the recycle bin instead."""

    arg_types = {"kind": True, "this": False, "drop_id": False, "purge": False}


class ListVersions(LakelensStatement):
    """`LIST VERSIONS '/Volumes/…'`."""

    arg_types = {"this": True}


class RestoreFile(LakelensStatement):
    """`RESTORE '/Volumes/…' [TO VERSION n]`, and `PURGE '/Volumes/…'` (purge=True): a volume
    file's (or directory's) kept versions."""

    arg_types = {"this": True, "version": False, "purge": False}


class ShowObjects(LakelensStatement):
    """SHOW CATALOGS|SCHEMAS|TABLES|VIEWS|VOLUMES|FUNCTIONS|TABLE EXTENDED|TBLPROPERTIES|
    PARTITIONS|CREATE TABLE|COLUMNS [IN|FROM scope] [LIKE pattern]."""

    arg_types = {"this": True, "scope": False, "like": False, "target": False}


class DescribeObject(LakelensStatement):
    """DESCRIBE [CATALOG|SCHEMA|TABLE|VOLUME|HISTORY|FUNCTION] [EXTENDED] name."""

    arg_types = {"kind": False, "this": True, "extended": False}


class CommentOn(LakelensStatement):
    arg_types = {"kind": True, "this": True, "comment": True}


class ListFiles(LakelensStatement):
    arg_types = {"this": True}


class RemoveFiles(LakelensStatement):
    arg_types = {"this": True, "recursive": False}


class PutFile(LakelensStatement):
    arg_types = {"this": True, "target": True, "overwrite": False}


class GetFile(LakelensStatement):
    arg_types = {"this": True, "target": True, "overwrite": False}


class RestoreTable(LakelensStatement):
    arg_types = {"this": True, "version": False, "timestamp": False}


class ExplainStatement(LakelensStatement):
    arg_types = {"this": True, "mode": False}


class GrantStatement(LakelensStatement):
    """`GRANT|REVOKE privilege[, …] ON <kind> <name> TO|FROM principal[, …]`; `this` is the
    securable's name parts (a path string for an EXTERNAL LOCATION)."""

    arg_types = {"this": True, "kind": True, "privileges": True, "principals": True, "revoke": False}


class ShowGrants(LakelensStatement):
    """`SHOW GRANTS [principal] [ON <kind> <name>]` (Databricks' order), or `SHOW GRANTS TO principal`."""

    arg_types = {"this": False, "kind": False, "principal": False}


class UserCommand(LakelensStatement):
    """`CREATE USER [IF NOT EXISTS] u [WITH PASSWORD 'p'] [ADMIN]`, `ALTER USER u SET PASSWORD 'p' |
    SET ADMIN true|false`, `DROP USER [IF EXISTS] u`."""

    arg_types = {"this": True, "action": True, "password": False, "admin": False, "exists": False}


class GroupCommand(LakelensStatement):
    """`CREATE GROUP [IF NOT EXISTS] g`, `DROP GROUP [IF EXISTS] g`, `ALTER GROUP g ADD|DROP USER u[, …]`."""

    arg_types = {"this": True, "action": True, "members": False, "exists": False}


class WorkspaceCommand(LakelensStatement):
    """`CREATE WORKSPACE [IF NOT EXISTS] w [COMMENT '…']`, `DROP WORKSPACE [IF EXISTS] w`,
    `ALTER WORKSPACE w ADD|DROP USER|GROUP p[, …]`, `ALTER WORKSPACE w BIND|UNBIND CATALOG c |
    SCHEMA c.s`, `ALTER WORKSPACE w SET (max_concurrent_queries = 4, max_gpus = 1)`."""

    arg_types = {"this": True, "action": True, "members": False, "kind": False, "target": False,
                 "properties": False, "exists": False, "comment": False}


class DescribeLineage(LakelensStatement):
    """`DESCRIBE LINEAGE name [UPSTREAM | DOWNSTREAM] [DEPTH n]`."""

    arg_types = {"this": True, "direction": False, "depth": False}


SECURABLE_WORDS = ("CATALOG", "SCHEMA", "DATABASE", "TABLE", "VIEW", "VOLUME", "FUNCTION")


class FileRelation(exp.Expression):
    """Spark's path relation with reader options, ``binaryFile.`/dir` WITH ('k'='v')``, which
    sqlglot's Spark dialect can neither parse nor build: the Lakelens generator writes it.
    Only the resolver creates these nodes (from catalog locations), never the parser."""

    arg_types = {"format": True, "path": True, "options": False}  # options: ((key, value), ...)


def _file_relation_sql(generator, node: FileRelation) -> str:
    text = f"{node.args['format']}.{generator.sql(exp.to_identifier(node.args['path'], quoted=True))}"
    options = ", ".join(f"{generator.sql(exp.Literal.string(k))}={generator.sql(exp.Literal.string(v))}"
                        for k, v in node.args.get("options") or ())
    return f"{text} WITH ({options})" if options else text


SHOW_KINDS = {
    "CATALOGS", "SCHEMAS", "DATABASES", "TABLES", "VIEWS", "VOLUMES", "FUNCTIONS", "USER FUNCTIONS",
    "SYSTEM FUNCTIONS",
    "TABLE EXTENDED", "TBLPROPERTIES", "PARTITIONS", "CREATE TABLE", "COLUMNS", "CURRENT SCHEMA",
    "USERS", "GROUPS", "WORKSPACES",
}


# `DATE '…'`, `TIMESTAMP '…'`: parsed as the CAST they are, marked, and written back as the
# literal the user typed. Spark names a result column after its text (`typeof(DATE
# '2020-01-01')`); writing `CAST('2020-01-01' AS DATE)` changed the column's name (found by
# the differential corpus). Other generators write the plain CAST.
TYPED_LITERAL = "lakelens_typed_literal"


def _typed_literal(parser, this, data_type):
    cast = parser.expression(exp.Cast(this=this, to=data_type))
    cast.meta[TYPED_LITERAL] = True
    return cast


def _named(node: exp.Expression, name: str) -> exp.Expression:
    node.meta["lakelens_name"] = name
    return node


def _substring_sql(generator, node: exp.Substring) -> str:
    # `substr(…)` stays substr (Spark names the column after it); SUBSTRING as sqlglot writes it.
    name = "SUBSTR" if node.meta.get("lakelens_name") == "SUBSTR" else "SUBSTRING"
    return generator.func(name, node.this, node.args.get("start"), node.args.get("length"))


def _to_date_sql(generator, node: exp.TsOrDsToDate) -> str:
    # sqlglot drops a format equal to the default and writes TO_DATE(x): that is a CAST in
    # Spark, which fails with another error (CAST_INVALID_INPUT, not CANNOT_PARSE_TIMESTAMP).
    if node.args.get("format") is not None:
        return generator.func("TO_DATE", node.this, generator.format_time(node))
    if isinstance(node.parent, generator.TS_OR_DS_EXPRESSIONS):
        return generator.sql(node, "this")  # the parser's own wrapper around DATEDIFF's arguments
    return generator.func("TO_DATE", node.this)


# Function names whose typed sqlglot node Spark's generator writes back as something else
# (`substr` → SUBSTRING, `instr(a, b)` → LOCATE(b, a), `array_size` → SIZE, `dateadd` →
# DATE_ADD, `string(x)` → CAST(x AS STRING), …). Spark names a result column after the call
# the user wrote, and the rewritten call is not always the same function (`array_size` is
# NULL for NULL, `size` -1): these are parsed as plain calls and reach Spark as written. The
# list is every name whose call with 0–3 plain arguments a round trip through this dialect
# changes, or that never parses that way (tests/sql/test_planning.py checks it against the
# pinned sqlglot).
VERBATIM_FUNCTIONS = frozenset("""
AND ANONYMOUS_AGG_FUNC APPLY APPROXIMATE_JACCARD_INDEX APPROX_DISTINCT APPROX_QUANTILE
ARGMAX ARGMIN ARG_MAX ARG_MIN ARRAYAGG ARRAY_AGG ARRAY_ANY ARRAY_APPEND ARRAY_CAT
ARRAY_CONCAT ARRAY_CONSTRUCT_COMPACT ARRAY_CONTAINED_BY ARRAY_CONTAINS_ALL ARRAY_FILTER
ARRAY_HAS ARRAY_HAS_ALL ARRAY_INTERSECTION ARRAY_LENGTH ARRAY_OVERLAPS ARRAY_PREPEND
ARRAY_REMOVE ARRAY_SIZE ARRAY_SLICE ARRAY_SORT ARRAY_SUM ARRAY_TO_STRING ARRAY_UNIQUE_AGG
A_I_FORECAST BITWISE_AND_AGG BITWISE_COUNT BITWISE_OR_AGG BITWISE_XOR_AGG BIT_GET BOOLAND
BOOLAND_AGG BOOLEAN BOOLOR BOOLOR_AGG CASE CAST CEIL CEILING CHAR CHARACTER_LENGTH CHARINDEX
CHAR_LENGTH COLLATE COLLECT_LIST COLUMNS COMBINED_AGG_FUNC COMBINED_PARAMETERIZED_AGG
CONNECT_BY_ROOT CONVERT CONVERT_TO_CHARSET COUNTIF CURDATE CURRENT_DATE CURRENT_VERSION DATE
DATEADD DATEDIFF DATEFROMPARTS DATETIME_ADD DATETIME_DIFF DATETIME_SUB DATE_DIFF DATE_FORMAT
DATE_FROM_PARTS DATE_STR_TO_DATE DATE_SUB DATE_TO_DATE_STR DATE_TO_DI DATE_TRUNC
DAYOFWEEK_ISO DAY_OF_MONTH DAY_OF_WEEK DAY_OF_YEAR DECODE_CASE DIV DI_TO_DATE DOUBLE
DYNAMIC_IDENTIFIER ELEMENT_AT ENDS_WITH EXPLODING_GENERATE_SERIES EXTRACT FARMFINGERPRINT64
FIRST FLOAT FLOOR FORMAT FROM_BASE64 FROM_ISO8601_DATE FROM_ISO8601_TIMESTAMP
FROM_ISO8601_TIMESTAMP_NANOS FROM_UTC_TIMESTAMP GAP_FILL GENERATE_BOOL GENERATE_DATE_ARRAY
GENERATE_DOUBLE GENERATE_EMBEDDING GENERATE_INT GENERATE_SERIES GENERATE_TABLE GENERATE_TEXT
GENERATE_UUID GEN_RANDOM_UUID GET_BIT GET_EXTRACT GET_JSON_OBJECT GLOB GROUP_CONCAT HEX
IFNULL IIF ILIKE INITCAP INSERT INSTR INT INT64 ISINF ISODOW IS_NAN JSON_EXTRACT
JSON_EXTRACT_PATH_TEXT JSON_EXTRACT_SCALAR JSON_FORMAT JSON_KEYS JSON_PARSE J_S_O_N_ARRAY
J_S_O_N_ARRAY_AGG J_S_O_N_B_CONTAINS_ALL_TOP_KEYS J_S_O_N_B_CONTAINS_ANY_TOP_KEYS
J_S_O_N_B_CONTAINS_TOP_KEY J_S_O_N_B_DELETE_AT_PATH J_S_O_N_B_PATH_EXISTS J_S_O_N_CAST
J_S_O_N_EXISTS J_S_O_N_OBJECT J_S_O_N_OBJECT_AGG J_S_O_N_TABLE LAST LAST_DAY
LAST_DAY_OF_MONTH LCASE LEFTPAD LEN LIKE LOCALTIME LOCALTIMESTAMP LOG LOG10 LOG2 LOGICAL_AND
LOGICAL_OR LOWER_HEX LTRIM MAP_FROM_ARRAYS MATCH_AGAINST MAX MAX_BY MD5_DIGEST MIN MIN_BY
MOD M_L_FORECAST M_L_TRANSLATE NAMED_STRUCT NET_FUNC NEXT_VALUE_FOR NUMBER_TO_STR NVL
OPEN_J_S_O_N OR OVERLAY PAD PARAMETERIZED_AGG PARSE_JSON POW PREDICT QUANTILE RAND RANDOM
READ_PARQUET REDUCE REGEXP_LIKE REGEXP_SPLIT RIGHTPAD RLIKE RTRIM SAFE_ADD SAFE_DIVIDE
SAFE_FUNC SAFE_MULTIPLY SAFE_SUBTRACT SCOPE_RESOLUTION SESSION_USER SHA1 SHIFTLEFT
SHIFTRIGHT SIGNUM SIZE SORT_ARRAY SPACE SPLIT_BY_STRING STARTS_WITH STAR_MAP STDEV STRING
STRPOS STRUCT STRUCT_EXTRACT STR_POSITION STR_TO_DATE STR_TO_MAP STR_TO_TIME STR_TO_UNIX
STUFF ST_MAKEPOINT S_H_A2_DIGEST TIMEFROMPARTS TIMESTAMP TIMESTAMPADD TIMESTAMPDIFF
TIMESTAMPFROMPARTS TIMESTAMPLTZFROMPARTS TIMESTAMPTZFROMPARTS TIMESTAMP_ADD TIMESTAMP_DIFF
TIMESTAMP_FROM_PARTS TIMESTAMP_LTZ TIMESTAMP_NTZ TIMESTAMP_SUB TIMESTAMP_TRUNC TIME_ADD
TIME_STR_TO_DATE TIME_STR_TO_TIME TIME_STR_TO_UNIX TIME_SUB TIME_TO_STR TIME_TO_TIME_STR
TIME_TO_UNIX TO_ARRAY TO_BASE64 TO_CHAR TO_DATE TO_DOUBLE TO_HEX TO_JSON TO_MAP TO_NUMBER
TO_TIMESTAMP TO_UNIX_TIMESTAMP TO_UTC_TIMESTAMP TRANSFORM TRIM TRUNC TRUNCATE TRY TRY_CAST
TRY_ELEMENT_AT TS_OR_DI_TO_DI TS_OR_DS_ADD TS_OR_DS_DIFF TS_OR_DS_TO_DATE
TS_OR_DS_TO_DATETIME TS_OR_DS_TO_DATE_STR TS_OR_DS_TO_TIME TS_OR_DS_TO_TIMESTAMP UCASE
UNICODE UNIX_DATE UNIX_TIMESTAMP UNIX_TO_STR UNIX_TO_TIME UNIX_TO_TIME_STR UNNEST UTC_DATE
UTC_TIME UTC_TIMESTAMP UUID UUID_STRING VARIANCE_POP VARIANCE_SAMP VAR_MAP VAR_SAMP
WEEK_OF_YEAR WEEK_START XMLELEMENT XOR X_M_L_TABLE YEAROFWEEK YEAROFWEEKISO
""".split())


class Lakelens(Spark):
    class Tokenizer(Spark.Tokenizer):
        # SHOW is a "command" in Spark's tokenizer (its rest becomes an opaque string); we parse it.
        COMMANDS = Spark.Tokenizer.COMMANDS - {TokenType.SHOW}

    class Parser(Spark.Parser):
        # sqlglot knows other dialects' MINHASH(k, expr), DOT_PRODUCT, EUCLIDEAN_DISTANCE, …; the
        # library's functions of those names are parsed like any other call (and then bound).
        FUNCTIONS = {k: v for k, v in Spark.Parser.FUNCTIONS.items()
                     if k not in LIBRARY_NAMES and k not in VERBATIM_FUNCTIONS}
        FUNCTION_PARSERS = {**Spark.Parser.FUNCTION_PARSERS,
                            "SUBSTR": lambda self: _named(self._parse_substring(), "SUBSTR")}
        TYPE_LITERAL_PARSERS = {**Spark.Parser.TYPE_LITERAL_PARSERS,
                                **{t: _typed_literal for t in (exp.DType.DATE, exp.DType.TIMESTAMP, exp.DType.TIMESTAMPTZ,
                                                               exp.DType.TIMESTAMPNTZ, exp.DType.TIMESTAMPLTZ)}}

        def _parse_statement(self):
            if self._curr is None:
                return None
            start = self._index
            stmt = self._parse_lakelens_statement()
            if stmt is not None:
                return stmt
            self._retreat(start)
            return super()._parse_statement()

        # -- helpers ----------------------------------------------------------------
        def _name_parts(self) -> list[str]:
            parts = []
            while True:
                ident = self._parse_id_var(any_token=True)
                if ident is None:
                    self.raise_error("Expected a name")
                parts.append(ident.name)
                if not self._match(TokenType.DOT):
                    return parts

        def _string(self) -> str:
            s = self._parse_string()
            if not isinstance(s, exp.Literal) or not s.is_string:
                self.raise_error("Expected a quoted string")
            return s.this

        def _if_exists(self) -> bool:
            return bool(self._match_text_seq("IF", "EXISTS"))

        def _if_not_exists(self) -> bool:
            return bool(self._match_text_seq("IF", "NOT", "EXISTS"))

        def _like(self) -> str | None:
            if self._match(TokenType.LIKE) or self._match(TokenType.ILIKE):
                return self._string()
            s = self._parse_string()  # Spark also allows `SHOW TABLES 'pattern'`
            return s.this if isinstance(s, exp.Literal) else None

        # -- statements ------------------------------------------------------------
        def _parse_lakelens_statement(self):
            word = self._curr.text.upper()
            if word == "CREATE":
                self._advance()
                if self._match_text_seq("CATALOG"):
                    exists = self._if_not_exists()
                    name = self._name_parts()
                    comment = self._string() if self._match(TokenType.COMMENT) else None
                    return CreateCatalog(this=name, exists=exists, comment=comment)
                if self._match_text_seq("USER"):
                    exists = self._if_not_exists()
                    name = self._principal()
                    password = self._string() if self._match_text_seq("WITH", "PASSWORD") else None
                    admin = bool(self._match_text_seq("ADMIN"))
                    return UserCommand(this=name, action="create", password=password, admin=admin, exists=exists)
                if self._match_text_seq("GROUP"):
                    exists = self._if_not_exists()
                    return GroupCommand(this=self._principal(), action="create", exists=exists)
                if self._match_text_seq("WORKSPACE"):
                    exists = self._if_not_exists()
                    name = self._principal()
                    comment = self._string() if self._match(TokenType.COMMENT) else None
                    return WorkspaceCommand(this=name, action="create", exists=exists, comment=comment)
                external = bool(self._match_text_seq("EXTERNAL"))
                if self._match_text_seq("VOLUME"):
                    exists = self._if_not_exists()
                    name = self._name_parts()
                    location = comment = None
                    while self._curr:
                        if self._match_text_seq("LOCATION"):
                            location = self._string()
                        elif self._match(TokenType.COMMENT):
                            comment = self._string()
                        else:
                            self.raise_error("Expected LOCATION or COMMENT")
                    if external and not location:
                        self.raise_error("CREATE EXTERNAL VOLUME needs LOCATION '<path>'")
                    return CreateVolume(this=name, exists=exists, external=external or bool(location),
                                        location=location, comment=comment)
                return None
            if word == "DROP":
                self._advance()
                if self._match_text_seq("CATALOG"):
                    exists = self._if_exists()
                    name = self._name_parts()
                    cascade = bool(self._match_text_seq("CASCADE"))
                    self._match_text_seq("RESTRICT")
                    return DropCatalog(this=name, exists=exists, cascade=cascade)
                if self._match_text_seq("VOLUME"):
                    exists = self._if_exists()
                    name = self._name_parts()
                    return DropVolume(this=name, exists=exists, purge=bool(self._match_text_seq("PURGE")))
                if self._match_text_seq("USER"):
                    exists = self._if_exists()
                    return UserCommand(this=self._principal(), action="drop", exists=exists)
                if self._match_text_seq("GROUP"):
                    exists = self._if_exists()
                    return GroupCommand(this=self._principal(), action="drop", exists=exists)
                if self._match_text_seq("WORKSPACE"):
                    exists = self._if_exists()
                    return WorkspaceCommand(this=self._principal(), action="drop", exists=exists)
                return None
            if word == "ALTER":
                self._advance()
                if self._match_text_seq("WORKSPACE"):
                    return self._parse_alter_workspace()
                if self._match_text_seq("GROUP"):
                    name = self._principal()
                    action = "add" if self._match_text_seq("ADD") else "drop" if self._match_text_seq("DROP") else None
                    if action is None or not self._match_text_seq("USER"):
                        self.raise_error("Expected ADD USER or DROP USER")
                    members = [self._principal()]
                    while self._match(TokenType.COMMA):
                        members.append(self._principal())
                    return GroupCommand(this=name, action=action, members=members)
                if self._match_text_seq("USER"):
                    name = self._principal()
                    self._match(TokenType.SET)
                    if self._match_text_seq("PASSWORD"):
                        return UserCommand(this=name, action="alter", password=self._string())
                    if self._match_text_seq("ADMIN"):
                        value = self._parse_primary()
                        if not isinstance(value, exp.Boolean):
                            self.raise_error("Expected ADMIN TRUE or ADMIN FALSE")
                        return UserCommand(this=name, action="alter", admin=value.this)
                    self.raise_error("Expected SET PASSWORD '<password>' or SET ADMIN TRUE|FALSE")
                kind = self._curr and self._curr.text.upper()
                if kind not in ("CATALOG", "SCHEMA", "DATABASE", "VOLUME", "TABLE", "VIEW"):
                    return None
                self._advance()
                name = self._name_parts()
                self._match(TokenType.SET)
                if kind in ("CATALOG", "SCHEMA", "DATABASE") and self._curr \
                        and self._curr.text.upper() in ("DBPROPERTIES", "PROPERTIES", "OPTIONS"):
                    self._advance()
                    properties = self._key_values()
                    return AlterCatalog(this=name, properties=properties) if kind == "CATALOG" else \
                        AlterObject(kind=kind, this=name, properties=properties)
                if self._match_text_seq("OWNER", "TO"):
                    owner = self._parse_id_var(any_token=True) or self._parse_string()
                    node = AlterCatalog if kind == "CATALOG" else AlterObject
                    args = {"this": name, "owner": owner.name if owner else None}
                    return node(**args) if kind == "CATALOG" else node(kind=kind, **args)
                if kind in ("CATALOG", "VOLUME") and self._match_text_seq("RENAME", "TO"):
                    new = self._name_parts()
                    return AlterCatalog(this=name, rename=new) if kind == "CATALOG" else \
                        AlterObject(kind=kind, this=name, rename=new)
                return None
            if word in ("GRANT", "REVOKE"):
                self._advance()
                return self._parse_grant(revoke=word == "REVOKE")
            if word == "SHOW" and self._next and self._next.text.upper() == "GRANTS":
                self._advance(2)
                principal = None
                if self._curr and self._match_text_seq("TO"):
                    principal = self._principal()
                elif self._curr and self._curr.token_type != TokenType.ON:
                    principal = self._principal()
                if self._match(TokenType.ON):
                    kind, name = self._securable()
                    return ShowGrants(this=name, kind=kind, principal=principal)
                return ShowGrants(principal=principal)
            if word == "SHOW":
                self._advance()
                return self._parse_show()
            if word in ("DESCRIBE", "DESC") and self._next and self._next.text.upper() == "LINEAGE" \
                    and self._next.token_type == TokenType.VAR and len(self._tokens) > self._index + 2 \
                    and self._tokens[self._index + 2].token_type != TokenType.DOT:
                self._advance(2)
                name = self._name_parts()
                direction = None
                if self._curr and self._curr.text.upper() in ("UPSTREAM", "DOWNSTREAM"):
                    direction = self._curr.text.upper()
                    self._advance()
                depth = None
                if self._match_text_seq("DEPTH"):
                    number = self._parse_number()
                    if number is None:
                        self.raise_error("Expected DEPTH <number>")
                    depth = number.to_py()
                if self._curr:
                    self.raise_error("Expected UPSTREAM, DOWNSTREAM or DEPTH <n>")
                return DescribeLineage(this=name, direction=direction, depth=depth)
            if word in ("DESCRIBE", "DESC"):
                self._advance()
                return self._parse_describe_object()
            if word == "COMMENT" and self._next and self._next.text.upper() == "ON":
                self._advance(2)
                kind = self._curr.text.upper()
                if kind not in ("CATALOG", "SCHEMA", "DATABASE", "TABLE", "VIEW", "VOLUME"):
                    self.raise_error("COMMENT ON expects CATALOG, SCHEMA, TABLE, VIEW or VOLUME")
                self._advance()
                name = self._name_parts()
                if not self._match(TokenType.IS):
                    self.raise_error("Expected IS")
                comment = None if self._match(TokenType.NULL) else self._string()
                return CommentOn(kind=kind, this=name, comment=comment)
            if word == "LIST" and self._next and self._next.text.upper() == "VERSIONS" \
                    and len(self._tokens) > self._index + 2 and self._tokens[self._index + 2].token_type == TokenType.STRING:
                self._advance(2)
                return ListVersions(this=self._string())
            if word in ("UNDROP", "PURGE") and self._next and self._next.text.upper() in ("TABLE", "VIEW", "VOLUME"):
                self._advance()
                kind = self._curr.text.upper()
                self._advance()
                if self._match_text_seq("WITH", "ID"):
                    return Undrop(kind=kind, drop_id=self._string(), purge=word == "PURGE")
                return Undrop(kind=kind, this=self._name_parts(), purge=word == "PURGE")
            if word == "PURGE" and self._next and self._next.token_type == TokenType.STRING:
                self._advance()
                return RestoreFile(this=self._string(), purge=True)
            if word == "RESTORE" and self._next and self._next.token_type == TokenType.STRING:
                self._advance()
                path = self._string()
                version = None
                if self._match_text_seq("TO", "VERSION"):
                    number = self._parse_number()
                    if number is None:
                        self.raise_error("Expected TO VERSION <n>")
                    version = number.to_py()
                return RestoreFile(this=path, version=version)
            if word == "LIST" and self._next and self._next.token_type == TokenType.STRING:
                self._advance()
                return ListFiles(this=self._string())
            if word in ("REMOVE", "RM") and self._next and self._next.token_type == TokenType.STRING:
                self._advance()
                path = self._string()
                return RemoveFiles(this=path, recursive=bool(self._match_text_seq("RECURSIVE")))
            if word == "PUT" and self._next and self._next.token_type == TokenType.STRING:
                self._advance()
                src = self._string()
                if not self._match(TokenType.INTO):
                    self.raise_error("Expected INTO '/Volumes/...'")
                dest = self._string()
                return PutFile(this=src, target=dest, overwrite=bool(self._match_text_seq("OVERWRITE")))
            if word == "GET" and self._next and self._next.token_type == TokenType.STRING:
                self._advance()
                src = self._string()
                if not self._match_text_seq("TO"):
                    self.raise_error("Expected TO '<local path>'")
                dest = self._string()
                return GetFile(this=src, target=dest, overwrite=bool(self._match_text_seq("OVERWRITE")))
            if word == "RESTORE":
                self._advance()
                self._match(TokenType.TABLE)
                name = self._name_parts()
                self._match_text_seq("TO")
                if self._match_text_seq("VERSION", "AS", "OF"):
                    return RestoreTable(this=name, version=self._parse_number().to_py())
                if self._match_text_seq("TIMESTAMP", "AS", "OF"):
                    return RestoreTable(this=name, timestamp=self._string())
                self.raise_error("Expected TO VERSION AS OF <n> or TO TIMESTAMP AS OF '<ts>'")
            if word == "EXPLAIN":
                # Spark's tokenizer treats EXPLAIN as a command and hands us the rest as one string.
                self._advance()
                rest = self._curr.text if self._curr else ""
                self._advance()
                mode = None
                head = rest.split(None, 1)
                if head and head[0].upper() in ("EXTENDED", "FORMATTED", "CODEGEN", "COST", "LOGICAL"):
                    mode, rest = head[0].upper(), (head[1] if len(head) > 1 else "")
                if not rest.strip():
                    self.raise_error("EXPLAIN needs a statement")
                return ExplainStatement(this=parse_one(rest), mode=mode)
            return None

        def _parse_alter_workspace(self):
            name = self._principal()
            word = (self._curr.text.upper() if self._curr else "")
            if word in ("ADD", "DROP", "REMOVE"):
                self._advance()
                if not (self._match_text_seq("USER") or self._match_text_seq("GROUP")
                        or self._match_text_seq("MEMBER")):
                    self.raise_error(f"Expected {word} USER|GROUP <name>[, ...]")
                members = [self._principal()]
                while self._match(TokenType.COMMA):
                    self._match_text_seq("USER") or self._match_text_seq("GROUP")
                    members.append(self._principal())
                return WorkspaceCommand(this=name, action="add" if word == "ADD" else "remove", members=members)
            if word in ("BIND", "UNBIND"):
                self._advance()
                kind = self._curr.text.upper() if self._curr else ""
                if kind not in ("CATALOG", "SCHEMA", "DATABASE"):
                    self.raise_error(f"Expected {word} CATALOG <name> or {word} SCHEMA <catalog.schema>")
                self._advance()
                return WorkspaceCommand(this=name, action=word.lower(), kind="SCHEMA" if kind != "CATALOG" else kind,
                                        target=self._name_parts())
            if self._match(TokenType.SET):
                self._match_text_seq("PROPERTIES") or self._match_text_seq("DBPROPERTIES")
                return WorkspaceCommand(this=name, action="set", properties=self._key_values())
            self.raise_error("Expected ADD|DROP USER|GROUP, BIND|UNBIND CATALOG|SCHEMA or SET (key = value, ...)")

        def _key_values(self) -> dict[str, str]:
            """`('k' = 'v', …)`: keys and values as strings (keys may be dotted names)."""
            if not self._match(TokenType.L_PAREN):
                self.raise_error("Expected ('key' = 'value', ...)")
            out = {}
            while True:
                key = self._string() if self._curr and self._curr.token_type == TokenType.STRING \
                    else ".".join(self._name_parts())
                if not self._match(TokenType.EQ):
                    self.raise_error("Expected =")
                value = self._parse_primary()
                if not isinstance(value, (exp.Literal, exp.Boolean)):
                    self.raise_error("Expected a literal value")
                out[key] = str(value.this).lower() if isinstance(value, exp.Boolean) else str(value.this)
                if not self._match(TokenType.COMMA):
                    break
            if not self._match(TokenType.R_PAREN):
                self.raise_error("Expected )")
            return out

        def _principal(self) -> str:
            """A user or group name: an identifier (backquoted for `account users`) or a string."""
            if self._curr and self._curr.token_type == TokenType.STRING:
                return self._string()
            ident = self._parse_id_var(any_token=True)
            if ident is None:
                self.raise_error("Expected a user or group name")
            return ident.name

        def _securable(self) -> tuple[str, list[str] | str]:
            """`<kind> <name>` after ON: the kind (TABLE when omitted) and the name's parts, or the
            path of an EXTERNAL LOCATION."""
            if self._match_text_seq("EXTERNAL", "LOCATION"):
                if self._curr and self._curr.token_type == TokenType.STRING:
                    return "EXTERNAL LOCATION", self._string()
                return "EXTERNAL LOCATION", ".".join(self._name_parts())
            kind = "TABLE"
            if self._curr and self._curr.text.upper() in SECURABLE_WORDS and self._next \
                    and self._next.token_type != TokenType.DOT and self._next.text.upper() not in ("TO", "FROM"):
                kind = self._curr.text.upper()
                self._advance()
            return kind, self._name_parts()

        def _parse_grant(self, revoke: bool):
            privileges, words = [], []
            while self._curr and self._curr.token_type != TokenType.ON:
                if self._curr.token_type == TokenType.COMMA:
                    privileges.append(" ".join(words))
                    words = []
                else:
                    words.append(self._curr.text.upper())
                self._advance()
            if words:
                privileges.append(" ".join(words))
            if not self._match(TokenType.ON) or not privileges or not all(privileges):
                self.raise_error(f"Expected {'REVOKE' if revoke else 'GRANT'} <privilege>[, ...] ON <securable> "
                                 f"{'FROM' if revoke else 'TO'} <principal>")
            kind, name = self._securable()
            if not self._match_text_seq("FROM" if revoke else "TO"):
                self.raise_error(f"Expected {'FROM' if revoke else 'TO'} <user or group>")
            principals = [self._principal()]
            while self._match(TokenType.COMMA):
                principals.append(self._principal())
            return GrantStatement(this=name, kind=kind, privileges=privileges, principals=principals, revoke=revoke)

        def _parse_show(self):
            kind = None
            for candidate in sorted(SHOW_KINDS, key=len, reverse=True):
                words = candidate.split()
                if self._match_text_seq(*words):
                    kind = candidate
                    break
            if kind is None:
                self.raise_error("Unsupported SHOW statement")
            kind = {"DATABASES": "SCHEMAS", "USER FUNCTIONS": "FUNCTIONS"}.get(kind, kind)
            if kind in ("TABLES", "VOLUMES") and self._match_text_seq("DROPPED"):
                scope = self._name_parts() if self._match(TokenType.IN) or self._match(TokenType.FROM) else None
                limit = None
                if self._match(TokenType.LIMIT):
                    number = self._parse_number()
                    if number is None:
                        self.raise_error("Expected LIMIT <n>")
                    limit = number.to_py()
                return ShowDropped(this=kind, scope=scope, limit=limit)
            if kind in ("TBLPROPERTIES", "PARTITIONS", "CREATE TABLE"):
                return ShowObjects(this=kind, target=self._name_parts())
            scope = target = None
            if kind == "COLUMNS":
                if not (self._match(TokenType.IN) or self._match(TokenType.FROM)):
                    self.raise_error("Expected IN <table>")
                target = self._name_parts()
            if self._match(TokenType.IN) or self._match(TokenType.FROM):
                scope = self._name_parts()
            like = self._like()
            return ShowObjects(this=kind, scope=scope, like=like, target=target)

        def _parse_describe_object(self):
            kind = None
            if self._curr and self._curr.text.upper() in ("CATALOG", "SCHEMA", "DATABASE", "TABLE", "VOLUME",
                                                            "HISTORY", "FUNCTION", "VIEW"):
                kind = self._curr.text.upper()
                self._advance()
            if kind == "DATABASE":
                kind = "SCHEMA"
            if self._curr and self._curr.text.upper() == "QUERY":
                return None  # DESCRIBE QUERY ...: not ours
            extended = False
            if self._curr and self._curr.text.upper() in ("EXTENDED", "FORMATTED"):
                extended = True
                self._advance()
            if self._curr and self._curr.token_type in (TokenType.SELECT, TokenType.WITH, TokenType.L_PAREN):
                return None
            name = self._name_parts()
            if self._curr:
                self.raise_error("Unexpected text after the name")
            return DescribeObject(kind=kind or "TABLE", this=name, extended=extended)


    class Generator(Spark.Generator):
        TRANSFORMS = {**Spark.Generator.TRANSFORMS, FileRelation: _file_relation_sql,
                      exp.TsOrDsToDate: _to_date_sql, exp.Substring: _substring_sql}
        TABLESAMPLE_SEED_KEYWORD = "REPEATABLE"  # Spark's word; sqlglot's Spark generator writes SEED

        def not_sql(self, expression: exp.Not) -> str:
            # `x IS NOT NULL` parses as NOT (x IS NULL); Spark names the column after the
            # former, so write it back that way.
            inner = expression.this
            if isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null):
                return f"{self.sql(inner, 'this')} IS NOT NULL"
            return super().not_sql(expression)

        def cast_sql(self, expression: exp.Cast, safe_prefix: str | None = None) -> str:
            if expression.meta.get(TYPED_LITERAL) and isinstance(expression.this, exp.Literal):
                return f"{self.sql(expression, 'to')} {self.sql(expression, 'this')}"
            return super().cast_sql(expression, safe_prefix)
        # Hive's generator hoists every nested WITH to the top: a view whose body has a CTE,
        # referenced twice, then defined its CTE twice (DUPLICATED_CTE_NAMES; dbt's ephemeral
        # models). Spark runs CTEs nested in subqueries as they are.
        EXPRESSIONS_WITHOUT_NESTED_CTES: set = set()


_GENERATING = Lakelens()  # one instance: passing the class builds a dialect per call (~2 ms a statement)


def to_spark(expression: exp.Expression) -> str:
    """The Spark SQL text of a resolved statement (Spark's generator plus `FileRelation`).
    The statement is generated in place (no defensive copy): callers are done with it."""
    return expression.sql(dialect=_GENERATING, copy=False)


def parse(sql: str) -> list[exp.Expression]:
    """Parse one or more `;`-separated statements with the lakelens dialect."""
    import sqlglot

    return [s for s in sqlglot.parse(sql, read=Lakelens) if s is not None]


def parse_one(sql: str) -> exp.Expression:
    import sqlglot

    return sqlglot.parse_one(sql, read=Lakelens)
