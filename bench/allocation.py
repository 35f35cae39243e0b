"""FIFO allocation at scale: a 10,000-unit restock across 100,000 waiting backorders of one variant, and a
10-unit restock of each of 1,000 variants with 100 waiting backorders each (wall time and SQL queries).

The allocation transactions only: nothing is sent to BigCommerce (no sandbox; the StockAdjustment rows stay
pending) and the after-commit step (send + availability refresh) is left out of the timing.

Run: ./bin/bench allocation   (or: python -m bench.allocation --runs 3 with DATABASE_URL set)
"""

import argparse
import json
import statistics
import time
from datetime import UTC, datetime

from bench import _django


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backorders", type=int, default=100_000)
    parser.add_argument("--restock", type=int, default=10_000)
    parser.add_argument("--variants", type=int, default=1_000)
    parser.add_argument("--per-variant", type=int, default=100)
    parser.add_argument("--variant-restock", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    _django.setup()

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import quote_schema_name, schema_context

    from backorder.models import Backorder, Product, StockAdjustment, Variant
    from backorder.services import allocation
    from stores import services
    from stores.models import Store, User

    allocation._after_stock_change = lambda variant_ids: None  # measured: the allocation itself
    started_at = datetime(2026, 1, 1, tzinfo=UTC)
    made = services.store_sign_up(
        email=f"{time.time_ns()}@bench.example", password="bench-pass-2026!", store_name=f"Alloc {time.time_ns()}"
    ).store

    def variants_make(count: int, first_id: int) -> list[int]:
        now = datetime.now(UTC)
        products = Product.objects.bulk_create(
            [Product(bigcommerce_id=first_id + i, name=f"P{i}", inventory_tracking="variant", synced_at=now)
             for i in range(count)]
        )  # fmt: skip
        Variant.objects.bulk_create(
            [Variant(bigcommerce_id=first_id + i, product=p, on_hand=0, synced_at=now) for i, p in enumerate(products)]
        )
        return [first_id + i for i in range(count)]

    def backorders_make(variant_ids: list[int], per_variant: int) -> None:
        with connection.cursor() as cursor:  # set-based: generate_series, one statement
            cursor.execute(
                f"""INSERT INTO {Backorder._meta.db_table}
                    (order_id, order_line_id, order_created_at, cart_id, channel_id, product_id, variant_id, sku,
                     product_name, quantity, quantity_allocated, quantity_shipped, status, customer_id,
                     customer_email, customer_name, customer_locale, unit_price, currency, shipping_preference,
                     policy, cancellation_reason, created_at, updated_at)
                SELECT v * 1000000 + n, n, %s::timestamptz + n * interval '1 second', '', 1, v, v, '', '',
                       1 + (n %% 2), 0, 0, 'waiting', 0, 'b@example.com', '', '', 10, 'USD', 'together', '{{}}', '',
                       now(), now()
                FROM unnest(%s::bigint[]) AS v, generate_series(1, %s) AS n""",
                [started_at, variant_ids, per_variant],
            )
            cursor.execute(f"ANALYZE {Backorder._meta.db_table}")

    def restock(variant_ids: list[int], units: int) -> None:
        Variant.objects.filter(bigcommerce_id__in=variant_ids).update(on_hand=units)

    def reset(variant_ids: list[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Backorder._meta.db_table} SET quantity_allocated = 0, status = 'waiting', "
                "allocated_at = NULL WHERE variant_id = ANY(%s)",
                [variant_ids],
            )
            cursor.execute("TRUNCATE backorder_allocation, backorder_backorderevent")
        StockAdjustment.objects.all().delete()

    result: dict = {"runs": args.runs}
    try:
        with schema_context(made.schema_name):
            (one,) = variants_make(1, 1)
            backorders_make([one], args.backorders)
            many = variants_make(args.variants, 10_000)
            backorders_make(many, args.per_variant)

            one_ms, one_queries, one_units = [], 0, 0
            for _ in range(args.runs):
                reset([one])
                restock([one], args.restock)
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    one_units = allocation.allocation_run(variant_id=one, source="restock")
                    one_ms.append((time.perf_counter() - started) * 1000)
                one_queries = len(queries.captured_queries)
            many_ms, many_queries, many_units = [], 0, 0
            for _ in range(args.runs):
                reset(many)
                restock(many, args.variant_restock)
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    many_units = allocation.allocation_for_variants(variant_ids=many, source="restock")
                    many_ms.append((time.perf_counter() - started) * 1000)
                many_queries = len(queries.captured_queries)
            adjustments = StockAdjustment.objects.count()
        result.update(
            {
                "one_variant": {
                    "backorders_waiting": args.backorders,
                    "restock_units": args.restock,
                    "units_allocated": one_units,
                    "median_ms": round(statistics.median(one_ms), 1),
                    "ms": [round(x, 1) for x in one_ms],
                    "queries": one_queries,
                },
                "many_variants": {
                    "variants": args.variants,
                    "backorders_waiting": args.variants * args.per_variant,
                    "restock_units_each": args.variant_restock,
                    "units_allocated": many_units,
                    "median_ms": round(statistics.median(many_ms), 1),
                    "ms": [round(x, 1) for x in many_ms],
                    "queries": many_queries,
                    "queries_per_variant": round(many_queries / args.variants, 2),
                    "stock_adjustments_pending": adjustments,
                },
            }
        )
    finally:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {quote_schema_name(made.schema_name)} CASCADE")
            User.objects.filter(memberships__store=made).delete()
            Store.objects.filter(pk=made.pk).delete()
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
