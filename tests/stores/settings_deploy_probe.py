"""The app's settings plus a tenant app with one new migration: the code of a release, for test_migrate.py."""

from config.settings import *  # noqa: F403
from config.settings import SHARED_APPS, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "tests.stores.deploy_probe"]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
