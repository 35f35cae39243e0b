"""The app on a live server, BigCommerce played by the sandbox, both over loopback HTTP."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from stores.bigcommerce.sandbox import SandboxServer
from stores.models import Store
from tests.fixtures.bigcommerce import SandboxStore, bigcommerce, drop_store_schemas  # noqa: F401  (fixture)

STORE_HASH = "lamps01"


@pytest.fixture
def sandbox_store() -> SandboxStore:
    return SandboxStore(STORE_HASH, name="Lamp Shop", seed=7, products=40)


def install(sandbox: SandboxServer, **kwargs) -> requests.Response:
    """The merchant clicks Install in the control panel: the browser GETs our auth callback."""
    url = sandbox.begin_install(STORE_HASH, **kwargs)
    return requests.get(url, allow_redirects=False, timeout=60)


def installed_store() -> Store:
    return Store.objects.get(bigcommerce_store_hash=STORE_HASH)


def query_of(url: str) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
