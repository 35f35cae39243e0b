"""Catalog domain of the sandbox: categories, products, options and variants (research §4).

Every product has variants: a simple product gets one base variant (`base_variant_id`), a product with
options gets one variant per option combination and `base_variant_id` null. Stock lives in the inventory
records (see inventory.py); `inventory_level` is computed from the default location when rendering.
"""

from __future__ import annotations

from typing import Any

from stores.bigcommerce.sandbox import inventory
from stores.bigcommerce.sandbox.framework import ApiError, invalid, not_found, public
from stores.bigcommerce.sandbox.state import Store, iso8601, utcnow

TRACKING_MODES = ("none", "product", "variant")
AVAILABILITY = ("available", "disabled", "preorder")

PRODUCT_WRITABLE = (
    "name",
    "type",
    "sku",
    "description",
    "weight",
    "width",
    "depth",
    "height",
    "price",
    "cost_price",
    "retail_price",
    "sale_price",
    "map_price",
    "categories",
    "brand_id",
    "inventory_tracking",
    "inventory_warning_level",
    "availability",
    "availability_description",
    "preorder_release_date",
    "preorder_message",
    "is_preorder_only",
    "order_quantity_minimum",
    "order_quantity_maximum",
    "is_visible",
    "is_featured",
    "upc",
    "mpn",
    "gtin",
    "condition",
    "custom_url",
    "search_keywords",
)
VARIANT_WRITABLE = (
    "sku",
    "price",
    "sale_price",
    "retail_price",
    "cost_price",
    "map_price",
    "weight",
    "width",
    "height",
    "depth",
    "inventory_warning_level",
    "purchasing_disabled",
    "purchasing_disabled_message",
    "bin_picking_number",
    "upc",
    "mpn",
    "gtin",
    "image_url",
    "is_free_shipping",
)
# Changes to these fire store/product/updated (research §3.4).
PRODUCT_HOOK_FIELDS = frozenset(PRODUCT_WRITABLE)


def create_category(store: Store, name: str, parent_id: int = 0, *, is_visible: bool = True) -> dict[str, Any]:
    if parent_id and parent_id not in store.categories:
        raise invalid("Parent category does not exist", parent_id="unknown category")
    category_id = store.next_id("category", 18)
    slug = name.lower().replace(" & ", "-").replace(" ", "-")
    category = {
        "id": category_id,
        "parent_id": parent_id,
        "name": name,
        "description": "",
        "views": 0,
        "sort_order": len(store.categories),
        "page_title": "",
        "meta_keywords": [],
        "meta_description": "",
        "layout_file": "category.html",
        "image_url": "",
        "is_visible": is_visible,
        "search_keywords": "",
        "default_product_sort": "use_store_settings",
        "custom_url": {"url": f"/{slug}/", "is_customized": False},
    }
    store.categories[category_id] = category
    return category


def get_product(store: Store, product_id: int) -> dict[str, Any]:
    product = store.products.get(product_id)
    if product is None:
        raise not_found("The requested product was not found.")
    return product


def get_variant(store: Store, product_id: int | None, variant_id: int) -> dict[str, Any]:
    variant = store.variants.get(variant_id)
    if variant is None or (product_id is not None and variant["product_id"] != product_id):
        raise not_found("The requested variant was not found.")
    return variant


# -- uniqueness: product names and variant SKUs, case-insensitive, looked up in the store's indexes ---------


def _index_add(index: dict[str, set[int]], key: str, item_id: int) -> None:
    index.setdefault(key, set()).add(item_id)


def _index_remove(index: dict[str, set[int]], key: str, item_id: int) -> None:
    ids = index.get(key)
    if ids is not None:
        ids.discard(item_id)
        if not ids:
            del index[key]


def _name_key(name: Any) -> str:
    return str(name).lower()


def _sku_key(sku: Any) -> str:
    return sku.lower() if isinstance(sku, str) else ""


def _check_name_unique(store: Store, name: Any, *, own_product_id: int | None = None) -> None:
    """No two products share a name, whatever the case (BigCommerce answers 409)."""
    if store.product_names.get(_name_key(name), set()) - {own_product_id}:
        raise ApiError(409, f"The product name '{name}' is a duplicate.", errors={"name": "duplicate"})


def _check_sku_unique(store: Store, sku: str, *, own_variant_id: int | None = None) -> None:
    """No two variants share a non-empty SKU, whatever the case (BigCommerce answers 409)."""
    if not sku:
        return
    if store.variant_skus.get(sku.lower(), set()) - {own_variant_id}:
        raise ApiError(409, f"The product sku '{sku}' is a duplicate.", errors={"sku": "duplicate"})


def _product_put(store: Store, product: dict[str, Any]) -> None:
    store.products[product["id"]] = product
    _index_add(store.product_names, _name_key(product["name"]), product["id"])


def _product_drop(store: Store, product: dict[str, Any]) -> None:
    del store.products[product["id"]]
    _index_remove(store.product_names, _name_key(product["name"]), product["id"])


def _product_rename(store: Store, product: dict[str, Any], name: Any) -> None:
    _index_remove(store.product_names, _name_key(product["name"]), product["id"])
    product["name"] = name
    _index_add(store.product_names, _name_key(name), product["id"])


def _variant_put(store: Store, variant: dict[str, Any]) -> None:
    store.variants[variant["id"]] = variant
    _index_add(store.variant_skus, _sku_key(variant["sku"]), variant["id"])


def _variant_drop(store: Store, variant_id: int) -> None:
    variant = store.variants.pop(variant_id, None)
    if variant is not None:
        _index_remove(store.variant_skus, _sku_key(variant["sku"]), variant_id)


def _variant_sku_set(store: Store, variant: dict[str, Any], sku: str) -> None:
    _index_remove(store.variant_skus, _sku_key(variant["sku"]), variant["id"])
    variant["sku"] = sku
    _index_add(store.variant_skus, _sku_key(sku), variant["id"])


def create_product(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    missing = {f: "error.path.missing." for f in ("name", "type", "weight", "price") if body.get(f) in (None, "")}
    if missing:
        raise ApiError(422, "JSON data is missing or invalid", errors=missing)
    _validate_product_fields(body)
    _check_name_unique(store, body["name"])
    now = iso8601(utcnow())
    product_id = store.next_id("product", 111)
    product: dict[str, Any] = {
        "id": product_id,
        "name": "",
        "type": "physical",
        "sku": "",
        "description": "",
        "weight": 0,
        "width": 0,
        "depth": 0,
        "height": 0,
        "price": 0,
        "cost_price": 0,
        "retail_price": 0,
        "sale_price": 0,
        "map_price": 0,
        "calculated_price": 0,
        "categories": [],
        "brand_id": 0,
        "inventory_tracking": "none",
        "inventory_warning_level": 0,
        "availability": "available",
        "availability_description": "",
        "preorder_release_date": None,
        "preorder_message": "",
        "is_preorder_only": False,
        "order_quantity_minimum": 0,
        "order_quantity_maximum": 0,
        "is_visible": True,
        "is_featured": False,
        "upc": "",
        "mpn": "",
        "gtin": "",
        "condition": "New",
        "search_keywords": "",
        "total_sold": 0,
        "base_variant_id": None,
        "date_created": now,
        "date_modified": now,
        "custom_url": {"url": "", "is_customized": False},
        "_options": [],
        "_variant_ids": [],
    }
    product.update({k: body[k] for k in PRODUCT_WRITABLE if k in body})
    product["calculated_price"] = product["sale_price"] or product["price"]
    if not product["custom_url"]["url"]:
        product["custom_url"] = {"url": f"/{str(product['name']).lower().replace(' ', '-')}/", "is_customized": False}
    _check_sku_unique(store, product["sku"])
    _product_put(store, product)

    store.emit("store/product/created", {"type": "product", "id": product_id})
    variants = body.get("variants") or []
    stock: list[tuple[tuple[str, int], int]] = []
    if any(v.get("option_values") for v in variants):
        for variant_body in variants:
            variant = _add_variant(store, product, variant_body)
            store.emit("store/sku/created", _sku_data(variant))
            if product["inventory_tracking"] == "variant" and variant_body.get("inventory_level") is not None:
                stock.append((("v", variant["id"]), variant_body["inventory_level"]))
    else:
        base = _add_variant(store, product, {"sku": product["sku"], "option_values": []})
        product["base_variant_id"] = base["id"]
    if product["inventory_tracking"] == "product" and body.get("inventory_level") is not None:
        stock.append((("p", product_id), body["inventory_level"]))
    # Initial stock is an absolute adjustment made after the product exists, as BigCommerce proxies it.
    for key, level in stock:
        inventory.set_onhand(store, key, level)
    _sync_warning_levels(store, product)
    return product


def _add_variant(store: Store, product: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    option_values = [_option_value(store, product, ov) for ov in body.get("option_values") or []]
    if option_values and not body.get("sku"):
        raise ApiError(422, "JSON data is missing or invalid", errors={"sku": "error.path.missing."})
    sku = body.get("sku") or ""
    _check_sku_unique(store, sku)
    variant_id = store.next_id("variant", 67)
    variant: dict[str, Any] = {
        "id": variant_id,
        "product_id": product["id"],
        "sku": sku,
        "sku_id": store.next_id("sku", 348) if option_values else None,
        "option_values": option_values,
        "price": None,
        "sale_price": None,
        "retail_price": None,
        "cost_price": None,
        "map_price": None,
        "calculated_price": None,
        "weight": None,
        "width": None,
        "height": None,
        "depth": None,
        "inventory_warning_level": 0,
        "purchasing_disabled": False,
        "purchasing_disabled_message": "",
        "bin_picking_number": "",
        "upc": "",
        "mpn": "",
        "gtin": "",
        "image_url": "",
        "is_free_shipping": False,
    }
    variant.update({k: body[k] for k in VARIANT_WRITABLE if k in body and k != "sku"})
    _variant_put(store, variant)
    product["_variant_ids"].append(variant_id)
    return variant


def _option_value(store: Store, product: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    name = value.get("option_display_name")
    label = value.get("label")
    option = next(
        (o for o in product["_options"] if o["id"] == value.get("option_id") or o["display_name"] == name), None
    )
    if option is None:
        if not name:
            raise invalid("Option values need option_display_name and label", option_values="invalid")
        option = {"id": store.next_id("option", 220), "display_name": name, "option_values": []}
        product["_options"].append(option)
    found = next((v for v in option["option_values"] if v["id"] == value.get("id") or v["label"] == label), None)
    if found is None:
        if not label:
            raise invalid("Option values need option_display_name and label", option_values="invalid")
        found = {"id": store.next_id("option_value", 174), "label": label}
        option["option_values"].append(found)
    return {
        "id": found["id"],
        "label": found["label"],
        "option_id": option["id"],
        "option_display_name": option["display_name"],
    }


def _validate_product_fields(body: dict[str, Any]) -> None:
    if "inventory_tracking" in body and body["inventory_tracking"] not in TRACKING_MODES:
        raise invalid("JSON data is missing or invalid", inventory_tracking="must be none, product or variant")
    if "availability" in body and body["availability"] not in AVAILABILITY:
        raise invalid("JSON data is missing or invalid", availability="must be available, disabled or preorder")
    if "type" in body and body["type"] not in ("physical", "digital"):
        raise invalid("JSON data is missing or invalid", type="must be physical or digital")
    level = body.get("inventory_level")
    if level is not None and (not isinstance(level, int) or isinstance(level, bool) or level < 0):
        raise invalid("JSON data is missing or invalid", inventory_level="must be a non-negative integer")


def update_product(store: Store, product_id: int, body: dict[str, Any]) -> dict[str, Any]:
    product = get_product(store, product_id)
    _validate_product_fields(body)
    if "name" in body:
        _check_name_unique(store, body["name"], own_product_id=product_id)
    if "sku" in body and product["base_variant_id"]:
        _check_sku_unique(store, body["sku"], own_variant_id=product["base_variant_id"])
    changed = [k for k in PRODUCT_WRITABLE if k in body and body[k] != product.get(k)]
    product.update({k: body[k] for k in changed if k != "name"})
    if "name" in changed:
        _product_rename(store, product, body["name"])
    if "sku" in changed and product["base_variant_id"]:
        _variant_sku_set(store, store.variants[product["base_variant_id"]], product["sku"])
    product["calculated_price"] = product["sale_price"] or product["price"]
    stock_changed = False
    if body.get("inventory_level") is not None and product["inventory_tracking"] == "product":
        before = inventory.record(store, ("p", product_id)).onhand
        inventory.set_onhand(store, ("p", product_id), body["inventory_level"])
        stock_changed = before != inventory.record(store, ("p", product_id)).onhand
    if changed or stock_changed:
        product["date_modified"] = iso8601(utcnow())
        store.emit("store/product/updated", {"type": "product", "id": product_id})
    _sync_warning_levels(store, product)
    return product


def _sync_warning_levels(store: Store, product: dict[str, Any]) -> None:
    """Catalog `inventory_warning_level` writes go to the default location's `warning_level` setting."""
    if product["inventory_tracking"] == "product":
        inventory.record(store, ("p", product["id"])).warning_level = product["inventory_warning_level"]
    elif product["inventory_tracking"] == "variant":
        for vid in product["_variant_ids"]:
            inventory.record(store, ("v", vid)).warning_level = store.variants[vid]["inventory_warning_level"]


def delete_product(store: Store, product_id: int) -> None:
    product = get_product(store, product_id)
    for vid in product["_variant_ids"]:
        _variant_drop(store, vid)
    _product_drop(store, product)
    store.emit("store/product/deleted", {"type": "product", "id": product_id})


def create_variant(store: Store, product_id: int, body: dict[str, Any]) -> dict[str, Any]:
    product = get_product(store, product_id)
    if not body.get("option_values"):
        raise ApiError(422, "JSON data is missing or invalid", errors={"option_values": "error.path.missing."})
    if product["base_variant_id"]:
        # Adding options turns a simple product into one with options: its base variant goes away.
        base_id = product["base_variant_id"]
        product["_variant_ids"].remove(base_id)
        _variant_drop(store, base_id)
        product["base_variant_id"] = None
    variant = _add_variant(store, product, body)
    product["date_modified"] = iso8601(utcnow())
    store.emit("store/sku/created", _sku_data(variant))
    if product["inventory_tracking"] == "variant" and body.get("inventory_level") is not None:
        inventory.set_onhand(store, ("v", variant["id"]), body["inventory_level"])
    return variant


def update_variant(store: Store, variant: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    product = store.products[variant["product_id"]]
    if "sku" in body:
        _check_sku_unique(store, body["sku"], own_variant_id=variant["id"])
    changed = [k for k in VARIANT_WRITABLE if k in body and body[k] != variant.get(k)]
    variant.update({k: body[k] for k in changed if k != "sku"})
    if "sku" in changed:
        _variant_sku_set(store, variant, body["sku"])
    level = body.get("inventory_level")
    if level is not None:
        if not isinstance(level, int) or isinstance(level, bool) or level < 0:
            raise invalid("JSON data is missing or invalid", inventory_level="must be a non-negative integer")
        key = inventory.key_for(product, variant)
        if key is not None and (key[0] == "v" or variant["id"] == product["base_variant_id"]):
            inventory.set_onhand(store, key, level)
    if "sku" in changed and variant["id"] == product["base_variant_id"]:
        product["sku"] = variant["sku"]
    _sync_warning_levels(store, product)
    if changed or level is not None:
        product["date_modified"] = iso8601(utcnow())
    if changed and variant["sku_id"]:
        store.emit("store/sku/updated", _sku_data(variant))
    elif changed:
        store.emit("store/product/updated", {"type": "product", "id": product["id"]})
    return variant


def delete_variant(store: Store, variant: dict[str, Any]) -> None:
    product = store.products[variant["product_id"]]
    if variant["id"] == product["base_variant_id"]:
        raise invalid("The base variant of a product cannot be deleted.")
    product["_variant_ids"].remove(variant["id"])
    _variant_drop(store, variant["id"])
    store.emit("store/sku/deleted", _sku_data(variant))


def _sku_data(variant: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "sku",
        "id": variant["sku_id"] or variant["id"],
        "sku": {"product_id": variant["product_id"], "variant_id": variant["id"]},
    }


def product_stock(store: Store, product: dict[str, Any]) -> int:
    """Catalog `inventory_level`: default-location on-hand of the product, or the sum over its variants."""
    if product["inventory_tracking"] == "product":
        return inventory.record(store, ("p", product["id"])).onhand
    if product["inventory_tracking"] == "variant":
        return sum(inventory.record(store, ("v", vid)).onhand for vid in product["_variant_ids"])
    return 0


def render_variant(store: Store, variant: dict[str, Any]) -> dict[str, Any]:
    product = store.products[variant["product_id"]]
    data = public(variant)
    key = inventory.key_for(product, variant)
    if key and (key[0] == "v" or variant["id"] == product["base_variant_id"]):
        data["inventory_level"] = inventory.record(store, key).onhand
    else:
        data["inventory_level"] = 0
    data["calculated_price"] = variant["sale_price"] or variant["price"] or product["calculated_price"]
    return data


def render_product(
    store: Store,
    product: dict[str, Any],
    *,
    include: list[str] | None = None,
    include_fields: list[str] | None = None,
    exclude_fields: list[str] | None = None,
) -> dict[str, Any]:
    data = public(product)
    data["inventory_level"] = product_stock(store, product)
    if include_fields:
        data = {k: v for k, v in data.items() if k == "id" or k in include_fields}
    if exclude_fields:
        data = {k: v for k, v in data.items() if k == "id" or k not in exclude_fields}
    include = include or []
    if "variants" in include:
        data["variants"] = [render_variant(store, store.variants[vid]) for vid in product["_variant_ids"]]
    if "options" in include:
        data["options"] = [
            {
                "id": o["id"],
                "product_id": product["id"],
                "display_name": o["display_name"],
                "type": "rectangles",
                "option_values": [dict(v, sort_order=i) for i, v in enumerate(o["option_values"])],
            }
            for o in product["_options"]
        ]
    return data
