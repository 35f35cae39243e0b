"""Orders v2/v3, stock reservation with backorders, shipments, refunds and marketing (research §6, §8)."""

from __future__ import annotations

import email.utils

import pytest
import requests

from stores.bigcommerce import errors
from stores.bigcommerce.sandbox import ApiError

STORE_HASH = "abc123"
BILLING = {"first_name": "Jane", "last_name": "Doe", "email": "jane@example.com", "country_iso2": "US"}


@pytest.fixture
def mug(client):
    body = {
        "name": "Enamel Mug",
        "type": "physical",
        "weight": 1,
        "price": 12.5,
        "sku": "MUG-1",
        "inventory_tracking": "product",
        "inventory_level": 4,
    }
    return client.post("/v3/catalog/products", json=body)["data"]


def _stock(sandbox, mug):
    item = sandbox.inventory_item(STORE_HASH, product_id=mug["id"])
    return item["total_inventory_onhand"], item["qty_backordered"]


def _order(client, mug, quantity, **extra):
    body = {"billing_address": BILLING, "products": [{"product_id": mug["id"], "quantity": quantity}], **extra}
    return client.post("/v2/orders", json=body)


def test_an_order_within_stock_takes_units_from_on_hand(client, sandbox, mug):
    order = _order(client, mug, 3)
    assert order["status_id"] == 1
    [line] = client.get(f"/v2/orders/{order['id']}/products")
    assert line["quantity"] == 3 and line["quantity_backordered"] == 0
    assert _stock(sandbox, mug) == (1, 0)


def test_units_beyond_on_hand_are_booked_as_backordered_within_the_limit(client, sandbox, mug):
    sandbox.set_backorder_limit(STORE_HASH, 5, product_id=mug["id"])
    order = _order(client, mug, 6)
    [line] = client.get(f"/v2/orders/{order['id']}/products")
    assert line["quantity_backordered"] == 2
    assert _stock(sandbox, mug) == (0, 2)
    item = sandbox.inventory_item(STORE_HASH, product_id=mug["id"])
    assert item["available_to_sell"] == 3


def test_ordering_beyond_stock_plus_backorder_limit_is_refused_with_409_out_of_stock(client, sandbox, mug):
    sandbox.set_backorder_limit(STORE_HASH, 2, product_id=mug["id"])
    with pytest.raises(errors.ConflictError) as caught:
        _order(client, mug, 7)
    [problem] = caught.value.out_of_stock
    variant_id = mug["base_variant_id"]
    assert problem == {
        "type": "OutOfStock",
        "message": f"Insufficient stock of variant(id: {variant_id}), available stock: 4, available quantity for "
        "backorder: 2. order(id: ), channel(id: 1), location(id: 1).",
        "variant_id": variant_id,
        "location_id": 1,
        "available_quantity": 4,
        "available_quantity_for_backorder": 2,
    }
    assert _stock(sandbox, mug) == (4, 0)

    raw = requests.post(
        f"{sandbox.base_url}/stores/{STORE_HASH}/v2/orders",
        json={"billing_address": BILLING, "products": [{"product_id": mug["id"], "quantity": 7}]},
        headers={"X-Auth-Token": client.session.headers["X-Auth-Token"]},
    )
    assert raw.status_code == 409
    [body] = raw.json()
    assert body["status"] == 409
    assert body["message"] == (
        "Quantities of one or more products are out of stock or did not meet quantity requirements."
    )
    assert body["details"]["errors"][0]["type"] == "OutOfStock"


def test_with_backorders_disabled_anything_beyond_on_hand_is_refused(client, sandbox, mug):
    sandbox.set_store_settings(STORE_HASH, backorders_enabled=False)
    with pytest.raises(errors.ConflictError) as caught:
        _order(client, mug, 5)
    assert caught.value.out_of_stock[0]["available_quantity_for_backorder"] == 0
    assert _order(client, mug, 4)["id"]


def test_unlimited_backorder_accepts_any_quantity(sandbox, mug):
    sandbox.set_backorder_limit(STORE_HASH, None, product_id=mug["id"])
    order = sandbox.place_order(STORE_HASH, [{"product_id": mug["id"], "quantity": 500}])
    assert order["lines"][0]["quantity_backordered"] == 496


def test_the_shopper_checkout_driver_respects_the_409(sandbox, mug):
    with pytest.raises(ApiError) as caught:
        sandbox.place_order(STORE_HASH, [{"product_id": mug["id"], "quantity": 5}])
    assert caught.value.status == 409


def test_an_order_reads_like_bigcommerce_v2(client, sandbox, mug):
    order = client.get(f"/v2/orders/{_order(client, mug, 2, customer_id=0)['id']}")
    assert order["total_inc_tax"] == "25.0000" and order["subtotal_ex_tax"] == "25.0000"
    assert email.utils.parsedate_to_datetime(order["date_created"]).tzinfo is not None
    assert order["date_created"].endswith("+0000")
    assert order["products"]["url"].endswith(f"/stores/{STORE_HASH}/v2/orders/{order['id']}/products")
    assert order["products"]["resource"] == f"/orders/{order['id']}/products"
    assert order["billing_address"]["email"] == "jane@example.com"
    assert order["channel_id"] == 1 and order["cart_id"] and order["customer_locale"] == "en"
    assert order["status"] == "Pending"


def test_order_list_filters_sorts_and_ends_with_204(client, mug):
    first = _order(client, mug, 1)
    second = _order(client, mug, 1, status_id=11)
    third = _order(client, mug, 1, status_id=11)
    assert [o["id"] for o in client.get("/v2/orders", params={"min_id": second["id"]})] == [second["id"], third["id"]]
    assert [o["id"] for o in client.get("/v2/orders", params={"status_id": 1})] == [first["id"]]
    assert [o["id"] for o in client.get("/v2/orders", params={"sort": "id:desc", "limit": 1})] == [third["id"]]
    since = client.get("/v2/orders", params={"min_date_created": first["date_created"]})
    assert len(since) == 3
    assert client.get("/v2/orders", params={"min_id": third["id"] + 1}) is None


def test_cancelling_an_order_restocks_on_hand_and_releases_backordered_units(client, sandbox, mug):
    sandbox.set_backorder_limit(STORE_HASH, 5, product_id=mug["id"])
    order = _order(client, mug, 6, status_id=11)
    assert _stock(sandbox, mug) == (0, 2)
    cancelled = client.put(f"/v2/orders/{order['id']}", json={"status_id": 5})
    assert cancelled["status"] == "Cancelled"
    assert _stock(sandbox, mug) == (4, 0)


def test_incomplete_orders_move_no_stock_until_placed(client, sandbox, mug):
    order = _order(client, mug, 2, status_id=0)
    assert _stock(sandbox, mug) == (4, 0)
    client.put(f"/v2/orders/{order['id']}", json={"status_id": 11})
    assert _stock(sandbox, mug) == (2, 0)


def test_shipments_update_quantities_and_move_the_order_to_partially_shipped_then_shipped(client, mug):
    order = _order(client, mug, 3, status_id=11)
    assert client.get(f"/v2/orders/{order['id']}/shipments") is None
    [address] = client.get(f"/v2/orders/{order['id']}/shipping_addresses")
    assert client.get(f"/v2/orders/{order['id']}/shippingaddresses") == [address]
    [line] = client.get(f"/v2/orders/{order['id']}/products")
    shipment = client.post(
        f"/v2/orders/{order['id']}/shipments",
        json={
            "order_address_id": address["id"],
            "tracking_number": "EJ1",
            "items": [{"order_product_id": line["id"], "quantity": 1}],
        },
    )
    assert shipment["items"] == [{"order_product_id": line["id"], "product_id": mug["id"], "quantity": 1}]
    assert client.get(f"/v2/orders/{order['id']}")["status_id"] == 3
    client.post(
        f"/v2/orders/{order['id']}/shipments",
        json={"order_address_id": address["id"], "items": [{"order_product_id": line["id"], "quantity": 2}]},
    )
    shipped = client.get(f"/v2/orders/{order['id']}")
    assert (shipped["status_id"], shipped["items_shipped"]) == (2, 3)
    assert len(client.get(f"/v2/orders/{order['id']}/shipments")) == 2
    with pytest.raises(errors.ValidationError):
        client.post(
            f"/v2/orders/{order['id']}/shipments",
            json={"order_address_id": address["id"], "items": [{"order_product_id": line["id"], "quantity": 1}]},
        )


def test_archiving_hides_an_order_from_the_default_list(client, mug):
    order = _order(client, mug, 1)
    assert client.delete(f"/v2/orders/{order['id']}") is None
    assert client.get("/v2/orders") is None
    assert client.get("/v2/orders", params={"is_deleted": "true"})[0]["is_deleted"] is True


def test_order_metafields_are_private_per_app_and_unique_per_namespace_and_key(client, mug):
    order = _order(client, mug, 1)
    path = f"/v3/orders/{order['id']}/metafields"
    body = {"permission_set": "app_only", "namespace": "backorder", "key": "state", "value": '{"lines":[1]}'}
    created = client.post(path, json=body)["data"]
    assert created["resource_type"] == "order" and created["owner_client_id"]
    with pytest.raises(errors.ConflictError):
        client.post(path, json=body)
    client.put(f"{path}/{created['id']}", json={"value": "{}"})
    assert client.get(path, params={"namespace": "backorder"})["data"][0]["value"] == "{}"
    assert client.delete(f"{path}/{created['id']}") is None
    assert client.get(path)["data"] == []


def test_refunds_restock_and_move_the_order_to_partially_refunded(client, sandbox, mug):
    sandbox.set_backorder_limit(STORE_HASH, 5, product_id=mug["id"])
    order = _order(client, mug, 6, status_id=11)
    [line] = client.get(f"/v2/orders/{order['id']}/products")
    items = [{"item_type": "PRODUCT", "item_id": line["id"], "quantity": 3, "reason": "Backorder cancelled"}]
    quote = client.post(f"/v3/orders/{order['id']}/payment_actions/refund_quotes", json={"items": items})["data"]
    assert quote["total_refund_amount"] == 37.5
    refund = client.post(
        f"/v3/orders/{order['id']}/payment_actions/refunds",
        json={"items": items, "payments": [{"provider_id": "storecredit", "amount": 37.5, "offline": False}]},
    )["data"]
    assert refund["total_amount"] == 37.5
    assert _stock(sandbox, mug) == (1, 0)  # 2 backordered units released first, then 1 unit back on hand
    refreshed = client.get(f"/v2/orders/{order['id']}")
    assert (refreshed["status_id"], refreshed["refunded_amount"]) == (14, "37.5000")
    assert client.get(f"/v3/orders/{order['id']}/payment_actions/refunds")["data"][0]["id"] == refund["id"]


def test_customers_coupons_and_promotions(client):
    jane = client.get("/v3/customers", params={"email:in": "jane.smith@example.com"})["data"]
    assert [c["first_name"] for c in jane] == ["Jane"]
    assert len(client.get("/v3/customers", params={"id:in": "1,2"})["data"]) == 2

    coupon = {
        "name": "WAIT-10 #1042",
        "code": "WAIT10-1042",
        "type": "percentage_discount",
        "amount": "10",
        "applies_to": {"entity": "products", "ids": [111]},
        "max_uses": 1,
    }
    created = client.post("/v2/coupons", json=coupon)
    assert created["amount"] == "10.0000" and created["date_created"].endswith("+0000")
    with pytest.raises(errors.ConflictError):
        client.post("/v2/coupons", json={**coupon, "name": "Another"})
    assert client.delete(f"/v2/coupons/{created['id']}") is None

    rule = {"action": {"cart_items": {"discount": {"percentage_amount": "10"}, "items": {"products": [111]}}}}
    promotion = client.post("/v3/promotions", json={"name": "Patience", "redemption_type": "COUPON", "rules": [rule]})
    promotion_id = promotion["data"]["id"]
    code = client.post(f"/v3/promotions/{promotion_id}/codes", json={"code": "WAIT10-1043", "max_uses": 1})["data"]
    assert code["code"] == "WAIT10-1043" and code["current_uses"] == 0
    assert client.get(f"/v3/promotions/{promotion_id}/codes")["data"] == [code]
    with pytest.raises(errors.ConflictError):
        client.post(f"/v3/promotions/{promotion_id}/codes", json={"code": "WAIT10-1043"})


def test_the_control_api_drives_a_store_over_http(sandbox):
    control = f"{sandbox.base_url}/_sandbox"
    created = requests.post(f"{control}/stores", json={"store_hash": "ctl1", "seed": 3, "products": 10})
    assert created.status_code == 201 and created.json()["counts"]["products"] == 10
    token = requests.post(f"{control}/stores/ctl1/token", json={}).json()["access_token"]
    product = requests.get(
        f"{sandbox.base_url}/stores/ctl1/v3/catalog/products",
        params={"inventory_tracking": "product"},
        headers={"X-Auth-Token": token},
    ).json()["data"][0]
    restocked = requests.post(f"{control}/stores/ctl1/restock", json={"product_id": product["id"], "quantity": 2})
    assert restocked.json()["total_inventory_onhand"] == 2
    refused = requests.post(
        f"{control}/stores/ctl1/orders", json={"products": [{"product_id": product["id"], "quantity": 3}]}
    )
    assert refused.status_code == 409
    assert refused.json()["details"]["errors"][0]["available_quantity"] == 2
    placed = requests.post(
        f"{control}/stores/ctl1/orders", json={"products": [{"product_id": product["id"], "quantity": 2}]}
    )
    assert placed.status_code == 201
    shipped = requests.post(f"{control}/stores/ctl1/orders/{placed.json()['id']}/ship", json={})
    assert shipped.status_code == 201
    assert requests.get(f"{control}/stores/ctl1/orders/{placed.json()['id']}").json()["status_id"] == 2
    faults = requests.put(f"{control}/stores/ctl1/faults", json={"status_5xx": 1})
    assert faults.json()["status_5xx"] == 1
    assert requests.get(f"{control}/nothing-here").status_code == 404
