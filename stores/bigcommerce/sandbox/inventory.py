"""Stock semantics of the sandbox: items, locations, adjustments, order reservations, backorders.

Sandbox decisions for points BigCommerce has not confirmed (research §5.3, §11.5):
- `backorder_limit` is an int >= 0 (default 0 = no backorders) or None = unlimited.
- available_on_hand = max(0, onhand - safety_stock);
  available_for_backorder = backorder_limit - qty_backordered (None when unlimited, 0 when the store has
  backorders disabled); available_to_sell = available_on_hand + available_for_backorder (when unlimited it
  is available_on_hand and `unlimited_backorder` is true).
- Adjustment items may carry `qty_backordered` next to `quantity`: absolute sets it, relative adds to it.
  Allocating N units to waiting backorders is one relative item `{"quantity": -N, "qty_backordered": -N}`.
- Neither on-hand nor qty_backordered may become negative: the whole request is refused with 422.
- Stock webhooks fire only when on-hand actually changes.
- Locations (locations.py): stock, limits and qty_backordered are per location; a disabled location's stock
  cannot be changed. An order to ship takes on-hand from the online locations (the default location first)
  and books its backordered units at the default location (the shipping origin), within that location's
  limit; a pickup order takes both from its pickup location. The 409 names the location that was short.
"""

from __future__ import annotations

from typing import Any

from stores.bigcommerce.sandbox.framework import ApiError, invalid
from stores.bigcommerce.sandbox.locations import location_enabled, online_locations
from stores.bigcommerce.sandbox.state import (
    DEFAULT_CHANNEL_ID,
    DEFAULT_LOCATION_ID,
    InventoryRecord,
    ItemKey,
    Store,
    new_token,
)

MAX_STOCK = 2147483647


def record(store: Store, key: ItemKey, location_id: int = DEFAULT_LOCATION_ID) -> InventoryRecord:
    return store.inventory.setdefault((key, location_id), InventoryRecord())


def key_for(product: dict[str, Any], variant: dict[str, Any] | None) -> ItemKey | None:
    """The stock-holding item an order line for (product, variant) draws from; None when untracked."""
    tracking = product["inventory_tracking"]
    if tracking == "product":
        return ("p", product["id"])
    if tracking == "variant" and variant is not None:
        return ("v", variant["id"])
    return None


def tracked_keys(store: Store) -> list[ItemKey]:
    keys: list[ItemKey] = []
    for pid in sorted(store.products):
        product = store.products[pid]
        if product["inventory_tracking"] == "product":
            keys.append(("p", pid))
        elif product["inventory_tracking"] == "variant":
            keys.extend(("v", vid) for vid in product["_variant_ids"])
    return keys


def identity_of(store: Store, key: ItemKey) -> dict[str, Any]:
    kind, item_id = key
    if kind == "p":
        product = store.products[item_id]
        return {"sku": product["sku"], "variant_id": product["base_variant_id"], "product_id": item_id, "sku_id": None}
    variant = store.variants[item_id]
    return {
        "sku": variant["sku"],
        "variant_id": item_id,
        "product_id": variant["product_id"],
        "sku_id": variant["sku_id"],
    }


def resolve(store: Store, identity: dict[str, Any]) -> ItemKey:
    """Map an adjustment/settings identity to its item, refusing ids of the wrong tracking level."""
    if identity.get("variant_id") is not None:
        vid = _as_int(identity["variant_id"])
        variant = store.variants.get(vid)
        if variant is None:
            raise invalid(f"[Item with variant_id {vid} does not exist]")
        tracking = store.products[variant["product_id"]]["inventory_tracking"]
        if tracking == "product":
            raise invalid(f"[Item with variant_id {vid} is tracked by product, please update stock by product id]")
        if tracking == "none":
            raise invalid(f"[Item with variant_id {vid} is not tracked]")
        return ("v", vid)
    if identity.get("product_id") is not None:
        pid = _as_int(identity["product_id"])
        product = store.products.get(pid)
        if product is None:
            raise invalid(f"[Item with product_id {pid} does not exist]")
        if product["inventory_tracking"] == "variant":
            raise invalid(f"[Item with product_id {pid} is tracked by variant, please update stock by variant id]")
        if product["inventory_tracking"] == "none":
            raise invalid(f"[Item with product_id {pid} is not tracked]")
        return ("p", pid)
    if identity.get("sku"):
        # catalog.py keeps the SKU index; the oldest variant wins, as a scan in id order would find it.
        ids = store.variant_skus.get(str(identity["sku"]).lower())
        if not ids:
            raise invalid(f"[Item with sku {identity['sku']} does not exist]")
        variant = store.variants[min(ids)]
        product = store.products[variant["product_id"]]
        if product["inventory_tracking"] == "variant":
            return ("v", variant["id"])
        if product["inventory_tracking"] == "product":
            return ("p", product["id"])
        raise invalid(f"[Item with sku {identity['sku']} is not tracked]")
    raise invalid("An item identity (variant_id, product_id or sku) is required.")


def availability(store: Store, rec: InventoryRecord) -> dict[str, Any]:
    on_hand = max(0, rec.onhand - rec.safety_stock)
    if not store.backorders_enabled:
        for_backorder: int | None = 0
    elif rec.backorder_limit is None:
        for_backorder = None
    else:
        for_backorder = max(0, rec.backorder_limit - rec.qty_backordered)
    return {
        "available_on_hand": on_hand,
        "available_for_backorder": for_backorder,
        "unlimited_backorder": for_backorder is None,
        "available_to_sell": on_hand + (for_backorder or 0),
    }


def location_item(store: Store, key: ItemKey, location_id: int) -> dict[str, Any]:
    """`GET /v3/inventory/locations/{id}/items` item (research §5.1 + the suggested backorder shape)."""
    rec = record(store, key, location_id)
    avail = availability(store, rec)
    settings: dict[str, Any] = {
        "safety_stock": rec.safety_stock,
        "is_in_stock": rec.is_in_stock,
        "warning_level": rec.warning_level,
        "bin_picking_number": rec.bin_picking_number,
    }
    item: dict[str, Any] = {
        "identity": identity_of(store, key),
        "available_to_sell": avail["available_to_sell"],
        "total_inventory_onhand": rec.onhand,
        "settings": settings,
    }
    # Backorder fields appear only on stores with native backorders, which is how the app detects them.
    if store.backorders_enabled:
        item["qty_backordered"] = rec.qty_backordered
        item["available_for_backorder"] = avail["available_for_backorder"]
        item["unlimited_backorder"] = avail["unlimited_backorder"]
        settings["backorder_limit"] = rec.backorder_limit
        settings["backorder_message_id"] = rec.backorder_message_id
    return item


def set_onhand(store: Store, key: ItemKey, quantity: int) -> None:
    """A catalog write of `inventory_level` (proxied to an absolute adjustment at the default location)."""
    rec = record(store, key)
    previous = rec.onhand
    rec.onhand = max(0, min(MAX_STOCK, int(quantity)))
    rec.absolutely_set = True
    if rec.onhand != previous:
        emit_stock(store, key, kind="updated", method="absolute", value=rec.onhand, location_id=DEFAULT_LOCATION_ID)


def adjust(store: Store, items: Any, *, relative: bool) -> dict[str, str]:
    """Apply an absolute (PUT) or relative (POST) adjustment atomically; returns the transaction id."""
    if not isinstance(items, list) or not items:
        raise invalid("Payload contains invalid fields", items="At least one item is required")
    planned: dict[tuple[ItemKey, int], tuple[int, int]] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid("Payload contains invalid fields", **{f"items.{index}": "must be an object"})
        location_id = item.get("location_id")
        if location_id not in store.locations:
            raise invalid("Payload contains invalid fields", **{f"items.{index}.location_id": "unknown location"})
        if not location_enabled(store, location_id):
            raise invalid(f"[Location {location_id} is disabled: its stock cannot be changed]")
        key = resolve(store, item)
        quantity = item.get("quantity")
        backordered = item.get("qty_backordered")
        if quantity is None and (not relative or backordered is None):
            raise invalid("Payload contains invalid fields", **{f"items.{index}.quantity": "is required"})
        rec = record(store, key, location_id)
        if relative and not rec.absolutely_set:
            raise invalid(f"Items with identity: [{_identity_text(key)}] requires absolute adjustment before relative")
        onhand, qty_bo = planned.get((key, location_id), (rec.onhand, rec.qty_backordered))
        if relative:
            onhand += _as_int(quantity or 0)
            qty_bo += _as_int(backordered or 0)
        else:
            onhand = _as_int(quantity)
            qty_bo = _as_int(backordered) if backordered is not None else qty_bo
        if onhand < 0 or qty_bo < 0:
            raise invalid(f"[Adjustment for {_identity_text(key)} would make stock negative]")
        if onhand > MAX_STOCK:
            raise invalid(f"[Adjustment for {_identity_text(key)} exceeds {MAX_STOCK}]")
        planned[(key, location_id)] = (onhand, qty_bo)

    for (key, location_id), (onhand, qty_bo) in planned.items():
        rec = record(store, key, location_id)
        previous = rec.onhand
        rec.onhand, rec.qty_backordered = onhand, qty_bo
        rec.absolutely_set = True
        if onhand != previous:
            value = onhand - previous if relative else onhand
            method = "relative" if relative else "absolute"
            emit_stock(store, key, kind="updated", method=method, value=value, location_id=location_id)
    return {"transaction_id": new_token(32)}


SETTING_FIELDS = ("safety_stock", "is_in_stock", "warning_level", "bin_picking_number")
BACKORDER_FIELDS = ("backorder_limit", "backorder_message_id")


def update_settings(store: Store, location_id: int, settings: Any) -> dict[str, str]:
    if not isinstance(settings, list) or not settings:
        raise invalid("Payload contains invalid fields", settings="At least one item is required")
    if not location_enabled(store, location_id):
        raise invalid(f"[Location {location_id} is disabled: its stock settings cannot be changed]")
    planned = []
    for index, entry in enumerate(settings):
        if not isinstance(entry, dict) or not isinstance(entry.get("identity"), dict):
            raise invalid("Payload contains invalid fields", **{f"setting.{index}.identity": "is required"})
        key = resolve(store, entry["identity"])
        fields = {k: entry[k] for k in SETTING_FIELDS + BACKORDER_FIELDS if k in entry}
        if not fields:
            raise invalid(
                "Payload contains invalid fields",
                **{
                    f"setting.{index}.settings": "At least one setting must be specified: warning_level, "
                    "is_in_stock or safety_stock"
                },
            )
        if any(k in fields for k in BACKORDER_FIELDS) and not store.backorders_enabled:
            raise invalid("Backorders are not enabled for this store", **{f"setting.{index}": "backorder_limit"})
        limit = fields.get("backorder_limit", 0)
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise invalid("Payload contains invalid fields", **{f"setting.{index}.backorder_limit": "must be >= 0"})
        planned.append((key, fields))
    for key, fields in planned:
        rec = record(store, key, location_id)
        for name, value in fields.items():
            setattr(rec, name, value)
        if "warning_level" in fields and location_id == DEFAULT_LOCATION_ID:
            owner = store.products[key[1]] if key[0] == "p" else store.variants[key[1]]
            owner["inventory_warning_level"] = fields["warning_level"]
        product_id, variant_id = _ids(store, key)
        store_emit(
            store,
            f"store/channel/{DEFAULT_CHANNEL_ID}/inventory/product/settings_changed",
            {"variant_id": variant_id, "product_id": product_id, "location_id": location_id},
        )
    return {"transaction_id": new_token(32)}


# -- orders -----------------------------------------------------------------------------------------------


def plan_reservation(
    store: Store,
    lines: list[tuple[ItemKey | None, int, int, int | None]],
    order_id: Any = "",
    pickup_location: int | None = None,
) -> list[tuple[ItemKey | None, dict[int, int], int, int]]:
    """Split each (key, variant_id, quantity, explicit_backordered) into (key, {location: units from its
    on-hand}, backordered, the location the backordered units are booked at).

    Units come from available on-hand first: an order to ship draws from the online locations in order
    (the default location first), a pickup order from its pickup location; the rest goes to backorder
    within `backorder_limit` at the default location (to ship) or the pickup location. Anything beyond
    raises 409 OutOfStock listing every short line (research §5.3)."""
    sources = [pickup_location] if pickup_location is not None else online_locations(store)
    booked_at = pickup_location if pickup_location is not None else DEFAULT_LOCATION_ID
    used: dict[tuple[ItemKey, int], tuple[int, int]] = {}
    plan: list[tuple[ItemKey | None, dict[int, int], int, int]] = []
    errors = []
    for key, variant_id, quantity, explicit in lines:
        if key is None:
            plan.append((None, {}, 0, booked_at))
            continue
        free = {
            location: availability(store, record(store, key, location))["available_on_hand"]
            - used.get((key, location), (0, 0))[0]
            for location in sources
        }
        on_hand = sum(free.values())
        for_backorder = availability(store, record(store, key, booked_at))["available_for_backorder"]
        if not location_enabled(store, booked_at):
            for_backorder = 0
        elif for_backorder is not None:
            for_backorder -= used.get((key, booked_at), (0, 0))[1]
        if explicit is not None:
            backordered = max(0, min(quantity, explicit))
            from_stock = quantity - backordered
        else:
            from_stock = min(quantity, on_hand)
            backordered = quantity - from_stock
        if from_stock > on_hand or (for_backorder is not None and backordered > for_backorder):
            shown = "unlimited" if for_backorder is None else for_backorder
            errors.append(
                {
                    "type": "OutOfStock",
                    "message": (
                        f"Insufficient stock of variant(id: {variant_id}), available stock: {on_hand}, "
                        f"available quantity for backorder: {shown}. order(id: {order_id}), "
                        f"channel(id: {DEFAULT_CHANNEL_ID}), location(id: {booked_at})."
                    ),
                    "variant_id": variant_id,
                    "location_id": booked_at,
                    "available_quantity": on_hand,
                    "available_quantity_for_backorder": for_backorder,
                }
            )
            continue
        taken: dict[int, int] = {}
        left = from_stock
        for location in sources:
            units = min(left, max(0, free[location]))
            if units:
                taken[location] = units
                left -= units
                stock_used, backordered_used = used.get((key, location), (0, 0))
                used[(key, location)] = (stock_used + units, backordered_used)
        stock_used, backordered_used = used.get((key, booked_at), (0, 0))
        used[(key, booked_at)] = (stock_used, backordered_used + backordered)
        plan.append((key, taken, backordered, booked_at))
    if errors:
        raise ApiError(
            409,
            "Quantities of one or more products are out of stock or did not meet quantity requirements.",
            details={"errors": errors},
        )
    return plan


def apply_order_movement(
    store: Store, key: ItemKey, from_stock: dict[int, int], backordered: int, location_id: int = DEFAULT_LOCATION_ID
) -> None:
    """Move stock for an order (negative numbers restock): on-hand at each location it draws from, and
    qty_backordered at `location_id`; fires the `.../inventory/order/updated` hook per location whose
    on-hand changed. A location deleted meanwhile has no stock to give back to."""
    for location, units in from_stock.items():
        if location not in store.locations:
            continue
        rec = record(store, key, location)
        previous = rec.onhand
        rec.onhand = max(0, rec.onhand - units)
        if rec.onhand != previous:
            emit_stock(store, key, kind="order/updated", method="relative", value=rec.onhand - previous,
                       location_id=location)  # fmt: skip
    if location_id in store.locations:
        rec = record(store, key, location_id)
        rec.qty_backordered = max(0, rec.qty_backordered + backordered)


# -- webhooks ---------------------------------------------------------------------------------------------


def store_emit(store: Store, scope: str, data: dict[str, Any]) -> None:
    store.emit(scope, data)


def emit_stock(store: Store, key: ItemKey, *, kind: str, method: str, value: int, location_id: int) -> None:
    product_id, variant_id = _ids(store, key)
    if key[0] == "p":
        inventory = {"product_id": product_id, "method": method, "value": value}
        store_emit(
            store, f"store/product/inventory/{kind}", {"type": "product", "id": product_id, "inventory": inventory}
        )
    else:
        variant = store.variants[variant_id]
        inventory = {"product_id": product_id, "method": method, "value": value, "variant_id": variant_id}
        store_emit(
            store,
            f"store/sku/inventory/{kind}",
            {"type": "sku", "id": variant["sku_id"] or variant_id, "inventory": inventory},
        )
    if kind == "updated":
        store_emit(
            store,
            f"store/channel/{DEFAULT_CHANNEL_ID}/inventory/product/stock_changed",
            {"variant_id": variant_id, "product_id": product_id, "location_id": location_id},
        )


def _ids(store: Store, key: ItemKey) -> tuple[int, int | None]:
    if key[0] == "p":
        return key[1], store.products[key[1]]["base_variant_id"]
    return store.variants[key[1]]["product_id"], key[1]


def _identity_text(key: ItemKey) -> str:
    return f"{'product_id' if key[0] == 'p' else 'variant_id'} {key[1]}"


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ApiError(422, "Payload contains invalid fields", errors={"quantity": "must be an integer"})
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(422, "Payload contains invalid fields", errors={"quantity": "must be an integer"}) from None
