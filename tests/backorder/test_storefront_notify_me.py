"""Notify-me: a form-encoded sign-up from the storefront, strict about its input, idempotent per address and
item, announced to the notifications app; and the restock event that lets it send the alert."""

import pytest
from django.utils import timezone

from backorder import events
from backorder.models import Product, StockAlertSubscription, Variant
from backorder.services.availability import availability_refresh
from backorder.services.stock_alerts import stock_alert_subscribe
from backorder.storefront_api import StockAlertThrottle
from tests.backorder.conftest import backorder_make, variant_make


@pytest.fixture
def published(monkeypatch):
    """The events published during the test, as (name, payload) pairs."""
    seen = []
    monkeypatch.setattr(events, "_listeners", {"stock_alert.subscribed": [], "variant.restocked": []})
    events.listen("stock_alert.subscribed", lambda name, **payload: seen.append((name, payload)))
    events.listen("variant.restocked", lambda name, **payload: seen.append((name, payload)))
    return seen


@pytest.fixture
def notify_url(store):
    return f"/api/storefront/v1/{store.public_key}/notify-me"


@pytest.mark.django_db
def test_a_form_post_subscribes_once_and_is_announced_once(store, public_client, notify_url, published):
    variant = variant_make(on_hand=0)
    form = {"email": " Ada@Example.com ", "variant_id": variant.bigcommerce_id, "locale": "de-DE"}

    first = public_client.post(notify_url, form)  # application/x-www-form-urlencoded: no CORS preflight
    again = public_client.post(notify_url, form)

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {
        "subscribed": True, "product_id": variant.product.bigcommerce_id, "variant_id": variant.bigcommerce_id,
    }  # fmt: skip
    subscription = StockAlertSubscription.objects.get()
    assert (subscription.email, subscription.locale) == ("ada@example.com", "de")
    assert [(name, payload["subscription"].pk) for name, payload in published] == [
        ("stock_alert.subscribed", subscription.pk)
    ]


@pytest.mark.django_db
def test_signing_up_again_after_the_alert_was_sent_rearms_it(store, published):
    variant = variant_make(on_hand=0)
    subscription = stock_alert_subscribe(email="ada@example.com", variant_id=variant.bigcommerce_id)
    StockAlertSubscription.objects.filter(pk=subscription.pk).update(notified_at=timezone.now())
    again = stock_alert_subscribe(email="ada@example.com", variant_id=variant.bigcommerce_id)
    assert again.pk == subscription.pk and again.notified_at is None
    assert len(published) == 2


@pytest.mark.django_db
def test_a_product_with_one_variant_subscribes_to_that_variant_and_one_with_options_to_any(store, public_client,
                                                                                          notify_url):  # fmt: skip
    simple = variant_make(on_hand=0)
    with_options = variant_make(on_hand=0)
    variant_make(on_hand=0, product=with_options.product)
    public_client.post(notify_url, {"email": "a@example.com", "product_id": simple.product.bigcommerce_id})
    public_client.post(notify_url, {"email": "a@example.com", "product_id": with_options.product.bigcommerce_id})
    assert sorted(StockAlertSubscription.objects.values_list("product_id", "variant_id")) == [
        (simple.product.bigcommerce_id, simple.bigcommerce_id), (with_options.product.bigcommerce_id, None),
    ]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "status", "says"),
    [
        ({"email": "not-an-address", "variant_id": "VARIANT"}, 400, "valid e-mail"),
        ({"email": "a@example.com"}, 400, "variant_id or product_id"),
        ({"email": "a@example.com", "variant_id": "x"}, 400, "whole numbers"),
        ({"email": "a@example.com", "variant_id": "VARIANT", "locale": "<b>"}, 400, "locale"),
        ({"email": "a@example.com", "variant_id": "999999"}, 404, "no variant 999999"),
        ({"email": "a@example.com", "variant_id": "VARIANT", "product_id": "424242"}, 404, "of product 424242"),
        ({"email": "a@example.com", "product_id": "424242"}, 404, "no product 424242"),
    ],
)
def test_bad_sign_ups_are_refused_with_a_json_message(store, public_client, notify_url, form, status, says):
    variant = variant_make(on_hand=0)
    form = {k: str(variant.bigcommerce_id) if v == "VARIANT" else v for k, v in form.items()}
    response = public_client.post(notify_url, form)
    assert response.status_code == status
    assert says in response.json()["message"]
    assert not StockAlertSubscription.objects.exists()


@pytest.mark.django_db
def test_json_is_refused_and_the_stores_origin_may_read_the_answer(store, public_client, notify_url):
    variant = variant_make(on_hand=0)
    as_json = public_client.post(notify_url, {"email": "a@example.com"}, content_type="application/json")
    assert as_json.status_code == 415
    store.storefront_origins = ["https://lamps.example.com"]
    store.save()
    response = public_client.post(notify_url, {"email": "a@example.com", "variant_id": variant.bigcommerce_id},
                                  HTTP_ORIGIN="https://lamps.example.com")  # fmt: skip
    assert response["Access-Control-Allow-Origin"] == "https://lamps.example.com"


@pytest.mark.django_db
def test_sign_ups_are_throttled_per_shopper(store, public_client, notify_url, monkeypatch):
    variant = variant_make(on_hand=0)
    monkeypatch.setattr(StockAlertThrottle, "rate", "2/hour")
    statuses = [
        public_client.post(notify_url, {"email": f"a{n}@example.com", "variant_id": variant.bigcommerce_id}).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.django_db
def test_stock_beyond_the_waiting_queue_announces_a_restock_once(store, published):
    sold_out, queued, fine = variant_make(on_hand=0), variant_make(on_hand=0), variant_make(on_hand=4)
    backorder_make(queued, 3)
    ids = [sold_out.bigcommerce_id, queued.bigcommerce_id, fine.bigcommerce_id]
    availability_refresh(variant_ids=ids)  # first rows: nothing is "back"
    Variant.objects.filter(pk__in=[sold_out.pk, queued.pk]).update(on_hand=3)  # queued: all 3 owed to the queue
    availability_refresh(variant_ids=ids)
    availability_refresh(variant_ids=ids)  # nothing changed: no second announcement
    assert published == [("variant.restocked", {"variant_ids": [sold_out.bigcommerce_id]})]


@pytest.mark.django_db
def test_a_deleted_product_cannot_be_subscribed_to(store, public_client, notify_url):
    variant = variant_make(on_hand=0)
    Product.objects.filter(pk=variant.product_id).update(is_deleted=True)
    response = public_client.post(notify_url, {"email": "a@example.com", "variant_id": variant.bigcommerce_id})
    assert response.status_code == 404
