"""Under concurrency, with database connections shared by requests of different stores, every answer comes
from the store that was asked: 3,000 mixed requests across 3 stores through gunicorn (2 processes x 4
threads), from 8 clients.

Three ways to reach PostgreSQL:
- directly, each gunicorn thread keeping its own connection (CONN_MAX_AGE=600), in `session` mode;
- through PgBouncer in transaction mode with a pool of 4 server connections for 8 client threads, with
  DATABASE_POOL_MODE=transaction: 0 wrong-store answers and 0 errors;
- the same pooler with DATABASE_POOL_MODE=session (the search_path set on one request's session reaches
  another store's request): this must leak, which shows that the pooled test above can fail.
"""

import random
import threading
import time
from collections import Counter

import pytest
import requests
from django.conf import settings

from stores import provisioning
from tests.hardening.pooler import pgbouncer_available, pgbouncer_start
from tests.hardening.servers import app_environment, free_port, gunicorn_start, stop
from tests.hardening.shops import shop_make
from tests.integration.conftest import drop_store_schemas

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 8
REQUESTS_PER_CLIENT = 375
POOL_SIZE = 4  # server connections, fewer than the 8 client threads
needs_pgbouncer = pytest.mark.skipif(
    not pgbouncer_available(), reason="Debian's pgbouncer is not installed (bin/test installs it)"
)


@pytest.fixture
def shops():
    drop_store_schemas()
    provisioning.public_tenant_ensure()  # a transactional test before this one may have flushed it
    made = [shop_make(products=2) for _ in range(3)]
    yield made
    drop_store_schemas()


@pytest.fixture
def pooler():
    bouncer = pgbouncer_start(pool_mode="transaction", pool_size=POOL_SIZE)
    yield bouncer
    bouncer.stop()


def requests_for(shop) -> list[tuple[str, str, dict, str]]:
    """(host, path, headers, what the answer must contain to be this store's)."""
    token = {"Authorization": f"Bearer {shop.token}"}
    key = shop.store.public_key
    return [
        (shop.store.host, "/api/v1/store/", token, f'"name":"{shop.store.name}"'),
        (shop.store.host, "/api/v1/backorders/?page_size=5", token, f"@{shop.marker}.example"),
        (settings.PUBLIC_HOST, f"/api/storefront/v1/{key}/config/", {}, f'"store_name":"{shop.store.name}"'),
        (
            settings.PUBLIC_HOST,
            f"/api/storefront/v1/{key}/products/{shop.product_ids[0]}/alternatives/",
            {},
            "",  # no other store's marker is checked below for every answer
        ),
        (
            settings.PUBLIC_HOST,
            f"/api/storefront/v1/{key}/products/{shop.product_ids[1]}?variant_id={shop.variant_ids[2]}",
            {},
            f'"variant_id":{shop.variant_ids[2]}',
        ),
    ]


def mixed_requests(shops, *, env: dict, requests_per_client: int) -> tuple[Counter, list[str], float]:
    """Run the mixed load against a fresh gunicorn; (outcomes, examples of wrong answers, seconds)."""
    port = free_port()
    server = gunicorn_start(port=port, env=env)
    plan = [(shop, item) for shop in shops for item in requests_for(shop)]
    outcomes: Counter = Counter()
    wrong: list[str] = []
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        # A fresh socket per request (keep-alive adds Nagle/delayed-ACK stalls of 40 ms on loopback); the
        # database connections are what is shared.
        session = requests.Session()
        for _ in range(requests_per_client):
            shop, (host, path, headers, must_contain) = rng.choice(plan)
            response = session.get(
                f"http://127.0.0.1:{port}{path}", headers={"Host": host, "Connection": "close", **headers}, timeout=30
            )
            body = response.text
            others = [other.marker for other in shops if other is not shop and other.marker in body]
            if response.status_code == 200 and must_contain in body and not others:
                outcome = "ok"
            elif others:
                outcome = "another store's data"
            else:
                outcome = f"wrong {response.status_code}"
            with lock:
                outcomes[outcome] += 1
                if outcome != "ok" and len(wrong) < 10:
                    wrong.append(f"{host}{path} -> {response.status_code} {body[:200]}")

    started = time.perf_counter()
    try:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop(server)
    return outcomes, wrong, time.perf_counter() - started


def report(capsys, what: str, outcomes: Counter, seconds: float) -> None:
    with capsys.disabled():
        print(f"\n{what}: {sum(outcomes.values())} requests across 3 stores in {seconds:.1f} s:", dict(outcomes))


def test_3000_mixed_requests_across_3_stores_never_answer_from_the_wrong_store(shops, capsys):
    env = app_environment(CONN_MAX_AGE="600", STOREFRONT_RATE_LIMIT="100000/min")
    outcomes, wrong, seconds = mixed_requests(shops, env=env, requests_per_client=REQUESTS_PER_CLIENT)

    report(capsys, "direct connections", outcomes, seconds)
    assert sum(outcomes.values()) == CLIENTS * REQUESTS_PER_CLIENT >= 3000
    assert outcomes["ok"] == CLIENTS * REQUESTS_PER_CLIENT, "\n".join(wrong)


@needs_pgbouncer
def test_3000_mixed_requests_through_a_transaction_pooler_smaller_than_the_clients_never_cross_stores(
    shops, pooler, capsys
):
    env = app_environment(
        DATABASE_URL=pooler.database_url(), DATABASE_POOL_MODE="transaction", CONN_MAX_AGE="600",
        STOREFRONT_RATE_LIMIT="100000/min",
    )  # fmt: skip
    outcomes, wrong, seconds = mixed_requests(shops, env=env, requests_per_client=REQUESTS_PER_CLIENT)

    report(capsys, f"PgBouncer transaction mode, pool {POOL_SIZE}, DATABASE_POOL_MODE=transaction", outcomes, seconds)
    assert sum(outcomes.values()) == CLIENTS * REQUESTS_PER_CLIENT >= 3000
    assert outcomes["ok"] == CLIENTS * REQUESTS_PER_CLIENT, "\n".join(wrong)  # 0 wrong-store answers, 0 5xx
    assert 0 < pooler.server_connections() <= POOL_SIZE < CLIENTS  # the server connections really were shared


@needs_pgbouncer
def test_session_pool_mode_behind_a_transaction_pooler_leaks_another_stores_data(shops, pooler, capsys):
    """The failure DATABASE_POOL_MODE=transaction exists for: django-tenants' session `SET search_path`
    travels with the pooled server connection into another store's request."""
    env = app_environment(
        DATABASE_URL=pooler.database_url(), DATABASE_POOL_MODE="session", CONN_MAX_AGE="600",
        STOREFRONT_RATE_LIMIT="100000/min",
    )  # fmt: skip
    outcomes, _wrong, seconds = mixed_requests(shops, env=env, requests_per_client=100)

    report(capsys, f"PgBouncer transaction mode, pool {POOL_SIZE}, DATABASE_POOL_MODE=session", outcomes, seconds)
    assert outcomes["ok"] < CLIENTS * 100
    assert outcomes["another store's data"] > 0
