"""What Citus schema-based sharding asks of a store schema, checked without Citus (docs/scaling.md).

Under Citus 12+ every store schema becomes a distributed schema: all its tables live on one worker node, and
a statement that touches one store's tables is routed to that node. Citus refuses, or cannot route well:

- a foreign key from a store table to anything but its own schema or a public *reference table*, or into a
  store schema from any other schema;
- a store-schema object (view, default, trigger, function, constraint, column type) that depends on another
  schema: another store's, the template's, or any other non-public schema;
- a sequence narrower than bigint feeding a store column, or a column narrower than bigint fed by one: Citus
  makes such a sequence the column's type and gives bigint ones a range per node; on worker nodes smallint and
  integer ones cannot be used at all;
- a table without a primary key or replica identity: moving a schema to another node replicates it logically;
- inheritance, foreign tables, rules, multi-level partitions or partitions across schemas in a distributed
  schema;
- a statement that names two store schemas; a statement on store tables that also reads a public table that
  stays on the coordinator; an UPDATE or DELETE of store tables that calls a volatile function.

The catalog checks take one schema; the source scan reads the application's SQL strings. REFERENCE_TABLES is
the one list of public tables that become reference tables; every other public table stays local to the
coordinator. KNOWN_FINDINGS lists what the scan finds today that must change before the move to Citus.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Public tables replicated to every node, because store tables point at them or store statements read them.
# None today: no store table has a foreign key out of its schema, and no store statement reads a public table.
# A table listed here is written with a two-phase commit on every node, so only small, rarely written ones.
REFERENCE_TABLES: frozenset[str] = frozenset()

FOREIGN_KEY = "foreign-key-out-of-schema"
OTHER_SCHEMA = "depends-on-another-schema"
SEQUENCE = "sequence-narrower-than-bigint"
REPLICA_IDENTITY = "no-replica-identity"
UNSUPPORTED = "unsupported-in-distributed-schema"
TWO_SCHEMAS = "statement-names-two-schemas"
COORDINATOR_TABLE = "statement-joins-coordinator-table"
VOLATILE = "volatile-function-in-modification"

# Where the application's SQL lives. Migrations are scanned (they run in every store schema); tests are not
# (they build cross-schema cases on purpose and never run in production), nor bench/ (measuring tools).
APPLICATION_PACKAGES = ("stores", "backorder", "notifications")

# (rule, file, function or constant): why it is there, and what must change before the move to Citus.
KNOWN_FINDINGS: dict[tuple[str, str, str], str] = {
    (TWO_SCHEMAS, "notifications/tasks.py", "stores_with_due_notifications"): (
        "The e-mail sweep asks up to 200 store schemas in one UNION ALL statement. Under Citus those schemas "
        "sit on different nodes: one statement per node's stores, or a due-mail marker in public, instead."
    ),
    (TWO_SCHEMAS, "notifications/automations/tasks.py", "stores_with_due_work"): (
        "The automations sweep asks up to 200 store schemas in one UNION ALL statement, like the e-mail sweep, "
        "and changes with it."
    ),
    (VOLATILE, "backorder/services/allocation.py", "_claim"): (
        "sending_until = clock_timestamp() + lease in an UPDATE of store rows (DatabaseClock): Citus refuses "
        "volatile functions in an UPDATE. Read the clock in a SELECT first and pass the value in (docs/scaling.md, "
        "'Before the move')."
    ),
    (VOLATILE, "backorder/services/allocation.py", "_send_variant"): (
        "unknown_at = clock_timestamp() (DatabaseClock) in an UPDATE of store rows: as for _claim."
    ),
    (VOLATILE, "backorder/services/allocation.py", "_stale_sending_mark"): (
        "unknown_at = clock_timestamp() (DatabaseClock) in an UPDATE of store rows: as for _claim."
    ),
}


@dataclass(frozen=True)
class Violation:
    """One thing Citus would refuse or could not route, found in the catalogs or in the source."""

    rule: str
    where: str  # schema.table, or file:line
    detail: str
    function: str = ""  # for source findings: the enclosing function (or module constant)

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where}: {self.detail}"


# ---------------------------------------------------------------------------------------------------------
# The catalogs of one schema


def store_schema_violations(cursor, schema: str, *, reference_tables: Iterable[str] = REFERENCE_TABLES) -> list:
    """Every catalog rule, for one store schema (or the template)."""
    return [
        *foreign_key_violations(cursor, schema, reference_tables=reference_tables),
        *other_schema_dependency_violations(cursor, schema),
        *sequence_violations(cursor, schema),
        *replica_identity_violations(cursor, schema),
        *unsupported_object_violations(cursor, schema),
    ]


def foreign_key_violations(cursor, schema: str, *, reference_tables: Iterable[str] = REFERENCE_TABLES) -> list:
    """A store table may reference its own schema or a public reference table; nothing may reference in."""
    reference_tables = set(reference_tables)
    cursor.execute(
        """
        SELECT c.conname, rn.nspname, format('%%I.%%I', rn.nspname, r.relname),
               tn.nspname, t.relname, format('%%I.%%I', tn.nspname, t.relname)
        FROM pg_constraint c
        JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
        JOIN pg_class t ON t.oid = c.confrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
        WHERE c.contype = 'f' AND rn.nspname <> tn.nspname AND %(schema)s IN (rn.nspname, tn.nspname)
        ORDER BY 3, 1
        """,
        {"schema": schema},
    )
    violations = []
    for name, from_schema, from_table, to_schema, to_name, to_table in cursor.fetchall():
        if from_schema != schema:
            detail = f"is referenced by {from_table} (foreign key {name}); nothing outside a store schema may be"
            violations.append(Violation(FOREIGN_KEY, to_table, detail))
        elif not (to_schema == "public" and to_name in reference_tables):
            detail = (
                f"references {to_table} (foreign key {name}): only its own schema or a public table listed in "
                "REFERENCE_TABLES"
            )
            violations.append(Violation(FOREIGN_KEY, from_table, detail))
    return violations


def reference_table_violations(cursor, reference_tables: Iterable[str] = REFERENCE_TABLES) -> list:
    """Each listed table exists in public, and the columns its sequences feed are bigint (a reference table is on
    every worker, where Citus cannot use a smallint or integer sequence)."""
    reference_tables = set(reference_tables)
    cursor.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') "
        "AND relname = ANY(%(tables)s)",
        {"tables": sorted(reference_tables)},
    )
    existing = {name for (name,) in cursor.fetchall()}
    violations = [
        Violation(FOREIGN_KEY, f"public.{name}", "is listed in REFERENCE_TABLES but is not a table in public")
        for name in sorted(reference_tables - existing)
    ]
    return violations + [
        violation
        for violation in sequence_violations(cursor, "public")
        if violation.where.count(".") == 2 and violation.where.split(".")[1] in existing
    ]


# The schema an object of pg_depend (class, id) lives in: directly, or through the table it belongs to.
_NAMESPACE_OF = """
    CASE {cls}
        WHEN 'pg_class'::regclass THEN (SELECT relnamespace FROM pg_class WHERE oid = {obj})
        WHEN 'pg_proc'::regclass THEN (SELECT pronamespace FROM pg_proc WHERE oid = {obj})
        WHEN 'pg_type'::regclass THEN (SELECT typnamespace FROM pg_type WHERE oid = {obj})
        WHEN 'pg_constraint'::regclass THEN (SELECT connamespace FROM pg_constraint WHERE oid = {obj})
        WHEN 'pg_collation'::regclass THEN (SELECT collnamespace FROM pg_collation WHERE oid = {obj})
        WHEN 'pg_operator'::regclass THEN (SELECT oprnamespace FROM pg_operator WHERE oid = {obj})
        WHEN 'pg_namespace'::regclass THEN {obj}
        WHEN 'pg_attrdef'::regclass THEN (SELECT c.relnamespace FROM pg_attrdef x
                                          JOIN pg_class c ON c.oid = x.adrelid WHERE x.oid = {obj})
        WHEN 'pg_rewrite'::regclass THEN (SELECT c.relnamespace FROM pg_rewrite x
                                          JOIN pg_class c ON c.oid = x.ev_class WHERE x.oid = {obj})
        WHEN 'pg_trigger'::regclass THEN (SELECT c.relnamespace FROM pg_trigger x
                                          JOIN pg_class c ON c.oid = x.tgrelid WHERE x.oid = {obj})
    END"""

# Schemas anything may depend on: public, the system's, and those of installed extensions.
_SHARED_NAMESPACES = """
    (SELECT oid FROM pg_namespace WHERE nspname IN ('public', 'pg_catalog', 'information_schema', 'pg_toast')
     UNION SELECT extnamespace FROM pg_extension)"""

_DEPENDENCIES_SQL = f"""
    WITH dependency AS (
        SELECT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, d.refobjsubid,
               {_NAMESPACE_OF.format(cls="d.classid", obj="d.objid")} AS namespace,
               {_NAMESPACE_OF.format(cls="d.refclassid", obj="d.refobjid")} AS refers_to_namespace
        FROM pg_depend d
    )
    SELECT pg_describe_object(classid, objid, objsubid), pg_describe_object(refclassid, refobjid, refobjsubid),
           refers_to_namespace::regnamespace::text
    FROM dependency
    WHERE namespace = %(schema)s::regnamespace AND refers_to_namespace <> namespace
      AND refers_to_namespace NOT IN {_SHARED_NAMESPACES}
    ORDER BY 1, 2"""

# The functions whose bodies a schema's objects run: its own, and those its triggers and defaults call.
_FUNCTIONS_SQL = f"""
    SELECT p.oid::regprocedure::text, p.prosrc, coalesce(array_to_string(p.proconfig, ' '), '')
    FROM pg_proc p
    WHERE p.pronamespace <> 'pg_catalog'::regnamespace
      AND p.prolang NOT IN (SELECT oid FROM pg_language WHERE lanname IN ('internal', 'c'))
      AND (p.pronamespace = %(schema)s::regnamespace OR p.oid IN (
          SELECT d.refobjid FROM pg_depend d
          WHERE d.refclassid = 'pg_proc'::regclass
            AND {_NAMESPACE_OF.format(cls="d.classid", obj="d.objid")} = %(schema)s::regnamespace))
    ORDER BY 1"""


def other_schema_dependency_violations(cursor, schema: str) -> list:
    """Nothing in the schema depends on another non-public schema (pg_depend), and no function it runs names
    one in its body or its search_path (PL/pgSQL bodies are not in pg_depend)."""
    cursor.execute(_DEPENDENCIES_SQL, {"schema": schema})
    violations = [
        Violation(OTHER_SCHEMA, schema, f"{what} depends on {target} (schema {target_schema})")
        for what, target, target_schema in cursor.fetchall()
    ]
    cursor.execute(
        f"SELECT nspname FROM pg_namespace WHERE nspname <> %(schema)s AND oid NOT IN {_SHARED_NAMESPACES} "
        "AND nspname NOT LIKE 'pg\\_%%'",
        {"schema": schema},
    )
    others = [name for (name,) in cursor.fetchall()]
    if not others:
        return violations
    alternatives = "|".join(re.escape(name) for name in sorted(others, key=len, reverse=True))
    qualified = re.compile(rf'(?<![\w$"])"?({alternatives})"?\s*\.', re.IGNORECASE)
    mentioned = re.compile(rf'(?<![\w$])"?({alternatives})"?(?![\w$])', re.IGNORECASE)
    cursor.execute(_FUNCTIONS_SQL, {"schema": schema})
    for function, body, settings in cursor.fetchall():
        for pattern, text, where in ((qualified, body, "its body"), (mentioned, settings, "its settings")):
            match = pattern.search(text)
            if match:
                detail = f"function {function} names schema {match.group(1)} in {where}"
                violations.append(Violation(OTHER_SCHEMA, schema, detail))
    return violations


def sequence_violations(cursor, schema: str) -> list:
    """Every sequence in the schema is bigint; every column fed by a sequence (identity, serial, or a
    nextval() default) is bigint, and so is its sequence, which lives in the same schema."""
    cursor.execute(
        """
        SELECT format('%%I.%%I', n.nspname, c.relname), format_type(s.seqtypid, NULL)
        FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %(schema)s AND s.seqtypid <> 'bigint'::regtype
        ORDER BY 1
        """,
        {"schema": schema},
    )
    violations = [
        Violation(SEQUENCE, name, f"is {type_name}; on a worker node Citus can only use a bigint sequence")
        for name, type_name in cursor.fetchall()
    ]
    cursor.execute(
        """
        WITH fed AS (
            SELECT d.refobjid AS relid, d.refobjsubid AS attnum, d.objid AS seqid  -- identity, serial, OWNED BY
            FROM pg_depend d
            WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
              AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
              AND EXISTS (SELECT 1 FROM pg_sequence s WHERE s.seqrelid = d.objid)
            UNION
            SELECT x.adrelid, x.adnum, d.refobjid  -- DEFAULT nextval('...')
            FROM pg_attrdef x JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = x.oid
            WHERE d.refclassid = 'pg_class'::regclass
              AND EXISTS (SELECT 1 FROM pg_sequence s WHERE s.seqrelid = d.refobjid)
        )
        SELECT format('%%I.%%I.%%I', tn.nspname, t.relname, a.attname), format_type(a.atttypid, a.atttypmod),
               a.atttypid = 'bigint'::regtype, format('%%I.%%I', sn.nspname, sc.relname), sn.nspname,
               format_type(s.seqtypid, NULL), s.seqtypid = 'bigint'::regtype
        FROM fed
        JOIN pg_class t ON t.oid = fed.relid JOIN pg_namespace tn ON tn.oid = t.relnamespace
        JOIN pg_attribute a ON a.attrelid = fed.relid AND a.attnum = fed.attnum
        JOIN pg_sequence s ON s.seqrelid = fed.seqid
        JOIN pg_class sc ON sc.oid = fed.seqid JOIN pg_namespace sn ON sn.oid = sc.relnamespace
        WHERE tn.nspname = %(schema)s
        ORDER BY 1
        """,
        {"schema": schema},
    )
    for row in cursor.fetchall():
        column, column_type, column_bigint, sequence, sequence_schema, sequence_type, sequence_bigint = row
        if not column_bigint:
            detail = f"is {column_type} and takes its values from {sequence}; Citus needs bigint"
            violations.append(Violation(SEQUENCE, column, detail))
        if sequence_schema != schema:
            violations.append(Violation(SEQUENCE, column, f"takes its values from {sequence}, in another schema"))
        elif not sequence_bigint and column_bigint:
            violations.append(Violation(SEQUENCE, column, f"takes its values from {sequence}, a {sequence_type}"))
    return violations


def replica_identity_violations(cursor, schema: str) -> list:
    """Every table has a primary key or a replica identity: citus_schema_move copies it by logical replication."""
    cursor.execute(
        """
        SELECT format('%%I.%%I', n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %(schema)s AND c.relkind = 'r'
          AND NOT (c.relreplident IN ('i', 'f') OR (c.relreplident = 'd' AND EXISTS (
              SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))
        ORDER BY 1
        """,
        {"schema": schema},
    )
    detail = "has no primary key or replica identity; moving the schema between nodes would fail"
    return [Violation(REPLICA_IDENTITY, table, detail) for (table,) in cursor.fetchall()]


def unsupported_object_violations(cursor, schema: str) -> list:
    """What Citus refuses in a distributed schema: foreign tables, inheritance, rules, a partition whose parent
    is in another schema, a partition that is partitioned itself."""
    cursor.execute(
        """
        SELECT format('%%I.%%I', n.nspname, c.relname), 'is a foreign table'
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %(schema)s AND c.relkind = 'f'
        UNION ALL
        SELECT format('%%I.%%I', cn.nspname, ch.relname),
               CASE WHEN NOT ch.relispartition THEN 'inherits from ' ELSE 'is a partition of ' END
               || format('%%I.%%I', pn.nspname, pa.relname)
               || CASE WHEN ch.relispartition AND ch.relkind = 'p' THEN ' and partitioned itself' ELSE '' END
        FROM pg_inherits i
        JOIN pg_class ch ON ch.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = ch.relnamespace
        JOIN pg_class pa ON pa.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pa.relnamespace
        WHERE %(schema)s IN (cn.nspname, pn.nspname)
          AND (NOT ch.relispartition OR cn.nspname <> pn.nspname OR ch.relkind = 'p')
        UNION ALL
        SELECT format('%%I.%%I', n.nspname, c.relname), format('has rule %%I (the rule system)', r.rulename)
        FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %(schema)s AND r.rulename <> '_RETURN'
        ORDER BY 1, 2
        """,
        {"schema": schema},
    )
    return [Violation(UNSUPPORTED, where, detail) for where, detail in cursor.fetchall()]


# ---------------------------------------------------------------------------------------------------------
# The application's SQL


@dataclass(frozen=True)
class Tables:
    """The application's table names: in every store schema, and in public; and model name -> table."""

    store: frozenset[str]
    public: frozenset[str]
    of_model: dict[str, str]


def application_tables() -> Tables:
    """Read from Django's app registry: TENANT_APPS' models live in store schemas, the others in public."""
    from django.apps import apps
    from django.conf import settings

    tenant_apps = {name.rsplit(".", 1)[-1] for name in settings.TENANT_APPS}
    store, public, of_model = {"django_migrations"}, {"django_migrations"}, {}
    for model in apps.get_models(include_auto_created=True):
        (store if model._meta.app_label in tenant_apps else public).add(model._meta.db_table)
        of_model[model.__name__] = model._meta.db_table
    return Tables(store=frozenset(store), public=frozenset(public), of_model=of_model)


_VOLATILE = r"\b(clock_timestamp|timeofday|random|gen_random_uuid|uuid_generate_v[14]|nextval|setval)\b"
_VOLATILE_CALL = re.compile(_VOLATILE + r"\s*\(", re.I)
_VOLATILE_NAME = re.compile(_VOLATILE, re.I)
_MODIFICATION = re.compile(
    r"\bUPDATE\s+[\w.\"\x00]+(?:\s+(?:AS\s+)?\w+)?\s+SET\b|\bDELETE\s+FROM\b|\bDO\s+UPDATE\b", re.I
)
_SQL = re.compile(r"\b(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|ANALYZE|TRUNCATE)\b", re.I)
_NAME = r'(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*|\x00\d+\x00)'
_QUALIFIED = re.compile(rf'(?<![\w."\x00])({_NAME})\s*\.\s*({_NAME})')
_BARE_NAME = re.compile(rf'(?<![\w."\x00])({_NAME})(?![\w$])(?!\s*\.)')
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
_SCHEMA_LIKE = re.compile(r"schema", re.I)  # quote_schema_name(...), connection.schema_name, schema
_TABLE_LIKE = re.compile(r"db_table|\btable\b|_table\b", re.I)
_MODEL_TABLE = re.compile(r"\b(\w+)\._meta\.db_table\b")
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def scan_application_code(root: Path, *, tables: Tables, reference_tables=REFERENCE_TABLES) -> list[Violation]:
    """Every finding in the application's Python files, paths relative to `root`."""
    findings = []
    for package in APPLICATION_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            findings += scan_python_source(path.read_text(), relative, tables=tables, reference_tables=reference_tables)
    return findings


def scan_python_source(source: str, path: str, *, tables: Tables, reference_tables=REFERENCE_TABLES) -> list:
    """The SQL strings of one module (string literals, f-strings and `+` chains of them; docstrings skipped)
    and its ORM expressions that put a volatile SQL function into an UPDATE or DELETE."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    seen = {
        id(node.body[0].value)  # docstrings
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    findings = []
    for node in ast.walk(tree):
        parts = None if id(node) in seen else _string_parts(node)
        if parts is None:
            continue
        seen.update(id(inner) for inner in ast.walk(node))
        statement = _Statement(*_template(parts), tables=tables)
        if not _SQL.search(statement.text):
            continue
        for rule, detail in statement.findings(
            reference_tables=set(reference_tables), repeated=_repeated(node, parents)
        ):
            findings.append(Violation(rule, f"{path}:{node.lineno}", detail, _owner(node, parents)))
    return findings + _volatile_orm_updates(tree, path, parents)


def _string_parts(node) -> list | None:
    """The string pieces of a literal, an f-string or a `+` chain of them; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) or isinstance(node, ast.JoinedStr):
        return [node]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string_parts(node.left), _string_parts(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _template(parts: list) -> tuple[str, list[str]]:
    """The statement's text, each interpolated expression replaced by a \x00<n>\x00 marker, and the
    expressions' source."""
    text, expressions = [], []
    for part in parts:
        for value in part.values if isinstance(part, ast.JoinedStr) else [part]:
            if isinstance(value, ast.Constant):
                text.append(str(value.value))
            else:
                text.append(f"\x00{len(expressions)}\x00")
                expressions.append(ast.unparse(value.value))
    return "".join(text), expressions


class _Statement:
    """One SQL string: the schemas it names, and the store and public tables it reads."""

    def __init__(self, text: str, expressions: list[str], *, tables: Tables):
        self.text, self.expressions, self.tables = text, expressions, tables
        self.schemas: dict[str, bool] = {}  # schema (literal name, or the expression computing it) -> computed?
        self.store_tables: set[str] = set()
        self.public_tables: set[str] = set()
        self.on_search_path = False  # reads a table that the search_path resolves (the current store's)
        for qualifier, name in _QUALIFIED.findall(text):
            source = self._expression(qualifier)
            if not ((source is not None and _SCHEMA_LIKE.search(source)) or self._is_table(name)):
                continue  # table.column or alias.column
            literal = qualifier.strip('"')
            if source is None and literal == "public":
                self.public_tables.add(self._table_of(name))
            elif source is not None or not literal.startswith(("pg_", "information_schema")):
                self.schemas[source or literal] = source is not None
                self.store_tables.add(self._table_of(name))
        for token in _BARE_NAME.findall(text):
            if not self._is_table(token):
                continue
            table = self._table_of(token)
            if table in tables.store:
                self.store_tables.add(table)
                self.on_search_path = True
            elif table in tables.public:
                self.public_tables.add(table)
            else:  # `{table}`: some table the search_path finds
                self.on_search_path = True
        self.store_tables &= tables.store

    def _expression(self, token: str) -> str | None:
        marker = _PLACEHOLDER.fullmatch(token)
        return self.expressions[int(marker.group(1))] if marker else None

    def _table_of(self, token: str) -> str | None:
        """The table a token names, when known: a literal name, or `{Model._meta.db_table}`."""
        source = self._expression(token)
        if source is None:
            return token.strip('"')
        model = _MODEL_TABLE.search(source)
        return self.tables.of_model.get(model.group(1)) if model else None

    def _is_table(self, token: str) -> bool:
        source = self._expression(token)
        if source is not None:
            return bool(_TABLE_LIKE.search(source))
        return token.strip('"') in self.tables.store | self.tables.public

    def findings(self, *, reference_tables: set[str], repeated: bool):
        named = ", ".join(sorted(self.schemas))
        if len(self.schemas) > 1:
            yield TWO_SCHEMAS, f"one statement names schemas {named}"
        elif self.schemas and self.on_search_path:
            yield TWO_SCHEMAS, f"one statement names schema {named} and tables on the search_path's store schema"
        elif repeated and any(self.schemas.values()):
            yield TWO_SCHEMAS, f"a fragment naming schema {named} is built once per item and joined into one statement"
        outside = sorted(self.public_tables - reference_tables - self.tables.store - {None})
        if self.store_tables and outside:
            yield (
                COORDINATOR_TABLE,
                (
                    f"one statement reads store tables ({', '.join(sorted(self.store_tables))}) and public tables that "
                    f"stay on the coordinator ({', '.join(outside)}): list them in REFERENCE_TABLES or split it"
                ),
            )
        if self.store_tables and _MODIFICATION.search(self.text):
            volatile = sorted({call.lower() for call in _VOLATILE_CALL.findall(self.text)})
            if volatile:
                yield (
                    VOLATILE,
                    f"an UPDATE or DELETE of store tables calls {', '.join(volatile)}(), which Citus refuses",
                )


def _repeated(node, parents) -> bool:
    """Built once per item of a comprehension, or of a loop that does not execute it itself."""
    while node in parents:
        node = parents[node]
        if isinstance(node, _COMPREHENSIONS):
            return True
        if isinstance(node, ast.For | ast.While):
            return not any(
                isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "execute"
                for statement in node.body
                for call in ast.walk(statement)
            )
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return False
    return False


def _owner(node, parents) -> str:
    """The function (or module-level constant) a node belongs to: findings are known by it, not by line."""
    while node in parents:
        parent = parents[node]
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            return parent.name
        if isinstance(parent, ast.Module) and isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id
        node = parent
    return "<module>"


def _volatile_orm_updates(tree, path: str, parents) -> list[Violation]:
    """`.update(...)` / `.delete()` calls that carry an ORM expression whose SQL template calls a volatile
    function (a Func whose `template` or `function` is e.g. clock_timestamp), directly or through a helper
    function of the same module."""
    volatile = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for statement in node.body
        if isinstance(statement, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id in ("template", "function") for target in statement.targets)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
        and _VOLATILE_NAME.search(statement.value.value)
    }
    if not volatile:
        return []

    def called(node) -> set[str]:
        return {
            call.func.id for call in ast.walk(node) if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
        }

    helpers = {
        function.name
        for function in tree.body
        if isinstance(function, ast.FunctionDef)
        for statement in ast.walk(function)
        if isinstance(statement, ast.Return) and statement.value is not None and called(statement.value) & volatile
    }
    findings = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("update", "delete")
        ):
            used = called(node) & (volatile | helpers)
            if used:
                detail = (
                    f"an ORM {node.func.attr}() carries {', '.join(sorted(used))}(), whose SQL calls a volatile "
                    "function; Citus refuses volatile functions in an UPDATE and in a modification's WHERE"
                )
                findings.append(Violation(VOLATILE, f"{path}:{node.lineno}", detail, _owner(node, parents)))
    return findings
