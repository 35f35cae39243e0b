"""The database backend: django-tenants' store schemas, in either of two pool modes (DATABASE_POOL_MODE).

`session` (the default): django-tenants' own behaviour. After a schema switch the next cursor runs a
session-level `SET search_path`; the server connection keeps it, so it must not be shared with anyone else.

`transaction`: correct behind a transaction-mode pooler (PgBouncer, RDS Proxy, ...), which hands each
transaction to whichever server connection is free, so a session setting made by one store's request would
reach another store's. Nothing is set on the session. The schema travels with every transaction instead: the
first statement of a transaction, and every statement in autocommit (which is a transaction of its own), is
sent as `SET LOCAL search_path TO "<store>", "public"; <statement>` in one simple-protocol message, which
PostgreSQL runs as one transaction, so the setting ends with it. A schema switch inside a transaction, or a
rollback to a savepoint, sends it again with the next statement. No extra round trip: the setting rides with
the statement. Statements that would leave state on the server connection (a session `SET`, session advisory
locks, `LISTEN`, `PREPARE`, cursors `WITH HOLD`) are refused with an error that says why; server-side cursors
are off (DISABLE_SERVER_SIDE_CURSORS) and psycopg never prepares statements (prepare_threshold None).
"""

from __future__ import annotations

import re

from django.db import NotSupportedError
from django.db.backends.postgresql import base as postgresql
from django_tenants.postgresql_backend import base as tenants
from django_tenants.utils import quote_schema_name
from psycopg import ProgrammingError
from psycopg.pq import TransactionStatus

from stores.database.introspection import DatabaseIntrospection

SESSION = "session"
TRANSACTION = "transaction"
POOL_MODES = (SESSION, TRANSACTION)

# What a statement must not do behind a transaction-mode pooler: leave state on a server connection that the
# next transaction, perhaps another store's, would inherit.
_SESSION_STATE = re.compile(
    r"^\s*(?:SET\s+(?!LOCAL\b|TRANSACTION\b|CONSTRAINTS\b)|RESET\b|LISTEN\b|PREPARE\b|DISCARD\b)"
    r"|\bpg_(?:try_)?advisory_(?:lock|lock_shared|unlock|unlock_shared|unlock_all)\s*\("
    r"|\bWITH\s+HOLD\b",
    re.IGNORECASE,
)


# What PostgreSQL refuses inside a transaction block, so it cannot carry a SET LOCAL: sent as it is, and
# refused on a store schema (where it would need the session's search_path): run it over a direct connection.
_OUTSIDE_TRANSACTIONS = re.compile(
    r"^\s*(?:CREATE\s+DATABASE|DROP\s+DATABASE|ALTER\s+SYSTEM|VACUUM|(?:CREATE|DROP)\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY"
    r"|REINDEX\b[^;]*\bCONCURRENTLY)",
    re.IGNORECASE,
)


class SessionStateError(NotSupportedError):
    """A statement would leave state on a pooled server connection (DATABASE_POOL_MODE=transaction)."""


def _refuse_session_state(statement) -> None:
    if isinstance(statement, str) and _SESSION_STATE.search(statement):
        raise SessionStateError(
            "This statement would leave state on the pooled server connection, which the next transaction "
            "(perhaps another store's) would inherit; with DATABASE_POOL_MODE=transaction use SET LOCAL, "
            f"pg_advisory_xact_lock or a lease row (stores.leases) instead: {statement[:200]!r}"
        )


class TransactionPooledCursor(postgresql.Cursor):
    """Django's client-side-binding psycopg cursor that carries the store's schema into each transaction.

    `database` is the DatabaseWrapper that made it; a raw cursor made without one (Django's own connection
    set-up, or ours on purpose: provisioning resets the session after the clone function) passes statements
    through unchanged."""

    database: DatabaseWrapper | None = None

    def _search_path_owed(self, statement=None) -> str | None:
        """The `SET LOCAL search_path ...` this transaction still needs before the next statement, or None."""
        database = self.database
        if database is None:
            return None
        if isinstance(statement, str) and _OUTSIDE_TRANSACTIONS.match(statement):
            if database.schema_name != tenants.get_public_schema_name():
                raise SessionStateError(
                    "This statement cannot run inside a transaction, so with DATABASE_POOL_MODE=transaction it "
                    "cannot be given a store's schema; run it over a direct connection with DATABASE_POOL_MODE="
                    f"session (docs/operations.md, 'Migrations'): {statement[:200]!r}"
                )
            return None
        wanted = database.search_path_statement()
        # IDLE: no transaction is open, so the next statement starts one (autocommit: it is one).
        if self._conn.pgconn.transaction_status == TransactionStatus.IDLE or database.transaction_search_path != wanted:
            return wanted
        return None

    def _search_path_sent(self, statement: str) -> None:
        if not self._conn.autocommit:  # inside a transaction the setting lasts until it ends
            self.database.transaction_search_path = statement

    def execute(self, query, params=None, **kwargs):
        if self.database is not None:
            _refuse_session_state(query)
        set_local = self._search_path_owed(query)
        if set_local is None:
            return super().execute(query, params, **kwargs)
        statement = self.mogrify(query, params)
        super().execute(f"{set_local}; {statement}", **kwargs)
        self.nextset()  # the answer is the statement's, not the SET's
        self._search_path_sent(set_local)
        return self

    def executemany(self, query, params_seq, **kwargs):
        if self.database is not None:
            _refuse_session_state(query)
        set_local = self._search_path_owed()
        if set_local is None:
            return super().executemany(query, params_seq, **kwargs)
        if self._conn.autocommit:  # one transaction for the batch, so the setting covers all of it
            with self._conn.transaction():
                super().execute(set_local)
                return super().executemany(query, params_seq, **kwargs)
        super().execute(set_local)
        self._search_path_sent(set_local)
        return super().executemany(query, params_seq, **kwargs)

    def copy(self, statement, params=None, **kwargs):
        set_local = self._search_path_owed()
        if set_local is not None:
            if self._conn.autocommit:
                raise ProgrammingError(
                    "COPY must run inside transaction.atomic() with DATABASE_POOL_MODE=transaction "
                    "(the store's schema is set per transaction)."
                )
            super().execute(set_local)
            self._search_path_sent(set_local)
        return super().copy(statement, params, **kwargs)


class DatabaseWrapper(tenants.DatabaseWrapper):
    def __init__(self, settings_dict, *args, **kwargs):
        self.pool_mode = settings_dict.get("POOL_MODE") or SESSION
        if self.pool_mode not in POOL_MODES:
            raise NotSupportedError(f"DATABASE_POOL_MODE must be session or transaction, got {self.pool_mode!r}")
        # The `SET LOCAL search_path ...` already sent in the open transaction (transaction mode only).
        self.transaction_search_path: str | None = None
        self._search_path_statements: dict[tuple[str, bool], str] = {}
        super().__init__(settings_dict, *args, **kwargs)
        self.introspection = DatabaseIntrospection(self)

    @property
    def transaction_pooled(self) -> bool:
        return self.pool_mode == TRANSACTION

    def search_path_statement(self) -> str:
        """`SET LOCAL search_path TO ...` for the current schema (validated and quoted by django-tenants)."""
        key = (self.schema_name, self.include_public_schema)
        statement = self._search_path_statements.get(key)
        if statement is None:
            paths = ", ".join(quote_schema_name(name) for name in self._get_cursor_search_paths())
            statement = self._search_path_statements[key] = f"SET LOCAL search_path TO {paths}"
        return statement

    def get_connection_params(self):
        params = super().get_connection_params()
        if self.transaction_pooled:
            params["cursor_factory"] = TransactionPooledCursor
            params["prepare_threshold"] = None  # a prepared statement lives on one server connection
        return params

    def create_cursor(self, name=None):
        if name and self.transaction_pooled:
            raise NotSupportedError("Server-side cursors cannot be used with DATABASE_POOL_MODE=transaction.")
        cursor = super().create_cursor(name)
        if self.transaction_pooled:
            cursor.database = self
        return cursor

    def _cursor(self, name=None):
        if self.transaction_pooled:  # no session `SET search_path`: each transaction carries its own
            return postgresql.DatabaseWrapper._cursor(self, name)
        return super()._cursor(name)

    def _forget_transaction_search_path(self) -> None:
        self.transaction_search_path = None

    def close(self):
        self._forget_transaction_search_path()
        super().close()

    def rollback(self):
        self._forget_transaction_search_path()
        super().rollback()

    def commit(self):
        self._forget_transaction_search_path()
        super().commit()

    def savepoint_rollback(self, sid):
        try:
            super().savepoint_rollback(sid)
        finally:  # a SET LOCAL sent after the savepoint is undone with it
            self._forget_transaction_search_path()
