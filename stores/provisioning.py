"""Store schemas: cloned from a template schema that `migrate` keeps current.

Cloning is several times faster than running every migration for each new store, but a clone of a stale
template would carry a schema whose migration history lies (research/django.md §1.5). So `migrate`
brings the template up to date, and a clone is refused while the template has pending migrations.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.management import call_command
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


def template_schema_migrate(*, verbosity: int = 0) -> None:
    """Create the template schema if needed and apply every tenant migration to it."""
    name = template_schema_name()
    if not schema_exists(name):
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quote_schema_name(name)}")
    call_command("migrate_schemas", tenant=True, schema_name=name, interactive=False, verbosity=verbosity)
    CloneSchema()._create_clone_schema_function()  # current with the installed django-tenants
    catalog_statistics_refresh()


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

    Runs inside the caller's transaction: PostgreSQL DDL is transactional, so a failure leaves nothing.
    """
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
    connection.set_schema_to_public()


def store_schema_create_by_migrations(*, store: Store) -> None:
    """The slow path, kept for measuring against cloning (bench/provisioning.py)."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote_schema_name(store.schema_name)}")
    call_command("migrate_schemas", tenant=True, schema_name=store.schema_name, interactive=False, verbosity=0)
    connection.set_schema_to_public()
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
