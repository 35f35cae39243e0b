"""Catalog v3, inventory v3 and native-backorder stock semantics of the sandbox (research §4, §5)."""

from __future__ import annotations

import pytest
import requests

from stores.bigcommerce import errors

STORE_HASH = "abc123"


def _simple_product(client, **fields):
    body = {
        "name": "Enamel Mug",
        "type": "physical",
        "weight": 1,
        "price": 12.5,
        "sku": "MUG-1",
        "inventory_tracking": "product",
        "inventory_level": 4,
        **fields,
    }
    return client.post("/v3/catalog/products", json=body)["data"]


def _option_product(client):
    body = {
        "name": "Linen Shirt",
        "type": "physical",
        "weight": 1,
        "price": 40,
        "inventory_tracking": "variant",
        "variants": [
            {"sku": "SHIRT-S", "option_values": [{"option_display_name": "Size", "label": "S"}], "inventory_level": 2},
            {"sku": "SHIRT-M", "option_values": [{"option_display_name": "Size", "label": "M"}], "inventory_level": 0},
        ],
    }
    return client.post("/v3/catalog/products", json=body)["data"]


def _location_item(client, **identity):
    key, value = next(iter(identity.items()))
    [item] = client.get("/v3/inventory/locations/1/items", params={f"{key}:in": value})["data"]
    return item


def test_simple_products_have_a_base_variant_and_option_products_do_not(client):
    simple = _simple_product(client)
    assert simple["base_variant_id"] == simple["variants"][0]["id"]
    assert simple["variants"][0]["option_values"] == [] and simple["variants"][0]["sku_id"] is None
    shirt = _option_product(client)
    assert shirt["base_variant_id"] is None
    assert [v["option_values"][0]["label"] for v in shirt["variants"]] == ["S", "M"]
    assert all(v["sku_id"] for v in shirt["variants"])
    assert shirt["inventory_level"] == 2  # sum over variants


def test_product_list_supports_the_sync_filters(client):
    mug = _simple_product(client, is_visible=False, categories=[18])
    ids = [111, 112, mug["id"]]
    listed = client.get("/v3/catalog/products", params={"id:in": ",".join(map(str, ids))})["data"]
    assert [p["id"] for p in listed] == ids
    assert [p["id"] for p in client.get("/v3/catalog/products", params={"id:min": mug["id"]})["data"]] == [mug["id"]]
    assert client.get("/v3/catalog/products", params={"sku": "MUG-1"})["data"][0]["id"] == mug["id"]
    hidden = client.get("/v3/catalog/products", params={"is_visible": "false"})["data"]
    assert mug["id"] in [p["id"] for p in hidden]
    in_category = client.get("/v3/catalog/products", params={"categories:in": "18", "limit": 250})["data"]
    assert mug["id"] in [p["id"] for p in in_category] and all(18 in p["categories"] for p in in_category)
    slim = client.get("/v3/catalog/products", params={"id": mug["id"], "include_fields": "name,inventory_level"})
    assert set(slim["data"][0]) == {"id", "name", "inventory_level"}
    with_variants = client.get("/v3/catalog/products", params={"id": mug["id"], "include": "variants"})["data"][0]
    assert with_variants["variants"][0]["sku"] == "MUG-1"


def test_product_update_bumps_date_modified_and_matches_the_date_filter(client):
    mug = _simple_product(client)
    updated = client.put(f"/v3/catalog/products/{mug['id']}", json={"availability": "preorder"})["data"]
    assert updated["date_modified"] >= mug["date_modified"]
    recent = client.get("/v3/catalog/products", params={"date_modified:min": updated["date_modified"], "limit": 250})
    assert mug["id"] in [p["id"] for p in recent["data"]]
    future = client.get("/v3/catalog/products", params={"date_modified:min": "2999-01-01T00:00:00Z"})
    assert future["data"] == []


def test_product_batch_update_refuses_more_than_10_items_with_413(client):
    with pytest.raises(errors.PayloadTooLargeError) as caught:
        client.put("/v3/catalog/products", json=[{"id": 111 + i, "is_visible": True} for i in range(11)])
    assert caught.value.message == "The request payload is too large. The maximum items allowed in the array is 10."
    updated = client.put("/v3/catalog/products", json=[{"id": 111 + i, "is_featured": True} for i in range(10)])
    assert all(p["is_featured"] for p in updated["data"])


def test_variant_batch_update_allows_50_and_reports_batch_errors(client):
    variants = client.get("/v3/catalog/variants", params={"limit": 51})["data"]
    with pytest.raises(errors.PayloadTooLargeError):
        client.put("/v3/catalog/variants", json=[{"id": v["id"], "purchasing_disabled": True} for v in variants])
    ok = client.put("/v3/catalog/variants", json=[{"id": v["id"], "bin_picking_number": "A1"} for v in variants[:50]])
    assert len(ok["data"]) == 50
    with pytest.raises(errors.ValidationError) as caught:
        client.put("/v3/catalog/variants", json=[{"id": 99999999, "purchasing_disabled": True}])
    assert caught.value.batch_errors[0]["status"] == 404


def test_catalog_inventory_level_mirrors_default_location_on_hand(client):
    mug = _simple_product(client)
    client.put(
        "/v3/inventory/adjustments/absolute",
        json={"reason": "count", "items": [{"location_id": 1, "product_id": mug["id"], "quantity": 17}]},
    )
    assert client.get_data(f"/v3/catalog/products/{mug['id']}")["inventory_level"] == 17
    client.put(f"/v3/catalog/products/{mug['id']}", json={"inventory_level": 9})
    assert _location_item(client, product_id=mug["id"])["total_inventory_onhand"] == 9


def test_adjusting_by_the_wrong_tracking_level_is_refused_with_422(client):
    mug = _simple_product(client)
    with pytest.raises(errors.ValidationError) as caught:
        client.put(
            "/v3/inventory/adjustments/absolute",
            json={"reason": "x", "items": [{"location_id": 1, "variant_id": mug["base_variant_id"], "quantity": 1}]},
        )
    assert caught.value.message == (
        f"[Item with variant_id {mug['base_variant_id']} is tracked by product, please update stock by product id]"
    )
    shirt = _option_product(client)
    with pytest.raises(errors.ValidationError):
        client.put(
            "/v3/inventory/adjustments/absolute",
            json={"reason": "x", "items": [{"location_id": 1, "product_id": shirt["id"], "quantity": 1}]},
        )


def test_relative_adjustment_needs_a_prior_absolute_one(client):
    blank = client.post(
        "/v3/catalog/products",
        json={"name": "Blank", "type": "physical", "weight": 1, "price": 1, "inventory_tracking": "product"},
    )["data"]
    item = {"location_id": 1, "product_id": blank["id"], "quantity": 3}
    with pytest.raises(errors.ValidationError) as caught:
        client.post("/v3/inventory/adjustments/relative", json={"reason": "x", "items": [item]})
    assert "requires absolute adjustment before relative" in caught.value.message
    client.put("/v3/inventory/adjustments/absolute", json={"reason": "x", "items": [dict(item, quantity=0)]})
    assert client.post("/v3/inventory/adjustments/relative", json={"reason": "x", "items": [item]})["transaction_id"]
    assert _location_item(client, product_id=blank["id"])["total_inventory_onhand"] == 3


def test_stock_never_goes_negative(client):
    mug = _simple_product(client)
    with pytest.raises(errors.ValidationError):
        client.post(
            "/v3/inventory/adjustments/relative",
            json={"reason": "x", "items": [{"location_id": 1, "product_id": mug["id"], "quantity": -5}]},
        )
    assert _location_item(client, product_id=mug["id"])["total_inventory_onhand"] == 4


def test_inventory_reads_page_up_to_1000_and_writes_take_up_to_2000_items(client):
    items = list(client.iter_v3("/v3/inventory/items", limit=1000))
    assert items and all(loc["location_id"] == 1 for item in items for loc in item["locations"])
    with pytest.raises(errors.PayloadTooLargeError):
        client.get("/v3/inventory/locations/1/items", params={"limit": 1001})
    with pytest.raises(errors.PayloadTooLargeError):
        client.put("/v3/inventory/adjustments/absolute", json={"reason": "x", "items": [{}] * 2001})
    with pytest.raises(errors.NotFoundError):
        client.get("/v3/inventory/locations/99/items")


def test_backorder_limit_and_safety_stock_shape_available_to_sell(client):
    mug = _simple_product(client)
    identity = {"product_id": mug["id"]}
    client.put(
        "/v3/inventory/locations/1/items",
        json={"settings": [{"identity": identity, "safety_stock": 1, "backorder_limit": 5}]},
    )
    item = _location_item(client, product_id=mug["id"])
    assert item["settings"]["backorder_limit"] == 5 and item["qty_backordered"] == 0
    assert item["available_to_sell"] == (4 - 1) + 5
    assert item["available_for_backorder"] == 5 and item["unlimited_backorder"] is False
    client.put("/v3/inventory/locations/1/items", json={"settings": [{"identity": identity, "backorder_limit": None}]})
    item = _location_item(client, product_id=mug["id"])
    assert item["unlimited_backorder"] is True and item["available_for_backorder"] is None
    with pytest.raises(errors.ValidationError) as caught:
        client.put("/v3/inventory/locations/1/items", json={"settings": [{"identity": identity}]})
    assert "At least one setting must be specified" in str(caught.value.errors)


def test_allocation_decrements_on_hand_and_qty_backordered_in_one_relative_adjustment(client, sandbox):
    shirt = _option_product(client)
    medium = shirt["variants"][1]["id"]
    sandbox.set_backorder_limit(STORE_HASH, 10, variant_id=medium)
    sandbox.place_order(STORE_HASH, [{"variant_id": medium, "quantity": 3}])
    assert _location_item(client, variant_id=medium)["qty_backordered"] == 3
    sandbox.restock(STORE_HASH, variant_id=medium, quantity=10)
    client.post(
        "/v3/inventory/adjustments/relative",
        json={
            "reason": "allocate to backorders",
            "items": [{"location_id": 1, "variant_id": medium, "quantity": -3, "qty_backordered": -3}],
        },
    )
    item = _location_item(client, variant_id=medium)
    assert (item["total_inventory_onhand"], item["qty_backordered"]) == (7, 0)
    assert item["available_to_sell"] == 7 + 10


def test_a_store_without_native_backorders_hides_the_backorder_fields(client, sandbox):
    mug = _simple_product(client)
    sandbox.set_store_settings(STORE_HASH, backorders_enabled=False)
    item = _location_item(client, product_id=mug["id"])
    assert "qty_backordered" not in item and "backorder_limit" not in item["settings"]
    with pytest.raises(errors.ValidationError):
        client.put(
            "/v3/inventory/locations/1/items",
            json={"settings": [{"identity": {"product_id": mug["id"]}, "backorder_limit": 3}]},
        )


def test_categories_are_nested_and_paginated(client):
    categories = list(client.iter_v3("/v3/catalog/categories", limit=4))
    by_id = {c["id"]: c for c in categories}
    assert len(categories) == 11
    nested = [c for c in categories if c["parent_id"]]
    assert nested and all(c["parent_id"] in by_id for c in nested)
    tree = client.get("/v3/catalog/trees/categories")["data"]
    assert {c["category_id"] for c in tree} == set(by_id)


def test_store_information_channels_and_sites(client, sandbox):
    store = client.get("/v2/store")
    assert store["id"] == STORE_HASH and isinstance(store["store_id"], int)
    assert store["secure_url"] == f"https://store-{STORE_HASH}.mybigcommerce.com"
    assert store["default_channel_id"] == 1 and store["timezone"]["name"]
    sandbox.add_channel(STORE_HASH, "Wholesale")
    channels = client.get("/v3/channels")["data"]
    assert [(c["id"], c["type"]) for c in channels] == [(1, "storefront"), (2, "storefront")]
    assert client.get_data("/v3/channels/1/site")["url"] == f"https://store-{STORE_HASH}.mybigcommerce.com"
    assert client.get_data("/v3/channels/2/site")["url"] == f"https://store-{STORE_HASH}-2.mybigcommerce.com"
    assert len(client.get("/v3/sites")["data"]) == 2


def test_unknown_routes_answer_404_and_log_a_warning(client, sandbox, caplog):
    with pytest.raises(errors.NotFoundError):
        client.get("/v3/catalog/brands/nope/unknown")
    assert "no route for GET /stores/abc123/v3/catalog/brands/nope/unknown" in caplog.text
    response = requests.get(f"{sandbox.base_url}/nowhere")
    assert response.status_code == 404
    assert response.json()["status"] == 404
