"""Backorders from BigCommerce orders: capture, cancellation and shipment follow-up, and the state written
back onto the order.

Rules (ARCHITECTURE.md, "Inventory model"):
- An order counts once it is placed (PLACED_STATUSES); then each of its lines with backordered units becomes
  one Backorder, exactly once per (order id, order line id).
- Incomplete, Pending and Declined orders create nothing. An order that becomes Cancelled, Refunded,
  Declined or archived cancels its backorders, which releases their units.
- Units BigCommerce refunds come off the line's not-yet-shipped backordered units first: the backorder's
  quantity goes down, or it is cancelled when none of its units is left (services/refunds.py).
- A backorder whose line BigCommerce has shipped in full is shipped, allocated or not.
- A backorder goes by the policy of the order's customer group (the customer's group as BigCommerce says when
  it is captured; a guest's is 0). Checkout cannot tell groups apart, so a line its group's policy does not
  allow is still captured (BigCommerce sold it) and the merchant gets a task to keep or cancel it.
- A backorder waits where BigCommerce booked its units: an order to collect (its lines name a pickup
  consignment) at the pickup location, any other at the default location (services/locations.py).
- The app's view of the order goes back to BigCommerce as one app-only metafield and one staff-note line,
  each compared before writing, so the `store/order/updated` webhook our own write causes changes nothing.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from backorder.models import Backorder, BackorderEvent, CartChoice, Policy, Variant
from backorder.models.policy import GUESTS
from backorder.services.lifecycle import backorder_event_record, backorder_transition
from stores.bigcommerce import errors

logger = logging.getLogger(__name__)

Status = Backorder.Status
BIGCOMMERCE = BackorderEvent.Actor.BIGCOMMERCE

# BigCommerce order statuses (research/bigcommerce.md §6.2).
INCOMPLETE, PENDING, SHIPPED, PARTIALLY_SHIPPED, REFUNDED, CANCELLED, DECLINED = 0, 1, 2, 3, 4, 5, 6
AWAITING_PAYMENT, AWAITING_PICKUP, AWAITING_SHIPMENT, COMPLETED, AWAITING_FULFILLMENT = 7, 8, 9, 10, 11
MANUAL_VERIFICATION_REQUIRED = 12

PLACED_STATUSES = frozenset(
    {
        AWAITING_PAYMENT,
        AWAITING_FULFILLMENT,
        AWAITING_SHIPMENT,
        AWAITING_PICKUP,
        MANUAL_VERIFICATION_REQUIRED,
        PARTIALLY_SHIPPED,
        SHIPPED,
        COMPLETED,
    }
)
CANCELLING_STATUSES = {CANCELLED: "cancelled", REFUNDED: "refunded", DECLINED: "declined"}
ARCHIVED = "Order archived in BigCommerce"

ACTIVE = (Status.WAITING, Status.ALLOCATED)
SHOPPER_SHIPPING_CHOICES = (Policy.ShippingPreference.TOGETHER, Policy.ShippingPreference.AVAILABLE_FIRST)


@dataclass
class CaptureResult:
    """What one pass over an order did; `order` is the order as read (reused by the write-back)."""

    order_id: int
    found: bool = True
    status_id: int | None = None
    created: list[Backorder] = field(default_factory=list)
    cancelled: int = 0
    refunded: int = 0
    shipped: int = 0
    order: dict | None = None


def order_ids_in(payloads: list[dict]) -> tuple[list[int], set[int]]:
    """The distinct order ids of a batch of order and shipment webhooks, in first-seen order, and those
    of them that were archived. Other `store/order/...` events (metafields, transactions) carry no order
    of ours to re-read and are ignored."""
    order_ids: dict[int, None] = {}
    archived: set[int] = set()
    for payload in payloads:
        scope = str(payload.get("scope") or "")
        data = payload.get("data") or {}
        if scope.startswith("store/shipment/"):
            raw = data.get("orderId")
        elif data.get("type") == "order":
            raw = data.get("id")
        else:
            continue
        try:
            order_id = int(raw)
        except (TypeError, ValueError):
            logger.warning("Webhook %s without a usable order id: %r", scope, data)
            continue
        order_ids.setdefault(order_id, None)
        if scope == "store/order/archived":
            archived.add(order_id)
    return list(order_ids), archived


# -- capture ----------------------------------------------------------------------------------------------


@transaction.atomic
def order_sync(*, client, order_id: int, archived: bool = False, native_backorders: bool = True) -> CaptureResult:
    """Bring the app's backorders of one order in line with BigCommerce.

    A placed order gets one Backorder per backordered line (once); a cancelled, refunded, declined or
    archived one has its backorders cancelled; units refunded on a line come off its backorder (partial
    refunds, whatever the order's status: services/refunds.py); lines BigCommerce shipped in full make their
    backorders shipped. `archived` says an archive webhook arrived: it cancels the backorders when the order can no
    longer be read (when it can, the order's current `is_deleted` decides). `native_backorders` is the
    store's setting: without native backorders, backordered units come from the stock mirror
    (see `_backordered_units`).
    """
    try:
        order = client.get(f"/v2/orders/{order_id}")
    except errors.NotFoundError:
        result = CaptureResult(order_id=order_id, found=False)
        if archived:
            result.cancelled = _order_backorders_cancel(order_id=order_id, reason=ARCHIVED)
        logger.info("Order %s not found in BigCommerce; nothing to capture", order_id)
        return result
    status_id = int(order.get("status_id") or 0)
    result = CaptureResult(order_id=order_id, status_id=status_id, order=order)

    reason = _cancelling_reason(order)
    if reason:
        result.cancelled = _order_backorders_cancel(client=client, order_id=order_id, reason=reason)
        return result
    placed = status_id in PLACED_STATUSES
    # An order we captured keeps being followed for shipments whatever its status does next (Partially
    # Refunded, Disputed, back to Pending…); one we never captured matters only once placed.
    if not placed and not Backorder.objects.filter(order_id=order_id, status__in=ACTIVE).exists():
        return result

    lines = list(client.iter_v2(f"/v2/orders/{order_id}/products"))
    if placed:
        result.created = _backorders_capture(
            client=client, order=order, lines=lines, native_backorders=native_backorders
        )
    from backorder.services.refunds import order_refunds_follow

    result.refunded = len(order_refunds_follow(client=client, order_id=order_id, lines=lines))
    shipped = _shipments_follow(client=client, order_id=order_id, lines=lines)
    result.shipped = len(shipped)

    waiting_variants = sorted({b.variant_id for b in result.created if b.quantity_waiting})
    if waiting_variants:
        # Stock may already be there (a restock before the order was captured): let allocation look.
        from backorder.services.allocation import allocation_run

        for variant_id in waiting_variants:
            allocation_run(variant_id=variant_id, source="capture")
    shipped_variants = sorted({b.variant_id for b in shipped})
    if shipped_variants:  # (capture's stock re-read already refreshed the variants it captured)
        from backorder.services.availability import availability_refresh

        availability_refresh(variant_ids=shipped_variants)
    return result


def _cancelling_reason(order: dict) -> str:
    if order.get("is_deleted"):
        return ARCHIVED
    status = CANCELLING_STATUSES.get(int(order.get("status_id") or 0))
    return f"Order {status} in BigCommerce" if status else ""


def _order_backorders_cancel(*, client=None, order_id: int, reason: str) -> int:
    """Cancel the order's open backorders (releasing their units); nothing to do costs one query.

    Archiving moves no stock in BigCommerce, so the release also takes the units out of its qty_backordered;
    a cancellation, refund or decline is taken to have released them in BigCommerce already (if it did not,
    qty_backordered stays too high: the cap is then too tight, never too loose). When allocated units are
    released, the stock mirror is re-read first: BigCommerce's qty_backordered stops at zero, and the release
    must not put back units it never took off (cancellation.bigcommerce_unreleased_units)."""
    products = set(
        Backorder.objects.filter(order_id=order_id, status__in=ACTIVE).values_list("product_id", "quantity_allocated")
    )
    if not products:
        return 0
    from backorder.services.cancellation import backorders_cancel_for_order

    if client is not None and reason != ARCHIVED and any(allocated for _, allocated in products):
        from backorder import sync

        sync.products_refresh(client=client, product_ids={product_id for product_id, _ in products})

    return backorders_cancel_for_order(
        order_id=order_id, reason=reason, actor=BIGCOMMERCE, bigcommerce_released_stock=reason != ARCHIVED
    )


def _backorders_capture(*, client, order: dict, lines: list[dict], native_backorders: bool) -> list[Backorder]:
    """One Backorder per line with backordered units; lines already captured are left as they are."""
    order_id = int(order["id"])
    mirror = _mirror_on_hand(lines) if _needs_mirror(lines, native_backorders) else {}
    wanted: list[tuple[dict, int, str]] = []
    for line in lines:
        if not line.get("variant_id"):
            logger.info("Order %s line %s has no variant (custom product); not a backorder", order_id, line.get("id"))
            continue
        quantity, source = _backordered_units(line, native_backorders=native_backorders, mirror=mirror)
        if quantity > 0:
            wanted.append((line, quantity, source))
    if not wanted:
        return []
    known = set(Backorder.objects.filter(order_id=order_id).values_list("order_line_id", flat=True))
    wanted = [item for item in wanted if int(item[0]["id"]) not in known]
    if not wanted:
        return []

    from backorder import sync
    from backorder.services.availability import ship_date_for_new_backorder
    from backorder.services.policies import policies_effective_for_variants

    # The mirror may not know yet what this order took from stock (its stock webhook can come later):
    # re-read the stock first, so that dates and allocation count BigCommerce's on-hand after the order.
    sync.products_refresh(client=client, product_ids={int(line.get("product_id") or 0) for line, _, _ in wanted})
    variant_ids = sorted({int(line["variant_id"]) for line, _, _ in wanted})
    grouped = Policy.objects.exclude(customer_group_ids=[]).exists()  # some policy is for certain customer groups
    group = _order_customer_group(client=client, order=order) if grouped else GUESTS
    effective = policies_effective_for_variants(variant_ids=variant_ids, customer_group_id=group)
    refusals = _group_refusals(group=group, wanted=wanted) if grouped else {}
    pickup_at = _pickup_locations(client=client, order_id=order_id, lines=[line for line, _, _ in wanted])
    cart_id = str(order.get("cart_id") or "")[:64]
    choice = CartChoice.objects.filter(cart_id=cart_id).first() if cart_id else None
    ordered_at = _rfc2822(order.get("date_created")) or timezone.now()
    billing = order.get("billing_address") or {}
    created = []
    for line, quantity, source in wanted:
        variant_id, line_id = int(line["variant_id"]), int(line["id"])
        policy = getattr(effective.get(variant_id), "policy", None)
        location_id = pickup_at.get(line_id)
        ship_date = ship_date_for_new_backorder(
            variant_id=variant_id,
            quantity=quantity,
            queue_ahead=_queue_ahead(
                variant_id=variant_id,
                ordered_at=ordered_at,
                order_id=order_id,
                line_id=line_id,
                pickup_location_id=location_id,
            ),
            pickup_location_id=location_id,
            customer_group_id=group,
        )
        backorder, is_new = Backorder.objects.get_or_create(
            order_id=order_id,
            order_line_id=line_id,
            defaults={
                "order_created_at": ordered_at,
                "cart_id": cart_id,
                "channel_id": int(order.get("channel_id") or 1),
                **({"location_id": location_id, "pickup": True} if location_id is not None else {}),
                "product_id": int(line.get("product_id") or 0),
                "variant_id": variant_id,
                "sku": str(line.get("sku") or "")[:255],
                "product_name": str(line.get("name") or "")[:255],
                "quantity": quantity,
                "customer_id": int(order.get("customer_id") or 0),
                "customer_email": str(billing.get("email") or "")[:254],
                "customer_name": " ".join(filter(None, [billing.get("first_name"), billing.get("last_name")]))[:200],
                "customer_locale": str(order.get("customer_locale") or "")[:10],
                "unit_price": _money(line.get("price_inc_tax") or line.get("base_price")),
                "currency": str(order.get("currency_code") or "USD")[:3],
                "shipping_preference": _shipping_preference(choice, policy),
                "policy": _policy_snapshot(effective.get(variant_id)) | {"customer_group_id": group},
                "promised_ship_date": ship_date,
                "expected_ship_date": ship_date,
            },
        )
        if not is_new:
            continue
        backorder_event_record(
            backorder=backorder,
            kind="captured",
            actor=BIGCOMMERCE,
            to_status=backorder.status,
            details={
                "order_id": order_id,
                "order_line_id": line_id,
                "quantity": quantity,
                "quantity_ordered": int(line.get("quantity") or 0),
                # BigCommerce released these from quantity_backordered already (services/refunds.py)
                "quantity_refunded": int(line.get("quantity_refunded") or 0),
                "source": source,
                "promised_ship_date": ship_date.isoformat() if ship_date else None,
                "customer_group_id": group,
            },
        )
        if refusal := refusals.get(line_id):
            _group_not_allowed(backorder=backorder, group=group, reason=refusal)
        created.append(backorder)
    return created


def _order_customer_group(*, client, order: dict) -> int:
    """The customer group whose policies the order's backorders follow (asked only where some policy is for
    certain groups): its customer's group now (orders carry only the customer id, so BigCommerce is asked), 0 for
    a guest. Without the customers scope the guests' policies apply, as they did before groups."""
    from stores.bigcommerce.customers import customer_group_of

    customer_id = int(order.get("customer_id") or 0)
    if not customer_id:
        return GUESTS
    try:
        return customer_group_of(client=client, customer_id=customer_id)
    except errors.ForbiddenScopeError:
        logger.warning("No customers scope: order %s goes by the guests' policies", order.get("id"))
        return GUESTS


def _group_refusals(*, group: int, wanted: list[tuple[dict, int, str]]) -> dict[int, str]:
    """The lines whose backordered units the policy of the order's customer group does not allow (order line
    id -> why). BigCommerce's limit is the most generous any group gets (availability.backorder_limits_wanted),
    so checkout may accept units a group's own policy refuses: its policy is off (or a pre-order window
    closed), or the units exceed its per-order cap or what its cap leaves (asked only where policies differ by
    group). A line checks against what the order's earlier lines of the variant already took."""
    from backorder.models import VariantAvailability
    from backorder.services.availability import preorder_window_open, rows_for_customer_group, store_today

    variant_ids = {int(line["variant_id"]) for line, _, _ in wanted}
    rows = {row.variant_id: row for row in rows_for_customer_group(
        list(VariantAvailability.objects.filter(variant_id__in=variant_ids)), group)}  # fmt: skip
    today, taken, refusals = store_today(), dict.fromkeys(variant_ids, 0), {}
    for line, quantity, _source in wanted:
        variant_id = int(line["variant_id"])
        row = rows.get(variant_id)
        if row is None:
            continue
        taken[variant_id] += quantity
        if not row.enabled:
            refusals[int(line["id"])] = "Its customer group's policy does not sell it beyond stock."
        elif not preorder_window_open(row=row, today=today):
            refusals[int(line["id"])] = "Its customer group's pre-order window is closed."
        elif row.max_per_order is not None and quantity > row.max_per_order:
            refusals[int(line["id"])] = f"Its customer group may backorder {row.max_per_order} per order."
        elif row.backorder_units_left is not None and taken[variant_id] > row.backorder_units_left:
            refusals[int(line["id"])] = f"Its customer group's cap left {row.backorder_units_left} units."
    return refusals


def _group_not_allowed(*, backorder: Backorder, group: int, reason: str) -> None:
    """A backorder its customer group's policy does not allow: on its timeline, and a task for the merchant to
    keep it or cancel it (the app never cancels a paid order on its own)."""
    from backorder.models import MerchantTask

    details = {"customer_group_id": group, "reason": reason}
    backorder_event_record(backorder=backorder, kind="group_not_allowed", actor=BIGCOMMERCE, details=details)
    MerchantTask.objects.get_or_create(
        backorder=backorder, kind=MerchantTask.Kind.GROUP_NOT_ALLOWED,
        defaults={"order_id": backorder.order_id, "details": details},
    )  # fmt: skip


def _pickup_locations(*, client, order_id: int, lines: list[dict]) -> dict[int, int]:
    """The pickup location of each line to collect (order line id -> location id): lines of a pickup
    consignment carry its id in `order_pickup_method_id`, and the order's consignments name its location
    (one more request, only for an order to collect)."""
    if not any(line.get("order_pickup_method_id") for line in lines):
        return {}
    consignments = client.get(f"/v2/orders/{order_id}/consignments") or {}
    location_of = {
        int(pickup["id"]): int(pickup["location"]["id"])
        for pickup in (consignments.get("pickups") or [] if isinstance(consignments, dict) else [])
        if (pickup.get("location") or {}).get("id") is not None
    }
    return {
        int(line["id"]): location_of[int(line["order_pickup_method_id"])]
        for line in lines
        if int(line.get("order_pickup_method_id") or 0) in location_of
    }


def _needs_mirror(lines: list[dict], native_backorders: bool) -> bool:
    return any(
        line.get("variant_id") and (not native_backorders or "quantity_backordered" not in line) for line in lines
    )


def _mirror_on_hand(lines: list[dict]) -> dict[int, int | None]:
    ids = {int(line["variant_id"]) for line in lines if line.get("variant_id")}
    return dict(Variant.objects.filter(bigcommerce_id__in=ids).values_list("bigcommerce_id", "on_hand"))


def _backordered_units(line: dict, *, native_backorders: bool, mirror: dict[int, int | None]) -> tuple[int, str]:
    """How many units of an order line were sold beyond stock, and where that number came from.

    With native backorders BigCommerce says so itself: `quantity_backordered`. Without them (or when the
    field is missing) the rule is: the units of the line beyond the stock mirror's on-hand, that on-hand
    being shared by the order's lines of the same variant in line order. Limits: the mirror is only as
    fresh as the last stock webhook, and if it has already absorbed this order's own stock movement the
    count is too high; a variant unknown to the mirror, or not tracked, counts as nothing backordered.
    Captured once, never recomputed (the first capture wins).
    """
    quantity = int(line.get("quantity") or 0)
    if native_backorders and "quantity_backordered" in line:
        return max(0, min(quantity, int(line.get("quantity_backordered") or 0))), "quantity_backordered"
    variant_id = int(line["variant_id"])
    if variant_id not in mirror or mirror[variant_id] is None:
        return 0, "stock_mirror"
    on_hand = max(0, mirror[variant_id] or 0)
    from_stock = min(quantity, on_hand)
    mirror[variant_id] = on_hand - from_stock
    return quantity - from_stock, "stock_mirror"


def _queue_ahead(
    *, variant_id: int, ordered_at: datetime, order_id: int, line_id: int, pickup_location_id: int | None = None
) -> int:
    """Waiting units of the variant that come before this line in FIFO order (for a line to collect, those
    waiting at its pickup location)."""
    before = (
        Q(order_created_at__lt=ordered_at)
        | Q(order_created_at=ordered_at, order_id__lt=order_id)
        | Q(order_created_at=ordered_at, order_id=order_id, order_line_id__lt=line_id)
    )
    if pickup_location_id is not None:
        before &= Q(pickup=True, location_id=pickup_location_id)
    units = (
        Backorder.objects.filter(before, variant_id=variant_id, status=Status.WAITING)
        .aggregate(units=Sum(F("quantity") - F("quantity_allocated")))
        .get("units")
    )
    return int(units or 0)


def _shipping_preference(choice: CartChoice | None, policy: Policy | None) -> str:
    """The shopper's choice in the cart wins; else the policy's, when it is a choice rather than "ask"."""
    if choice is not None and choice.shipping_preference in SHOPPER_SHIPPING_CHOICES:
        return choice.shipping_preference
    if policy is not None and policy.shipping_preference in SHOPPER_SHIPPING_CHOICES:
        return policy.shipping_preference
    return Policy.ShippingPreference.TOGETHER


def _policy_snapshot(effective: Any) -> dict:
    """The policy that applied, as at order time (it may change or disappear later)."""
    level = getattr(effective, "level", None)
    level = level if level is None or isinstance(level, int | str) else str(level)
    policy = getattr(effective, "policy", None)
    if policy is None:
        return {"id": None, "level": level}
    return {
        "id": policy.pk,
        "level": level,
        "scope": policy.scope,
        "bigcommerce_id": policy.bigcommerce_id,
        "customer_group_ids": list(policy.customer_group_ids),
        "enabled": policy.enabled,
        "mode": policy.mode,
        "preorder_starts_on": _iso(policy.preorder_starts_on),
        "preorder_ends_on": _iso(policy.preorder_ends_on),
        "lead_time_days": policy.lead_time_days,
        "lead_time_business_days": policy.lead_time_business_days,
        "fixed_ship_date": _iso(policy.fixed_ship_date),
        "shipping_preference": policy.shipping_preference,
        "shopper_may_cancel": policy.shopper_may_cancel,
        "incentive_percent": str(policy.incentive_percent) if policy.incentive_percent is not None else None,
        "incentive_trigger": policy.incentive_trigger,
        "incentive_after_days": policy.incentive_after_days,
    }


# -- shipments ----------------------------------------------------------------------------------------------


def _shipments_follow(*, client, order_id: int, lines: list[dict]) -> list[Backorder]:
    """A backorder whose line BigCommerce has shipped in full is shipped (with the tracking number); one
    that still waited for stock is shipped too, with a timeline note that BigCommerce shipped it unallocated.
    Partly shipped lines only update `quantity_shipped` (the in-stock units of a line ship first; a line with
    refunds counts its in-stock units from the quantity as captured, services/refunds.py)."""
    open_backorders = list(
        Backorder.objects.select_for_update().filter(order_id=order_id, status__in=ACTIVE).order_by("order_line_id")
    )
    if not open_backorders:
        return []
    by_line = {int(line["id"]): line for line in lines if line.get("id") is not None}
    history = None
    if any(line.get("quantity_refunded") and line.get("quantity_shipped") for line in by_line.values()):
        from backorder.services.refunds import refund_history

        history = refund_history([b.pk for b in open_backorders])
    shipments: list[dict] | None = None
    shipped = []
    for backorder in open_backorders:
        line = by_line.get(backorder.order_line_id)
        if line is None:
            continue
        ordered = int(line.get("quantity") or 0)
        to_ship = ordered - int(line.get("quantity_refunded") or 0)
        line_shipped = int(line.get("quantity_shipped") or 0)
        if to_ship <= 0 or line_shipped <= 0:
            continue
        if line_shipped < to_ship:
            in_stock = ordered - backorder.quantity
            if history is not None:
                from backorder.services.refunds import line_in_stock_units

                in_stock = line_in_stock_units(backorder, line, history.get(backorder.pk, (0, 0)))
            units = max(0, min(backorder.quantity, line_shipped - in_stock))
            if units != backorder.quantity_shipped:
                backorder.quantity_shipped = units
                backorder.save(update_fields=["quantity_shipped", "updated_at"])
                backorder_event_record(
                    backorder=backorder, kind="shipped_partly", actor=BIGCOMMERCE, details={"quantity_shipped": units}
                )
            continue
        if shipments is None:
            shipments = list(client.iter_v2(f"/v2/orders/{order_id}/shipments"))
        tracking = [
            str(s.get("tracking_number") or "")
            for s in shipments
            if any(int(i.get("order_product_id") or 0) == backorder.order_line_id for i in s.get("items") or [])
        ]
        if backorder.quantity_waiting:
            backorder_event_record(
                backorder=backorder,
                kind="shipped_unallocated",
                actor=BIGCOMMERCE,
                details={"units_not_allocated": backorder.quantity_waiting},
            )
        backorder.quantity_shipped = backorder.quantity
        backorder_transition(
            backorder=backorder,
            to_status=Status.SHIPPED,
            kind="shipped",
            actor=BIGCOMMERCE,
            details={"tracking_number": next((t for t in reversed(tracking) if t), "")},
            save_fields=("quantity_shipped",),
        )
        shipped.append(backorder)
    return shipped


# -- write-back ---------------------------------------------------------------------------------------------

METAFIELD_NAMESPACE = "backorder"
METAFIELD_KEY = "state"
STAFF_NOTE_PREFIX = "Backorder: "
_STAFF_NOTE_LINE = re.compile(r"^Backorder: .*\(updated \d{4}-\d{2}-\d{2}\)$")
_UPDATED_SUFFIX = re.compile(r"\s*\(updated \d{4}-\d{2}-\d{2}\)$")


@dataclass
class WriteBackResult:
    metafield: str = "none"  # none (no backorders), unchanged, created, updated
    staff_note_written: bool = False


def order_state_write_back(
    *, client, order_id: int, order: dict | None = None, today: date | None = None
) -> WriteBackResult:
    """Show the app's state on the BigCommerce order: an app-only metafield (`backorder`/`state`, JSON of
    the lines) and one staff-note line, each written only when it differs from what is there. Our line is
    replaced in place; the merchant's own notes are kept. An order without backorders is left untouched
    (no request at all). `order` is the order as just read, to spare a read."""
    backorders = list(Backorder.objects.filter(order_id=order_id).order_by("order_line_id"))
    result = WriteBackResult()
    if not backorders:
        return result
    result.metafield = _metafield_write(client=client, order_id=order_id, value=order_state_value(backorders))
    if order is None:
        try:
            order = client.get(f"/v2/orders/{order_id}")
        except errors.NotFoundError:
            logger.info("Order %s not found in BigCommerce; staff note not written", order_id)
            return result
    if today is None:
        from backorder.services.availability import store_today

        today = store_today()
    items_total = int(order.get("items_total") or 0) or sum(b.quantity for b in backorders)
    line = staff_note_line(backorders, items_total=items_total, today=today)
    current = str(order.get("staff_notes") or "")
    merged = staff_notes_merge(current, line)
    if merged is not None:
        client.put(f"/v2/orders/{order_id}", json={"staff_notes": merged})
        result.staff_note_written = True
    return result


def order_state_value(backorders: list[Backorder]) -> str:
    """The metafield value: compact JSON, one entry per order line id."""
    lines = {
        str(b.order_line_id): {
            "status": b.status,
            "quantity": b.quantity,
            "allocated": b.quantity_allocated,
            "expected_ship_date": _iso(b.expected_ship_date),
        }
        for b in backorders
    }
    return json.dumps({"lines": lines}, sort_keys=True, separators=(",", ":"))


def _metafield_write(*, client, order_id: int, value: str) -> str:
    path = f"/v3/orders/{order_id}/metafields"
    existing = _our_metafield(client=client, path=path)
    if existing is None:
        body = {
            "permission_set": "app_only",
            "namespace": METAFIELD_NAMESPACE,
            "key": METAFIELD_KEY,
            "value": value,
            "description": "Backorder app: state of the order's backordered lines",
        }
        try:
            client.post(path, json=body)
            return "created"
        except errors.ConflictError:  # created meanwhile by a concurrent run: update it instead
            existing = _our_metafield(client=client, path=path)
            if existing is None:
                raise
    if _same_json(existing.get("value"), value):
        return "unchanged"
    client.put(f"{path}/{existing['id']}", json={"value": value})
    return "updated"


def _our_metafield(*, client, path: str) -> dict | None:
    for metafield in client.iter_v3(path, {"namespace": METAFIELD_NAMESPACE, "key": METAFIELD_KEY}):
        if metafield.get("namespace") == METAFIELD_NAMESPACE and metafield.get("key") == METAFIELD_KEY:
            return metafield
    return None


def _same_json(a: Any, b: str) -> bool:
    try:
        return json.loads(a) == json.loads(b)
    except (TypeError, ValueError):
        return False


def staff_note_line(backorders: list[Backorder], *, items_total: int, today: date) -> str:
    """One line for the merchant, e.g. `Backorder: 2 of 3 units backordered, expected 2027-03-14
    (updated 2026-11-26)`; once nothing is open it says how many backordered units shipped or were cancelled."""
    active = [b for b in backorders if b.status in ACTIVE]
    if active:
        units = sum(b.quantity for b in active)
        allocated = sum(b.quantity_allocated for b in active)
        text = f"{units} of {_units(items_total)} backordered"
        if allocated >= units:
            text += ", all allocated, ready to ship"
        else:
            if allocated:
                text += f", {allocated} allocated"
            dates = [b.expected_ship_date for b in active if b.quantity_waiting]
            text += f", expected {max(dates).isoformat()}" if dates and None not in dates else ", date not known yet"
    else:
        done = [
            (sum(b.quantity for b in backorders if b.status == status), verb)
            for status, verb in ((Status.SHIPPED, "shipped"), (Status.CANCELLED, "cancelled"))
        ]
        parts = [f"{units} {verb}" for units, verb in done if units]
        first, _, verb = parts[0].partition(" ")
        parts[0] = f"{first} backordered {'unit' if first == '1' else 'units'} {verb}"
        text = ", ".join(parts)
    return f"{STAFF_NOTE_PREFIX}{text} (updated {today.isoformat()})"


def staff_notes_merge(current: str, line: str) -> str | None:
    """The staff notes with our line put in place of our previous one (or added at the end), or None when
    our line already says the same thing (its `updated` date aside): nothing to write."""
    existing = [text for text in current.splitlines() if _STAFF_NOTE_LINE.match(text.strip())]
    if len(existing) == 1 and _UPDATED_SUFFIX.sub("", existing[0].strip()) == _UPDATED_SUFFIX.sub("", line):
        return None
    separator = "\r\n" if "\r\n" in current else "\n"
    kept, placed = [], False
    for text in current.splitlines():
        if _STAFF_NOTE_LINE.match(text.strip()):
            if not placed:
                kept.append(line)
                placed = True
            continue
        kept.append(text)
    if not placed:
        while kept and not kept[-1].strip():
            kept.pop()
        kept.append(line)
    return separator.join(kept)


# -- small parsers ------------------------------------------------------------------------------------------


def _units(n: int) -> str:
    return f"{n} unit" if n == 1 else f"{n} units"


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _rfc2822(value: Any) -> datetime | None:
    """BigCommerce v2 dates, e.g. 'Thu, 20 Jun 2019 16:07:08 +0000' (None when empty or unreadable)."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")
