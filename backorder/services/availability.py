"""What a shopper can buy now and when it ships: the availability engine.

Everything a product page needs is precomputed per variant (VariantAvailability) whenever stock,
policies, purchase orders or backorders change, so answering costs one SELECT. Dates come from a FIFO
projection: units on hand, then open purchase-order lines in expected-date order, then the lead time.
Open backorders are served first; a shopper who orders now is promised the date their own units arrive.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from backorder import events, storefront_answers
from backorder.id_lists import among, id_array
from backorder.models import (
    Backorder,
    PolicyChangePending,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockAdjustment,
    Variant,
    VariantAvailability,
)

UNAVAILABLE, IN_STOCK, BACKORDER, PREORDER = "unavailable", "in_stock", "backorder", "preorder"


def add_days(start: date, days: int, *, business_days: bool) -> date:
    """Calendar days, or business days (Monday to Friday) when the policy counts those."""
    if not business_days:
        return start + timedelta(days=days)
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


@dataclass(frozen=True)
class Projection:
    """Where the units of a request come from: ready now, and the date the last backordered unit arrives."""

    ready: int
    backordered: int
    ship_date: date | None


def units_owed_to_bigcommerce(variant_ids: Iterable[int]) -> dict[int, int]:
    """Units already allocated but not yet taken off BigCommerce's on-hand: pending and in-flight
    adjustments, and `unknown` decrements (the same rule as allocation's free units: a decrement whose outcome
    is unknown counts as done until the merchant resolves it, so its units are never offered twice)."""
    Status = StockAdjustment.Status
    rows = (
        StockAdjustment.objects.filter(variant_id__in=among(variant_ids))
        .filter(Q(status__in=[Status.PENDING, Status.SENDING]) | Q(status=Status.UNKNOWN, on_hand_delta__lt=0))
        .values("variant_id")
        .annotate(owed=Sum("on_hand_delta"))
    )
    return {row["variant_id"]: -row["owed"] for row in rows}


def project(*, row: VariantAvailability, quantity: int, today: date, queue_ahead: int | None = None) -> Projection:
    """Serve the units ahead first (open backorders), then this request: on-hand units are ready now,
    the rest take purchase-order units in expected-date order, and beyond those the policy's date."""
    on_hand = row.on_hand or 0
    ahead = row.waiting_units if queue_ahead is None else queue_ahead
    ready = min(max(on_hand - ahead, 0), quantity) if queue_ahead is not None else min(on_hand, quantity)
    backordered = quantity - ready
    if backordered <= 0:
        return Projection(ready=ready, backordered=0, ship_date=None)
    skip = ahead + ready
    # on hand first (dated today), then purchase-order tiers
    tiers = [(on_hand, today)] + [(units, max(date.fromisoformat(day), today)) for units, day in row.supply]
    needed = backordered
    for units, arrives in tiers:
        if skip >= units:
            skip -= units
            continue
        usable = units - skip
        skip = 0
        if usable >= needed:
            return Projection(ready=ready, backordered=backordered, ship_date=arrives)
        needed -= usable
    return Projection(ready=ready, backordered=backordered, ship_date=fallback_ship_date(row=row, today=today))


def fallback_ship_date(*, row: VariantAvailability, today: date) -> date | None:
    """Units nobody has ordered from a supplier yet ship on the policy's fixed date, else after its lead
    time; with neither, the date is unknown (None) and is never made up."""
    if row.fallback_date:
        return max(row.fallback_date, today)
    if row.lead_time_days is not None:
        return add_days(today, row.lead_time_days, business_days=row.lead_time_business_days)
    return None


def preorder_window_open(*, row: VariantAvailability, today: date) -> bool:
    """A pre-order sells between its start and end dates (either may be open); other modes always do."""
    if row.mode != PREORDER:
        return True
    return (row.window_opens_on is None or row.window_opens_on <= today) and (
        row.window_closes_on is None or today <= row.window_closes_on
    )


def state_for(*, row: VariantAvailability, quantity: int, today: date) -> str:
    """in_stock when the request fits on hand (or stock is not tracked); backorder or preorder when the
    effective policy is enabled (a pre-order inside its window) and the request fits within on hand plus
    the units left under the cap and the per-order cap; unavailable otherwise."""
    if not row.purchasable:
        return UNAVAILABLE
    if not row.tracked or quantity <= (row.on_hand or 0):
        return IN_STOCK
    if not row.enabled or not preorder_window_open(row=row, today=today):
        return UNAVAILABLE
    backordered = quantity - (row.on_hand or 0)
    if row.backorder_units_left is not None and backordered > row.backorder_units_left:
        return UNAVAILABLE
    if row.max_per_order is not None and backordered > row.max_per_order:
        return UNAVAILABLE
    return PREORDER if row.mode == PREORDER else BACKORDER


def ship_date_for_new_backorder(
    *, variant_id: int, quantity: int, queue_ahead: int, today: date | None = None, customer_group_id: int = 0,
    pickup_location_id: int | None = None,
) -> date | None:  # fmt: skip
    """The date a backorder of `quantity` units ships when `queue_ahead` waiting units are before it
    (today when units on hand already cover it; None when nothing gives a basis for a date), by the policy
    of the shopper's customer group (0: guests and shoppers in no group)."""
    rows = rows_for_customer_group(list(policy_pending_annotated(VariantAvailability.objects.filter(
        variant_id=variant_id))), customer_group_id)  # fmt: skip
    if not rows:
        return None
    row = rows[0]
    if pickup_location_id is not None:  # collected at a location: that location's stock and incoming units
        from backorder.services.locations import location_row

        row = location_row(row, pickup_location_id) or row
    today = today or store_today()
    projection = project(row=row, quantity=quantity, today=today, queue_ahead=queue_ahead)
    return projection.ship_date if projection.backordered else today


def store_today(store=None) -> date:
    """Today in the store's time zone (dates shown to shoppers are in the store's zone); the store is the
    current schema's when not given (in a task the connection knows only the schema: one query then)."""
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.utils import timezone

    from stores.models import Store

    if store is None:
        tenant = getattr(connection, "tenant", None)
        store = (
            tenant if isinstance(tenant, Store) else Store.objects.filter(schema_name=connection.schema_name).first()
        )
    try:
        zone = ZoneInfo(getattr(store, "timezone", "") or "UTC")
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    return timezone.now().astimezone(zone).date()


# -- keeping the precomputed rows true -------------------------------------------------------------------


def availability_refresh(*, variant_ids: Iterable[int], every_limit: bool = False) -> None:
    """Recompute the availability rows of these variants (BigCommerce ids) from stock, the effective
    policy, open backorders and open purchase-order lines; bump each changed row's version (ETag) and
    push changed caps to BigCommerce (`backorder_limit`) after commit: every variant's with `every_limit` (a
    policy change: the limit follows every customer group's policy, not only the guests' in the rows)."""
    from backorder.services.policies import policies_effective_for_variants

    ids = sorted(set(variant_ids))
    if not ids:
        return
    from backorder.services.locations import availability_at_locations

    variants = _mirror_variants(ids)
    policies = policies_effective_for_variants(variant_ids=list(variants))
    at_locations = availability_at_locations(variants=variants, policies=policies)  # None with one location
    owed = units_owed_to_bigcommerce(variants)
    waiting = dict(
        Backorder.objects.filter(variant_id__in=among(variants), status=Backorder.Status.WAITING)
        .values("variant_id")
        .annotate(units=Sum(F("quantity") - F("quantity_allocated")))
        .values_list("variant_id", "units")
    )
    supply: dict[int, list] = {}
    lines = (
        PurchaseOrderLine.objects.filter(
            variant_id__in=among(variants),
            purchase_order__status__in=[PurchaseOrder.Status.OPEN, PurchaseOrder.Status.PARTLY_RECEIVED],
            quantity_received__lt=F("quantity"),
        )
        .order_by("expected_date", "id")
        .values_list("variant_id", "quantity", "quantity_received", "expected_date")
    )
    for variant_id, quantity, received, expected in lines:
        supply.setdefault(variant_id, []).append([quantity - received, expected.isoformat()])
    existing = {
        row["variant_id"]: row
        for row in VariantAvailability.objects.filter(variant_id__in=among(ids)).values(
            "pk", "variant_id", "version", *_ROW_FIELDS
        )
    }
    new_row = _new_row_defaults()
    to_create, to_update, cap_reached, restocked = [], [], [], []
    for variant_id in ids:
        variant = variants.get(variant_id)
        row = SimpleNamespace(**(existing.get(variant_id) or {**new_row, "variant_id": variant_id}))
        units_left_before = row.backorder_units_left if row.pk else None
        values = _row_values(variant, policies.get(variant_id), owed.get(variant_id, 0), waiting.get(variant_id, 0),
                             supply.get(variant_id, []))  # fmt: skip
        if at_locations is not None and variant_id in at_locations:  # stock at several locations
            values |= at_locations[variant_id]
        changed = any(getattr(row, name) != value for name, value in values.items())
        sellable_before = row.pk is None or sellable_from_stock(row)
        for name, value in values.items():
            setattr(row, name, value)
        if not sellable_before and sellable_from_stock(row):
            restocked.append(variant_id)
        if row.pk is None:
            to_create.append(row)
        elif changed:
            row.version += 1
            to_update.append(row)
        if row.enabled and row.tracked and row.waiting_units and row.backorder_units_left == 0 != units_left_before:
            cap = getattr(getattr(policies.get(variant_id), "policy", None), "max_units", None)
            cap_reached.append((row, cap))  # the cap just ran out (it had units left, or the row is new)
    with transaction.atomic():
        _rows_save([*to_create, *to_update])
        # the storefront's cached answers about these products stop after the commit (storefront_answers.py)
        storefront_answers.answers_forget(product_ids=[row.product_id for row in [*to_create, *to_update]])
        if cap_reached:  # waiting backorders used up the policy's cap: the merchant is alerted (notifications)
            events.publish("variants.cap_reached", variants=[
                {"variant_id": r.variant_id, "product_id": r.product_id, "version": r.version, "cap": cap,
                 "waiting_units": r.waiting_units} for r, cap in cap_reached
            ])  # fmt: skip
        if restocked:  # shoppers waiting for a notify-me alert can buy again (notifications)
            events.publish("variant.restocked", variant_ids=restocked)
    changed_ids = ids if every_limit else [row.variant_id for row in [*to_create, *to_update]]
    if changed_ids:
        transaction.on_commit(lambda: backorder_limits_push_later(variant_ids=changed_ids))


def sellable_from_stock(row: VariantAvailability | SimpleNamespace) -> bool:
    """A shopper can buy it without waiting: stock is not tracked, or there are units on hand beyond those
    owed to the backorders already waiting (which allocation will take first)."""
    return row.purchasable and (not row.tracked or (row.on_hand or 0) > row.waiting_units)


_ROW_FIELDS = [
    "product_id", "purchasable", "tracked", "on_hand", "policy_id", "policy_scope", "enabled", "mode",
    "window_opens_on", "window_closes_on", "backorder_units_left", "max_per_order", "supply", "fallback_date",
    "button_label", "product_message", "cart_message", "shipping_preference", "lead_time_days",
    "lead_time_business_days", "waiting_units", "locations",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class MirrorProduct:
    """What an availability row needs of a mirrored product."""

    bigcommerce_id: int
    inventory_tracking: str
    is_deleted: bool


@dataclass(frozen=True, slots=True)
class MirrorVariant:
    """What an availability row needs of a mirrored variant (read as plain rows, not model instances)."""

    bigcommerce_id: int
    on_hand: int | None
    is_deleted: bool
    purchasing_disabled: bool
    product: MirrorProduct


_MIRROR_SQL = f"""
    SELECT v.bigcommerce_id, v.on_hand, v.is_deleted, v.purchasing_disabled,
           p.bigcommerce_id, p.inventory_tracking, p.is_deleted
    FROM {Variant._meta.db_table} v JOIN {Product._meta.db_table} p ON p.id = v.product_id
    WHERE v.bigcommerce_id = ANY(%s::bigint[])
"""


def _mirror_variants(ids: list[int]) -> dict[int, MirrorVariant]:
    """The mirrored variants among these BigCommerce ids, with their products, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(_MIRROR_SQL, [id_array(ids)])
        return {
            row[0]: MirrorVariant(row[0], row[1], row[2], row[3], MirrorProduct(row[4], row[5], row[6]))
            for row in cursor.fetchall()
        }


def _new_row_defaults() -> dict:
    """An availability row before its first computation: the model's defaults (`variant_id` to be set)."""
    fields = VariantAvailability._meta.concrete_fields
    defaults = {f.attname: f.get_default() for f in fields if f.attname in _ROW_FIELDS}
    return defaults | {"pk": None, "product_id": 0, "version": 1}


# The rows computed (new, or changed: their version bumped), written in one statement whatever their number.
_ROWS_SAVE_SQL = f"""
    INSERT INTO {VariantAvailability._meta.db_table} AS a (variant_id, {", ".join(_ROW_FIELDS)}, version, computed_at)
    SELECT r.variant_id, {", ".join(f"r.{name}" for name in _ROW_FIELDS)}, r.version, %(now)s
    FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(
        variant_id bigint, product_id bigint, purchasable boolean, tracked boolean, on_hand integer, policy_id bigint,
        policy_scope text, enabled boolean, mode text, window_opens_on date, window_closes_on date,
        backorder_units_left integer, max_per_order integer, supply jsonb, fallback_date date, button_label text,
        product_message text, cart_message text, shipping_preference text, lead_time_days integer,
        lead_time_business_days boolean, waiting_units integer, locations jsonb, version integer)
    ORDER BY r.variant_id
    ON CONFLICT (variant_id) DO UPDATE SET
        {", ".join(f"{name} = EXCLUDED.{name}" for name in _ROW_FIELDS)},
        version = EXCLUDED.version, computed_at = EXCLUDED.computed_at
"""


def _rows_save(rows: list[SimpleNamespace]) -> None:
    """Write computed availability rows (new ones, and changed ones with their version bumped) at once."""
    if not rows:
        return
    data = [
        {"variant_id": row.variant_id, "version": row.version, **{n: getattr(row, n) for n in _ROW_FIELDS}}
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.execute(_ROWS_SAVE_SQL, {"now": timezone.now(), "rows": json.dumps(data, default=_json_date)})


def _json_date(value: date) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _row_values(variant: MirrorVariant | None, effective, owed: int, waiting: int, supply: list) -> dict:
    if variant is None:  # deleted from the mirror: nothing can be sold
        return {"purchasable": False, "enabled": False}
    product = variant.product
    tracked = product.inventory_tracking != "none"
    policy = getattr(effective, "policy", None)
    values = {
        "product_id": product.bigcommerce_id,
        "purchasable": not (variant.is_deleted or product.is_deleted or variant.purchasing_disabled),
        "tracked": tracked,
        "on_hand": max((variant.on_hand or 0) - owed, 0) if tracked else None,
        "waiting_units": waiting,
        "supply": supply,
        "policy_id": policy.pk if policy else None,
        "policy_scope": getattr(effective, "level", "") or "",
        "enabled": bool(policy and policy.enabled),
    }
    if policy is None:
        return values
    return values | _policy_values(policy, waiting=waiting)


def _policy_values(policy, *, waiting: int) -> dict:
    """The part of a variant's availability row that comes from its effective policy (`waiting`: the units
    booked at the default location, where a backorder to ship is capped)."""
    from backorder.services.locations import DEFAULT_LOCATION_ID, location_cap

    cap = location_cap(policy, DEFAULT_LOCATION_ID)
    left = None if cap is None else max(cap - waiting, 0)
    return {
        "mode": policy.mode,
        "window_opens_on": policy.preorder_starts_on,
        "window_closes_on": policy.preorder_ends_on,
        "backorder_units_left": left,
        "max_per_order": policy.max_per_order,
        "fallback_date": policy.fixed_ship_date,
        "lead_time_days": policy.lead_time_days,
        "lead_time_business_days": policy.lead_time_business_days,
        "button_label": policy.button_label,
        "product_message": policy.product_message,
        "cart_message": policy.cart_message,
        "shipping_preference": policy.shipping_preference,
    }


def availability_row_under(*, row: VariantAvailability, effective) -> VariantAvailability:
    """A copy of a variant's availability row as it would be if `effective` (an EffectivePolicy, possibly
    naming an unsaved policy) applied: stock, queue and incoming units stay; the policy's part changes.
    Nothing is saved; previews answer from it with `availability_answer`."""
    copy = VariantAvailability(
        **{f.attname: getattr(row, f.attname, None) for f in VariantAvailability._meta.fields}
    )  # `row` may be a light row of the storefront's SELECT (no id, no computed_at)
    policy = getattr(effective, "policy", None)
    copy.policy_id = policy.pk if policy else None
    copy.policy_scope = getattr(effective, "level", "") or ""
    copy.enabled = bool(policy and policy.enabled)
    if policy is not None:
        from backorder.services.locations import booked_at, locations_under

        for name, value in _policy_values(policy, waiting=booked_at(row)).items():
            setattr(copy, name, value)
        copy.locations = locations_under(row.locations, policy)
    return copy


def policy_pending_annotated(rows: QuerySet) -> QuerySet:
    """Availability rows with `policy_pending`: a policy change saved since they were computed may govern them
    (the same test the storefront's one SELECT makes: selectors_storefront._SELECT)."""
    pending = PolicyChangePending.objects.filter(
        Q(scope__in=["store", "category"])
        | Q(scope="product", bigcommerce_id=OuterRef("product_id"))
        | Q(scope="variant", bigcommerce_id=OuterRef("variant_id"))
    )
    return rows.annotate(policy_pending=Exists(pending))


def rows_under_saved_policies(rows: list) -> list:
    """Rows a saved policy change may still be applying to (`policy_pending`) as they are under the policies
    saved now (each variant's effective policy, three queries); the others as they are. So shoppers, the cart
    and order capture never go by an old policy while a large change is applied in the background."""
    pending = [row.variant_id for row in rows if getattr(row, "policy_pending", False)]
    if not pending:
        return rows
    from backorder.selectors import policies_effective_for_variants

    effective = policies_effective_for_variants(variant_ids=pending)
    return [
        availability_row_under(row=row, effective=effective.get(row.variant_id)) if row.variant_id in pending else row
        for row in rows
    ]


def rows_for_customer_group(rows: list, customer_group_id: int) -> list:
    """Availability rows as a shopper of one BigCommerce customer group gets them. The precomputed rows are the
    guests' (group 0: guests and shoppers in no group), so theirs are the rows as they are (under the saved
    policies, rows_under_saved_policies); another group's are each row under the policy that applies to that
    group (three queries, nothing saved): stock, queue and incoming units stay, the policy's part changes."""
    from backorder.models.policy import GUESTS

    if customer_group_id == GUESTS:
        return rows_under_saved_policies(rows)
    from backorder.selectors import policies_effective_for_variants

    effective = policies_effective_for_variants(
        variant_ids=[row.variant_id for row in rows], customer_group_id=customer_group_id
    )
    return [availability_row_under(row=row, effective=effective.get(row.variant_id)) for row in rows]


def availability_refresh_all() -> None:
    """Every variant of the store (after a full sync, or a store-wide policy change)."""
    ids = list(Variant.objects.values_list("bigcommerce_id", flat=True))
    for start in range(0, len(ids), 2000):
        availability_refresh(variant_ids=ids[start : start + 2000])


# -- the cap BigCommerce enforces at checkout ------------------------------------------------------------


def backorder_limits_wanted(rows: list[VariantAvailability], *, location_id: int = 1) -> dict[int, int | None]:
    """BigCommerce's `backorder_limit` for the variants of these rows. Checkout cannot tell customer groups
    apart, so when policies differ by group the limit is the most generous any group gets: open (None) when
    any group's is, else the largest; 0 only when no group may backorder. The widget shows each group its own
    policy, and capture flags a backorder its group's policy does not allow (capture._group_refusals).
    Each location has its own (`location_id`, services/locations.py)."""
    from backorder.models import Policy
    from backorder.selectors import policies_effective_for_groups

    if not rows:
        return {}
    today = store_today()
    limits = {row.variant_id: backorder_limit_for(row, today=today, location_id=location_id) for row in rows}
    named = {group for groups in Policy.objects.exclude(customer_group_ids=[]).values_list(
        "customer_group_ids", flat=True) for group in groups}  # fmt: skip
    if not named:
        return limits
    # Every group a policy names, and (-1) any group none names: only the policies for everyone apply to it.
    effective = policies_effective_for_groups(variant_ids=list(limits), customer_group_ids=[*sorted(named), -1])
    for per_variant in effective.values():
        for row in rows:
            under = availability_row_under(row=row, effective=per_variant.get(row.variant_id))
            limit = backorder_limit_for(under, today=today, location_id=location_id)
            current = limits[row.variant_id]
            limits[row.variant_id] = None if current is None or limit is None else max(current, limit)
    return limits


def backorder_limit_for(
    row: VariantAvailability, *, today: date | None = None, location_id: int | None = None
) -> int | None:
    """BigCommerce's `backorder_limit` for a variant: 0 when backorders are off (or a pre-order window is
    closed), else the policy's unit cap (BigCommerce subtracts what it has already backordered), None when
    unlimited; at one location (`location_id`) the cap there, 0 at a disabled location."""
    if location_id is not None:
        from backorder.services.locations import location_row

        row = location_row(row, location_id, booked=True)
        if row is None:
            return 0
    if not (row.enabled and row.purchasable and row.tracked):
        return 0
    if not preorder_window_open(row=row, today=today or store_today()):
        return 0
    if row.backorder_units_left is None:
        return None
    return row.backorder_units_left + row.waiting_units


def backorder_limits_push_later(*, variant_ids: list[int]) -> None:
    from django.db import connection

    from stores.tasks import enqueue_for_store

    if connection.schema_name != "public":
        enqueue_for_store("backorder.tasks.backorder_limits_push", variant_ids=variant_ids)


def backorder_limits_push(*, client, variant_ids: list[int]) -> int:
    """Write the caps BigCommerce should enforce, only where they differ from what it has (compare first)."""
    rows = list(VariantAvailability.objects.filter(variant_id__in=variant_ids))
    limits = backorder_limits_wanted(rows, location_id=1)  # the default location (the others: below)
    variants = {
        v.bigcommerce_id: v
        for v in Variant.objects.filter(bigcommerce_id__in=variant_ids, is_deleted=False).select_related("product")
    }
    settings_items, changed = [], []
    for row in rows:
        variant = variants.get(row.variant_id)
        if variant is None or variant.product.inventory_tracking == "none":
            continue
        wanted = limits[row.variant_id]
        if wanted == variant.backorder_limit:
            continue
        identity = (
            {"product_id": variant.product.bigcommerce_id}
            if variant.product.inventory_tracking == "product"
            else {"variant_id": variant.bigcommerce_id}
        )
        settings_items.append({"identity": identity, "backorder_limit": wanted})
        variant.backorder_limit = wanted
        changed.append(variant)
    for start in range(0, len(settings_items), 2000):
        client.put("/v3/inventory/locations/1/items", json={"settings": settings_items[start : start + 2000]})
    Variant.objects.bulk_update(changed, ["backorder_limit"])
    from backorder.services.locations import backorder_limits_push_at_locations

    return len(changed) + backorder_limits_push_at_locations(client=client, rows=rows)


# -- the storefront answer (ARCHITECTURE.md, "Availability JSON") ------------------------------------------


def availability_answer(
    *, rows: list[VariantAvailability], product_id: int, variant_id: int | None, quantity: int, language: str,
    today: date,
) -> dict:  # fmt: skip
    """The contract JSON for a product (and variant) and a requested quantity. Without a variant id, a
    product with one variant answers for it; a product with options answers for the product as a whole:
    the best state any variant offers (`variant_id` null)."""
    if variant_id is None and len(rows) == 1:
        variant_id = rows[0].variant_id
    if variant_id is not None:
        row = next(r for r in rows if r.variant_id == variant_id)
        return _answer(row=row, product_id=product_id, quantity=quantity, language=language, today=today)
    answers = [_answer(row=r, product_id=product_id, quantity=quantity, language=language, today=today) for r in rows]
    rank = {IN_STOCK: 0, BACKORDER: 1, PREORDER: 1, UNAVAILABLE: 2}
    best = min(answers, key=lambda a: (rank[a["state"]], a["expected_ship_date"] or "9999-12-31"))
    return best | {"variant_id": None}


def _answer(*, row: VariantAvailability, product_id: int, quantity: int, language: str, today: date) -> dict:
    from backorder import texts

    state = state_for(row=row, quantity=quantity, today=today)
    on_hand = row.on_hand if row.tracked else None
    available = row.backorder_units_left if row.enabled else 0
    if state in (IN_STOCK, UNAVAILABLE):
        ready = quantity if state == IN_STOCK else 0
        projection = Projection(ready=ready, backordered=0, ship_date=None)
    else:
        projection = project(row=row, quantity=quantity, today=today)
    label = (row.button_label if state in (BACKORDER, PREORDER) else "") or texts.BUTTON[language][state]
    message = ""
    if state in (BACKORDER, PREORDER):
        template = row.product_message or (
            texts.MESSAGE[language][state] if projection.ship_date else texts.MESSAGE[language]["no_date"]
        )
        message = texts.render(
            template, ship_date=projection.ship_date, quantity=projection.backordered, today=today, language=language
        )
    elif state == UNAVAILABLE and row.tracked:
        message = texts.MESSAGE[language]["unavailable"]
    return {
        "product_id": product_id,
        "variant_id": row.variant_id,
        "state": state,
        "on_hand": on_hand,
        "backorder_available": available if row.tracked else None,
        "requested_quantity": quantity,
        "ready_to_ship": projection.ready,
        "backordered": projection.backordered,
        "button_label": label,
        "message": message,
        "expected_ship_date": projection.ship_date.isoformat() if projection.ship_date else None,
        "shipping_preference": row.shipping_preference if state in (BACKORDER, PREORDER) else None,
    }


# -- dates of the backorders already waiting --------------------------------------------------------------


def backorders_reschedule(*, variant_ids: Iterable[int], today: date | None = None) -> int:
    """Waiting backorders get the date their units will actually arrive, walking the queue in FIFO order
    through on-hand, incoming purchase-order units and the lead time; each change is on the timeline
    (later than promised = "delayed", earlier = "brought_forward", for the notifications to act on)."""
    from backorder.services.lifecycle import backorder_event_record

    today = today or store_today()
    ids = sorted(set(variant_ids))
    rows = {row.variant_id: row for row in VariantAvailability.objects.filter(variant_id__in=ids)}
    queue = Backorder.objects.filter(variant_id__in=ids, status=Backorder.Status.WAITING).order_by(
        "variant_id", "order_created_at", "order_id", "order_line_id"
    )
    changed, ahead_by_variant = [], {}
    for backorder in queue:
        row = rows.get(backorder.variant_id)
        if row is None:
            continue
        queue_key = backorder.variant_id
        if backorder.pickup and row.locations:  # collected at its location: that location's queue and stock
            from backorder.services.locations import location_row

            row = location_row(row, backorder.location_id) or row
            queue_key = (backorder.variant_id, backorder.location_id)
        ahead = ahead_by_variant.get(queue_key, 0)
        need = backorder.quantity - backorder.quantity_allocated
        # this backorder's own waiting units are not "ahead" of it: measure the queue before it
        projection = project(row=_without_queue(row), quantity=need, today=today, queue_ahead=ahead)
        new_date = projection.ship_date if projection.backordered else today
        ahead_by_variant[queue_key] = ahead + need
        if new_date != backorder.expected_ship_date:
            old = backorder.expected_ship_date
            backorder.expected_ship_date = new_date
            changed.append(backorder)
            kind = "date_changed"
            if old and new_date and new_date > old:
                kind = "delayed"
            elif old and new_date and new_date < old:
                kind = "brought_forward"
            elif old and new_date is None:
                kind = "delayed"
            backorder_event_record(
                backorder=backorder,
                kind=kind,
                details={"from": old.isoformat() if old else None, "to": new_date.isoformat() if new_date else None},
            )
    Backorder.objects.bulk_update(changed, ["expected_ship_date", "updated_at"])
    return len(changed)


def _without_queue(row: VariantAvailability) -> VariantAvailability:
    """The row as if nobody were waiting yet (the caller walks the queue itself)."""
    copy = VariantAvailability(**{f.attname: getattr(row, f.attname) for f in VariantAvailability._meta.fields})
    copy.waiting_units = 0
    return copy


def cart_summary(*, answers: list[dict]) -> dict:
    """A cart is unavailable if any line is, in stock if every line is, else on backorder (pre-order if
    any line is one); it ships by its latest line's date (unknown if any backordered line's date is); the
    shopper may choose how to ship when the cart mixes lines and a backordered line's policy lets them."""
    states = {answer["state"] for answer in answers}
    waiting = [answer for answer in answers if answer["state"] in (BACKORDER, PREORDER)]
    known = all(answer["expected_ship_date"] for answer in waiting)
    if UNAVAILABLE in states:
        state = UNAVAILABLE
    elif states == {IN_STOCK}:
        state = IN_STOCK
    else:
        state = PREORDER if PREORDER in states else BACKORDER
    return {
        "state": state,
        "lines": answers,
        "ships_by": max(answer["expected_ship_date"] for answer in waiting) if waiting and known else None,
        "ships_by_known": known,
        "shipping_choice_offered": len(answers) > 1
        and any(answer["shipping_preference"] == "shopper_chooses" for answer in waiting),
        "shipping_choice": None,
    }
