"""Inventory locations: where a backorder waits, which stock may fill it, and what each location shows.

BigCommerce keeps stock, backorder limits and backordered units per location (docs/bigcommerce-sandbox.md,
"Locations"). The rules, in the merchant's words (docs/engine.md, "Locations"):
- A backorder waits at the location BigCommerce booked its units at: the default location (the shipping
  origin) for an order to ship, the pickup location for an order to collect (`Backorder.location_id`,
  `pickup`).
- Stock arriving at a location fills, oldest first, the backorders that location can fulfil: the ones to
  collect there, and, when the location sells online, every backorder to ship (allocation_locations.py).
- The storefront counts the stock of the locations that sell online (BigCommerce's own rule: the default
  location only, unless support switched on aggregated stock; the merchant says which, `Location.sells_online`);
  a backorder to ship is capped at the default location, where BigCommerce books it.
- An answer about one location (`location_id`, a buy-online-pick-up-in-store page) counts that location's
  stock, the backorders it will fill, its incoming purchase orders and its own cap.
- A policy's cap (`max_units`) applies at every location, unless the policy names the location in
  `location_limits`.
A store with one location has one Location row (or none before its first sync), no LocationStock row, an
empty `VariantAvailability.locations`, and every rule above reduces to what the app did before locations.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from backorder.id_lists import id_array
from backorder.models import (
    Backorder,
    Location,
    LocationStock,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockAdjustment,
    Variant,
)
from backorder.models.locations import DEFAULT_LOCATION_ID
from stores.bigcommerce import errors

logger = logging.getLogger(__name__)

# -- the store's locations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocationsSetup:
    """The store's locations (not removed), in id order, and which of them sell online and are enabled."""

    locations: list[Location] = field(default_factory=list)

    @property
    def several(self) -> bool:
        return len(self.locations) > 1

    @property
    def ids(self) -> list[int]:
        return [location.bigcommerce_id for location in self.locations]

    @property
    def online(self) -> set[int]:
        return {location.bigcommerce_id for location in self.locations if location.counts_online}

    @property
    def enabled(self) -> list[int]:
        return [location.bigcommerce_id for location in self.locations if location.enabled]


def locations_setup() -> LocationsSetup:
    """The store's locations, one query."""
    return LocationsSetup(list(Location.objects.filter(is_removed=False).order_by("bigcommerce_id")))


def several_locations() -> bool:
    """Whether the store has a location beside the default one (one query)."""
    return Location.objects.filter(is_removed=False).exclude(bigcommerce_id=DEFAULT_LOCATION_ID).exists()


def location_cap(policy, location_id: int) -> int | None:
    """The policy's cap on waiting units at a location: its own for the location, else `max_units`."""
    limits = getattr(policy, "location_limits", None) or {}
    key = str(location_id)
    return limits.get(key, policy.max_units)


@dataclass
class LocationsChange:
    added: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)  # enabled, disabled, or no longer removed
    removed: list[int] = field(default_factory=list)

    @property
    def matters(self) -> bool:
        return bool(self.added or self.changed or self.removed)


@transaction.atomic
def locations_sync(*, client, follow_up: bool = True) -> LocationsChange:
    """Copy BigCommerce's locations. A new location starts as not selling online (BigCommerce's storefront
    counts the default location only) except the default one; a location BigCommerce no longer has is
    marked removed and its stock leaves the mirror (deleting a location deletes its stock in BigCommerce).
    When one was added, enabled, disabled or removed, every variant's availability is computed again and
    the stock now free is allocated (after the commit; not with `follow_up` False: a full sync does it).
    A second location makes the store listen to BigCommerce's per-location stock event. A token without the
    locations scope changes nothing (the store keeps working as a store with one location)."""
    now = timezone.now()
    try:
        seen = {int(row["id"]): row for row in client.iter_v3("/v3/inventory/locations")}
    except errors.ForbiddenScopeError:
        # A token from before the app asked for the locations scope (docs/deploying.md): the store goes on as a
        # store with one location, which is what the app did before locations.
        logger.warning("BigCommerce refused the locations (no store_locations scope): the default location only")
        return LocationsChange()
    known = {location.bigcommerce_id: location for location in Location.objects.select_for_update()}
    several_before = sum(1 for location in known.values() if not location.is_removed) > 1
    change = LocationsChange()
    for location_id, row in sorted(seen.items()):
        values = {
            "code": str(row.get("code") or "")[:100],
            "label": str(row.get("label") or row.get("code") or f"Location {location_id}")[:255],
            "enabled": bool(row.get("enabled", True)),
            "storefront_visibility": bool(row.get("storefront_visibility", True)),
        }
        location = known.get(location_id)
        if location is None:
            Location.objects.create(bigcommerce_id=location_id, sells_online=location_id == DEFAULT_LOCATION_ID,
                                    synced_at=now, **values)  # fmt: skip
            change.added.append(location_id)
            continue
        if location.enabled != values["enabled"] or location.is_removed:
            change.changed.append(location_id)
        Location.objects.filter(pk=location.pk).update(is_removed=False, synced_at=now, **values)
    gone = [i for i, location in known.items() if i not in seen and not location.is_removed]
    if gone:
        Location.objects.filter(bigcommerce_id__in=gone).update(is_removed=True, synced_at=now)
        LocationStock.objects.filter(location_id__in=gone).delete()
        change.removed.extend(gone)
    if follow_up and change.matters and (change.removed or change.changed or len(seen) > 1):
        transaction.on_commit(lambda: locations_changed_follow_up(resync=bool(change.added)))
    elif several_before != (len(seen) > 1):  # only the store's webhooks follow (a per-location stock event)
        transaction.on_commit(lambda: locations_changed_follow_up(refresh=False))
    return change


def location_update(*, location: Location, sells_online: bool) -> Location:
    """The merchant says whether the storefront sells this location's stock (the default location always
    does, BigCommerce's storefront counts it whatever the setting)."""
    if location.is_default:
        sells_online = True
    if location.sells_online != sells_online:
        location.sells_online = sells_online
        location.save(update_fields=["sells_online"])
        transaction.on_commit(lambda: locations_changed_follow_up(resync=False))
    return location


def locations_changed_follow_up(*, refresh: bool = True, resync: bool = False) -> None:
    """What shoppers see and who gets which stock depend on the locations: all of it again, in a task
    (backorder.tasks.locations_changed); a new location's stock comes with a full catalog sync."""
    from stores.tasks import enqueue_for_store

    if connection.schema_name != "public":
        enqueue_for_store("backorder.tasks.locations_changed", refresh=refresh, resync=resync)


STOCK_CHANGED_SCOPE = "store/channel/*/inventory/product/stock_changed"


def webhook_scopes_for_locations() -> list[str]:
    """With several locations the store also listens to BigCommerce's per-location stock event (a stock
    change at any location); with one, the product and SKU inventory events say it all."""
    return [STOCK_CHANGED_SCOPE] if several_locations() else []


def product_ids_at_other_locations(payloads: list[dict]) -> set[int]:
    """The products of per-location stock events at a location other than the default one (the default
    location's changes come with the product and SKU inventory events too)."""
    ids = set()
    for payload in payloads:
        data = payload.get("data") or {}
        if data.get("product_id") and int(data.get("location_id") or DEFAULT_LOCATION_ID) != DEFAULT_LOCATION_ID:
            ids.add(int(data["product_id"]))
    return ids


# -- availability per location -------------------------------------------------------------------------------


def _owed_by_location(variant_ids: list[int]) -> dict[tuple[int, int], int]:
    """Units already allocated but not yet taken off BigCommerce's on-hand, per variant and location (the
    rule of availability.units_owed_to_bigcommerce)."""
    status = StockAdjustment.Status
    rows = (
        StockAdjustment.objects.filter(variant_id__in=variant_ids)
        .filter(Q(status__in=[status.PENDING, status.SENDING]) | Q(status=status.UNKNOWN, on_hand_delta__lt=0))
        .values("variant_id", "location_id")
        .annotate(owed=Sum("on_hand_delta"))
    )
    return {(row["variant_id"], row["location_id"]): -row["owed"] for row in rows}


def _waiting_by_location(variant_ids: list[int]) -> dict[tuple[int, int, bool], int]:
    rows = (
        Backorder.objects.filter(variant_id__in=variant_ids, status=Backorder.Status.WAITING)
        .values("variant_id", "location_id", "pickup")
        .annotate(units=Sum(F("quantity") - F("quantity_allocated")))
    )
    return {(row["variant_id"], row["location_id"], row["pickup"]): row["units"] or 0 for row in rows}


def _supply_by_location(variant_ids: list[int]) -> dict[tuple[int, int], list]:
    lines = (
        PurchaseOrderLine.objects.filter(
            variant_id__in=variant_ids,
            purchase_order__status__in=[PurchaseOrder.Status.OPEN, PurchaseOrder.Status.PARTLY_RECEIVED],
            quantity_received__lt=F("quantity"),
        )
        .order_by("expected_date", "id")
        .values_list("variant_id", "purchase_order__location_id", "quantity", "quantity_received", "expected_date")
    )
    supply: dict[tuple[int, int], list] = defaultdict(list)
    for variant_id, location_id, quantity, received, expected in lines:
        supply[(variant_id, location_id)].append([quantity - received, expected.isoformat()])
    return supply


def availability_at_locations(*, variants: dict, policies: dict) -> dict[int, dict] | None:
    """For a store with several locations: per variant (BigCommerce id), the parts of its availability row
    that depend on locations: the storefront's stock, queue and incoming units (the locations that sell
    online), the default location's units left under the cap (where a backorder to ship is booked), and
    `locations`, each location's own figures. None for a store with one location (one query)."""
    setup = locations_setup()
    if not setup.several:
        return None
    ids = list(variants)
    at_locations = {
        (row["variant_id"], row["location_id"]): row["on_hand"]
        for row in LocationStock.objects.filter(variant_id__in=ids).values("variant_id", "location_id", "on_hand")
    }
    owed, waiting, supply = _owed_by_location(ids), _waiting_by_location(ids), _supply_by_location(ids)
    online = setup.online
    result = {}
    for variant_id, variant in variants.items():
        tracked = variant.product.inventory_tracking != "none"
        policy = getattr(policies.get(variant_id), "policy", None)
        to_ship = sum(units for (v, _, pickup), units in waiting.items() if v == variant_id and not pickup)
        entries = {}
        for location in setup.locations:
            location_id = location.bigcommerce_id
            mirror = (
                variant.on_hand if location_id == DEFAULT_LOCATION_ID else at_locations.get((variant_id, location_id))
            )
            free = max((mirror or 0) - owed.get((variant_id, location_id), 0), 0) if tracked else None
            collect = waiting.get((variant_id, location_id, True), 0)
            booked = collect + waiting.get((variant_id, location_id, False), 0)
            cap = location_cap(policy, location_id) if policy is not None else None
            entries[str(location_id)] = {
                "on_hand": free,
                "waiting": collect + (to_ship if location_id in online else 0),
                "booked": booked,
                "left": None if cap is None else max(cap - booked, 0),
                "supply": supply.get((variant_id, location_id), []),
                "open": location.enabled,
                "online": location_id in online,
            }
        sold_online = [entries[str(i)] for i in setup.ids if i in online]
        values = {
            "on_hand": sum(entry["on_hand"] for entry in sold_online) if tracked else None,
            "waiting_units": to_ship + sum(waiting.get((variant_id, i, True), 0) for i in online),
            "supply": sorted((tier for entry in sold_online for tier in entry["supply"]), key=lambda tier: tier[1]),
            "locations": entries,
        }
        if policy is not None and str(DEFAULT_LOCATION_ID) in entries:
            values["backorder_units_left"] = entries[str(DEFAULT_LOCATION_ID)]["left"]
        result[variant_id] = values
    return result


def booked_at(row, location_id: int = DEFAULT_LOCATION_ID) -> int:
    """Waiting units BigCommerce booked at a location (with one location: every waiting unit)."""
    entry = (row.locations or {}).get(str(location_id))
    return row.waiting_units if entry is None else entry["booked"]


def locations_under(locations: dict, policy) -> dict:
    """A row's per-location figures as they would be under `policy` (its caps); stock and queues stay."""
    if not locations:
        return locations
    under = {}
    for key, entry in locations.items():
        cap = location_cap(policy, int(key)) if policy is not None else None
        under[key] = entry | {"left": None if cap is None else max(cap - entry["booked"], 0)}
    return under


def location_row(row, location_id: int, *, booked: bool = False):
    """The availability row as it is at one location, or None when the store has no such location: that
    location's stock, the units waiting for it (with `booked`: the units booked there, which is what its
    BigCommerce limit counts), its incoming units and its units left under the cap; sold only while the
    location is enabled. With one location the row is the default location's own."""
    entries = row.locations or {}
    if not entries:
        return row if location_id == DEFAULT_LOCATION_ID else None
    entry = entries.get(str(location_id))
    if entry is None:
        return None
    changes = {
        "on_hand": entry["on_hand"],
        "waiting_units": entry["booked"] if booked else entry["waiting"],
        "supply": entry["supply"],
        "backorder_units_left": entry["left"],
        "purchasable": row.purchasable and entry["open"],
    }
    if hasattr(row, "_replace"):  # the storefront's light rows
        return row._replace(**changes)
    from backorder.models import VariantAvailability

    copy = VariantAvailability(**{f.attname: getattr(row, f.attname, None) for f in VariantAvailability._meta.fields})
    for name, value in changes.items():
        setattr(copy, name, value)
    return copy


def rows_at_location(rows: list, location_id: int) -> list:
    """The availability rows of a product as they are at one location (none: the store has no such
    location)."""
    found = [location_row(row, location_id) for row in rows]
    return [] if None in found else found


# -- the caps BigCommerce enforces at each location ----------------------------------------------------------


def backorder_limits_push_at_locations(*, client, rows: list) -> int:
    """Write each enabled location's cap (not the default location's: availability.backorder_limits_push)
    where it differs from what BigCommerce has; a disabled location's stock settings cannot be written."""
    from backorder.services.availability import backorder_limits_wanted

    rows = [row for row in rows if row.locations]
    if not rows:
        return 0
    variants = {
        v.bigcommerce_id: v
        for v in Variant.objects.filter(bigcommerce_id__in=[r.variant_id for r in rows], is_deleted=False)
        .exclude(product__inventory_tracking="none")
        .select_related("product")
    }
    current = {(s.variant_id, s.location_id): s for s in LocationStock.objects.filter(variant_id__in=list(variants))}
    changed = 0
    for location_id in locations_setup().enabled:
        if location_id == DEFAULT_LOCATION_ID:
            continue
        wanted = backorder_limits_wanted([row for row in rows if row.variant_id in variants], location_id=location_id)
        settings, updated = [], []
        for variant_id, limit in wanted.items():
            stock = current.get((variant_id, location_id))
            if stock is None or stock.backorder_limit == limit:
                continue
            variant = variants[variant_id]
            identity = (
                {"product_id": variant.product.bigcommerce_id}
                if variant.product.inventory_tracking == "product"
                else {"variant_id": variant_id}
            )
            settings.append({"identity": identity, "backorder_limit": limit})
            stock.backorder_limit = limit
            updated.append(stock)
        for start in range(0, len(settings), 2000):
            client.put(
                f"/v3/inventory/locations/{location_id}/items", json={"settings": settings[start : start + 2000]}
            )
        LocationStock.objects.bulk_update(updated, ["backorder_limit"])
        changed += len(updated)
    return changed


# -- stock readings of several locations (the rules of sync.py) ----------------------------------------------


def items_by_location(items: Iterable[dict]) -> tuple[list[dict], list[dict]]:
    """`GET /v3/inventory/items` answers (an item with its `locations`) as the default location's items, in
    the shape of `/v3/inventory/locations/1/items` (sync.stock_store), and the other locations' items, each
    with its `location_id`."""
    default, others = [], []
    for item in items:
        identity = item.get("identity") or {}
        for at in item.get("locations") or []:
            entry = {"identity": identity, **at}
            (default if at.get("location_id") == DEFAULT_LOCATION_ID else others).append(entry)
    return default, others


_LOCATION_STOCK_UPSERT_SQL = f"""
    INSERT INTO {LocationStock._meta.db_table} AS s (variant_id, location_id, on_hand, qty_backordered,
        backorder_limit, available_to_sell)
    SELECT t.bigcommerce_id, r.location, r.on_hand, r.qty_backordered, r.backorder_limit, r.available_to_sell
    FROM jsonb_to_recordset(%(rows)s::jsonb)
         AS r(item bigint, location bigint, on_hand integer, backorder_limit integer, qty_backordered integer,
              available_to_sell integer)
    JOIN {{targets}}
    WHERE t.bigcommerce_id <> ALL(%(set_aside)s::bigint[])
    ORDER BY t.bigcommerce_id, r.location
    ON CONFLICT (variant_id, location_id) DO UPDATE SET
        on_hand = EXCLUDED.on_hand, qty_backordered = EXCLUDED.qty_backordered,
        backorder_limit = EXCLUDED.backorder_limit, available_to_sell = EXCLUDED.available_to_sell
"""
# A reading set aside (an adjustment of ours was in flight) gives only the backorder limit.
_LOCATION_LIMIT_SQL = f"""
    UPDATE {LocationStock._meta.db_table} s SET backorder_limit = r.backorder_limit
    FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(item bigint, location bigint, backorder_limit integer)
    JOIN {{targets}}
    WHERE s.variant_id = t.bigcommerce_id AND s.location_id = r.location
      AND t.bigcommerce_id = ANY(%(set_aside)s::bigint[])
"""
_OF_VARIANTS = f"{Variant._meta.db_table} t ON t.bigcommerce_id = r.item"
_OF_PRODUCTS = (
    f"{Product._meta.db_table} p ON p.bigcommerce_id = r.item JOIN {Variant._meta.db_table} t ON t.product_id = p.id"
)


def location_stock_store(*, items: Iterable[dict], set_aside: Iterable[int] = ()) -> int:
    """Write a reading of the locations other than the default one (items with their `location_id`), in one
    statement per kind of item; variants in `set_aside` take only the backorder limit (sync.stock_store's
    rule: their counts are not known from this reading, and a row they have not got yet waits for the next
    reading)."""
    by_variant, by_product = [], []
    for item in items:
        identity = item.get("identity") or {}
        row = {
            "location": item["location_id"],
            "on_hand": item.get("total_inventory_onhand") or 0,
            "backorder_limit": (item.get("settings") or {}).get("backorder_limit", 0),
            "qty_backordered": item.get("qty_backordered") or 0,
            "available_to_sell": item.get("available_to_sell"),
        }
        if identity.get("variant_id"):  # an item of a variant wins over its product's (sync.stock_store)
            by_variant.append({"item": identity["variant_id"], **row})
        elif identity.get("product_id"):
            by_product.append({"item": identity["product_id"], **row})
    aside = id_array(set_aside)
    with connection.cursor() as cursor:
        for targets, rows in ((_OF_PRODUCTS, by_product), (_OF_VARIANTS, by_variant)):
            if rows:
                params = {"rows": json.dumps(rows, separators=(",", ":")), "set_aside": aside}
                cursor.execute(_LOCATION_STOCK_UPSERT_SQL.replace("{targets}", targets), params)
                cursor.execute(_LOCATION_LIMIT_SQL.replace("{targets}", targets), params)
    return len(by_variant) + len(by_product)
