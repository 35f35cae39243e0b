"""Merchant API latency with 100,000 backorders in one store: the dashboard and the backorders list.

Builds (once, set-based: one INSERT … SELECT generate_series) a store with 2,000 variants and 100,000
backorders spread over a year in every status, then:
1. counts the queries of each call in-process (Django's test client, a signed-in session, as the web app);
2. serves the app with gunicorn (2 sync workers) and times each call from a signed-in browser session, one
   request at a time like a merchant's page (warm-up first), printing p50 / p95 / max.
Loopback only, bounded in time. Run: ./bin/bench dashboard   (goal: p95 ≤ 200 ms on a 2-core machine)
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit

from bench import _django
from bench.tenant_routing import free_port, wait_ready

SLUG = "bench-merchant"
VARIANTS = 2000

CALLS = [
    ("dashboard, 30 days", "/api/v1/dashboard/?days=30"),
    ("dashboard, 90 days", "/api/v1/dashboard/?days=90"),
    ("backorders list (newest first)", "/api/v1/backorders/?page_size=25&sort=-age"),
    ("backorders list, waiting, oldest first", "/api/v1/backorders/?status=waiting&page_size=25&sort=age"),
    ("backorders list, late", "/api/v1/backorders/?late=true&page_size=25&sort=date"),
    ("backorders list, page 200", "/api/v1/backorders/?page_size=25&page=200&sort=-age"),
    ("backorders list, search by e-mail", "/api/v1/backorders/?q=shopper4242%40&page_size=25"),
]

FILL = """
INSERT INTO backorder_backorder (
    order_id, order_line_id, order_created_at, cart_id, channel_id, product_id, variant_id, sku, product_name,
    quantity, quantity_allocated, quantity_shipped, status, customer_id, customer_email, customer_name,
    customer_locale, unit_price, currency, promised_ship_date, expected_ship_date, shipping_preference, policy,
    cancellation_reason, created_at, updated_at, allocated_at, shipped_at, cancelled_at)
SELECT 100000 + g.n, 500000 + g.n, s.placed, '', 1, 1 + v.n / 2, 10001 + v.n, 'SKU-' || (10001 + v.n),
       'Product ' || (1 + v.n / 2), q.units,
       CASE WHEN s.status IN ('allocated', 'shipped') THEN q.units ELSE 0 END,
       CASE WHEN s.status = 'shipped' THEN q.units ELSE 0 END,
       s.status, 0, 'shopper' || g.n || '@example.com', 'Shopper ' || g.n, 'en', 19.90 + (g.n %% 50), 'USD',
       d.expected - CASE WHEN g.n %% 7 = 0 THEN 5 ELSE 0 END, d.expected, 'together', '{}'::jsonb,
       '', s.placed, s.placed,
       CASE WHEN s.status IN ('allocated', 'shipped') THEN s.placed + interval '3 days' END,
       CASE WHEN s.status = 'shipped' THEN s.placed + interval '5 days' END,
       CASE WHEN s.status = 'cancelled' THEN s.placed + interval '2 days' END
FROM generate_series(1, %(count)s) AS g(n)
CROSS JOIN LATERAL (SELECT (g.n * 7919) %% %(variants)s AS n) v
CROSS JOIN LATERAL (SELECT 1 + g.n %% 3 AS units) q
CROSS JOIN LATERAL (SELECT now() - ((g.n * 37) %% 525600) * interval '1 minute' AS placed,
    CASE WHEN g.n %% 20 < 9 THEN 'waiting' WHEN g.n %% 20 < 11 THEN 'allocated'
         WHEN g.n %% 20 < 18 THEN 'shipped' ELSE 'cancelled' END AS status) s
CROSS JOIN LATERAL (SELECT current_date + (g.n %% 40) - 10 AS expected) d
"""


def build(store, count: int) -> float:
    """The store's catalog and `count` backorders (skipped when they are there already); seconds taken."""
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from backorder.models import Backorder, Policy, Product, PurchaseOrder, PurchaseOrderLine, Variant
    from backorder.services.availability import availability_refresh_all, store_today

    with schema_context(store.schema_name):
        if Backorder.objects.count() == count:
            return 0.0
        started = time.perf_counter()
        with connection.cursor() as cursor:  # a leftover of another size: start again
            cursor.execute("TRUNCATE backorder_backorder CASCADE")
        if not Variant.objects.exists():
            now = timezone.now()
            products = Product.objects.bulk_create(
                Product(bigcommerce_id=i, name=f"Product {i}", inventory_tracking="variant", synced_at=now)
                for i in range(1, VARIANTS // 2 + 1)
            )
            Variant.objects.bulk_create(
                Variant(bigcommerce_id=10_001 + n, product=products[n // 2], sku=f"SKU-{10_001 + n}", on_hand=n % 4,
                        synced_at=now)
                for n in range(VARIANTS)
            )  # fmt: skip
            Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=14)
            order = PurchaseOrder.objects.create(supplier="Bench Supplies")
            PurchaseOrderLine.objects.bulk_create(
                PurchaseOrderLine(purchase_order=order, variant_id=10_001 + n, product_id=1 + n // 2, quantity=50,
                                  expected_date=store_today(store))
                for n in range(0, VARIANTS, 10)
            )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(FILL, {"count": count, "variants": VARIANTS})
        availability_refresh_all()
        return time.perf_counter() - started


def settle(store) -> None:
    """What autovacuum does to a table this size soon after a bulk load: statistics and the visibility map
    (which lets PostgreSQL answer counts from indexes alone)."""
    from django.db import connection
    from django_tenants.utils import schema_context

    with schema_context(store.schema_name), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE backorder_backorder")


def signed_in_client(store, user):
    from django.test import Client

    from stores import services

    client = Client(HTTP_HOST=store.host)
    client.get(urlsplit(services.one_time_login_create(user=user, store=store)).path)
    return client


def query_counts(store, user) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in_client(store, user)
    counts = {}
    for name, path in CALLS:
        client.get(path)  # warm: the tenant lookup cache, the session
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        counts[name] = len(captured)
    return counts


def latencies(store, user, port: int, rounds: int) -> dict:
    import requests

    from stores import services

    session = requests.Session()
    headers = {"Host": f"{store.host}:{port}"}
    handoff = urlsplit(services.one_time_login_create(user=user, store=store)).path
    session.get(f"http://127.0.0.1:{port}{handoff}", headers=headers, allow_redirects=False, timeout=30)
    results = {}
    for name, path in CALLS:
        url = f"http://127.0.0.1:{port}{path}"
        for _ in range(5):
            assert session.get(url, headers=headers, timeout=30).status_code == 200, path
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = session.get(url, headers=headers, timeout=30)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        timings.sort()
        results[name] = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
            "max_ms": round(timings[-1], 1),
        }
    return results


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backorders", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=60, help="timed requests per call")
    parser.add_argument("--port", type=int, default=0, help="port for gunicorn (default: any free one)")
    args = parser.parse_args()
    _django.setup()
    from django.conf import settings
    from django.db import connection

    from stores import services
    from stores.models import Store, StoreMembership, User

    store = Store.objects.filter(slug=SLUG).first() or services.store_create(name="Bench Merchant", slug=SLUG)
    user = User.objects.filter(username="bench-owner@example.com").first() or User.objects.create_user(
        "bench-owner@example.com", password="bench-owner-password-0000"
    )
    services.membership_grant(user=user, store=store, role=StoreMembership.Role.OWNER)
    built = build(store, args.backorders)
    settle(store)
    counts = query_counts(store, user)
    connection.close()

    port = args.port or free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        env={**os.environ, "CONN_MAX_AGE": "600"}, start_new_session=True,
    )  # fmt: skip
    try:
        wait_ready(port, settings.PUBLIC_HOST)
        timed = latencies(store, user, port, args.rounds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    result = {
        "backorders": args.backorders,
        "build_seconds": round(built, 1),
        "calls": {name: {**timed[name], "queries": counts[name]} for name, _ in CALLS},
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
