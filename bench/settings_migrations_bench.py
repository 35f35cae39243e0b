"""App settings plus a throwaway tenant app with two migrations (bench/migrations_many_schemas.py only)."""

from config.settings import *  # noqa: F403
from config.settings import SHARED_APPS, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "bench.migration_probe"]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
