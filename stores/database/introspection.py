"""Introspection that sees the current schema only (django-tenants'), without a session `SET` in transaction
pool mode: there the schema-only path is a `SET LOCAL` inside a transaction of its own (or a savepoint of the
caller's), and the store's usual path is sent again with the next statement."""

from contextlib import contextmanager

from django.db import transaction
from django.db.backends.postgresql.introspection import DatabaseIntrospection as PostgreSQLIntrospection
from django_tenants.postgresql_backend.introspection import DatabaseSchemaIntrospection
from django_tenants.utils import quote_schema_name


class DatabaseIntrospection(DatabaseSchemaIntrospection):
    @contextmanager
    def _current_schema_only(self, cursor):
        with transaction.atomic(using=self.connection.alias):
            cursor.execute(f"SET LOCAL search_path TO {quote_schema_name(self.connection.schema_name)}")
            try:
                yield
            finally:
                self.connection.transaction_search_path = None  # the next statement restores the usual path

    def _schema_only(name):  # noqa: N805 - builds the methods below
        def method(self, cursor, *args, **kwargs):
            if not self.connection.transaction_pooled:
                return getattr(DatabaseSchemaIntrospection, name)(self, cursor, *args, **kwargs)
            with self._current_schema_only(cursor):
                return getattr(PostgreSQLIntrospection, name)(self, cursor, *args, **kwargs)

        method.__name__ = name
        return method

    get_table_list = _schema_only("get_table_list")
    get_table_description = _schema_only("get_table_description")
    get_sequences = _schema_only("get_sequences")
    get_key_columns = _schema_only("get_key_columns")
    get_constraints = _schema_only("get_constraints")
    del _schema_only
