"""`migrate_schemas` (and `migrate`, below) also keep the store template and the public site current.

After the usual run over the public schema and every store's schema, a full run (no --schema) applies
the tenant migrations to the template schema new stores are cloned from, and makes sure the public
site's tenant and domain exist for APP_BASE_URL's host.
"""

from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from stores import provisioning


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        full_run = not options.get("schema_name") and not options.get("app_label") and not options.get("fake")
        if full_run and not options.get("plan") and not options.get("check_unapplied"):
            if self.sync_tenant:
                provisioning.template_schema_migrate(verbosity=options.get("verbosity", 1))
            if self.sync_public:
                provisioning.public_tenant_ensure()
                provisioning.schedules_ensure()
