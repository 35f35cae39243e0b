"""Before one database is not enough: what Citus schema-based sharding asks of a store schema (docs/scaling.md).

Each rule is checked on a store schema made the way merchants get one (sign-up clones the template), and shown
able to fail on a deliberately bad case in scratch schemas (rolled back with the test) or in a source snippet.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from stores import citus_rules
from stores.citus_rules import (
    COORDINATOR_TABLE,
    FOREIGN_KEY,
    KNOWN_FINDINGS,
    OTHER_SCHEMA,
    REPLICA_IDENTITY,
    SEQUENCE,
    TWO_SCHEMAS,
    UNSUPPORTED,
    VOLATILE,
)

ROOT = Path(__file__).resolve().parents[2]
A, B = "scratch_store_a", "scratch_store_b"


@pytest.fixture
def cursor(db):
    with connection.cursor() as cursor:
        yield cursor


@pytest.fixture
def store_schema(make_store) -> str:
    return make_store().schema_name


@pytest.fixture
def scratch(cursor):
    """Two schemas standing for two stores' (the test's transaction drops them)."""
    for schema in (A, B):
        cursor.execute(f"CREATE SCHEMA {schema}")


def run(cursor, *statements: str) -> None:
    for statement in statements:
        cursor.execute(statement)


def rules(violations) -> list[tuple[str, str]]:
    return [(violation.rule, violation.where) for violation in violations]


# ---------------------------------------------------------------------------------------------------------
# Foreign keys


def test_store_tables_reference_only_their_own_schema_or_reference_tables(store_schema, cursor):
    cursor.execute(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = %s::regnamespace", [store_schema]
    )
    assert cursor.fetchone()[0] > 0  # the rule had foreign keys to look at
    assert citus_rules.foreign_key_violations(cursor, store_schema) == []


def test_the_reference_tables_are_public_tables_with_bigint_sequences(cursor):
    assert citus_rules.reference_table_violations(cursor) == []


def test_a_foreign_key_to_another_store_schema_is_reported(cursor, scratch):
    run(
        cursor,
        f"CREATE TABLE {B}.backorder_product (id bigint PRIMARY KEY)",
        f"CREATE TABLE {A}.backorder_variant (id bigint PRIMARY KEY, "
        f"product_id bigint REFERENCES {B}.backorder_product)",
    )

    violations = citus_rules.foreign_key_violations(cursor, A)

    assert rules(violations) == [(FOREIGN_KEY, f"{A}.backorder_variant")]
    assert f"references {B}.backorder_product" in violations[0].detail


def test_a_foreign_key_into_a_store_schema_from_another_schema_is_reported(cursor, scratch):
    run(
        cursor,
        f"CREATE TABLE {A}.backorder_product (id bigint PRIMARY KEY)",
        f"CREATE TABLE {B}.backorder_variant (id bigint PRIMARY KEY, "
        f"product_id bigint REFERENCES {A}.backorder_product)",
    )

    assert rules(citus_rules.foreign_key_violations(cursor, A)) == [(FOREIGN_KEY, f"{A}.backorder_product")]


def test_a_foreign_key_to_a_public_table_is_reported_unless_it_is_a_reference_table(cursor, scratch):
    run(cursor, f"CREATE TABLE {A}.note (id bigint PRIMARY KEY, store_id bigint REFERENCES public.stores_store)")

    assert rules(citus_rules.foreign_key_violations(cursor, A)) == [(FOREIGN_KEY, f"{A}.note")]
    assert citus_rules.foreign_key_violations(cursor, A, reference_tables={"stores_store"}) == []


def test_a_reference_table_that_is_missing_or_has_an_integer_sequence_is_reported(cursor):
    violations = citus_rules.reference_table_violations(cursor, {"django_q_ormq", "no_such_table"})

    assert rules(violations) == [(FOREIGN_KEY, "public.no_such_table"), (SEQUENCE, "public.django_q_ormq.id")]


# ---------------------------------------------------------------------------------------------------------
# Views, defaults, triggers, functions


def test_nothing_in_a_store_schema_depends_on_another_store_or_the_template(store_schema, cursor):
    assert citus_rules.other_schema_dependency_violations(cursor, store_schema) == []


def test_a_view_default_trigger_or_function_naming_another_store_is_reported(cursor, scratch):
    run(
        cursor,
        f"CREATE TABLE {B}.backorder_variant (id bigint PRIMARY KEY)",
        f"CREATE SEQUENCE {B}.shared_seq",
        f"CREATE TABLE {A}.note (id bigint PRIMARY KEY DEFAULT nextval('{B}.shared_seq'))",
        f"CREATE VIEW {A}.other_variants AS SELECT id FROM {B}.backorder_variant",
        f"CREATE FUNCTION {B}.stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        f"CREATE TRIGGER stamp BEFORE INSERT ON {A}.note FOR EACH ROW EXECUTE FUNCTION {B}.stamp()",
        f"CREATE FUNCTION {A}.peek() RETURNS bigint LANGUAGE plpgsql "
        f"AS $$ BEGIN RETURN (SELECT count(*) FROM {B}.backorder_variant); END $$",
    )

    details = [violation.detail for violation in citus_rules.other_schema_dependency_violations(cursor, A)]

    assert any(detail.startswith(f"default value for column id of table {A}.note") for detail in details)
    assert any(detail.startswith(f"rule _RETURN on view {A}.other_variants") for detail in details)
    assert any(detail.startswith(f"trigger stamp on table {A}.note") for detail in details)
    assert f"function {A}.peek() names schema {B} in its body" in details
    assert len(details) == 4


def test_a_function_that_sets_its_search_path_to_another_store_is_reported(cursor, scratch):
    run(
        cursor,
        f"CREATE FUNCTION {A}.answer() RETURNS int LANGUAGE sql AS $$ SELECT 42 $$",
        f"ALTER FUNCTION {A}.answer() SET search_path = {B}, public",
    )

    details = [violation.detail for violation in citus_rules.other_schema_dependency_violations(cursor, A)]

    assert details == [f"function {A}.answer() names schema {B} in its settings"]


def test_a_store_naming_the_template_is_reported(cursor, scratch):
    template = settings.TENANT_BASE_SCHEMA
    run(cursor, f"CREATE VIEW {A}.template_policies AS SELECT id FROM {template}.backorder_policy")

    violations = citus_rules.other_schema_dependency_violations(cursor, A)

    assert {violation.rule for violation in violations} == {OTHER_SCHEMA}
    assert all(f"(schema {template})" in violation.detail for violation in violations)


# ---------------------------------------------------------------------------------------------------------
# Sequences


def test_every_sequence_a_store_column_takes_values_from_is_bigint(store_schema, cursor):
    cursor.execute(
        "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relnamespace = %s::regnamespace AND a.attidentity <> ''",
        [store_schema],
    )
    assert cursor.fetchone()[0] > 0  # identity columns, one per table: the rule had sequences to look at
    assert citus_rules.sequence_violations(cursor, store_schema) == []


def test_an_integer_serial_identity_or_nextval_column_is_reported(cursor, scratch):
    run(
        cursor,
        f"CREATE TABLE {A}.old_serial (id serial PRIMARY KEY)",
        f"CREATE TABLE {A}.old_identity (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)",
        f"CREATE SEQUENCE {A}.wide_seq AS bigint",
        f"CREATE TABLE {A}.narrow_column (id integer PRIMARY KEY DEFAULT nextval('{A}.wide_seq'))",
        f"CREATE TABLE {A}.fine (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)",
    )

    violations = citus_rules.sequence_violations(cursor, A)

    assert sorted(rules(violations)) == [
        (SEQUENCE, f"{A}.narrow_column.id"),
        (SEQUENCE, f"{A}.old_identity.id"),
        (SEQUENCE, f"{A}.old_identity_id_seq"),
        (SEQUENCE, f"{A}.old_serial.id"),
        (SEQUENCE, f"{A}.old_serial_id_seq"),
    ]


# ---------------------------------------------------------------------------------------------------------
# Moving a schema between nodes; objects a distributed schema refuses


def test_every_store_table_has_a_primary_key_or_replica_identity(store_schema, cursor):
    assert citus_rules.replica_identity_violations(cursor, store_schema) == []


def test_a_table_without_primary_key_or_replica_identity_is_reported(cursor, scratch):
    run(
        cursor,
        f"CREATE TABLE {A}.log (line text)",
        f"CREATE TABLE {A}.full_log (line text)",
        f"ALTER TABLE {A}.full_log REPLICA IDENTITY FULL",
    )

    assert rules(citus_rules.replica_identity_violations(cursor, A)) == [(REPLICA_IDENTITY, f"{A}.log")]


def test_a_store_schema_holds_nothing_a_distributed_schema_refuses(store_schema, cursor):
    assert citus_rules.unsupported_object_violations(cursor, store_schema) == []


def test_inheritance_rules_and_partitions_across_schemas_are_reported(cursor, scratch):
    run(
        cursor,
        f"CREATE TABLE {A}.parent (id bigint PRIMARY KEY)",
        f"CREATE TABLE {A}.child () INHERITS ({A}.parent)",
        f"CREATE RULE no_deletes AS ON DELETE TO {A}.parent DO INSTEAD NOTHING",
        f"CREATE TABLE {B}.by_month (id bigint, at date) PARTITION BY RANGE (at)",
        f"CREATE TABLE {A}.january PARTITION OF {B}.by_month FOR VALUES FROM ('2027-01-01') TO ('2027-02-01')",
    )

    violations = citus_rules.unsupported_object_violations(cursor, A)

    assert {violation.rule for violation in violations} == {UNSUPPORTED}
    assert [(violation.where, violation.detail) for violation in violations] == [
        (f"{A}.child", f"inherits from {A}.parent"),
        (f"{A}.january", f"is a partition of {B}.by_month"),
        (f"{A}.parent", "has rule no_deletes (the rule system)"),
    ]


def test_the_template_passes_every_catalog_rule(cursor):
    assert citus_rules.store_schema_violations(cursor, settings.TENANT_BASE_SCHEMA) == []


# ---------------------------------------------------------------------------------------------------------
# The application's SQL


@pytest.fixture(scope="module")
def tables() -> citus_rules.Tables:
    return citus_rules.application_tables()


@pytest.fixture(scope="module")
def application_findings(tables) -> list:
    return citus_rules.scan_application_code(ROOT, tables=tables)


NOT_ON_CITUS = "Citus would refuse or could not route this (docs/scaling.md); fix it, or explain it in KNOWN_FINDINGS"


def unexpected(findings, rule: str) -> list[str]:
    """Findings of a rule that KNOWN_FINDINGS does not explain."""
    return [
        str(finding)
        for finding in findings
        if finding.rule == rule and (rule, finding.where.split(":")[0], finding.function) not in KNOWN_FINDINGS
    ]


def scan(source: str, tables, **kwargs) -> list[tuple[str, str]]:
    return [
        (finding.rule, finding.detail)
        for finding in citus_rules.scan_python_source(source, "x.py", tables=tables, **kwargs)
    ]


def test_application_sql_never_names_two_store_schemas_in_one_statement(application_findings):
    assert unexpected(application_findings, TWO_SCHEMAS) == [], NOT_ON_CITUS


def test_application_sql_never_joins_store_tables_with_a_public_table_left_on_the_coordinator(application_findings):
    assert unexpected(application_findings, COORDINATOR_TABLE) == [], NOT_ON_CITUS


def test_application_sql_calls_no_volatile_function_in_an_update_or_delete_of_store_tables(application_findings):
    assert unexpected(application_findings, VOLATILE) == [], NOT_ON_CITUS


def test_every_known_finding_is_still_there(application_findings):
    """A fixed finding leaves KNOWN_FINDINGS too, so the list says what still has to change."""
    found = {(finding.rule, finding.where.split(":")[0], finding.function) for finding in application_findings}
    assert set(KNOWN_FINDINGS) - found == set(), "fixed: remove these from KNOWN_FINDINGS (stores/citus_rules.py)"


def test_a_statement_naming_two_store_schemas_is_reported(tables):
    source = """
def copy_policies(cursor, source, target):
    cursor.execute(
        f"INSERT INTO {quote_schema_name(target)}.backorder_policy "
        f"SELECT * FROM {quote_schema_name(source)}.backorder_policy"
    )
"""
    [(rule, detail)] = scan(source, tables)
    assert rule == TWO_SCHEMAS
    assert "quote_schema_name(source), quote_schema_name(target)" in detail


def test_a_statement_naming_a_store_schema_beside_the_search_paths_store_is_reported(tables):
    source = """
def compare(cursor, other):
    cursor.execute(f"SELECT count(*) FROM {Backorder._meta.db_table} b JOIN {other_schema}.backorder_variant v ON true")
"""
    assert [rule for rule, _ in scan(source, tables)] == [TWO_SCHEMAS]


def test_a_per_schema_fragment_joined_into_one_statement_is_reported_but_one_statement_per_schema_is_not(tables):
    joined = """
def due(cursor, names):
    parts = [f"SELECT 1 FROM {connection.ops.quote_name(name)}.{table}" for name in names]
    cursor.execute(" UNION ALL ".join(parts))
"""
    one_by_one = """
def due(cursor, names):
    for name in names:
        cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(name)}.{table}")
"""
    assert [rule for rule, _ in scan(joined, tables)] == [TWO_SCHEMAS]
    assert scan(one_by_one, tables) == []


def test_a_statement_reading_a_store_table_and_a_coordinator_table_is_reported_unless_it_is_a_reference_table(tables):
    source = """
SQL = "SELECT b.id FROM backorder_backorder b JOIN public.stores_store s ON s.id = %s"
"""
    assert [rule for rule, _ in scan(source, tables)] == [COORDINATOR_TABLE]
    assert scan(source, tables, reference_tables={"stores_store"}) == []


def test_a_volatile_function_in_an_update_of_store_tables_is_reported_but_not_in_a_select_or_a_public_update(tables):
    update = 'SQL = f"UPDATE {Backorder._meta.db_table} SET updated_at = clock_timestamp() WHERE id = %s"'
    select = 'SQL = f"SELECT clock_timestamp(), count(*) FROM {Backorder._meta.db_table}"'
    public = 'SQL = "UPDATE public.stores_store SET reconciled_at = clock_timestamp() WHERE id = %s"'

    assert scan(update, tables) == [
        (VOLATILE, "an UPDATE or DELETE of store tables calls clock_timestamp(), which Citus refuses")
    ]
    assert scan(select, tables) == []
    assert scan(public, tables) == []


def test_an_orm_update_carrying_a_volatile_expression_is_reported_directly_or_through_a_helper(tables):
    source = """
class DatabaseClock(Func):
    template = "clock_timestamp()"

def lease_end():
    return DatabaseClock() + Value(LEASE)

def claim(ids):
    Row.objects.filter(id__in=ids).update(until=lease_end())

def mark(ids):
    Row.objects.filter(id__in=ids).update(at=DatabaseClock())

def still_leased(ids):
    return Row.objects.filter(until__gte=DatabaseClock()).exists()
"""
    findings = citus_rules.scan_python_source(source, "x.py", tables=tables)

    assert [(finding.rule, finding.function) for finding in findings] == [(VOLATILE, "claim"), (VOLATILE, "mark")]
