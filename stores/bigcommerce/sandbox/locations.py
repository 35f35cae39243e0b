"""Inventory locations of the sandbox (research §5.1; docs/bigcommerce-sandbox.md, "Locations").

What BigCommerce documents, and the sandbox does:
- Every store has location 1, the default location and the store's shipping origin: it cannot be deleted.
- `enabled` decides whether a location takes orders, whether its stock may be changed through the API
  (adjustments and item settings at a disabled location are refused with 422) and whether its stock counts
  in the storefront's "available to sell"; `storefront_visibility` only hides its details from the
  storefront APIs.
- The storefront counts the default location's stock only; with "aggregated stock" (switched on by
  BigCommerce support) it counts every enabled location. `Store.online_locations` stands for that choice
  (and for a headless storefront that sums other locations): shipping orders take on-hand from these, the
  default location first, then by id.
- Deleting a location deletes its stock; a location with open orders cannot be deleted (422, the documented
  titles). Created and updated locations fire `store/inventory/location/created` / `updated`
  (`{"location_id": n}`); BigCommerce documents no event for a deleted one.
"""

from __future__ import annotations

from typing import Any

from stores.bigcommerce.sandbox.framework import ApiError, invalid, not_found
from stores.bigcommerce.sandbox.state import DEFAULT_LOCATION_ID, Store, new_token, utcnow

OPEN_ORDER_STATUSES = frozenset({1, 3, 7, 8, 9, 11, 12})
FIELDS = ("code", "label", "description", "managed_by_external_source", "type_id", "enabled",
          "storefront_visibility", "time_zone", "operating_hours", "special_hours", "address")  # fmt: skip


def _stamp() -> str:
    return utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


def online_locations(store: Store) -> list[int]:
    """The locations the storefront sells from and shipping orders draw from, in the order they draw: the
    default location first, then the others by id; a disabled location never."""
    wanted = set(store.online_locations)
    ordered = sorted(store.locations, key=lambda location_id: (location_id != DEFAULT_LOCATION_ID, location_id))
    return [i for i in ordered if i in wanted and store.locations[i]["enabled"]]


def location_enabled(store: Store, location_id: int) -> bool:
    location = store.locations.get(location_id)
    return bool(location and location["enabled"])


def locations_create(store: Store, items: Any) -> list[int]:
    """`POST /v3/inventory/locations`: a list of locations, each with a unique `code` and a `label`; returns
    their ids (BigCommerce answers only a transaction id)."""
    if not isinstance(items, list) or not items:
        raise invalid("Payload contains invalid fields", locations="At least one location is required")
    codes = {location["code"] for location in store.locations.values()}
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("label") or not item.get("code"):
            raise invalid("Payload contains invalid fields", **{f"{index}": "code and label are required"})
        if item["code"] in codes:
            raise invalid(f"Location code {item['code']} is already used", **{f"{index}.code": "must be unique"})
        codes.add(item["code"])
    created = []
    for item in items:
        location_id = store.next_id("location", max(store.locations) + 1)
        store.locations[location_id] = {
            "id": location_id, "code": item["code"], "label": item["label"], "description": "",
            "managed_by_external_source": False, "type_id": "PHYSICAL", "enabled": True,
            "storefront_visibility": True, "time_zone": "Etc/UTC", "operating_hours": {}, "special_hours": [],
            "address": None, "created_at": _stamp(), "updated_at": _stamp(),
            **{name: item[name] for name in FIELDS if name in item},
        }  # fmt: skip
        created.append(location_id)
        store.emit("store/inventory/location/created", {"location_id": location_id})
    return created


def locations_update(store: Store, items: Any) -> dict[str, str]:
    """`PUT /v3/inventory/locations`: a list of partial locations, each naming its `id`."""
    if not isinstance(items, list) or not items:
        raise invalid("Payload contains invalid fields", locations="At least one location is required")
    for index, item in enumerate(items):
        if not isinstance(item, dict) or item.get("id") not in store.locations:
            raise invalid("Payload contains invalid fields", **{f"{index}.id": "unknown location"})
        if item["id"] == DEFAULT_LOCATION_ID and item.get("enabled") is False:
            # Sandbox choice (unconfirmed): the shipping origin stays enabled.
            raise invalid("The default location is the store's shipping origin and cannot be disabled.")
    for item in items:
        location = store.locations[item["id"]]
        location.update({name: item[name] for name in FIELDS if name in item}, updated_at=_stamp())
        store.emit("store/inventory/location/updated", {"location_id": item["id"]})
    return {"transaction_id": new_token(32)}


def locations_delete(store: Store, location_ids: list[int]) -> dict[str, str]:
    """`DELETE /v3/inventory/locations?location_id:in=`: refused for the shipping origin and for a location
    with open orders; its stock goes with it."""
    for location_id in location_ids:
        location = store.locations.get(location_id)
        if location is None:
            raise not_found("Location not found.")
        if location_id == DEFAULT_LOCATION_ID:
            raise ApiError(422, f"Location can't be deleted. {location['label']} is set as a shipping origin for "
                           "this store and can't be deleted.")  # fmt: skip
        open_orders = [order for order in store.orders.values() if order["status_id"] in OPEN_ORDER_STATUSES
                       and any(location_id in line_locations(line) for line in order["_lines"])]  # fmt: skip
        if open_orders:
            raise ApiError(422, f"Location with associated orders can't be deleted. {location['label']} is "
                           f"associated with {len(open_orders)} order(s) and can't be deleted by now.")  # fmt: skip
    for location_id in location_ids:
        del store.locations[location_id]
        for record_key in [k for k in store.inventory if k[1] == location_id]:
            del store.inventory[record_key]
    return {"transaction_id": new_token(32)}


def line_locations(line: dict[str, Any]) -> set[int]:
    """The locations an order line took stock from or booked its backordered units at."""
    return {*line.get("_stock_from", {}), line.get("_location", DEFAULT_LOCATION_ID)}


def pickup_location(store: Store, body: dict[str, Any]) -> int | None:
    """The location of an order's pickup consignment (`consignments.pickups[0].location.id`), or None for an
    order to ship. BigCommerce takes the location from the pickup method; the sandbox reads it directly."""
    pickups = (body.get("consignments") or {}).get("pickups") or []
    if not pickups:
        return None
    location_id = (pickups[0].get("location") or {}).get("id", pickups[0].get("location_id"))
    if not isinstance(location_id, int) or not location_enabled(store, location_id):
        raise ApiError(400, f"Pickup location {location_id} is not an enabled location of this store.")
    return location_id
