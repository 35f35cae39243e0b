"""Saving the store policy of a 100,000-variant store: how long the merchant's request takes, how long until
the storefront answers by the new policy, and how long the background refresh of every variant takes; next
to today's path (the same save recomputing every variant inside the request) in the same run.

Builds (once, set-based) a store with N products x 2 variants and their availability rows, then:
1. the save through the merchant API (Django's test client, a signed-in session: the whole request path),
   then the storefront's answer for a variant, asked at once and again until it shows the new lead time;
2. the background refresh (`policy_changes_apply`, what the task runs), timed;
3. today's path: the same change applied inside the save (the at-once threshold lifted), timed.
Run: ./bin/bench policy [--variants 100000]
"""

import argparse
import json
import time
from datetime import timedelta

from bench import _django

SLUG = "bench-policy"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=100_000)
    args = parser.parse_args(argv)
    _django.setup()
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from backorder.models import Policy, Product, Variant, VariantAvailability
    from backorder.services import policies as policy_services
    from backorder.services.availability import availability_refresh_all, store_today
    from stores import services
    from stores.models import Store, User

    settings.ALLOWED_HOSTS = ["*"]
    store = Store.objects.filter(slug=SLUG).first()
    if store is None:
        store = services.store_sign_up(email=f"owner@{SLUG}.example", password="bench-password-2026",
                                       store_name="Bench Policy").store  # fmt: skip
    owner = User.objects.get(email=f"owner@{SLUG}.example")
    with schema_context(store.schema_name):
        if Variant.objects.count() < args.variants:
            started = time.perf_counter()
            now, products = timezone.now(), args.variants // 2
            have = set(Product.objects.values_list("bigcommerce_id", flat=True))
            Product.objects.bulk_create(
                (Product(bigcommerce_id=n, name=f"Product {n}", inventory_tracking="variant", synced_at=now)
                 for n in range(1, products + 1) if n not in have), batch_size=5000,
            )  # fmt: skip
            by_id = dict(Product.objects.values_list("bigcommerce_id", "pk"))
            have = set(Variant.objects.values_list("bigcommerce_id", flat=True))
            Variant.objects.bulk_create(
                (Variant(bigcommerce_id=100_000 + n, product_id=by_id[(n + 1) // 2], sku=f"SKU-{n}", on_hand=0,
                         synced_at=now) for n in range(1, products * 2 + 1) if 100_000 + n not in have),
                batch_size=5000,
            )  # fmt: skip
            Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=10)
            availability_refresh_all()
            print(f"built {Variant.objects.count()} variants in {time.perf_counter() - started:.0f} s", flush=True)
        Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=10)
        availability_refresh_all()
        row = VariantAvailability.objects.order_by("variant_id").first()
        policy_id = Policy.objects.get(scope="store").pk
        variants = Variant.objects.count()
        today = store_today(store)

    merchant = Client(HTTP_HOST=store.host)
    merchant.force_login(owner)
    shopper = Client(HTTP_HOST=settings.PUBLIC_HOST)
    url = f"/api/storefront/v1/{store.public_key}/products/{row.product_id}"

    def shows(days: int) -> bool:
        body = shopper.get(url, {"variant_id": row.variant_id, "quantity": 2}).json()
        return body["expected_ship_date"] == (today + timedelta(days=days)).isoformat()

    def save(days: int) -> tuple[float, float]:
        """(request seconds, seconds from the request's start until the storefront shows it)."""
        started = time.perf_counter()
        response = merchant.patch(f"/api/v1/policies/{policy_id}/", {"lead_time_days": days},
                                  content_type="application/json")  # fmt: skip
        request_seconds = time.perf_counter() - started
        assert response.status_code == 200, response.content
        while not shows(days):
            time.sleep(0.01)
        return request_seconds, time.perf_counter() - started

    assert shows(10)
    save(10)  # warm: the first request of a process loads what every later one finds ready
    with schema_context(store.schema_name):
        policy_services.policy_changes_apply(seconds=3600)
    request_seconds, visible_seconds = save(30)
    with schema_context(store.schema_name):
        started = time.perf_counter()
        policy_services.policy_changes_apply(seconds=3600)
        apply_seconds = time.perf_counter() - started
    assert shows(30)

    policy_services.REFRESH_AT_ONCE = 10**9  # today's path: every variant recomputed inside the save
    today_request_seconds, today_visible_seconds = save(45)

    result = {
        "variants": variants,
        "save_request_ms": round(request_seconds * 1000, 1),
        "storefront_shows_it_after_ms": round(visible_seconds * 1000, 1),
        "background_refresh_seconds": round(apply_seconds, 2),
        "today_save_request_seconds": round(today_request_seconds, 2),
        "today_storefront_shows_it_after_seconds": round(today_visible_seconds, 2),
        "request_speedup": round(today_request_seconds / request_seconds, 1),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
