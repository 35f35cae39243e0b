"""The app on a live server, BigCommerce played by the sandbox, both over loopback HTTP."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection

from stores import provisioning, tenancy
from stores.bigcommerce.sandbox import SandboxServer
from stores.models import Store

STORE_HASH = "lamps01"


def drop_store_schemas() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'store\\_%'")
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def bigcommerce(live_server, settings, transactional_db):
    """A sandbox BigCommerce that knows our app (client id, secret, callback URLs on the live server)."""
    settings.APP_BASE_URL = live_server.url
    sandbox = SandboxServer(
        client_id=settings.BIGCOMMERCE_CLIENT_ID,
        client_secret=settings.BIGCOMMERCE_CLIENT_SECRET,
        app_base_url=live_server.url,
        webhook_timeout=10,
    )
    sandbox.start()
    settings.BIGCOMMERCE_API_URL = settings.BIGCOMMERCE_LOGIN_URL = sandbox.base_url
    drop_store_schemas()
    provisioning.public_tenant_ensure()
    tenancy.forget_everything_local()
    sandbox.create_store(STORE_HASH, name="Lamp Shop", seed=7, products=40)
    yield sandbox
    sandbox.stop()
    drop_store_schemas()


def install(sandbox: SandboxServer, **kwargs) -> requests.Response:
    """The merchant clicks Install in the control panel: the browser GETs our auth callback."""
    url = sandbox.begin_install(STORE_HASH, **kwargs)
    return requests.get(url, allow_redirects=False, timeout=60)


def installed_store() -> Store:
    return Store.objects.get(bigcommerce_store_hash=STORE_HASH)


def query_of(url: str) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
