"""Inventory locations in the sandbox (docs/bigcommerce-sandbox.md, "Locations"): several locations with
their own stock, limits and backordered units; orders that draw from a location; enabling, disabling and
deleting locations as BigCommerce documents it."""

from __future__ import annotations

import pytest

from stores.bigcommerce import errors
from stores.bigcommerce.sandbox.framework import ApiError

STORE_HASH = "abc123"


def _shirt(client) -> int:
    """A variant with stock at the default location only (2 units)."""
    body = {
        "name": "Harbour Shirt", "type": "physical", "weight": 1, "price": 40, "inventory_tracking": "variant",
        "variants": [{"sku": "HARBOUR-S", "option_values": [{"option_display_name": "Size", "label": "S"}],
                      "inventory_level": 2}],
    }  # fmt: skip
    return client.post("/v3/catalog/products", json=body)["data"]["variants"][0]["id"]


def _at(client, location_id: int, variant_id: int) -> dict:
    [item] = client.get(f"/v3/inventory/locations/{location_id}/items", params={"variant_id:in": variant_id})["data"]
    return item


def _stock(client, location_id: int, variant_id: int) -> tuple[int, int]:
    item = _at(client, location_id, variant_id)
    return item["total_inventory_onhand"], item["qty_backordered"]


@pytest.fixture
def three_locations(sandbox, client):
    """The default location, a shop that sells online (aggregated stock) and a warehouse that does not."""
    shop = sandbox.add_location(STORE_HASH, "Harbour Street shop", code="SHOP")
    warehouse = sandbox.add_location(STORE_HASH, "Back-office warehouse", code="WAREHOUSE")
    sandbox.set_store_settings(STORE_HASH, online_locations=[1, shop["id"]])
    return 1, shop["id"], warehouse["id"]


def test_locations_are_created_updated_and_listed_with_their_events(sandbox, client, fake_app):
    client.post(
        "/v3/hooks", json={"scope": "store/inventory/location/*", "destination": f"{fake_app.base_url}/webhooks"}
    )
    client.post("/v3/inventory/locations", json=[{"code": "DOCKS", "label": "Docks"}])
    docks = next(loc for loc in client.get_data("/v3/inventory/locations") if loc["code"] == "DOCKS")
    assert (docks["enabled"], docks["storefront_visibility"], docks["type_id"]) == (True, True, "PHYSICAL")
    client.put("/v3/inventory/locations", json=[{"id": docks["id"], "enabled": False}])
    assert [loc["id"] for loc in client.get_data("/v3/inventory/locations", params={"is_active": "false"})] == [
        docks["id"]
    ]
    assert [loc["id"] for loc in client.get_data("/v3/inventory/locations", params={"is_default": "true"})] == [1]
    with pytest.raises(errors.ValidationError):  # codes are unique
        client.post("/v3/inventory/locations", json=[{"code": "DOCKS", "label": "Docks again"}])
    assert sandbox.flush_webhooks()
    events = [(d["scope"], d["body"]["data"]) for d in sandbox.webhook_deliveries(STORE_HASH)]
    assert events == [("store/inventory/location/created", {"location_id": docks["id"]}),
                      ("store/inventory/location/updated", {"location_id": docks["id"]})]  # fmt: skip


def test_each_location_keeps_its_own_stock_limits_and_backordered_units(three_locations, sandbox, client):
    _, shop, warehouse = three_locations
    shirt = _shirt(client)
    client.put("/v3/inventory/adjustments/absolute", json={"reason": "count", "items": [
        {"location_id": shop, "variant_id": shirt, "quantity": 5},
        {"location_id": warehouse, "variant_id": shirt, "quantity": 9},
    ]})  # fmt: skip
    client.put(f"/v3/inventory/locations/{shop}/items",
               json={"settings": [{"identity": {"variant_id": shirt}, "backorder_limit": 4}]})  # fmt: skip
    assert [_stock(client, location, shirt) for location in (1, shop, warehouse)] == [(2, 0), (5, 0), (9, 0)]
    assert _at(client, shop, shirt)["settings"]["backorder_limit"] == 4
    assert _at(client, 1, shirt)["settings"]["backorder_limit"] == 0
    [item] = client.get_data("/v3/inventory/items", params={"variant_id:in": shirt})
    assert [(loc["location_id"], loc["total_inventory_onhand"]) for loc in item["locations"]] == [
        (1, 2), (shop, 5), (warehouse, 9)
    ]  # fmt: skip
    client.post("/v3/inventory/adjustments/relative", json={"reason": "allocate", "items": [
        {"location_id": warehouse, "variant_id": shirt, "quantity": -3},
    ]})  # fmt: skip
    assert _stock(client, warehouse, shirt) == (6, 0)
    # BigCommerce's catalog shows the default location's count.
    [variant] = client.get_data("/v3/catalog/variants", params={"id:in": shirt})
    assert variant["inventory_level"] == 2


def test_an_order_to_ship_takes_online_stock_default_first_and_backorders_at_the_default_location(
    three_locations, sandbox, client
):
    _, shop, warehouse = three_locations
    shirt = _shirt(client)
    sandbox.restock(STORE_HASH, variant_id=shirt, quantity=3, location_id=shop)
    sandbox.restock(STORE_HASH, variant_id=shirt, quantity=50, location_id=warehouse)  # not sold online
    sandbox.set_backorder_limit(STORE_HASH, 4, variant_id=shirt)
    order = sandbox.place_order(STORE_HASH, [{"variant_id": shirt, "quantity": 7}])
    assert order["lines"][0]["quantity_backordered"] == 2 and order["lines"][0]["order_pickup_method_id"] == 0
    assert [_stock(client, location, shirt) for location in (1, shop, warehouse)] == [(0, 2), (0, 0), (50, 0)]
    assert client.get(f"/v2/orders/{order['id']}/consignments")["shipping"][0]["line_items"]
    with pytest.raises(ApiError) as refused:  # 2 more fit under the default location's limit, not 3
        sandbox.place_order(STORE_HASH, [{"variant_id": shirt, "quantity": 3}])
    [error] = refused.value.details["errors"]
    assert (error["location_id"], error["available_quantity"], error["available_quantity_for_backorder"]) == (1, 0, 2)
    sandbox.set_order_status(STORE_HASH, order["id"], 5)  # cancelled: backordered units first, then stock back
    assert [_stock(client, location, shirt) for location in (1, shop)] == [(2, 0), (3, 0)]


def test_a_pickup_order_draws_from_its_location_and_books_backorders_there(three_locations, sandbox, client):
    _, shop, warehouse = three_locations
    shirt = _shirt(client)
    sandbox.restock(STORE_HASH, variant_id=shirt, quantity=1, location_id=warehouse)
    sandbox.set_backorder_limit(STORE_HASH, 5, variant_id=shirt, location_id=warehouse)
    order = sandbox.place_order(STORE_HASH, [{"variant_id": shirt, "quantity": 4}], pickup_location_id=warehouse)
    [line] = order["lines"]
    assert line["quantity_backordered"] == 3 and line["order_pickup_method_id"]
    assert [_stock(client, location, shirt) for location in (1, warehouse)] == [(2, 0), (0, 3)]
    [pickup] = client.get(f"/v2/orders/{order['id']}/consignments")["pickups"]
    assert pickup["id"] == line["order_pickup_method_id"] and pickup["location"]["id"] == warehouse
    assert pickup["location"]["code"] == "WAREHOUSE"
    with pytest.raises(ApiError) as refused:
        sandbox.place_order(STORE_HASH, [{"variant_id": shirt, "quantity": 3}], pickup_location_id=warehouse)
    assert refused.value.details["errors"][0]["location_id"] == warehouse


def test_a_disabled_location_takes_no_orders_no_stock_changes_and_leaves_online_stock(three_locations, sandbox, client):
    _, shop, _ = three_locations
    shirt = _shirt(client)
    sandbox.restock(STORE_HASH, variant_id=shirt, quantity=3, location_id=shop)
    sandbox.update_location(STORE_HASH, shop, enabled=False)
    items = [{"location_id": shop, "variant_id": shirt, "quantity": 1}]
    with pytest.raises(errors.ValidationError):
        client.post("/v3/inventory/adjustments/relative", json={"reason": "x", "items": items})
    with pytest.raises(ApiError):
        sandbox.place_order(STORE_HASH, [{"variant_id": shirt, "quantity": 1}], pickup_location_id=shop)
    with pytest.raises(ApiError):  # the shop's 3 units no longer sell online: only the default location's 2
        sandbox.place_order(STORE_HASH, [{"variant_id": shirt, "quantity": 3}])
    with pytest.raises(errors.ValidationError):  # the shipping origin cannot be switched off
        client.put("/v3/inventory/locations", json=[{"id": 1, "enabled": False}])


def test_deleting_a_location_deletes_its_stock_but_not_the_shipping_origin_or_one_with_open_orders(
    three_locations, sandbox, client
):
    _, shop, warehouse = three_locations
    shirt = _shirt(client)
    sandbox.restock(STORE_HASH, variant_id=shirt, quantity=1, location_id=warehouse)
    order = sandbox.place_order(STORE_HASH, [{"variant_id": shirt, "quantity": 1}], pickup_location_id=warehouse)
    with pytest.raises(errors.ValidationError) as refused:
        client.delete("/v3/inventory/locations", params={"location_id:in": warehouse})
    assert "associated with 1 order(s)" in str(refused.value)
    with pytest.raises(errors.ValidationError) as origin:
        client.delete("/v3/inventory/locations", params={"location_id:in": 1})
    assert "shipping origin" in str(origin.value)
    sandbox.set_order_status(STORE_HASH, order["id"], 10)  # completed: no longer open
    client.delete("/v3/inventory/locations", params={"location_id:in": f"{warehouse},{shop}"})
    assert [loc["id"] for loc in client.get_data("/v3/inventory/locations")] == [1]
    [item] = client.get_data("/v3/inventory/items", params={"variant_id:in": shirt})
    assert [loc["location_id"] for loc in item["locations"]] == [1]
