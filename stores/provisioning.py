"""Store schemas: cloned from a template schema that `migrate` keeps current.

Cloning is several times faster than running every migration for each new store, but a clone of a stale
template would carry a schema whose migration history lies (research/django.md §1.5). So `migrate`
brings the template up to date, and a clone is refused while the template has pending migrations.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django_tenants.clone import CloneSchema
from django_tenants.utils import quote_schema_name, schema_context, schema_exists

from stores.models import Domain, Store

logger = logging.getLogger(__name__)
_store_setup_steps: list[Callable[[Store], None]] = []


class StaleTemplateError(RuntimeError):
    """The template schema is missing or behind the code's migrations."""


def register_store_setup(step: Callable[[Store], None]) -> Callable[[Store], None]:
    """Domain apps register what every new store starts with; each step runs inside the new schema."""
    if step not in _store_setup_steps:
        _store_setup_steps.append(step)
    return step


def template_schema_name() -> str:
    return settings.TENANT_BASE_SCHEMA


# Held (transaction-level) by the template's migration exclusively and by every clone shared: a sign-up during
# a deploy waits for the template's migration and then clones the new template, never the old one.
TEMPLATE_LOCK_SQL = "SELECT pg_advisory_xact_lock{mode}(hashtext('stores.template_schema'))"


def template_schema_migrate(*, verbosity: int = 0, lock_timeout_ms: int | None = None) -> None:
    """Create the template schema if needed and apply every tenant migration to it, in one transaction that
    sign-ups wait for (see TEMPLATE_LOCK_SQL)."""
    from stores import schema_migrations

    name = template_schema_name()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(TEMPLATE_LOCK_SQL.format(mode=""))
            if not schema_exists(name):
                cursor.execute(f"CREATE SCHEMA {quote_schema_name(name)}")
        result = schema_migrations.StoreMigrator(
            lock_timeout_ms=lock_timeout_ms or schema_migrations.DEFAULT_LOCK_TIMEOUT_MS
        ).migrate(name)
        if result.error:
            raise StaleTemplateError(f"The template schema {name!r} could not be migrated: {result.error}")
    if verbosity and result.applied:
        logger.info("Template schema %s: applied %s", name, ", ".join(result.applied))
    CloneSchema()._create_clone_schema_function()  # current with the installed django-tenants
    if result.applied or catalog_statistics_stale():
        catalog_statistics_refresh()


def catalog_statistics_stale() -> bool:
    """PostgreSQL's pg_class has no statistics yet, or changed by more than a tenth since they were taken
    (every store adds its tables to it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze IS NULL AND last_autoanalyze IS NULL OR n_mod_since_analyze > n_live_tup / 10 "
            "FROM pg_stat_sys_tables WHERE schemaname = 'pg_catalog' AND relname = 'pg_class'"
        )
        row = cursor.fetchone()
    return row is None or bool(row[0])


def catalog_statistics_refresh() -> None:
    """ANALYZE PostgreSQL's own catalogs, which the clone function reads.

    A new database has no statistics on them until autovacuum gets round to it, and the clone then
    plans badly: measured 0.9 s per clone before and 0.05 s after (bench/provisioning.py).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(relname) FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace "
            "AND relkind = 'r' AND NOT relisshared"
        )
        for (table,) in cursor.fetchall():
            try:
                with transaction.atomic():
                    cursor.execute(f"ANALYZE pg_catalog.{table}")
            except DatabaseError:
                logger.warning("Could not ANALYZE pg_catalog.%s (not the database owner?)", table)


def template_pending_migrations() -> list[str]:
    """Migrations the template schema lacks ("app.name"); empty when it is current."""
    name = template_schema_name()
    if not schema_exists(name):
        return ["(the template schema does not exist)"]
    with schema_context(name):
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def store_schema_create(*, store: Store) -> None:
    """Give a new store its schema, cloned from the template, then run the registered setup steps.

    Runs inside the caller's transaction: PostgreSQL DDL is transactional, so a failure leaves nothing. While a
    deploy migrates the template this waits for it, then clones the migrated template.
    """
    with connection.cursor() as cursor:  # waits while a deploy migrates the template (until its commit)
        cursor.execute(TEMPLATE_LOCK_SQL.format(mode="_shared"))
    pending = template_pending_migrations()
    if pending:
        raise StaleTemplateError(
            f"The template schema {template_schema_name()!r} is missing migrations "
            f"({', '.join(pending[:5])}{'…' if len(pending) > 5 else ''}); run `python manage.py migrate` first."
        )
    _clone_template(store.schema_name)
    with schema_context(store.schema_name):
        for step in _store_setup_steps:
            step(store)


def _clone_template(schema_name: str) -> None:
    """Copy the template's tables and rows, its migration history included (so no fake migrate is needed)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regproc('public.clone_schema') IS NOT NULL")
        if not cursor.fetchone()[0]:
            CloneSchema()._create_clone_schema_function()
        if schema_exists(schema_name, case_sensitive=False):
            raise ValueError(f"A schema named {schema_name!r} already exists.")
        cursor.execute("SELECT public.clone_schema(%s, %s, 'DATA')", [template_schema_name(), schema_name])
    if getattr(connection, "transaction_pooled", False):
        # The clone function SETs search_path on the session; put the session's default back so that the pooled
        # server connection carries nothing away (the raw driver: the backend refuses a RESET of ours).
        connection.connection.execute("RESET search_path")
    connection.set_schema_to_public()


def store_schema_create_by_migrations(*, store: Store) -> None:
    """The slow path, kept for measuring against cloning (bench/provisioning.py)."""
    from stores import schema_migrations

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote_schema_name(store.schema_name)}")
    result = schema_migrations.StoreMigrator().migrate(store.schema_name)
    if result.error:
        raise RuntimeError(f"Migrating {store.schema_name} failed: {result.error}")
    with schema_context(store.schema_name):
        for step in _store_setup_steps:
            step(store)


SCHEDULES = [
    # (name, function, minutes between runs)
    ("Process due webhook events", "stores.bigcommerce.tasks.webhook_events_sweep", 1),
    ("Reconcile stores with BigCommerce", "stores.bigcommerce.tasks.reconcile_all", 60),
    ("Housekeeping", "stores.bigcommerce.tasks.housekeeping", 24 * 60),
    ("Delay consent deadlines", "notifications.consent.consent_deadlines_all", 60),
    ("Incentives after days of waiting", "backorder.tasks.incentives_due_all", 60),
    ("Cancellations of disconnected stores", "backorder.tasks.cancellations_follow_up_disconnected_all", 60),
    ("Send due e-mails", "notifications.tasks.notifications_sweep", 1),
    ("Merchant digests and sync alerts", "notifications.tasks.notifications_hourly", 60),
]


def schedules_ensure() -> None:
    """The recurring jobs exist once each (django-q2 schedules live in the public schema)."""
    from django_q.models import Schedule

    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )


def public_tenant_ensure() -> Store:
    """The public site is a tenant too (django-tenants routes it by host): make sure it exists."""
    public, _ = Store.objects.get_or_create(
        schema_name=settings.PUBLIC_SCHEMA_NAME, defaults={"name": "Backorder", "slug": "public-site"}
    )
    Domain.objects.filter(tenant=public).exclude(domain=settings.PUBLIC_HOST).update(is_primary=False)
    Domain.objects.update_or_create(domain=settings.PUBLIC_HOST, defaults={"tenant": public, "is_primary": True})
    return public
