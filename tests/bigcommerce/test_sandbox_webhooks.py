"""Hooks API, webhook payloads, Standard Webhooks signatures, retries and redelivery (research §3)."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from standardwebhooks import Webhook

from stores.bigcommerce import errors
from stores.bigcommerce.client import BigCommerceClient
from stores.bigcommerce.sandbox import RETRY_SCHEDULE
from stores.bigcommerce.sandbox.webhooks import scope_matches, sign

STORE_HASH = "abc123"
CLIENT_SECRET = "test-client-secret"


@pytest.fixture
def hook_url(fake_app):
    return f"{fake_app.base_url}/webhooks"


def _subscribe(client, hook_url, scope, **extra):
    return client.post("/v3/hooks", json={"scope": scope, "destination": hook_url, **extra})["data"]


def _received(sandbox, fake_app):
    assert sandbox.flush_webhooks(5)
    return [json.loads(r.body) for r in fake_app.requests_to("/webhooks")]


def _simple_product(client, level=4):
    body = {
        "name": "Enamel Mug",
        "type": "physical",
        "weight": 1,
        "price": 12.5,
        "sku": "MUG-1",
        "inventory_tracking": "product",
        "inventory_level": level,
    }
    return client.post("/v3/catalog/products", json=body)["data"]


def _option_variant(client):
    return next(v for v in client.iter_v3("/v3/catalog/variants") if v["sku_id"])


def test_signature_matches_the_research_test_vector():
    body = (
        '{"created_at":1700000000,"store_id":"1001234567","producer":"stores/abc123","scope":"store/order/created",'
        '"hash":"0000000000000000000000000000000000000000","data":{"type":"order","id":101}}'
    )
    assert sign(CLIENT_SECRET, "msg_test_0001", 1700000000, body) == "v1,G1qoIA5R4XNFO73Aq14ypQC/Hk7XWsNEcgSuwGekpzI="


def test_order_created_is_delivered_with_bigcommerce_body_custom_headers_and_a_valid_signature(
    client, sandbox, fake_app, hook_url
):
    _subscribe(client, hook_url, "store/order/created", headers={"X-Backorder-Token": "per-store-secret"})
    mug = _simple_product(client)
    order = sandbox.place_order(STORE_HASH, [{"product_id": mug["id"], "quantity": 1}])
    assert sandbox.flush_webhooks(5)
    [request] = fake_app.requests_to("/webhooks")
    body = json.loads(request.body)
    assert list(body) == ["scope", "store_id", "data", "hash", "created_at", "producer"]
    assert body["scope"] == "store/order/created"
    assert body["data"] == {"type": "order", "id": order["id"]}
    assert body["store_id"] == str(sandbox.store_summary(STORE_HASH)["store_id"])
    assert body["producer"] == f"stores/{STORE_HASH}"
    assert body["hash"] == hashlib.sha1(json.dumps(body["data"], separators=(",", ":")).encode()).hexdigest()
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["x-backorder-token"] == "per-store-secret"
    assert headers["webhook-id"].startswith("msg_")
    verifier = Webhook(base64.b64encode(CLIENT_SECRET.encode()).decode())
    assert verifier.verify(request.body, request.headers) == body


def test_status_changes_fire_updated_and_status_updated_with_both_status_ids(client, sandbox, fake_app, hook_url):
    _subscribe(client, hook_url, "store/order/*")
    mug = _simple_product(client)
    order = sandbox.place_order(STORE_HASH, [{"product_id": mug["id"], "quantity": 1}], status_id=11)
    sandbox.set_order_status(STORE_HASH, order["id"], 9)
    client.delete(f"/v2/orders/{order['id']}")
    events = _received(sandbox, fake_app)
    assert [e["scope"] for e in events] == [
        "store/order/created",
        "store/order/updated",
        "store/order/statusUpdated",
        "store/order/archived",
    ]
    assert events[2]["data"] == {
        "type": "order",
        "id": order["id"],
        "status": {"previous_status_id": 11, "new_status_id": 9},
    }


def test_api_stock_changes_fire_absolute_inventory_hooks_and_orders_fire_relative_ones(
    client, sandbox, fake_app, hook_url
):
    for scope in (
        "store/product/inventory/updated",
        "store/product/inventory/order/updated",
        "store/sku/inventory/updated",
        "store/sku/inventory/order/updated",
        "store/channel/*/inventory/product/stock_changed",
    ):
        _subscribe(client, hook_url, scope)
    mug = _simple_product(client)
    sandbox.restock(STORE_HASH, product_id=mug["id"], quantity=10)
    sandbox.place_order(STORE_HASH, [{"product_id": mug["id"], "quantity": 3}])
    variant = _option_variant(client)
    sandbox.restock(STORE_HASH, variant_id=variant["id"], quantity=2, relative=True)
    events = _received(sandbox, fake_app)
    by_scope = {e["scope"]: e["data"] for e in events}
    assert by_scope["store/product/inventory/updated"] == {
        "type": "product",
        "id": mug["id"],
        "inventory": {"product_id": mug["id"], "method": "absolute", "value": 10},
    }
    assert by_scope["store/product/inventory/order/updated"]["inventory"] == {
        "product_id": mug["id"],
        "method": "relative",
        "value": -3,
    }
    sku = by_scope["store/sku/inventory/updated"]
    assert sku["type"] == "sku" and sku["id"] == variant["sku_id"]
    assert sku["inventory"] == {
        "product_id": variant["product_id"],
        "method": "relative",
        "value": 2,
        "variant_id": variant["id"],
    }
    assert by_scope["store/channel/1/inventory/product/stock_changed"]["location_id"] == 1


def test_catalog_changes_fire_product_and_sku_hooks(client, sandbox, fake_app, hook_url):
    _subscribe(client, hook_url, "store/product/*")
    _subscribe(client, hook_url, "store/sku/*")
    mug = _simple_product(client)
    client.put(f"/v3/catalog/products/{mug['id']}", json={"availability": "preorder"})
    variant = _option_variant(client)
    client.put(
        f"/v3/catalog/products/{variant['product_id']}/variants/{variant['id']}", json={"purchasing_disabled": True}
    )
    client.delete(f"/v3/catalog/products/{mug['id']}")
    events = _received(sandbox, fake_app)
    assert [(e["scope"], e["data"].get("id")) for e in events] == [
        ("store/product/created", mug["id"]),
        ("store/product/inventory/updated", mug["id"]),
        ("store/product/updated", mug["id"]),
        ("store/sku/updated", variant["sku_id"]),
        ("store/product/deleted", mug["id"]),
    ]
    assert events[3]["data"]["sku"] == {"product_id": variant["product_id"], "variant_id": variant["id"]}


def test_shipments_and_refunds_fire_their_hooks(client, sandbox, fake_app, hook_url):
    _subscribe(client, hook_url, "store/shipment/created")
    _subscribe(client, hook_url, "store/order/refund/created")
    mug = _simple_product(client)
    order = sandbox.place_order(STORE_HASH, [{"product_id": mug["id"], "quantity": 2}])
    shipment = sandbox.ship_order(STORE_HASH, order["id"])
    line_id = order["lines"][0]["id"]
    client.post(
        f"/v3/orders/{order['id']}/payment_actions/refunds",
        json={
            "items": [{"item_type": "PRODUCT", "item_id": line_id, "quantity": 1}],
            "payments": [{"provider_id": "storecredit", "amount": 12.5}],
        },
    )
    events = _received(sandbox, fake_app)
    assert events[0]["data"] == {"type": "shipment", "id": shipment["id"], "orderId": order["id"]}
    assert events[1]["data"] == {"type": "order", "id": order["id"], "refund": {"refund_id": 1}}


def test_failed_deliveries_follow_the_retry_schedule_and_deactivate_the_hook(client, sandbox, fake_app, hook_url):
    fake_app.webhook_status = 500
    hook = _subscribe(client, hook_url, "store/order/created")
    mug = _simple_product(client)
    sandbox.place_order(STORE_HASH, [{"product_id": mug["id"], "quantity": 1}])
    assert sandbox.flush_webhooks(5)
    [delivery] = sandbox.webhook_deliveries(STORE_HASH)
    assert delivery["state"] == "retrying" and delivery["next_attempt_at"] == 60
    assert sandbox.advance_webhook_clock(59) == []
    for step in RETRY_SCHEDULE:
        assert sandbox.advance_webhook_clock(step) == [delivery["id"]]
        assert sandbox.flush_webhooks(5)
    [delivery] = sandbox.webhook_deliveries(STORE_HASH)
    assert delivery["state"] == "failed" and len(delivery["attempts"]) == 1 + len(RETRY_SCHEDULE)
    assert client.get_data(f"/v3/hooks/{hook['id']}")["is_active"] is False
    assert len({r.headers["webhook-id"] for r in fake_app.requests_to("/webhooks")}) == 1


def test_a_retry_that_succeeds_marks_the_delivery_delivered(client, sandbox, fake_app, hook_url):
    fake_app.webhook_status = 503
    _subscribe(client, hook_url, "store/order/created")
    mug = _simple_product(client)
    sandbox.place_order(STORE_HASH, [{"product_id": mug["id"], "quantity": 1}])
    assert sandbox.flush_webhooks(5)
    fake_app.webhook_status = 200
    sandbox.advance_webhook_clock(60)
    assert sandbox.flush_webhooks(5)
    [delivery] = sandbox.webhook_deliveries(STORE_HASH)
    assert delivery["state"] == "delivered"
    assert [a["status"] for a in delivery["attempts"]] == [503, 200]


def test_redelivery_repeats_the_webhook_id_and_duplicates_repeat_only_the_hash(client, sandbox, fake_app, hook_url):
    _subscribe(client, hook_url, "store/order/created")
    mug = _simple_product(client)
    sandbox.place_order(STORE_HASH, [{"product_id": mug["id"], "quantity": 1}])
    assert sandbox.flush_webhooks(5)
    [delivery] = sandbox.webhook_deliveries(STORE_HASH)
    sandbox.redeliver_webhook(delivery["id"])
    sandbox.duplicate_webhook(delivery["id"], count=2)
    received = fake_app.requests_to("/webhooks")
    assert sandbox.flush_webhooks(5)
    received = fake_app.requests_to("/webhooks")
    ids = [r.headers["webhook-id"] for r in received]
    assert ids[0] == ids[1] == delivery["id"] and len(set(ids)) == 3
    assert len({r.body for r in received}) == 1


def test_hooks_are_private_to_the_app_that_created_them(client, sandbox, hook_url):
    hook = _subscribe(client, hook_url, "store/order/created")
    sandbox.register_app("other-app", "other-secret", "http://127.0.0.1:9")
    other = BigCommerceClient(
        store_hash=STORE_HASH,
        access_token=sandbox.issue_token(STORE_HASH, client_id="other-app"),
        api_url=sandbox.base_url,
    )
    assert other.get("/v3/hooks")["data"] == []
    with pytest.raises(errors.NotFoundError):
        other.get(f"/v3/hooks/{hook['id']}")


def test_a_second_hook_for_the_same_scope_and_destination_is_refused(client, hook_url):
    _subscribe(client, hook_url, "store/order/created")
    with pytest.raises(errors.ValidationError) as caught:
        _subscribe(client, hook_url, "store/order/created")
    assert caught.value.status == 422
    for n in range(9):
        _subscribe(client, f"{hook_url}?n={n}", "store/order/created")
    with pytest.raises(errors.ValidationError):
        _subscribe(client, f"{hook_url}?n=10", "store/order/created")


def test_hooks_can_be_updated_listed_and_deleted(client, hook_url):
    hook = _subscribe(client, hook_url, "store/order/created", headers={"X-Token": "a"})
    assert hook["client_id"] == "test-client-id" and hook["is_active"] is True
    updated = client.put(f"/v3/hooks/{hook['id']}", json={"is_active": False, "headers": {"X-Token": "b"}})["data"]
    assert updated["headers"] == {"X-Token": "b"} and updated["is_active"] is False
    assert client.get("/v3/hooks", params={"is_active": "false"})["data"][0]["id"] == hook["id"]
    with pytest.raises(errors.ValidationError):
        client.put(f"/v3/hooks/{hook['id']}", json={})
    assert client.delete(f"/v3/hooks/{hook['id']}")["data"]["id"] == hook["id"]
    assert client.get("/v3/hooks")["data"] == []


def test_an_app_may_create_at_most_10_scripts(client):
    script = {
        "name": "Widget",
        "kind": "src",
        "src": "https://app.example.com/w.js",
        "load_method": "defer",
        "location": "footer",
        "visibility": "storefront",
        "consent_category": "functional",
        "auto_uninstall": True,
        "channel_id": 1,
    }
    created = [client.post("/v3/content/scripts", json={**script, "name": f"Widget {n}"})["data"] for n in range(10)]
    assert created[0]["api_client_id"] == "test-client-id" and created[0]["uuid"]
    with pytest.raises(errors.ValidationError):
        client.post("/v3/content/scripts", json=script)
    assert client.delete(f"/v3/content/scripts/{created[0]['uuid']}") is None
    assert len(client.get("/v3/content/scripts")["data"]) == 9


def test_scope_wildcards_match_like_bigcommerce():
    assert scope_matches("store/order/*", "store/order/statusUpdated")
    assert scope_matches("store/order/*", "store/order/refund/created")
    assert scope_matches(
        "store/channel/*/inventory/product/stock_changed", "store/channel/1/inventory/product/stock_changed"
    )
    assert not scope_matches("store/order/created", "store/order/updated")
    assert not scope_matches("store/product/*", "store/sku/updated")


def test_a_shopper_checkout_fires_cart_converted_with_the_order_id(client, sandbox, fake_app, hook_url):
    _subscribe(client, hook_url, "store/cart/converted")
    mug = _simple_product(client)
    order = sandbox.place_order(STORE_HASH, [{"product_id": mug["id"], "quantity": 1}])
    [event] = _received(sandbox, fake_app)
    assert event["data"] == {"type": "cart", "id": order["cart_id"], "orderId": order["id"]}
