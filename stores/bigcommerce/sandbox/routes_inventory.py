"""Inventory v3 routes: locations, items, adjustments, item settings, store inventory settings (§5)."""

from __future__ import annotations

from typing import Any

from stores.bigcommerce.sandbox import inventory, locations
from stores.bigcommerce.sandbox.framework import Ctx, Router, invalid, not_found, too_large, v3_page, v3_single
from stores.bigcommerce.sandbox.state import DEFAULT_INVENTORY_SETTINGS, DEFAULT_LOCATION_ID, ItemKey, new_token

INVENTORY_WRITE_LIMIT = 2000
INVENTORY_PAGE_LIMIT = 1000

router = Router()


@router.add("GET", "/v3/inventory/locations", ("locations", "inventory"))
def list_locations(ctx: Ctx) -> Any:
    found = list(ctx.store.locations.values())
    ids = ctx.int_list("location_id:in")
    if ids is not None:
        found = [loc for loc in found if loc["id"] in ids]
    codes = ctx.list_param("location_code:in")
    if codes is not None:
        found = [loc for loc in found if loc["code"] in codes]
    if ctx.bool_param("is_active") is not None:
        found = [loc for loc in found if loc["enabled"] == ctx.bool_param("is_active")]
    if ctx.bool_param("is_default") is not None:
        found = [loc for loc in found if (loc["id"] == DEFAULT_LOCATION_ID) == ctx.bool_param("is_default")]
    return v3_page(ctx, found)


@router.add("POST", "/v3/inventory/locations", "locations")
def create_locations(ctx: Ctx) -> Any:
    locations.locations_create(ctx.store, ctx.json_list())
    return {"transaction_id": new_token(32)}


@router.add("PUT", "/v3/inventory/locations", "locations")
def update_locations(ctx: Ctx) -> Any:
    return locations.locations_update(ctx.store, ctx.json_list())


@router.add("DELETE", "/v3/inventory/locations", "locations")
def delete_locations(ctx: Ctx) -> Any:
    ids = ctx.int_list("location_id:in")
    if not ids:
        raise invalid("The location_id:in filter is required.")
    return locations.locations_delete(ctx.store, ids)


def _filtered_keys(ctx: Ctx) -> list[ItemKey]:
    keys = inventory.tracked_keys(ctx.store)
    variant_ids = ctx.int_list("variant_id:in")
    product_ids = ctx.int_list("product_id:in")
    skus = ctx.list_param("sku:in")
    if variant_ids is None and product_ids is None and skus is None:
        return keys
    wanted_skus = {s.lower() for s in skus or []}
    selected = []
    for key in keys:
        identity = inventory.identity_of(ctx.store, key)
        if (
            (variant_ids is not None and identity["variant_id"] in variant_ids)
            or (product_ids is not None and identity["product_id"] in product_ids)
            or (identity["sku"] and identity["sku"].lower() in wanted_skus)
        ):
            selected.append(key)
    return selected


@router.add("GET", "/v3/inventory/items", "inventory")
def list_items(ctx: Ctx) -> Any:
    location_ids = ctx.int_list("location_id:in") or sorted(ctx.store.locations)
    codes = ctx.list_param("location_code:in")
    if codes is not None:
        location_ids = [i for i in location_ids if ctx.store.locations.get(i, {}).get("code") in codes]
    page = v3_page(ctx, _filtered_keys(ctx), default_limit=50, max_limit=INVENTORY_PAGE_LIMIT)
    data = []
    for key in page["data"]:
        locations = []
        for location_id in location_ids:
            if location_id not in ctx.store.locations:
                continue
            location = ctx.store.locations[location_id]
            item = inventory.location_item(ctx.store, key, location_id)
            item.pop("identity")
            item.update(
                {
                    "location_id": location_id,
                    "location_code": location["code"],
                    "location_name": location["label"],
                    "location_enabled": location["enabled"],
                }
            )
            locations.append(item)
        data.append({"identity": inventory.identity_of(ctx.store, key), "locations": locations})
    page["data"] = data
    return page


@router.add("GET", "/v3/inventory/locations/{location_id:int}/items", "inventory")
def list_location_items(ctx: Ctx) -> Any:
    location_id = ctx.args["location_id"]
    if location_id not in ctx.store.locations:
        raise not_found("Location not found.")
    page = v3_page(ctx, _filtered_keys(ctx), default_limit=50, max_limit=INVENTORY_PAGE_LIMIT)
    page["data"] = [inventory.location_item(ctx.store, key, location_id) for key in page["data"]]
    return page


@router.add("PUT", "/v3/inventory/locations/{location_id:int}/items", "inventory")
def update_location_items(ctx: Ctx) -> Any:
    location_id = ctx.args["location_id"]
    if location_id not in ctx.store.locations:
        raise not_found("Location not found.")
    settings = ctx.json_object().get("settings")
    if isinstance(settings, list) and len(settings) > INVENTORY_WRITE_LIMIT:
        raise too_large(INVENTORY_WRITE_LIMIT)
    return inventory.update_settings(ctx.store, location_id, settings)


def _adjust(ctx: Ctx, *, relative: bool) -> Any:
    body = ctx.json_object()
    items = body.get("items")
    if isinstance(items, list) and len(items) > INVENTORY_WRITE_LIMIT:
        raise too_large(INVENTORY_WRITE_LIMIT)
    return inventory.adjust(ctx.store, items, relative=relative)


@router.add("PUT", "/v3/inventory/adjustments/absolute", "inventory")
def absolute_adjustment(ctx: Ctx) -> Any:
    return _adjust(ctx, relative=False)


@router.add("POST", "/v3/inventory/adjustments/relative", "inventory")
def relative_adjustment(ctx: Ctx) -> Any:
    return _adjust(ctx, relative=True)


@router.add("GET", "/v3/settings/inventory", ("information", "inventory"))
def get_inventory_settings(ctx: Ctx) -> Any:
    return v3_single(dict(ctx.store.inventory_settings))


@router.add("PUT", "/v3/settings/inventory", ("information", "inventory"))
def update_inventory_settings(ctx: Ctx) -> Any:
    body = ctx.json_object()
    unknown = [k for k in body if k not in DEFAULT_INVENTORY_SETTINGS]
    if unknown:
        raise invalid("Payload contains invalid fields", **{k: "unknown field" for k in unknown})
    if body.get("update_stock_behavior", "order_placed") not in ("order_placed", "order_completed_or_shipped"):
        raise invalid("Payload contains invalid fields", update_stock_behavior="invalid value")
    ctx.store.inventory_settings.update(body)
    return v3_single(dict(ctx.store.inventory_settings))
