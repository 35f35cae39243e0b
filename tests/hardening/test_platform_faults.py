"""BigCommerce misbehaves (429 storms, 5xx, answers slower than our read timeout) during catalog sync and
order capture: the work still completes, and nothing is half-written or written twice.

The client's retry policy is the production one; only its waiting is compressed (`sleep` capped at 20 ms)
so the test takes seconds. The faults come from the sandbox's fault injection (docs/bigcommerce-sandbox.md).
"""

import time

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from backorder import sync
from backorder.models import Backorder, BackorderEvent, CatalogSync, Policy, Product, Variant
from stores.bigcommerce import connection as bc_connection
from stores.bigcommerce.client import BigCommerceClient
from stores.bigcommerce.sandbox import SandboxServer
from stores.bigcommerce.tasks import webhook_events_process
from stores.bigcommerce.webhooks import event_store
from stores.models import Store, WebhookEvent

pytestmark = pytest.mark.django_db
STORE_HASH = "faulty01"


def quick_sleep(seconds: float) -> None:
    time.sleep(min(seconds, 0.02))


def client_for(store, **kwargs) -> BigCommerceClient:
    return BigCommerceClient(
        store_hash=store.bigcommerce_store_hash, access_token=store.access_token, sleep=quick_sleep,
        timeout=(2, 0.5), **kwargs,
    )  # fmt: skip


@pytest.fixture
def bigcommerce(settings):
    server = SandboxServer(
        client_id=settings.BIGCOMMERCE_CLIENT_ID,
        client_secret=settings.BIGCOMMERCE_CLIENT_SECRET,
        app_base_url="http://127.0.0.1:9",
        rate_limit_quota=100_000,
    )
    server.start()
    settings.BIGCOMMERCE_API_URL = settings.BIGCOMMERCE_LOGIN_URL = server.base_url
    server.create_store(STORE_HASH, name="Faulty Shop", seed=5, products=60)
    with server.state.lock:
        server.state.store(STORE_HASH).muted = True  # these tests drive the app's handlers themselves
    yield server
    server.stop()


@pytest.fixture
def store(make_store, bigcommerce, monkeypatch):
    store = make_store()
    store.bigcommerce_store_hash = STORE_HASH
    store.access_token = bigcommerce.issue_token(STORE_HASH)
    store.connection = Store.Connection.CONNECTED
    store.save()
    monkeypatch.setattr(bc_connection, "client_for", client_for)
    with schema_context(store.schema_name):
        yield store


def mirror_matches(bigcommerce) -> None:
    summary = bigcommerce.store_summary(STORE_HASH)["counts"]
    assert Product.objects.count() == summary["products"]
    assert Variant.objects.count() == summary["variants"]
    with bigcommerce.state.lock:
        bc = bigcommerce.state.store(STORE_HASH)
        tracked = [
            v["id"] for v in bc.variants.values() if bc.products[v["product_id"]]["inventory_tracking"] == "variant"
        ]
    for variant_id in tracked:
        on_hand = bigcommerce.inventory_item(STORE_HASH, variant_id=variant_id)["total_inventory_onhand"]
        assert Variant.objects.get(bigcommerce_id=variant_id).on_hand == on_hand, variant_id


def test_a_catalog_sync_through_a_429_storm_5xx_and_timeouts_completes_with_the_exact_catalog(store, bigcommerce):
    bigcommerce.set_faults(STORE_HASH, status_429=8, storm_reset_ms=10, status_5xx=3, delay_ms=700, delay_requests=2)
    # 3 errors + 2 timeouts can hit one request back to back: a retry budget of 5 covers the whole storm
    # (a sync that runs out of retries and resumes is the next test)
    client = client_for(store, max_retries=6)

    catalog = sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)

    assert catalog.status == CatalogSync.Status.DONE
    assert bigcommerce.store_summary(STORE_HASH)["faults"]["status_429"] == 0  # every fault was met
    assert client.requests_made > 8 + 3 + 2
    mirror_matches(bigcommerce)


def test_a_sync_that_gives_up_on_a_broken_platform_leaves_whole_pages_and_resumes_to_the_exact_catalog(
    store, bigcommerce, monkeypatch
):
    monkeypatch.setattr(sync, "PRODUCT_PAGE", 10)
    client = client_for(store, max_retries=1)
    started = sync.catalog_sync_start()
    sync.catalog_sync_run(sync=started, client=client_for(store))  # nothing mirrored yet: start clean
    Product.objects.all().delete()
    CatalogSync.objects.all().delete()
    started = sync.catalog_sync_start()
    calls = {"n": 0}
    original = client.request

    def breaks_after_three_pages(method, path, **kwargs):
        calls["n"] += 1
        if path.endswith("/catalog/products") and calls["n"] > 4:
            bigcommerce.set_faults(STORE_HASH, status_5xx=1000)
        return original(method, path, **kwargs)

    client.request = breaks_after_three_pages
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises after its retries
        sync.catalog_sync_run(sync=started, client=client)
    # what is mirrored is whole: every product has all its variants
    with bigcommerce.state.lock:
        bc = bigcommerce.state.store(STORE_HASH)
        variants_of = {p: sum(1 for v in bc.variants.values() if v["product_id"] == p) for p in bc.products}
    assert Product.objects.exists()
    for product in Product.objects.all():
        assert product.variants.count() == variants_of[product.bigcommerce_id]

    bigcommerce.set_faults(STORE_HASH, status_5xx=0)
    resumed = sync.catalog_sync_run(sync=CatalogSync.objects.get(pk=started.pk), client=client_for(store))
    assert resumed.status == CatalogSync.Status.DONE
    mirror_matches(bigcommerce)


def test_order_capture_through_429s_5xx_and_timeouts_captures_each_backordered_line_once(store, bigcommerce):
    client = client_for(store)
    sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)
    Policy.objects.filter(scope="store").update(enabled=True, max_units=None)
    variants = list(
        Variant.objects.filter(product__inventory_tracking="variant", on_hand__isnull=False).order_by("on_hand")[:6]
    )
    for variant in variants:
        bigcommerce.set_backorder_limit(STORE_HASH, None, variant_id=variant.bigcommerce_id)
    orders = [
        bigcommerce.place_order(STORE_HASH, [{"variant_id": v.bigcommerce_id, "quantity": (v.on_hand or 0) + 2}])
        for v in variants
    ]
    bigcommerce.set_faults(STORE_HASH, status_429=10, storm_reset_ms=10, status_5xx=6, delay_ms=700, delay_requests=3)

    for order in orders:
        body = {"scope": "store/order/created", "data": {"type": "order", "id": order["id"]},
                "producer": f"stores/{STORE_HASH}", "created_at": order["id"], "hash": str(order["id"])}  # fmt: skip
        event_store(store=store, scope=body["scope"], payload=body, key=f"order-{order['id']}")
    for _ in range(10):  # the minute sweep's retries, without the waiting
        if not WebhookEvent.objects.exclude(status=WebhookEvent.Status.DONE).exists():
            break
        WebhookEvent.objects.update(next_attempt_at=timezone.now())
        webhook_events_process(store_id=store.pk, schema_name=store.schema_name)

    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"done"}
    expected = {
        (order["id"], line["id"]): line["quantity_backordered"]
        for order in (bigcommerce.get_order(STORE_HASH, o["id"]) for o in orders)
        for line in order["lines"]
        if line["quantity_backordered"]
    }
    assert expected
    assert {(b.order_id, b.order_line_id): b.quantity for b in Backorder.objects.all()} == expected
    assert BackorderEvent.objects.filter(kind="captured").count() == len(expected)
    with bigcommerce.state.lock:
        bc = bigcommerce.state.store(STORE_HASH)
        for order in orders:
            metafields = [m for m in bc.order_metafields.values() if m["resource_id"] == order["id"]]
            notes = [t for t in bc.orders[order["id"]]["staff_notes"].splitlines() if t.startswith("Backorder: ")]
            assert len(metafields) == 1 and len(notes) == 1, (order["id"], metafields, notes)
