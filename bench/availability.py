"""Availability computations per second: in-process (the one SELECT plus the answer) and through HTTP.

Builds a store with 2,000 variants (half with waiting backorders and purchase orders), precomputes their
rows, then (1) answers random requests in-process for a few seconds and (2) serves the storefront
endpoint with gunicorn (2 sync workers) under wrk at 8 connections. Loopback only, bounded in time.
Run: ./bin/bench availability
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta

from bench import _django
from bench._load import run_load
from bench.tenant_routing import free_port, wait_ready


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=5)
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

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        env={**os.environ, "CONN_MAX_AGE": "600"}, start_new_session=True,
    )  # fmt: skip
    try:
        wait_ready(port, settings.PUBLIC_HOST)
        path = f"/api/storefront/v1/{store.public_key}/products/{sample_product}?variant_id={sample_variant}&quantity=4"
        run_load(port=port, path=path, host=settings.PUBLIC_HOST, seconds=1)
        load = run_load(port=port, path=path, host=settings.PUBLIC_HOST, seconds=args.seconds, connections=8)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    result = {
        "variants": len(rows),
        "refresh_all_rows_seconds": round(refresh_seconds, 2),
        "in_process_answers_per_second": round(in_process),
        "endpoint_requests_per_second": round(load.requests_per_second),
        "endpoint_p99_ms": load.p99_ms,
        "endpoint_non_2xx": load.non_2xx,
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
