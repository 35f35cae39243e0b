"""Availability computations per second: in-process (the one SELECT plus the answer) and through HTTP.

Builds a store with 2,000 variants (half with waiting backorders and purchase orders), precomputes their
rows, then (1) answers random requests in-process for a few seconds and (2) serves the storefront
endpoint with gunicorn (2 sync workers) under wrk at 8 connections, next to (3) a minimal DRF view doing one
indexed SELECT of the same row in a fixed schema (bench/minimal_views.py), also gunicorn with 2 workers.
(2) and (3) are measured in alternating rounds of the same run; the ratio of their medians is the number
to watch (goal >= 0.8, p99 <= 25 ms). With PgBouncer installed, (4) the same endpoint behind PgBouncer in
transaction mode (DATABASE_POOL_MODE=transaction, 2 server connections for the 2 workers) joins the rounds:
the pooled/direct ratio is what a deploy behind a pooler pays. With Redis (REDIS_URL, or a private
redis-server started here), (5) the endpoint answering warm from the shared cache (STOREFRONT_ANSWER_CACHE,
backorder/storefront_answers.py: no query) joins them too: goal >= 0.95 x the minimal view, p99 no worse.
Loopback only, bounded in time.
Run: ./bin/bench availability [--seconds 5 --rounds 3] [--no-pooled] [--no-warm]
"""

import argparse
import json
import os
import random
import signal
import statistics
import time
from datetime import timedelta

from bench import _django
from bench._load import run_load
from bench.tenant_routing import free_port, start_server, wait_ready
from tests.hardening.pooler import pgbouncer_available, pgbouncer_start
from tests.hardening.servers import redis_start

POOLED = "storefront endpoint, PgBouncer transaction mode"
WARM = "storefront endpoint, warm answers from Redis"


def redis_for_bench() -> tuple[str, object] | None:
    """(REDIS_URL, nothing to stop) when set; else a private redis-server (url, stop); else None."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], lambda: None
    return redis_start()


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--no-pooled", action="store_true", help="skip the endpoint behind PgBouncer")
    parser.add_argument("--no-warm", action="store_true", help="skip the endpoint answering from the cache")
    args = parser.parse_args()
    _django.setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from backorder.models import (
        Backorder,
        Policy,
        Product,
        PurchaseOrder,
        PurchaseOrderLine,
        Variant,
        VariantAvailability,
    )
    from backorder.services.availability import availability_answer, availability_refresh, store_today
    from stores import services
    from stores.models import Store

    store = Store.objects.filter(slug="bench-availability").first() or services.store_create(
        name="Bench Availability", slug="bench-availability"
    )
    rng = random.Random(7)
    with schema_context(store.schema_name):
        if not Variant.objects.exists():
            now = timezone.now()
            products = Product.objects.bulk_create(
                Product(bigcommerce_id=i, name=f"P{i}", inventory_tracking="variant", synced_at=now)
                for i in range(1, args.variants // 2 + 1)
            )
            variants = Variant.objects.bulk_create(
                Variant(bigcommerce_id=10_000 + n, product=products[n // 2], on_hand=rng.randint(0, 5), synced_at=now)
                for n in range(args.variants)
            )
            Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=14, max_units=500)
            order = PurchaseOrder.objects.create(supplier="Bench")
            PurchaseOrderLine.objects.bulk_create(
                PurchaseOrderLine(purchase_order=order, variant_id=v.bigcommerce_id,
                                  product_id=v.product.bigcommerce_id, quantity=20,
                                  expected_date=store_today() + timedelta(days=9))
                for v in variants[::2]
            )  # fmt: skip
            Backorder.objects.bulk_create(
                Backorder(order_id=n, order_line_id=n, order_created_at=now, product_id=v.product.bigcommerce_id,
                          variant_id=v.bigcommerce_id, quantity=3, customer_email="s@example.com")
                for n, v in enumerate(variants[::2], start=1)
            )  # fmt: skip
        started = time.perf_counter()
        availability_refresh(variant_ids=list(Variant.objects.values_list("bigcommerce_id", flat=True)))
        refresh_seconds = time.perf_counter() - started
        rows = list(VariantAvailability.objects.values_list("product_id", "variant_id"))
        today = store_today()
        done, deadline = 0, time.perf_counter() + args.seconds
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            product_id, variant_id = rows[rng.randrange(len(rows))]
            found = list(VariantAvailability.objects.filter(product_id=product_id, variant_id=variant_id))
            availability_answer(rows=found, product_id=product_id, variant_id=variant_id,
                                quantity=rng.randint(1, 12), language="en", today=today)  # fmt: skip
            done += 1
        in_process = done / (time.perf_counter() - started)
        sample_product, sample_variant = rows[1]
    connection.close()

    # One load generator is one client IP: lift the per-client limit (the throttle still runs, as in production).
    env = {**os.environ, "CONN_MAX_AGE": "600", "BENCH_FIXED_SCHEMA": store.schema_name,
           "STOREFRONT_RATE_LIMIT": "1000000/s"}  # fmt: skip
    ports = {"storefront endpoint": free_port(), "minimal DRF view": free_port()}
    paths = {
        "storefront endpoint": f"/api/storefront/v1/{store.public_key}/products/{sample_product}"
        f"?variant_id={sample_variant}&quantity=4",
        "minimal DRF view": f"/bench/availability/{sample_variant}",
    }
    servers = [
        start_server(ports["storefront endpoint"], "config.settings", env),
        start_server(ports["minimal DRF view"], "bench.settings_availability_bench", env),
    ]
    bouncer = None
    if not args.no_pooled and pgbouncer_available():
        bouncer = pgbouncer_start(pool_mode="transaction", pool_size=2)
        ports[POOLED] = free_port()
        paths[POOLED] = paths["storefront endpoint"]
        pooled_env = {**env, "DATABASE_URL": bouncer.database_url(), "DATABASE_POOL_MODE": "transaction"}
        servers.append(start_server(ports[POOLED], "config.settings", pooled_env))
    redis = None if args.no_warm else redis_for_bench()
    if redis is not None:
        ports[WARM] = free_port()
        paths[WARM] = paths["storefront endpoint"]
        warm_env = {**env, "REDIS_URL": redis[0], "STOREFRONT_ANSWER_CACHE": "1"}
        servers.append(start_server(ports[WARM], "config.settings", warm_env))
    samples: dict[str, list] = {name: [] for name in ports}
    try:
        for port in ports.values():
            wait_ready(port, settings.PUBLIC_HOST)
        for _ in range(args.rounds):
            for name, port in ports.items():
                run_load(port=port, path=paths[name], host=settings.PUBLIC_HOST, seconds=1)  # warm
                samples[name].append(run_load(port=port, path=paths[name], host=settings.PUBLIC_HOST,
                                              seconds=args.seconds, connections=args.connections))  # fmt: skip
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
        if bouncer is not None:
            bouncer.stop()
        if redis is not None:
            redis[1]()
    endpoint_rps = statistics.median(r.requests_per_second for r in samples["storefront endpoint"])
    minimal_rps = statistics.median(r.requests_per_second for r in samples["minimal DRF view"])
    result = {
        "variants": len(rows),
        "refresh_all_rows_seconds": round(refresh_seconds, 2),
        "in_process_answers_per_second": round(in_process),
        "connections": args.connections,
        "endpoint_requests_per_second": round(endpoint_rps),
        "endpoint_p99_ms": statistics.median(r.p99_ms for r in samples["storefront endpoint"]),
        "endpoint_non_2xx": sum(r.non_2xx for r in samples["storefront endpoint"]),
        "minimal_drf_requests_per_second": round(minimal_rps),
        "minimal_drf_p99_ms": statistics.median(r.p99_ms for r in samples["minimal DRF view"]),
        "ratio": round(endpoint_rps / minimal_rps, 3),
        "load_tool": samples["storefront endpoint"][0].tool,
        "samples_rps": {name: [round(r.requests_per_second) for r in runs] for name, runs in samples.items()},
    }
    if WARM in samples:
        result |= _figures("warm", samples[WARM], {"minimal": minimal_rps, "uncached": endpoint_rps})
    if POOLED in samples:
        result |= _figures("pooled", samples[POOLED], {"direct": endpoint_rps})
    print(json.dumps(result, indent=2))
    return result


def _figures(name: str, runs: list, compared_with: dict[str, float]) -> dict:
    """Median requests per second and p99 of one contender's rounds, and its ratio to each comparison."""
    rps = statistics.median(r.requests_per_second for r in runs)
    return {
        f"{name}_requests_per_second": round(rps),
        f"{name}_p99_ms": statistics.median(r.p99_ms for r in runs),
        f"{name}_non_2xx": sum(r.non_2xx for r in runs),
        **{f"{name}_vs_{other}_ratio": round(rps / value, 3) for other, value in compared_with.items()},
    }


if __name__ == "__main__":
    main()
