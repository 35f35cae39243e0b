"""`migrate` (and `migrate_schemas`): the deploy's one database command.

In order: the public schema; the store template (so that a store signed up during the deploy is cloned from
the new template: sign-up waits for the template's migration, stores/provisioning.py); every store schema
that lacks a migration; then the public site's tenant and the recurring jobs.

Stores (stores/schema_migrations.py): which lack what is one query, so an up-to-date store costs nothing.
The pending ones are migrated `--jobs` at a time, each in its own transaction with a lock timeout
(`--lock-timeout`, milliseconds); a store that fails is reported and the others go on; the command then
exits non-zero naming the failed stores, and running it again continues with what is still pending.
Progress: one redrawn line on a terminal, a log line per 100 stores otherwise.

`--schema NAME` migrates one store (or the template) by hand. What else django-tenants' migrate_schemas
offers (an app label and migration name, --fake, --fake-initial, --plan, --check, --prune, --executor)
goes its way, store by store.
"""

import time

from django.core.management.base import CommandError
from django.db import connection
from django_tenants.management.commands import SyncCommon
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.utils import get_public_schema_name, schema_exists

from stores import provisioning, schema_migrations
from stores.models import Store

FAILED_SHOWN = 20


class Command(MigrateSchemasCommand):
    help = "Migrate the public schema, the store template and every store schema that needs it."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--jobs", type=int, default=1, help="store schemas migrated at once, each in its own process (default 1)"
        )
        parser.add_argument(
            "--lock-timeout",
            type=int,
            default=schema_migrations.DEFAULT_LOCK_TIMEOUT_MS,
            help="milliseconds a store's migration waits for a lock before that store is reported as failed",
        )

    def handle(self, *args, **options):
        if self._django_tenants_way(options):
            super().handle(*args, **options)
            return
        SyncCommon.handle(self, *args, **options)
        verbosity = options.get("verbosity", 1)
        public = get_public_schema_name()
        if self.sync_public:
            self._public_migrate(args, options)
        if self.sync_tenant and self.schema_name and self.schema_name != public:
            self._one_schema_migrate(self.schema_name, options)
            return
        if self.sync_tenant:
            if verbosity:
                self.stdout.write(self.style.MIGRATE_HEADING("Store template:"))
            provisioning.template_schema_migrate(lock_timeout_ms=options["lock_timeout"])
            self._stores_migrate(jobs=options["jobs"], lock_timeout_ms=options["lock_timeout"], verbosity=verbosity)
        if self.sync_public:
            provisioning.public_tenant_ensure()
            provisioning.schedules_ensure()

    @staticmethod
    def _django_tenants_way(options) -> bool:
        return any(
            options.get(name)
            for name in ("app_label", "migration_name", "fake", "fake_initial", "plan", "check_unapplied", "prune",
                         "executor")
        )  # fmt: skip

    def _public_migrate(self, args, options) -> None:
        """Django's own migrate on the public schema (with its signals: content types, permissions)."""
        schema_name, sync_tenant = self.schema_name, self.sync_tenant
        self.schema_name, self.sync_tenant = get_public_schema_name(), False
        try:
            super().handle(*args, **{**options, "schema_name": get_public_schema_name(), "tenant": False})
        finally:
            self.schema_name, self.sync_tenant = schema_name, sync_tenant
            connection.set_schema_to_public()

    def _one_schema_migrate(self, schema: str, options) -> None:
        if not schema_exists(schema):
            raise CommandError(f'Schema "{schema}" does not exist.')
        if schema == provisioning.template_schema_name():
            provisioning.template_schema_migrate(lock_timeout_ms=options["lock_timeout"])
            return
        result = schema_migrations.StoreMigrator(lock_timeout_ms=options["lock_timeout"]).migrate(schema)
        if result.error:
            raise CommandError(f"{schema}: {result.error}")
        if options.get("verbosity", 1):
            applied = ", ".join(result.applied) or "nothing to apply"
            self.stdout.write(f"{schema}: {applied} ({result.seconds:.2f} s)")

    def _stores_migrate(self, *, jobs: int, lock_timeout_ms: int, verbosity: int) -> None:
        started = time.perf_counter()
        schemas = list(Store.objects.merchants().order_by("pk").values_list("schema_name", flat=True))
        pending = schema_migrations.stores_missing_migrations(schemas=schemas)
        if verbosity:
            self.stdout.write(self.style.MIGRATE_HEADING("Store schemas:"))
            self.stdout.write(
                f"  {len(schemas)} stores, {len(schemas) - len(pending)} up to date, {len(pending)} to migrate "
                f"(checked in {time.perf_counter() - started:.2f} s)"
            )
        if not pending:
            return
        progress = schema_migrations.Progress(len(pending), write=self.stdout.write, tty=None if verbosity else False)
        failed = []
        for result in schema_migrations.stores_migrate(pending, jobs=jobs, lock_timeout_ms=lock_timeout_ms):
            if result.error:
                failed.append(result)
            if verbosity:
                progress.step(result)
        if verbosity:
            self.stdout.write(
                f"  {len(pending) - len(failed)} stores migrated, {len(failed)} failed, "
                f"in {time.perf_counter() - started:.1f} s with {jobs} job(s)"
            )
        if failed:
            lines = "\n".join(f"  {r.schema}: {r.error.splitlines()[0][:300]}" for r in failed[:FAILED_SHOWN])
            more = f"\n  … and {len(failed) - FAILED_SHOWN} more" if len(failed) > FAILED_SHOWN else ""
            raise CommandError(
                f"{len(failed)} of {len(pending)} store schemas failed to migrate (the others are done; run "
                f"`python manage.py migrate` again to retry them):\n{lines}{more}"
            )
