"""Refunds made in BigCommerce: a shopper who has their money back for backordered units no longer waits
for them, holds no stock for them and keeps no place in the queue for them.

The rule (what BigCommerce's own stock does, research/bigcommerce.md §6.5 and docs/bigcommerce-sandbox.md):
a line's refunded units come off its not-yet-shipped backordered units first, then off its in-stock units;
shipments take the in-stock units first. So of a line of 5 (2 from stock, 3 backordered) a refund of 1 is
one backordered unit: the backorder goes from 3 to 2. Units refunded before the order was first captured
are not in the captured quantity (BigCommerce had already released them from `quantity_backordered`); the
`captured` event records how many there were. A line whose every open backordered unit is refunded has its
backorder cancelled ("Refunded in BigCommerce"); otherwise the backorder's quantity goes down, with a
`partly_refunded` event on its timeline. BigCommerce refunded the money: we never refund anything here.

Idempotent: the units a backorder has had taken off are the sum of its `partly_refunded` events, so a
replayed webhook finds nothing left to do. A refund never gives units back (a later shipment that makes
fewer backordered units look refunded changes nothing).

BigCommerce's stock, each unit counted once (the line has Q open backordered units here, A of them
allocated by us; BigCommerce's refund of r of them releases r from qty_backordered, on-hand unchanged):
- Q - A of the line's units were still in qty_backordered (waiting); A were taken off it (and off on-hand)
  when we allocated them. The refund takes the waiting units first: min(r, Q - A) leave qty_backordered
  rightly; the other x = max(0, r - (Q - A)) were allocated units, which BigCommerce takes off a second
  time, and which are now free stock sitting on our side.
- So the backorder keeps min(A, Q - r) allocated units, and x are released exactly as a cancellation
  releases them (cancellation.py): one adjustment of +(x - n) on on-hand and on qty_backordered, n being the
  units that go on to the next in line. End: on-hand = before + x - n (units nobody waits for are back,
  once); qty_backordered = before - min(r, Q - A) - n (this line's refunded waiting units gone, the next in
  line served).
- qty_backordered never goes below zero in BigCommerce: when it held fewer units than the refund released,
  the difference u was never taken off, and the adjustment adds x - u - n instead
  (cancellation.bigcommerce_unreleased_units). That is why the stock mirror is re-read before.
- In-stock units refunded go back to BigCommerce's on-hand by BigCommerce itself; the re-read mirror then
  sees them and allocation gives them to whoever waits.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import transaction

from backorder import events
from backorder.models import Backorder, BackorderEvent
from backorder.services.allocation import _after_stock_change, _release_locked, variant_lock

logger = logging.getLogger(__name__)

Status = Backorder.Status
BIGCOMMERCE = BackorderEvent.Actor.BIGCOMMERCE
ACTIVE = (Status.WAITING, Status.ALLOCATED)
REFUNDED = "Refunded in BigCommerce"
PARTLY_REFUNDED = "partly_refunded"


def backordered_units_refunded(*, ordered: int, backordered: int, shipped: int, refunded: int) -> int:
    """How many of a line's `backordered` units its `refunded` units are: refunds take the not-yet-shipped
    backordered units first; shipments take the in-stock units (`ordered - backordered`) first."""
    in_stock = max(0, ordered - backordered)
    backordered_shipped = min(backordered, max(0, shipped - in_stock))
    return max(0, min(refunded, backordered - backordered_shipped))


def refund_history(backorder_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per backorder: (units already taken off for refunds, line units refunded before it was captured)."""
    history: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    rows = BackorderEvent.objects.filter(
        backorder_id__in=backorder_ids, kind__in=("captured", PARTLY_REFUNDED)
    ).values_list("backorder_id", "kind", "details")
    for backorder_id, kind, details in rows:
        details = details or {}
        if kind == PARTLY_REFUNDED:
            history[backorder_id][0] += int(details.get("units") or 0)
        else:
            history[backorder_id][1] = int(details.get("quantity_refunded") or 0)
    return {backorder_id: (applied, before) for backorder_id, (applied, before) in history.items()}


def backordered_at_capture(backorder: Backorder, history: tuple[int, int]) -> tuple[int, int]:
    """(The backorder's units as captured, the line's units refunded before the capture)."""
    applied, refunded_before = history
    return backorder.quantity + applied, refunded_before


def _units_to_take_off(backorder: Backorder, line: dict, history: tuple[int, int]) -> int:
    captured, refunded_before = backordered_at_capture(backorder, history)
    refunded = backordered_units_refunded(
        ordered=int(line.get("quantity") or 0) - refunded_before,
        backordered=captured,
        shipped=int(line.get("quantity_shipped") or 0),
        refunded=int(line.get("quantity_refunded") or 0) - refunded_before,
    )
    return min(backorder.quantity, refunded - history[0])


def order_refunds_follow(*, client, order_id: int, lines: list[dict]) -> list[Backorder]:
    """Take the units BigCommerce refunded off the order's open backorders (see the module docstring);
    returns the backorders changed. An order without refunded lines costs nothing (no query)."""
    by_line = {int(line["id"]): line for line in lines if line.get("id") is not None and line.get("quantity_refunded")}
    if not by_line:
        return []
    candidates = list(
        Backorder.objects.filter(order_id=order_id, order_line_id__in=list(by_line), status__in=ACTIVE).order_by(
            "order_line_id"
        )
    )
    history = refund_history([b.pk for b in candidates])
    due = [b for b in candidates if _units_to_take_off(b, by_line[b.order_line_id], history.get(b.pk, (0, 0))) > 0]
    if not due:
        return []

    from backorder import sync

    # BigCommerce's counts after its refund (qty_backordered, and on-hand for refunded in-stock units).
    sync.products_refresh(client=client, product_ids={b.product_id for b in due})
    changed = []
    # Waiting ones first: units an allocated one releases never go to a line that is losing units too.
    for backorder in sorted(due, key=lambda b: (b.quantity_allocated, b.order_line_id)):
        if _take_off(backorder=backorder, line=by_line[backorder.order_line_id]):
            changed.append(backorder)
    variant_ids = sorted({b.variant_id for b in changed})
    if variant_ids:
        from backorder.services.allocation import allocation_for_variants
        from backorder.services.availability import availability_refresh, backorders_reschedule

        allocation_for_variants(variant_ids=variant_ids, source="refund")  # refunded in-stock units came back
        availability_refresh(variant_ids=variant_ids)
        backorders_reschedule(variant_ids=variant_ids)  # the shoppers behind move up the queue
        transaction.on_commit(lambda: _after_stock_change(variant_ids))
    return changed


def _take_off(*, backorder: Backorder, line: dict) -> bool:
    """Under the variant lock: recount what is due (a concurrent run may have done it), then cancel the
    backorder or lower its quantity, releasing allocated units beyond the new quantity to the next in line."""
    from backorder.services.cancellation import backorder_cancel_done_in_bigcommerce, bigcommerce_unreleased_units

    with transaction.atomic():
        variant_lock(backorder.variant_id)
        fresh = Backorder.objects.select_for_update().get(pk=backorder.pk)
        if fresh.status not in ACTIVE:
            return False
        history = refund_history([fresh.pk]).get(fresh.pk, (0, 0))
        units = _units_to_take_off(fresh, line, history)
        if units <= 0:
            return False
        if units >= fresh.quantity:
            done = backorder_cancel_done_in_bigcommerce(backorder=fresh, reason=REFUNDED, actor=BIGCOMMERCE)
            _copy(fresh, backorder)
            return done
        quantity = fresh.quantity - units
        released = max(0, fresh.quantity_allocated - quantity)
        unreleased = bigcommerce_unreleased_units(
            variant_id=fresh.variant_id, released=released, exclude_backorder_id=fresh.pk,
            location_id=fresh.location_id,
        )  # fmt: skip
        was = fresh.status
        fresh.quantity = quantity
        _release_locked(
            backorder=fresh, quantity=released, reason=REFUNDED, actor=BIGCOMMERCE, kind=PARTLY_REFUNDED,
            save_fields=("quantity",), backordered_extra=-unreleased, source="refund",
            details={"units": units, "quantity": quantity, "units_released": released,
                     "line_quantity_refunded": int(line.get("quantity_refunded") or 0)},
        )  # fmt: skip
        if fresh.status == Status.ALLOCATED and was != Status.ALLOCATED:  # what is left is all there: ready to ship
            events.publish("backorders.allocated", backorder_ids=[fresh.pk], source="refund")
        logger.info("Backorder %s: %s refunded unit(s) taken off in BigCommerce's refund", fresh.pk, units)
    _copy(fresh, backorder)
    return True


def _copy(source: Backorder, target: Backorder) -> None:
    for field in ("quantity", "quantity_allocated", "status", "cancellation_reason", "allocated_at", "cancelled_at"):
        setattr(target, field, getattr(source, field))


def line_in_stock_units(backorder: Backorder, line: dict, history: tuple[int, int]) -> int:
    """The line's units that came from stock (they ship first): ordered, less refunds made before capture,
    less the backordered units as captured."""
    captured, refunded_before = backordered_at_capture(backorder, history)
    return max(0, int(line.get("quantity") or 0) - refunded_before - captured)
