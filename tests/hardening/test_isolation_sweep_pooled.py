"""The per-operation isolation sweep (test_isolation_sweep.py) against the production shape: gunicorn (2
processes x 4 threads) reaching PostgreSQL only through PgBouncer in transaction mode with 2 server
connections, DATABASE_POOL_MODE=transaction. Store A's credentials and public key never reach store B's
data over any operation of either API, whichever server connection a transaction lands on."""

import functools

import pytest

from stores import provisioning
from tests.hardening.http_client import HttpClient
from tests.hardening.pooler import pgbouncer_available, pgbouncer_start
from tests.hardening.servers import app_environment, free_port, gunicorn_start, stop
from tests.hardening.shops import shop_make
from tests.hardening.test_isolation_sweep import merchant_sweep, storefront_sweep
from tests.integration.conftest import drop_store_schemas

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not pgbouncer_available(), reason="Debian's pgbouncer is not installed (bin/test installs it)"),
]


@pytest.fixture
def pooled_server():
    """Two shops (committed, so the server sees them) and an HTTP client factory for gunicorn behind PgBouncer."""
    drop_store_schemas()
    provisioning.public_tenant_ensure()
    shops = shop_make(), shop_make()
    bouncer = pgbouncer_start(pool_mode="transaction", pool_size=2)
    port = free_port()
    server = gunicorn_start(port=port, env=app_environment(
        DATABASE_URL=bouncer.database_url(), DATABASE_POOL_MODE="transaction", STOREFRONT_RATE_LIMIT="100000/min",
    ))  # fmt: skip
    try:
        yield shops, functools.partial(HttpClient, f"http://127.0.0.1:{port}")
    finally:
        stop(server)
        bouncer.stop()
        drop_store_schemas()


def test_every_merchant_operation_refuses_store_a_credentials_on_store_b_host_through_the_pooler(pooled_server, capsys):
    (shop_a, shop_b), client = pooled_server
    leaks, statuses, swept, reached_b = merchant_sweep(shop_a, shop_b, client=client)

    with capsys.disabled():
        print(f"\npooled isolation sweep: {swept} merchant operations x 2 credentials; statuses {statuses}")
    assert swept >= 20
    assert reached_b >= 5, "the sweep's requests do not reach store B's data even with B's own token"
    assert not leaks, "\n".join(leaks)


def test_store_a_public_key_never_reads_store_b_products_through_the_pooler(pooled_server, capsys):
    (shop_a, shop_b), client = pooled_server
    leaks, swept = storefront_sweep(shop_a, shop_b, client=client)

    with capsys.disabled():
        print(f"\npooled storefront sweep: {swept} operations asked with store A's key about store B's ids")
    assert swept >= 4
    assert not leaks, "\n".join(leaks)
