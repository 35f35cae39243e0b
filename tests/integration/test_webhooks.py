"""The webhook inbox: authentic events are stored once and acknowledged at once, then processed."""

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid

import pytest
import requests
from django.conf import settings
from django_tenants.utils import schema_context

from backorder.models import CatalogSync, Variant
from stores.bigcommerce.tasks import MAX_ATTEMPTS, store_reconcile, webhook_events_redrive
from stores.bigcommerce.webhooks import SECRET_HEADER, register_webhook_handler
from stores.models import WebhookEvent
from tests.integration.conftest import STORE_HASH, install, installed_store

pytestmark = pytest.mark.django_db(transaction=True)

effects: list[dict] = []
failing = {"on": False}


@register_webhook_handler("store/test/counted")
def count_effect(store, payloads):
    if failing["on"]:
        raise RuntimeError("the handler is broken today")
    effects.extend(payloads)


@pytest.fixture(autouse=True)
def _reset_effects():
    effects.clear()
    failing["on"] = False


def event(scope="store/test/counted", *, data=None, created_at=None, hash_="a" * 40) -> dict:
    return {
        "scope": scope, "store_id": "1001", "data": data or {"type": "test", "id": 1},
        "hash": hash_, "created_at": created_at or int(time.time()), "producer": f"stores/{STORE_HASH}",
    }  # fmt: skip


def post(body: dict, *, secret: str | None = None, headers: dict | None = None) -> requests.Response:
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if secret is not None:
        all_headers[SECRET_HEADER] = secret
    return requests.post(
        f"{settings.APP_BASE_URL}/bigcommerce/webhooks", data=json.dumps(body), headers=all_headers, timeout=10
    )


def signed_headers(raw: bytes, *, secret: str | None = None, msg_id: str | None = None) -> dict:
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = str(int(time.time()))
    key = (secret or settings.BIGCOMMERCE_CLIENT_SECRET).encode()
    signature = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + raw, hashlib.sha256).digest())
    return {"webhook-id": msg_id, "webhook-timestamp": timestamp, "webhook-signature": f"v1,{signature.decode()}"}


@pytest.fixture
def store(bigcommerce):
    install(bigcommerce)
    bigcommerce.flush_webhooks()
    return installed_store()


def test_an_event_with_the_store_secret_is_stored_acknowledged_and_processed(store):
    response = post(event(), secret=store.webhook_secret)
    assert response.status_code == 200
    assert [e["scope"] for e in effects] == ["store/test/counted"]
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.DONE


def test_a_standard_webhooks_signature_alone_is_enough(store):
    body = event()
    raw = json.dumps(body).encode()
    response = requests.post(
        f"{settings.APP_BASE_URL}/bigcommerce/webhooks", data=raw,
        headers={"Content-Type": "application/json", **signed_headers(raw)}, timeout=10,
    )  # fmt: skip
    assert response.status_code == 200
    assert len(effects) == 1


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_an_event_without_or_with_a_wrong_secret_is_refused_with_401(store, secret):
    assert post(event(), secret=secret).status_code == 401
    raw = json.dumps(event()).encode()
    forged = signed_headers(raw, secret="not-the-client-secret")
    assert post(event(), headers=forged).status_code == 401
    assert not WebhookEvent.objects.exists() and not effects


def test_an_event_for_an_unknown_store_is_acknowledged_and_ignored(store):
    body = event() | {"producer": "stores/nobody"}
    assert post(body, secret="whatever").status_code == 200
    assert not WebhookEvent.objects.exists()


def test_bad_bodies_get_a_clear_400(store):
    response = requests.post(f"{settings.APP_BASE_URL}/bigcommerce/webhooks", data=b"not json", timeout=10)
    assert response.status_code == 400 and "JSON" in response.json()["message"]
    assert post({"no": "scope"}, secret="x").status_code == 400


def test_the_same_event_delivered_20_times_at_once_has_one_effect(store):
    body = event()
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", SECRET_HEADER: store.webhook_secret, **signed_headers(raw)}
    statuses: list[int] = []
    barrier = threading.Barrier(20)

    def deliver():
        barrier.wait()
        response = requests.post(f"{settings.APP_BASE_URL}/bigcommerce/webhooks", data=raw, headers=headers, timeout=30)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 20
    assert WebhookEvent.objects.count() == 1
    assert len(effects) == 1


def test_redelivery_without_webhook_id_is_recognised_by_store_scope_time_and_hash(store):
    body = event(created_at=1_700_000_000)
    post(body, secret=store.webhook_secret)
    post(body, secret=store.webhook_secret)
    assert WebhookEvent.objects.count() == 1 and len(effects) == 1


def test_two_different_events_of_one_entity_with_the_same_hash_are_both_processed(store):
    post(event(created_at=1_700_000_000), secret=store.webhook_secret)
    post(event(created_at=1_700_000_060), secret=store.webhook_secret)
    assert WebhookEvent.objects.count() == 2 and len(effects) == 2


def test_a_failing_handler_is_retried_then_parked_as_a_dead_letter_that_staff_can_redrive(store):
    failing["on"] = True
    post(event(), secret=store.webhook_secret)
    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.attempts) == ("failed", 1)
    assert "broken today" in stored.last_error

    from stores.bigcommerce.tasks import webhook_events_process

    for _ in range(MAX_ATTEMPTS - 1):
        WebhookEvent.objects.update(next_attempt_at=stored.received_at)
        webhook_events_process(store_id=store.pk, schema_name=store.schema_name)
    assert WebhookEvent.objects.get().status == "dead"

    failing["on"] = False
    webhook_events_redrive(event_ids=[stored.pk])
    assert WebhookEvent.objects.get().status == "done"
    assert len(effects) == 1


def test_a_stock_change_in_bigcommerce_reaches_the_mirror_through_the_webhook(store, bigcommerce):
    with schema_context(store.schema_name):
        variant = Variant.objects.filter(on_hand__isnull=False, product__inventory_tracking="variant").first()
    bigcommerce.restock(STORE_HASH, variant_id=variant.bigcommerce_id, quantity=(variant.on_hand or 0) + 17)
    assert bigcommerce.flush_webhooks(10)

    with schema_context(store.schema_name):
        assert Variant.objects.get(pk=variant.pk).on_hand == (variant.on_hand or 0) + 17


def test_after_uninstall_events_are_ignored(store, bigcommerce):
    secret = store.webhook_secret
    bigcommerce.uninstall(STORE_HASH)
    assert post(event(), secret=secret).status_code == 200
    assert not WebhookEvent.objects.exists() and not effects


def test_the_catalog_sync_completes_through_429_storms_and_server_errors(bigcommerce):
    bigcommerce.set_faults(STORE_HASH, status_429=3, storm_reset_ms=50, status_5xx=2)
    install(bigcommerce)
    store = installed_store()
    with schema_context(store.schema_name):
        sync = CatalogSync.objects.get()
    assert sync.status == "done"
    assert sync.products_done == bigcommerce.store_summary(STORE_HASH)["counts"]["products"]


def test_reconciliation_restores_a_deleted_hook_and_replays_a_missed_order(store, bigcommerce):
    with bigcommerce.state.lock:
        hooks = bigcommerce.state.store(STORE_HASH).hooks
        order_hook = next(h for h in hooks.values() if h["scope"] == "store/order/created")
        del hooks[order_hook["id"]]
    with schema_context(store.schema_name):
        variant = Variant.objects.filter(on_hand__gt=0).first()
    order = bigcommerce.place_order(STORE_HASH, [{"variant_id": variant.bigcommerce_id, "quantity": 1}])
    bigcommerce.flush_webhooks(10)

    result = store_reconcile(schema_name=store.schema_name)

    with bigcommerce.state.lock:
        scopes = [h["scope"] for h in bigcommerce.state.store(STORE_HASH).hooks.values()]
    assert "store/order/created" in scopes
    assert result["replayed"] >= 1
    replayed = WebhookEvent.objects.filter(dedupe_key__startswith=f"reconcile:order:{order['id']}:")
    assert replayed.count() == 1


def test_a_revoked_token_marks_the_store_as_needing_reconnection(store, bigcommerce):
    with bigcommerce.state.lock:
        bigcommerce.state.revoke(bigcommerce.state.store(STORE_HASH), settings.BIGCOMMERCE_CLIENT_ID)
    assert store_reconcile(schema_name=store.schema_name) == {"status": "needs_reconnecting"}
    assert installed_store().connection == "needs_reconnecting"


def test_a_burst_of_events_for_one_product_is_read_back_once(store, bigcommerce, monkeypatch):
    from backorder import sync as catalog_sync
    from stores.bigcommerce.tasks import webhook_events_process
    from stores.bigcommerce.webhooks import event_store
    from stores.models import WebhookDrainQueued

    with schema_context(store.schema_name):
        product_id = Variant.objects.first().product.bigcommerce_id
    WebhookDrainQueued.objects.create(store=store)  # processing already queued: the burst only piles up
    for n in range(10):
        body = event("store/product/inventory/updated", data={"type": "product", "id": product_id}, created_at=n)
        event_store(store=store, scope=body["scope"], payload=body, key=f"burst-{n}")
    reads = []
    original = catalog_sync.products_refresh
    monkeypatch.setattr(
        catalog_sync, "products_refresh", lambda **kw: reads.append(sorted(kw["product_ids"])) or original(**kw)
    )

    webhook_events_process(store_id=store.pk, schema_name=store.schema_name)

    assert reads == [[product_id]]
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"done"}


def test_a_sync_that_crashed_resumes_from_its_last_page(store, bigcommerce, monkeypatch):
    from backorder import sync as catalog_sync
    from backorder.tasks import catalog_sync as catalog_sync_task

    monkeypatch.setattr(catalog_sync, "PRODUCT_PAGE", 10)
    original = catalog_sync.products_store
    calls = {"n": 0}

    def crash_on_third_page(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ConnectionError("the worker died")
        return original(**kwargs)

    monkeypatch.setattr(catalog_sync, "products_store", crash_on_third_page)
    with schema_context(store.schema_name):
        CatalogSync.objects.all().delete()
        started = catalog_sync.catalog_sync_start()
    with pytest.raises(ConnectionError):
        catalog_sync_task(sync_id=started.pk, schema_name=store.schema_name)
    with schema_context(store.schema_name):
        crashed = CatalogSync.objects.get()
        assert (crashed.status, crashed.products_done, crashed.phase) == ("running", 20, "products")
        assert "the worker died" in crashed.error
        cursor = crashed.product_cursor

    catalog_sync_task(sync_id=crashed.pk, schema_name=store.schema_name)  # django-q2 runs it again

    total = bigcommerce.store_summary(STORE_HASH)["counts"]["products"]
    with schema_context(store.schema_name):
        resumed = CatalogSync.objects.get()
        assert (resumed.status, resumed.products_done, resumed.products_total) == ("done", total, total)
        assert resumed.product_cursor > cursor
    # pages 1-2, the crash on 3, then pages 3.. again: nothing before the cursor is read twice
    assert calls["n"] == 3 + (total - 20) // 10 + 1  # the last page is short (or empty)
