"""One full catalog sync against a running sandbox, in a process of its own, printed as one JSON line.

bench/catalog_sync.py runs it once per side and round: for this checkout, and for a copy of the code before a
change (`--tree`), so both sides sync the same sandbox catalog into fresh store schemas of the same database.
Run as a script: `python bench/_catalog_sync_once.py --tree DIR --api-url URL --token TOKEN`.
"""

import argparse
import json
import os
import resource
import sys
import time


def cpu_seconds() -> float:
    """CPU time of this process so far (every thread), user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU time of a PostgreSQL server process on this machine (None when it is elsewhere or unreadable)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", required=True, help="the checkout whose code syncs")
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--store-hash", default="benchbig")
    args = parser.parse_args()
    tree = os.path.abspath(args.tree)
    sys.path[0] = tree  # that checkout's code, not this script's directory
    os.chdir(tree)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 40)
    os.environ.setdefault("ENCRYPTION_KEYS", "bench-encryption-key")
    # One server process for the whole sync, however long it takes, so that its CPU time can be read.
    os.environ.setdefault("CONN_MAX_AGE", "3600")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django_tenants.utils import quote_schema_name, schema_context

    from backorder import sync
    from backorder.models import Product, Variant
    from stores import services
    from stores.bigcommerce.client import BigCommerceClient

    settings.BIGCOMMERCE_API_URL = args.api_url
    store = services.store_create(name=f"Bench Sync {time.time_ns()}", slug=f"bench-sync-{time.time_ns()}")
    try:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with schema_context(store.schema_name):
            client = BigCommerceClient(store_hash=args.store_hash, access_token=args.token, api_url=args.api_url)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend = cursor.fetchone()[0]
            database_cpu, app_cpu = backend_cpu_seconds(backend), cpu_seconds()
            started = time.perf_counter()
            catalog = sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)
            elapsed = time.perf_counter() - started
            app_cpu = cpu_seconds() - app_cpu
            database_after = backend_cpu_seconds(backend)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                same_backend = cursor.fetchone()[0] == backend
            database_cpu = database_after - database_cpu if same_backend and database_cpu is not None else None
            products, variants = Product.objects.count(), Variant.objects.count()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result = {
            "products": products,
            "variants": variants,
            "status": catalog.status,
            "wall_seconds": round(elapsed, 2),
            "app_cpu_seconds": round(app_cpu, 2),
            "database_cpu_seconds": None if database_cpu is None else round(database_cpu, 2),
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
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
