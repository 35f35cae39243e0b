"""Full catalog sync of a large store from the sandbox: wall time, peak memory, API requests.

The sandbox (10,000 products x 3 variants by default) runs in its own process; the sync runs here,
against a real store schema, with BigCommerce's default rate limit (150 requests / 30 s).
Run: ./bin/bench sync   (or: python -m bench.catalog_sync --products 10000 with DATABASE_URL set)
"""

import argparse
import json
import resource
import subprocess
import sys
import time

from bench import _django


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--variants-per-product", type=int, default=3)
    args = parser.parse_args()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "bench._big_sandbox", "--products", str(args.products),
         "--variants-per-product", str(args.variants_per_product)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ready = sandbox.stdout.readline().split()
        if not ready or ready[0] != "READY":
            raise RuntimeError("the sandbox did not start")
        api_url, token = ready[1], ready[2]
        _django.setup()
        from django.conf import settings
        from django.db import connection
        from django_tenants.utils import quote_schema_name, schema_context

        from backorder import sync
        from backorder.models import Product, Variant
        from stores import services
        from stores.bigcommerce.client import BigCommerceClient

        settings.BIGCOMMERCE_API_URL = api_url
        store = services.store_create(name=f"Bench Sync {time.time_ns()}", slug=f"bench-sync-{time.time_ns()}")
        try:
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            with schema_context(store.schema_name):
                client = BigCommerceClient(store_hash="benchbig", access_token=token, api_url=api_url)
                started = time.perf_counter()
                catalog = sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)
                elapsed = time.perf_counter() - started
                products, variants = Product.objects.count(), Variant.objects.count()
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            result = {
                "products": products,
                "variants": variants,
                "status": catalog.status,
                "wall_seconds": round(elapsed, 2),
                "api_requests": client.requests_made,
                "peak_rss_mb": round(rss_after / 1024, 1),
                "peak_rss_growth_during_sync_mb": round((rss_after - rss_before) / 1024, 1),
                "products_per_second": round(products / elapsed),
            }
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {quote_schema_name(store.schema_name)} CASCADE")
            store.domains.all().delete()
            store.delete()
    finally:
        sandbox.kill()
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
