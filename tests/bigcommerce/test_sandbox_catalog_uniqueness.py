"""The sandbox refuses a second product of the same name and a second variant of the same SKU (409, whatever
the case), and frees a name or SKU as soon as its product or variant changes it or goes away. The checks are
lookups in indexes the catalog keeps (building the benchmark's 10,000 products scanned every product each
time); these tests pin down that the indexes follow every change."""

from __future__ import annotations

import pytest

from stores.bigcommerce import errors

STORE_HASH = "abc123"


def product(client, name: str, sku: str = "", **fields) -> dict:
    body = {"name": name, "type": "physical", "weight": 1, "price": 5, "sku": sku, **fields}
    return client.post("/v3/catalog/products", json=body)["data"]


def product_with_sizes(client, name: str, *skus: str) -> dict:
    variants = [{"sku": sku, "option_values": [{"option_display_name": "Size", "label": sku}]} for sku in skus]
    return product(client, name, inventory_tracking="variant", variants=variants)


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(errors.ConflictError) as refusal:
        call(*args, **kwargs)
    return str(refusal.value)


def test_a_second_product_of_the_same_name_is_refused_whatever_the_case(client):
    product(client, "Enamel Jug")
    assert "duplicate" in refused(product, client, "ENAMEL jug")


def test_a_renamed_product_frees_its_old_name_and_takes_the_new_one(client):
    jug = product(client, "Enamel Jug")
    client.put(f"/v3/catalog/products/{jug['id']}", json={"name": "Tin Jug"})
    product(client, "Enamel Jug")
    assert "duplicate" in refused(product, client, "tin jug")
    client.put(f"/v3/catalog/products/{jug['id']}", json={"name": "TIN JUG"})  # its own name, other case


def test_a_deleted_product_frees_its_name_and_its_skus(client):
    jug = product(client, "Enamel Jug", sku="JUG-1")
    shirt = product_with_sizes(client, "Linen Shirt", "SHIRT-S", "SHIRT-M")
    client.delete(f"/v3/catalog/products/{jug['id']}")
    client.delete("/v3/catalog/products", params={"id:in": str(shirt["id"])})
    product(client, "Enamel Jug", sku="jug-1")
    product_with_sizes(client, "Linen Shirt", "shirt-s", "shirt-m")


def test_a_second_variant_of_the_same_sku_is_refused_whatever_the_case(client):
    product(client, "Enamel Jug", sku="JUG-1")
    product_with_sizes(client, "Linen Shirt", "SHIRT-S")
    assert "duplicate" in refused(product, client, "Tin Jug", sku="jug-1")
    assert "duplicate" in refused(product_with_sizes, client, "Cotton Shirt", "shirt-s")
    assert "duplicate" in refused(product, client, "Blue Jug", sku="Shirt-S")


def test_a_variant_or_product_sku_change_frees_the_old_sku(client):
    jug = product(client, "Enamel Jug", sku="JUG-1")
    shirt = product_with_sizes(client, "Linen Shirt", "SHIRT-S", "SHIRT-M")
    small = shirt["variants"][0]
    client.put(f"/v3/catalog/products/{jug['id']}", json={"sku": "JUG-2"})  # the base variant's SKU follows
    client.put(f"/v3/catalog/products/{shirt['id']}/variants/{small['id']}", json={"sku": "SHIRT-XS"})
    product(client, "Tin Jug", sku="JUG-1")
    product_with_sizes(client, "Cotton Shirt", "SHIRT-S")
    assert "duplicate" in refused(product, client, "Blue Jug", sku="jug-2")
    assert "duplicate" in refused(
        client.put, f"/v3/catalog/products/{shirt['id']}/variants/{small['id']}", json={"sku": "shirt-m"}
    )
    assert "duplicate" in refused(client.put, f"/v3/catalog/products/{jug['id']}", json={"sku": "SHIRT-XS"})
    client.put(f"/v3/catalog/products/{shirt['id']}/variants/{small['id']}", json={"sku": "shirt-xs"})  # its own


def test_options_added_to_a_simple_product_free_its_base_variant_sku(client):
    jug = product(client, "Enamel Jug", sku="JUG-1")
    option = {"option_values": [{"option_display_name": "Size", "label": "Large"}]}
    client.post(f"/v3/catalog/products/{jug['id']}/variants", json={"sku": "JUG-1-L", **option})
    product(client, "Tin Jug", sku="JUG-1")


def test_a_deleted_variant_frees_its_sku(client):
    shirt = product_with_sizes(client, "Linen Shirt", "SHIRT-S", "SHIRT-M")
    client.delete(f"/v3/catalog/products/{shirt['id']}/variants/{shirt['variants'][0]['id']}")
    product_with_sizes(client, "Cotton Shirt", "SHIRT-S")


def stock_set(client, sku: str, quantity: int) -> None:
    client.put(
        "/v3/inventory/adjustments/absolute", json={"items": [{"location_id": 1, "sku": sku, "quantity": quantity}]}
    )


def test_stock_adjusted_by_sku_finds_the_variant_that_has_it_now(client):
    shirt = product_with_sizes(client, "Linen Shirt", "SHIRT-S")
    small = shirt["variants"][0]
    stock_set(client, "shirt-s", 3)
    client.put(f"/v3/catalog/products/{shirt['id']}/variants/{small['id']}", json={"sku": "SHIRT-XS"})
    stock_set(client, "SHIRT-XS", 5)
    with pytest.raises(errors.ValidationError, match="does not exist"):
        stock_set(client, "SHIRT-S", 1)
    [item] = client.get("/v3/inventory/locations/1/items", params={"variant_id:in": small["id"]})["data"]
    assert item["total_inventory_onhand"] == 5


def test_the_indexes_hold_every_product_name_and_variant_sku(sandbox):
    """The indexes and the catalog agree after the seeded catalog is built (the other tests change it)."""
    store = sandbox.state.store(STORE_HASH)
    names: dict[str, set[int]] = {}
    skus: dict[str, set[int]] = {}
    for item in store.products.values():
        names.setdefault(str(item["name"]).lower(), set()).add(item["id"])
    for variant in store.variants.values():
        skus.setdefault(variant["sku"].lower(), set()).add(variant["id"])
    assert store.products and store.product_names == names
    assert store.variant_skus == skus
