"""Migrating thousands of store schemas: which stores lack which migrations in one query, and the pending ones
applied in parallel, each store in a transaction of its own.

The rules:
- A store is up to date when its `django_migrations` holds every migration the code has (each schema records
  the shared apps' migrations too, as django-tenants does). One query per 500 store schemas
  (`public.store_schemas_missing_migrations`, stores migration 0009) names the others, each in a transaction of
  its own so that its locks stay bounded; an up-to-date store costs nothing more.
- A store's pending migrations run in one transaction with a lock timeout, so a store either moves to the new
  state or stays where it was, and a migration stuck behind the store's traffic gives up instead of stalling
  it. (A migration marked non-atomic, such as CREATE INDEX CONCURRENTLY, runs on its own.)
- A store that fails is reported and the others go on; running `migrate` again continues with the stores
  still pending, since "pending" is read from the stores themselves.
- The rendered model state before a plan is the same for every store at the same point, so it is built once
  per distinct plan and cloned for each store (rendering it is most of Django's per-store cost).
- Nothing per store reads the whole catalog: Django's recorder asks whether `django_migrations` exists by
  listing every table visible on the search path (`pg_table_is_visible` over all of `pg_class`: 0.4 s a store
  at 2,000 stores, 430,000 relations), so a store's recorder looks its own table up by name instead.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.utils import quote_schema_name

DEFAULT_LOCK_TIMEOUT_MS = 10_000


class StoreMigrationRecorder(MigrationRecorder):
    """Django's recorder for the current schema, whose "does django_migrations exist" is one lookup of that
    schema's table by name (an index probe), not a list of every visible table (a scan of the whole catalog,
    which grows with the number of stores)."""

    def has_table(self) -> bool:
        if self._has_table:
            return True
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT to_regclass(%s) IS NOT NULL",
                [f"{quote_schema_name(self.connection.schema_name)}.{self.Migration._meta.db_table}"],
            )
            self._has_table = bool(cursor.fetchone()[0])
        return self._has_table


def migration_names() -> list[str]:
    """Every migration of the code, as "app.name" (what an up-to-date schema has recorded)."""
    executor = MigrationExecutor(connection)
    return sorted(f"{app}.{name}" for app, name in executor.loader.graph.nodes)


SCHEMAS_PER_QUERY = 500


def stores_missing_migrations(*, schemas: list[str], expected: list[str] | None = None) -> dict[str, list[str]]:
    """{schema: the migrations it lacks} for the schemas that lack any: one query per SCHEMAS_PER_QUERY stores
    (20 at 10,000), nothing per store. Reading a schema's `django_migrations` takes two locks (the table and its
    key) until the transaction ends, so one query over every store would need two lock slots per store at once:
    20,000 at 10,000 stores, three times PostgreSQL's default lock table (max_locks_per_transaction 64 ×
    max_connections 100), shared with the stores' own traffic. In autocommit each query is its own transaction and
    frees its locks before the next."""
    if not schemas:
        return {}
    expected = migration_names() if expected is None else expected
    missing: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(schemas), SCHEMAS_PER_QUERY):
            cursor.execute(
                "SELECT schema_name, missing FROM public.store_schemas_missing_migrations(%s::text[], %s::text[])",
                [schemas[start : start + SCHEMAS_PER_QUERY], expected],
            )
            missing.update((schema, list(names)) for schema, names in cursor.fetchall())
    return missing


@dataclass
class StoreMigration:
    """What migrating one store did."""

    schema: str
    applied: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0


class StoreMigrator:
    """Applies a schema's pending migrations on this process's connection (see the module's rules)."""

    def __init__(self, *, lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS) -> None:
        self.lock_timeout_ms = lock_timeout_ms
        self._executor: MigrationExecutor | None = None
        self._states: dict[frozenset, object] = {}

    def _executor_for_current_schema(self) -> MigrationExecutor:
        """One executor (and migration graph, read from disk once) for every schema, with the current
        schema's applied migrations; a graph with squashed migrations is read per schema (which of them
        count depends on what the schema has applied)."""
        if self._executor is None or self._executor.loader.replacements:
            self._executor = MigrationExecutor(connection)
        recorder = StoreMigrationRecorder(connection)
        self._executor.recorder = recorder  # records this schema's migrations (ensure_schema asks has_table)
        self._executor.loader.applied_migrations = recorder.applied_migrations()
        return self._executor

    def migrate(self, schema: str) -> StoreMigration:
        started = time.perf_counter()
        result = StoreMigration(schema=schema)
        connection.set_schema(schema)
        try:
            executor = self._executor_for_current_schema()
            targets = executor.loader.graph.leaf_nodes()
            plan = executor.migration_plan(targets)
            if plan:
                atomic = all(migration.atomic for migration, _backwards in plan)
                with transaction.atomic() if atomic else nullcontext():
                    if atomic:
                        with connection.cursor() as cursor:
                            cursor.execute(f"SET LOCAL lock_timeout = '{int(self.lock_timeout_ms)}ms'")
                    executor.migrate(targets, plan=plan, state=self._state_before(executor))
                result.applied = [f"{m.app_label}.{m.name}" for m, _backwards in plan]
        except Exception as exc:  # reported with the store's name; the other stores go on
            result.error = f"{type(exc).__name__}: {exc}".strip()[:2000]
        finally:
            connection.set_schema_to_public()
        result.seconds = time.perf_counter() - started
        return result

    def _state_before(self, executor: MigrationExecutor):
        """The project state after what this schema has applied: built and rendered once per applied set."""
        key = frozenset(executor.loader.applied_migrations)
        state = self._states.get(key)
        if state is None:
            state = executor._create_project_state(with_applied_migrations=True)
            state.apps  # noqa: B018 - render the models now, once, rather than in every store's clone
            self._states = {key: state}  # one plan at a time is the common case: keep the memory bounded
        return state.clone()


# -- many stores, in parallel -----------------------------------------------------------------------------

_worker_migrator: StoreMigrator | None = None


def _worker_start(lock_timeout_ms: int) -> None:
    global _worker_migrator
    for alias in connections:  # a forked child must not use its parent's socket
        connections[alias].connection = None
    _worker_migrator = StoreMigrator(lock_timeout_ms=lock_timeout_ms)


def _worker_migrate(schemas: list[str]) -> list[StoreMigration]:
    return [_worker_migrator.migrate(schema) for schema in schemas]


def stores_migrate(
    schemas: Iterable[str],
    *,
    jobs: int = 1,
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS,
    batch: int = 10,
) -> Iterator[StoreMigration]:
    """Migrate these store schemas, `jobs` at a time (processes), yielding each store's result as it ends."""
    schemas = list(schemas)
    if jobs <= 1:
        migrator = StoreMigrator(lock_timeout_ms=lock_timeout_ms)
        for schema in schemas:
            yield migrator.migrate(schema)
        return
    connections.close_all()  # the children open their own connections
    batches = [schemas[i : i + batch] for i in range(0, len(schemas), batch)]
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_worker_start,
        initargs=(lock_timeout_ms,),
    ) as pool:
        futures = [pool.submit(_worker_migrate, chunk) for chunk in batches]
        for chunk, future in zip(batches, futures, strict=True):
            try:
                yield from future.result()
            except Exception as exc:  # the worker process itself died: every store of its batch is reported
                for schema in chunk:
                    yield StoreMigration(schema=schema, error=f"worker failed: {type(exc).__name__}: {exc}")


# -- progress -----------------------------------------------------------------------------------------------


class Progress:
    """done/total, rate and time left: one line redrawn on a terminal, a log line per batch otherwise."""

    def __init__(self, total: int, *, write: Callable[[str], None], tty: bool | None = None, every: int = 100):
        self.total, self.done, self.failed = total, 0, 0
        self.write = write
        self.tty = sys.stdout.isatty() if tty is None else tty
        self.every = every
        self.started = self.last_line = time.monotonic()

    def step(self, result: StoreMigration) -> None:
        self.done += 1
        self.failed += bool(result.error)
        now = time.monotonic()
        if self.tty:
            sys.stdout.write("\r" + self.line() + ("\n" if self.done == self.total else ""))
            sys.stdout.flush()
        elif self.done % self.every == 0 or self.done == self.total or now - self.last_line >= 10:
            self.write(self.line())
            self.last_line = now

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else 0
        failed = f", {self.failed} failed" if self.failed else ""
        return f"  stores {self.done}/{self.total}{failed}, {rate:.1f}/s, {int(left // 60)}:{int(left % 60):02d} left"
