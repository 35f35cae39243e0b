"""DATABASE_POOL_MODE=transaction: the store's schema travels with every transaction, never with the session.

These tests talk to PostgreSQL through a second connection of the backend in transaction mode, on two scratch
schemas with a table of the same name holding different rows, and read the *session's* search_path through
the raw driver afterwards: it must never have moved, whatever ran before."""

import pytest
from django.db import connection, connections, transaction

from stores.database.base import DatabaseWrapper, SessionStateError

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "pooled"])
SCHEMAS = ("pool_test_a", "pool_test_b")


@pytest.fixture
def pooled():
    """A connection of the backend in transaction mode, and two schemas whose `sign` table says which it is."""
    database = connections["pooled"]
    database.set_schema_to_public()
    assert isinstance(database, DatabaseWrapper) and database.transaction_pooled
    with connection.cursor() as cursor:
        for name in SCHEMAS:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE; CREATE SCHEMA "{name}"')
            cursor.execute(f'CREATE TABLE "{name}".sign (schema text); INSERT INTO "{name}".sign VALUES (%s)', [name])
    yield database
    database.set_schema_to_public()
    database.close()
    with connection.cursor() as cursor:
        for name in SCHEMAS:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def sign(database) -> str:
    with database.cursor() as cursor:
        cursor.execute("SELECT schema FROM sign")
        return cursor.fetchone()[0]


def session_search_path(database) -> str:
    """The server session's own search_path, asked through the raw driver (no SET LOCAL in front)."""
    return database.connection.execute("SHOW search_path").fetchone()[0]


def test_an_autocommit_statement_carries_its_schema_and_leaves_the_session_untouched(pooled):
    pooled.set_schema("pool_test_a")
    assert sign(pooled) == "pool_test_a"
    pooled.set_schema("pool_test_b")
    assert sign(pooled) == "pool_test_b"

    assert session_search_path(pooled) == '"$user", public'


def test_every_transaction_sets_its_schema_once_and_again_after_a_switch(pooled, django_assert_num_queries):
    pooled.set_schema("pool_test_a")
    with transaction.atomic(using=pooled.alias):
        assert sign(pooled) == "pool_test_a"
        assert pooled.transaction_search_path == 'SET LOCAL search_path TO "pool_test_a", "public"'
        pooled.set_schema("pool_test_b")
        assert sign(pooled) == "pool_test_b"
        pooled.set_schema("pool_test_a")
        assert sign(pooled) == "pool_test_a"
    assert pooled.transaction_search_path is None
    assert session_search_path(pooled) == '"$user", public'


def test_a_rollback_to_a_savepoint_sends_the_schema_again(pooled):
    pooled.set_schema("pool_test_a")
    with transaction.atomic(using=pooled.alias):
        with pooled.cursor() as cursor:
            cursor.execute("SELECT 1")
        pooled.set_schema("pool_test_b")
        with pytest.raises(ZeroDivisionError), transaction.atomic(using=pooled.alias):
            assert sign(pooled) == "pool_test_b"  # its SET LOCAL came after the savepoint
            raise ZeroDivisionError
        assert sign(pooled) == "pool_test_b"  # sent again: the rollback had undone it


def test_the_answer_is_the_statements_not_the_settings(pooled):
    pooled.set_schema("pool_test_a")
    with pooled.cursor() as cursor:
        cursor.execute("UPDATE sign SET schema = schema WHERE schema = %s", ["pool_test_a"])
        assert cursor.rowcount == 1
        cursor.execute("INSERT INTO sign VALUES (%s), (%s) RETURNING schema", ["x", "y"])
        assert [row[0] for row in cursor.fetchall()] == ["x", "y"]
        cursor.executemany("INSERT INTO sign VALUES (%s)", [["m1"], ["m2"]])
        cursor.execute("SELECT count(*) FROM sign WHERE schema LIKE %s", ["m%"])
        assert cursor.fetchone()[0] == 2
    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM "pool_test_a".sign')
        assert cursor.fetchone()[0] == 5


@pytest.mark.parametrize(
    "statement",
    [
        'SET search_path = "pool_test_a"',
        "set statement_timeout = 5",
        "RESET search_path",
        "SELECT pg_advisory_lock(1)",
        "SELECT pg_try_advisory_lock(hashtext('x'), 1)",
        "SELECT pg_advisory_unlock_all()",
        "LISTEN somewhere",
        "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
    ],
)
def test_statements_that_would_leave_state_on_the_server_connection_are_refused(pooled, statement):
    pooled.set_schema("pool_test_a")
    with pytest.raises(SessionStateError, match="pooled server connection"), pooled.cursor() as cursor:
        cursor.execute(statement)


def test_what_transactions_may_do_is_allowed(pooled):
    pooled.set_schema("pool_test_a")
    with transaction.atomic(using=pooled.alias), pooled.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '1s'")
        cursor.execute("SELECT pg_advisory_xact_lock(1)")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_statement_that_cannot_run_in_a_transaction_is_sent_alone_on_public_and_refused_on_a_store(pooled):
    with pooled.cursor() as cursor:
        cursor.execute("VACUUM public.django_migrations")  # public: no SET LOCAL needed, none sent
    pooled.set_schema("pool_test_a")
    with pytest.raises(SessionStateError, match="direct connection"), pooled.cursor() as cursor:
        cursor.execute("CREATE INDEX CONCURRENTLY sign_schema ON sign (schema)")


def test_introspection_sees_only_the_current_schema_and_leaves_the_session_untouched(pooled):
    pooled.set_schema("pool_test_a")
    with pooled.cursor() as cursor:
        tables = {table.name for table in pooled.introspection.get_table_list(cursor)}
        assert tables == {"sign"}
        with transaction.atomic(using=pooled.alias):
            assert [c.name for c in pooled.introspection.get_table_description(cursor, "sign")] == ["schema"]
            assert sign(pooled) == "pool_test_a"  # the usual path is back for the next statement
    assert session_search_path(pooled) == '"$user", public'


def test_copy_runs_inside_a_transaction_and_is_refused_in_autocommit(pooled):
    pooled.set_schema("pool_test_b")
    with transaction.atomic(using=pooled.alias), pooled.cursor() as cursor:
        with cursor.cursor.copy("COPY sign (schema) FROM STDIN") as copy:
            copy.write_row(["copied"])
        cursor.execute("SELECT count(*) FROM sign WHERE schema = 'copied'")
        assert cursor.fetchone()[0] == 1
    with pytest.raises(Exception, match="inside transaction.atomic"), pooled.cursor() as cursor:
        cursor.cursor.copy("COPY sign (schema) FROM STDIN")
