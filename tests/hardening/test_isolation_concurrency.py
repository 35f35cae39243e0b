"""Under concurrency, with persistent database connections shared by requests of different stores, every
answer comes from the store that was asked: 3,000 mixed requests across 3 stores through gunicorn (2
processes x 4 threads, CONN_MAX_AGE=600), from 8 clients."""

import random
import threading
import time
from collections import Counter

import pytest
import requests
from django.conf import settings

from stores import provisioning
from tests.hardening.servers import app_environment, free_port, gunicorn_start, stop
from tests.hardening.shops import shop_make
from tests.integration.conftest import drop_store_schemas

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 8
REQUESTS_PER_CLIENT = 375


@pytest.fixture
def shops():
    drop_store_schemas()
    provisioning.public_tenant_ensure()  # a transactional test before this one may have flushed it
    made = [shop_make(products=2) for _ in range(3)]
    yield made
    drop_store_schemas()


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


def test_3000_mixed_requests_across_3_stores_never_answer_from_the_wrong_store(shops, capsys):
    port = free_port()
    server = gunicorn_start(port=port, env=app_environment(CONN_MAX_AGE="600", STOREFRONT_RATE_LIMIT="100000/min"))
    plan = [(shop, item) for shop in shops for item in requests_for(shop)]
    outcomes: Counter = Counter()
    wrong: list[str] = []
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        # A fresh socket per request (keep-alive adds Nagle/delayed-ACK stalls of 40 ms on loopback); the
        # database connections are what is pooled: each gunicorn thread keeps its own for CONN_MAX_AGE.
        session = requests.Session()
        for _ in range(REQUESTS_PER_CLIENT):
            shop, (host, path, headers, must_contain) = rng.choice(plan)
            response = session.get(
                f"http://127.0.0.1:{port}{path}", headers={"Host": host, "Connection": "close", **headers}, timeout=30
            )
            body = response.text
            others = [other.marker for other in shops if other is not shop and other.marker in body]
            ok = response.status_code == 200 and must_contain in body and not others
            with lock:
                outcomes["ok" if ok else f"wrong {response.status_code}"] += 1
                if not ok and len(wrong) < 10:
                    wrong.append(f"{host}{path} -> {response.status_code} {body[:200]}")

    started = time.perf_counter()
    try:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        stop(server)

    with capsys.disabled():
        print(
            f"\nconcurrency: {sum(outcomes.values())} requests across {len(shops)} stores in {elapsed:.1f} s:",
            dict(outcomes),
        )
    assert sum(outcomes.values()) == CLIENTS * REQUESTS_PER_CLIENT >= 3000
    assert outcomes["ok"] == CLIENTS * REQUESTS_PER_CLIENT, "\n".join(wrong)
