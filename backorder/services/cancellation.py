"""Cancelling backorders: who may, what happens to the units, and the shopper's money.

A cancellation (1) releases the backorder's allocated units to the next in line (allocation.py), (2) moves
it to `cancelled` on its timeline, then, after the commit and from a task (no outbound HTTP while a shopper
or BigCommerce waits): (3) sends the stock adjustment, (4) adds one staff-note line to the BigCommerce
order, (5) refunds the cancelled units through the refunds API, or raises a "refund due" task for the
merchant when BigCommerce cannot (a shopper who cancels is always refunded), and (6) sets the order to
Cancelled when every one of its lines is cancelled. The shopper's `cancelled` e-mail waits for that follow-up
(FOLLOW_UP_DONE, with the refund outcome).

When BigCommerce cannot be reached, the shopper is still told, within a bound:
- The store is not connected (uninstalled, needs reconnecting) or BigCommerce refuses its token (the store
  is then marked "needs reconnecting"): the follow-up is settled at once without BigCommerce.
- BigCommerce keeps failing (5xx, no answer, rate limited; a refusal of the refund itself is a "refund due"
  at once): each try is a FOLLOW_UP_FAILED line; the task fails and reconciliation queues it again, until the
  follow-up has been owed for GIVE_UP_AFTER (24 h) with at least GIVE_UP_MIN_ATTEMPTS tries: then settled.
- Settled means: a "refund due" task with the amount (units x unit price: no quote without BigCommerce) and
  FOLLOW_UP_DONE with refund `refund_due` and `bigcommerce: false`; the shopper's e-mail says the store
  refunds them. A follow-up that was not to refund settles with no refund at all.
- Reconnected: reconciliation catches up, for CATCH_UP_FOR (7 days), the stock release, the note and the
  order status of settled follow-ups (FOLLOW_UP_CAUGHT_UP), never a refund: the merchant has the task.
- Reconciliation runs for connected stores only; an hourly job (backorder.tasks
  .cancellations_follow_up_disconnected_all) settles the owed follow-ups of active stores that are not.
- Idempotent: one worker per backorder at a time (a lease: a duplicate task does nothing), the
  settlement and FOLLOW_UP_DONE are written under the backorder's row lock and checked first, the "refund
  due" task is one per backorder, and a follow-up done with BigCommerce is never run again.

BigCommerce's stock at the end (sandbox semantics, docs/bigcommerce-sandbox.md):
- Allocation took units off on-hand and qty_backordered, but BigCommerce's order line still says its units
  are backordered (`quantity_backordered` = Q). A refund of the line, or the order becoming Cancelled,
  releases the line's backordered units first: qty_backordered -= Q, on-hand unchanged.
- So the release adjustment puts the line's A allocated units back as backordered units of the line
  (on-hand +A, qty_backordered +A) netted with any units re-allocated to the next in line (-r, -r): one
  adjustment of +(A - r) on both. It is sent *before* the refund / status change, so qty_backordered is
  never asked to go below zero. End: on-hand = before + A - r (units nobody waited for are back, exactly
  once); qty_backordered = before - (Q - A) - r (this line gone, the next in line served).
- Setting status 5 after a full refund releases nothing more (the line's refunded units are excluded); after
  a failed refund it releases the Q units itself; either way each unit is released once.
- When BigCommerce releases the line first (the order cancelled or refunded there, a line refunded there:
  refunds.py), the adjustment comes after, and qty_backordered may have stopped at zero: BigCommerce took
  off only the Q - A waiting units plus the W units others wait for, not all Q. The adjustment then puts
  back A - (A - W) = W units less the r re-allocated (`bigcommerce_unreleased_units`), so qty_backordered
  ends at W - r either way.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from backorder.models import (
    Allocation,
    Backorder,
    BackorderEvent,
    LocationStock,
    MerchantTask,
    Policy,
    StockAdjustment,
    Variant,
)
from backorder.models.locations import DEFAULT_LOCATION_ID
from backorder.services.allocation import (
    _after_stock_change,
    _release_locked,
    stock_adjustments_send,
    variant_lock,
)
from backorder.services.lifecycle import IllegalTransition, backorder_event_record
from stores.bigcommerce import errors
from stores.leases import TASK_LIFETIME_BOUND, leased

FOLLOW_UP_OWED = "bigcommerce_follow_up_owed"
FOLLOW_UP_DONE = "bigcommerce_follow_up_done"
FOLLOW_UP_FAILED = "bigcommerce_follow_up_failed"  # one per failed try while owed
FOLLOW_UP_CAUGHT_UP = "bigcommerce_follow_up_caught_up"  # a follow-up settled without BigCommerce, done later
# BigCommerce down (5xx, timeouts) for this long and this many tries: the shopper is not kept waiting longer.
GIVE_UP_AFTER = timedelta(hours=24)
GIVE_UP_MIN_ATTEMPTS = 3
CATCH_UP_FOR = timedelta(days=7)  # after a reconnection, how old a settled follow-up may be to be caught up
LEASE_NAMESPACE = "backorder.cancellation_follow_up"
FOLLOW_UP_LEASE = TASK_LIFETIME_BOUND  # the follow-up runs in a task; a killed one frees it this much later

logger = logging.getLogger(__name__)

Status = Backorder.Status
Actor = BackorderEvent.Actor
CANCELLED_STATUS_ID = 5


class CancellationNotAllowed(Exception):
    """The store's policy does not let the shopper cancel this backorder (any more)."""


@dataclass(frozen=True)
class CancelResult:
    backorder: Backorder
    cancelled: bool  # False when it already was: nothing more was done
    units_released: int
    refund_requested: bool


def shopper_may_cancel(backorder: Backorder) -> bool:
    """The policy at order time decides: `until_allocated` (the default) while the backorder is not fully
    allocated, `until_shipped` until it ships, `never` not at all."""
    rule = (backorder.policy or {}).get("shopper_may_cancel") or Policy.Cancellation.UNTIL_ALLOCATED
    if rule == Policy.Cancellation.NEVER:
        return False
    if rule == Policy.Cancellation.UNTIL_ALLOCATED:
        return backorder.status == Status.WAITING
    return backorder.status in (Status.WAITING, Status.ALLOCATED)


def backorder_cancel(
    *, backorder: Backorder, actor: str, actor_label: str = "", reason: str, refund: bool = True
) -> CancelResult:
    """Cancel a backorder: shoppers as their policy allows, merchants and staff until it ships. Its units go
    to the next in line; BigCommerce is told and the shopper refunded after the commit (see the module
    docstring). Cancelling a cancelled backorder does nothing."""
    with transaction.atomic():
        variant_lock(backorder.variant_id)
        fresh = Backorder.objects.select_for_update().get(pk=backorder.pk)
        if fresh.status == Status.CANCELLED:
            return CancelResult(backorder=fresh, cancelled=False, units_released=0, refund_requested=False)
        if fresh.status == Status.SHIPPED:
            raise IllegalTransition(fresh, Status.CANCELLED)
        if actor == Actor.SHOPPER and not shopper_may_cancel(fresh):
            raise CancellationNotAllowed(
                f"This backorder can no longer be cancelled here ({fresh.get_status_display().lower()})."
            )
        # Written with the cancellation: if the process dies before the follow-up is queued, reconciliation
        # finds this and queues it (cancellations_follow_up_sweep), so no refund is ever forgotten.
        backorder_event_record(backorder=fresh, kind=FOLLOW_UP_OWED, details={"refund": refund})
        fresh.cancellation_reason = reason[:200]
        released = _release_locked(
            backorder=fresh, quantity=None, reason=reason, actor=actor, actor_label=actor_label,
            to_status=Status.CANCELLED, kind="cancelled", save_fields=("cancellation_reason",),
        )  # fmt: skip
        transaction.on_commit(lambda: _bigcommerce_follow_up_queue(fresh.pk, refund))
    return CancelResult(backorder=fresh, cancelled=True, units_released=released, refund_requested=refund)


def backorders_cancel_for_order(
    *, order_id: int, reason: str, actor: str = Actor.BIGCOMMERCE, bigcommerce_released_stock: bool = True
) -> int:
    """The order was cancelled, refunded, declined or archived in BigCommerce: cancel its open backorders and
    release their units (no refund and no write-back: BigCommerce and the merchant did that). Returns how
    many were cancelled.

    BigCommerce's cancellation or refund releases the lines' backordered units itself; the release
    adjustment puts the allocated units back as described in the module docstring. When BigCommerce did not
    move stock (`bigcommerce_released_stock=False`, e.g. an archived order) the same adjustment also takes
    the lines' units out of qty_backordered. The order's waiting backorders go first, so that units released
    by its allocated ones never go to a line of the same order that is being cancelled too.
    """
    cancelled, variant_ids = 0, set()
    open_backorders = Backorder.objects.filter(
        order_id=order_id, status__in=(Status.WAITING, Status.ALLOCATED)
    ).order_by("quantity_allocated", "order_line_id")
    for backorder in open_backorders:
        if backorder_cancel_done_in_bigcommerce(
            backorder=backorder, reason=reason, actor=actor, bigcommerce_released_stock=bigcommerce_released_stock
        ):
            cancelled += 1
            variant_ids.add(backorder.variant_id)
    if variant_ids:
        transaction.on_commit(lambda: _after_stock_change(sorted(variant_ids)))
    return cancelled


def backorder_cancel_done_in_bigcommerce(
    *, backorder: Backorder, reason: str, actor: str = Actor.BIGCOMMERCE, bigcommerce_released_stock: bool = True
) -> bool:
    """Cancel one backorder whose line BigCommerce cancelled, refunded or archived: its allocated units go to
    the next in line, and nothing is refunded or written back by us (BigCommerce did it). False when it was
    no longer open. The caller refreshes availability after the commit (`_after_stock_change`)."""
    with transaction.atomic():
        variant_lock(backorder.variant_id)
        fresh = Backorder.objects.select_for_update().get(pk=backorder.pk)
        if fresh.status not in (Status.WAITING, Status.ALLOCATED):
            return False
        if bigcommerce_released_stock:
            extra = -bigcommerce_unreleased_units(
                variant_id=fresh.variant_id, released=fresh.quantity_allocated, exclude_backorder_id=fresh.pk,
                location_id=fresh.location_id,
            )  # fmt: skip
        else:
            extra = -fresh.quantity
        fresh.cancellation_reason = reason[:200]
        _release_locked(
            backorder=fresh, quantity=None, reason=reason, actor=actor, to_status=Status.CANCELLED,
            kind="cancelled", save_fields=("cancellation_reason",), backordered_extra=extra,
        )  # fmt: skip
    for field in ("status", "quantity_allocated", "cancellation_reason", "cancelled_at"):
        setattr(backorder, field, getattr(fresh, field))
    return True


def bigcommerce_unreleased_units(
    *, variant_id: int, released: int, exclude_backorder_id: int, location_id: int = 1
) -> int:
    """Of `released` allocated units of a line BigCommerce has just released (refund, cancellation), how many
    it could not take off qty_backordered because that count reached zero (it never goes negative).

    BigCommerce releases a line's backordered units from qty_backordered, but allocation already took the
    allocated ones off; the release adjustment puts them back (+released). When qty_backordered held fewer
    units than BigCommerce released, the difference was never taken off, so putting it back would count it
    twice. That can only happen when fewer units than `released` wait elsewhere on the variant and
    BigCommerce's count (the mirror, re-read after the refund, plus what we still owe it) is now zero; then
    the units that were not taken off are `released` minus the units the other backorders still wait for.
    A mirror that was not re-read still shows the older, higher count: nothing is corrected, and
    qty_backordered stays too high (the cap too tight, never too loose). BigCommerce counts backordered units
    per location: the count is the one of the location the line was booked at (`location_id`)."""
    if released <= 0:
        return 0
    waiting_elsewhere = (
        Backorder.objects.filter(variant_id=variant_id, status=Status.WAITING, location_id=location_id)
        .exclude(pk=exclude_backorder_id)
        .aggregate(units=Sum(F("quantity") - F("quantity_allocated")))["units"]
        or 0
    )
    if waiting_elsewhere >= released:
        return 0
    if location_id == DEFAULT_LOCATION_ID:
        mirror = Variant.objects.filter(bigcommerce_id=variant_id).values_list("qty_backordered", flat=True).first()
    else:
        mirror = (
            LocationStock.objects.filter(variant_id=variant_id, location_id=location_id)
            .values_list("qty_backordered", flat=True)
            .first()
        )
    owed = (
        StockAdjustment.objects.filter(
            variant_id=variant_id, location_id=location_id,
            status__in=(StockAdjustment.Status.PENDING, StockAdjustment.Status.SENDING),
        ).aggregate(units=Sum("qty_backordered_delta"))["units"]
        or 0
    )  # fmt: skip
    if mirror is None or mirror + owed > 0:
        return 0
    return released - waiting_elsewhere


def _bigcommerce_follow_up_queue(backorder_id: int, refund: bool) -> None:
    from stores.tasks import enqueue_for_store

    enqueue_for_store("backorder.tasks.cancellation_to_bigcommerce", backorder_id=backorder_id, refund=refund)


# -- after the commit: BigCommerce --------------------------------------------------------------------------


def cancellation_to_bigcommerce(*, backorder_id: int, refund: bool, client=None) -> dict:
    """Tell BigCommerce about a cancelled backorder; every step compares before writing, so running it again
    (a retried task) does nothing more. When BigCommerce cannot be reached for good (the store is not
    connected, its token is refused, or it kept failing for GIVE_UP_AFTER and GIVE_UP_MIN_ATTEMPTS tries) the
    follow-up is settled without it: a "refund due" task, and the shopper is told the store refunds them.
    One worker at a time per backorder (a lease): a duplicate task that finds it busy does nothing."""
    backorder = Backorder.objects.get(pk=backorder_id)
    if backorder.status != Status.CANCELLED:
        return {"skipped": True}
    # A lease on the backorder's follow-up, so two tasks never refund it at once.
    with leased(f"{LEASE_NAMESPACE}:{connection.schema_name}:{backorder_id}", ttl=FOLLOW_UP_LEASE) as lease:
        if lease is None:
            return {"busy": True}
        store = None
        if client is None:
            from stores.bigcommerce.connection import client_for
            from stores.models import Store

            store = Store.objects.get(schema_name=connection.schema_name)
            if store.connection != Store.Connection.CONNECTED or not store.access_token:
                reason = f"The store is not connected to BigCommerce ({store.get_connection_display().lower()})."
                return _follow_up_without_bigcommerce(backorder, refund, reason=reason)
            client = client_for(store)
        return _follow_up_with_bigcommerce(backorder, refund, client, store)


def _follow_up_with_bigcommerce(backorder: Backorder, refund: bool, client, store) -> dict:
    settled = _follow_up_done(backorder)
    catching_up = settled is not None and (settled.details or {}).get("bigcommerce") is False
    if settled is not None and not catching_up:
        return dict(settled.details or {})  # done with BigCommerce already: nothing more to do
    if catching_up and backorder.events.filter(kind=FOLLOW_UP_CAUGHT_UP).exists():
        return {"caught_up": True}
    try:
        # Catching up never refunds: the merchant was given the refund as a task when it was settled.
        done = _bigcommerce_steps(client, backorder, refund=refund and not catching_up)
    except errors.AuthenticationError as exc:  # the token was revoked (app uninstalled): it will not come back
        if store is not None:
            from stores.bigcommerce.connection import store_needs_reconnecting

            store_needs_reconnecting(store)
        if catching_up:
            return {"caught_up": False, "error": str(exc)}
        return _follow_up_without_bigcommerce(backorder, refund, reason=f"BigCommerce refused the token: {exc}")
    except (errors.BigCommerceError, ReleaseNotSentYet) as exc:
        if catching_up:  # the next reconciliation tries again
            logger.warning("Catching up cancellation %s in BigCommerce failed: %s", backorder.pk, exc)
            return {"caught_up": False, "error": str(exc)}
        attempts = _attempt_record(backorder, exc)
        if not _owed_too_long(backorder, attempts):
            raise  # the task fails; reconciliation queues it again (cancellations_follow_up_sweep)
        reason = f"BigCommerce kept failing ({attempts} attempts since the cancellation): {exc}"
        return _follow_up_without_bigcommerce(backorder, refund, reason=reason)
    with transaction.atomic():
        Backorder.objects.select_for_update().filter(pk=backorder.pk).first()
        if catching_up:
            done["refund"] = (settled.details or {}).get("refund", "none")
            if not backorder.events.filter(kind=FOLLOW_UP_CAUGHT_UP).exists():
                backorder_event_record(backorder=backorder, kind=FOLLOW_UP_CAUGHT_UP, details=done)
        elif _follow_up_done(backorder) is None:
            backorder_event_record(backorder=backorder, kind=FOLLOW_UP_DONE, details=done)
    return done


def _bigcommerce_steps(client, backorder: Backorder, *, refund: bool) -> dict:
    # Reading the order first changes nothing in BigCommerce, and a refused token shows at once.
    order = client.get(f"/v2/orders/{backorder.order_id}")
    lines = list(client.iter_v2(f"/v2/orders/{backorder.order_id}/products"))
    _release_adjustment_send(backorder, client)  # before BigCommerce releases the line
    done = {"staff_note": _staff_note_add(client, backorder, order)}
    if refund:
        done["refund"] = _refund(client, backorder)
    done["order_cancelled"] = _order_cancel_when_all_lines_are(client, backorder, order, lines)
    return done


def _follow_up_done(backorder: Backorder) -> BackorderEvent | None:
    return backorder.events.filter(kind=FOLLOW_UP_DONE).order_by("id").first()


def _follow_up_without_bigcommerce(backorder: Backorder, refund: bool, *, reason: str) -> dict:
    """BigCommerce cannot be reached for good: the refund becomes a "refund due" task for the merchant (with
    the amount) and the follow-up is done, so the shopper hears how they get their money. Nothing is sent;
    the note, the stock release and the order status wait for a reconnection (the sweep catches them up)."""
    with transaction.atomic():
        Backorder.objects.select_for_update().filter(pk=backorder.pk).first()
        existing = _follow_up_done(backorder)
        if existing is not None:
            return dict(existing.details or {})
        done: dict = {"staff_note": False, "order_cancelled": False, "bigcommerce": False, "reason": reason[:500]}
        if refund:
            if backorder.events.filter(kind="refunded").exists():
                done["refund"] = "refunded"
            else:
                done["refund"] = _refund_due(backorder, backorder.unit_price * backorder.quantity, reason)
        backorder_event_record(backorder=backorder, kind=FOLLOW_UP_DONE, details=done)
    return done


def _attempt_record(backorder: Backorder, exc: Exception) -> int:
    """One timeline line per failed try (the bound counts them); returns how many there are now."""
    backorder_event_record(backorder=backorder, kind=FOLLOW_UP_FAILED, details={"error": str(exc)[:500]})
    return backorder.events.filter(kind=FOLLOW_UP_FAILED).count()


def _owed_too_long(backorder: Backorder, attempts: int) -> bool:
    owed_at = backorder.events.filter(kind=FOLLOW_UP_OWED).order_by("id").values_list("at", flat=True).first()
    return attempts >= GIVE_UP_MIN_ATTEMPTS and owed_at is not None and timezone.now() - owed_at >= GIVE_UP_AFTER


def cancellations_follow_up_sweep(
    *, older_than: timedelta = timedelta(minutes=10), catch_up_for: timedelta = CATCH_UP_FOR
) -> int:
    """Cancellations whose BigCommerce follow-up (note, refund, order status) was owed for a while and never
    done are queued again; the follow-up compares before writing, so a duplicate does nothing more, and it
    gives up on BigCommerce after GIVE_UP_AFTER. A store that is not connected settles them here at once
    ("refund due"). A connected store also catches up, for `catch_up_for`, the follow-ups settled without
    BigCommerce: note, stock release and order status, never a refund. Returns how many were queued or
    settled."""
    from stores.models import Store

    store = Store.objects.filter(schema_name=connection.schema_name).only("connection").first()
    connected = store is not None and store.connection == Store.Connection.CONNECTED
    now = timezone.now()
    owed = list(
        BackorderEvent.objects.filter(kind=FOLLOW_UP_OWED, at__lt=now - older_than)
        .exclude(backorder__events__kind=FOLLOW_UP_DONE)
        .values_list("backorder_id", "details")
    )
    if not connected:  # nothing to ask BigCommerce: settled here, without a queue ("refund due")
        for backorder_id, details in owed:
            cancellation_to_bigcommerce(backorder_id=backorder_id, refund=bool((details or {}).get("refund", True)))
        return len(owed)
    # Read before the owed ones are queued: a follow-up settled by them is caught up next time, not twice now.
    behind = list(
        BackorderEvent.objects.filter(kind=FOLLOW_UP_DONE, details__bigcommerce=False, at__gte=now - catch_up_for)
        .exclude(backorder__events__kind=FOLLOW_UP_CAUGHT_UP)
        .values_list("backorder_id", flat=True)
    )
    for backorder_id, details in owed:
        _bigcommerce_follow_up_queue(backorder_id, bool((details or {}).get("refund", True)))
    for backorder_id in behind:
        _bigcommerce_follow_up_queue(backorder_id, False)  # catching up never refunds
    return len(owed) + len(behind)


class ReleaseNotSentYet(Exception):
    """The release adjustment has not reached BigCommerce yet; the task is retried later."""


def _release_adjustment_send(backorder: Backorder, client, *, timeout: float = 10.0) -> None:
    """The release adjustment must reach BigCommerce before the refund or the status change releases the
    line, else qty_backordered could be asked to go below zero. Another worker may be sending an older row
    of the variant (rows of a variant go in order): wait for it, briefly."""
    adjustment_id = (
        Allocation.objects.filter(backorder=backorder, source="release", adjustment__isnull=False)
        .order_by("-id")
        .values_list("adjustment_id", flat=True)
        .first()
    )
    deadline = time.monotonic() + timeout
    while True:
        stock_adjustments_send(variant_id=backorder.variant_id, client=client)
        if (
            adjustment_id is None
            or not StockAdjustment.objects.filter(
                pk=adjustment_id, status__in=(StockAdjustment.Status.PENDING, StockAdjustment.Status.SENDING)
            ).exists()
        ):
            return
        if time.monotonic() > deadline:
            raise ReleaseNotSentYet(f"Stock adjustment {adjustment_id} is still waiting to be sent.")
        time.sleep(0.05)


def _marker(backorder: Backorder) -> str:
    return f"[backorder {backorder.pk}]"


def _staff_note_add(client, backorder: Backorder, order: dict) -> bool:
    """One line per cancelled backorder; it never matches capture's "Backorder: ..." state line."""
    current = str(order.get("staff_notes") or "")
    if _marker(backorder) in current:
        return False
    line = (
        f"Backorder cancelled: {backorder.quantity} x {backorder.sku or backorder.variant_id} "
        f"(line {backorder.order_line_id}), {backorder.cancellation_reason or 'no reason given'} {_marker(backorder)}"
    )
    separator = "\r\n" if "\r\n" in current else "\n"
    client.put(f"/v2/orders/{backorder.order_id}", json={"staff_notes": f"{current}{separator}{line}".lstrip()})
    return True


_PASSING_FAILURES = (
    errors.ServerError,
    errors.ConnectionFailedError,
    errors.RateLimitedError,
    errors.AuthenticationError,
)


def _refund(client, backorder: Backorder) -> str:
    """Refund the cancelled units (amount from BigCommerce's quote, first refund method that is not offline);
    a refusal becomes a "refund due" task with the amount, never a silent drop. A passing failure (5xx, no
    answer, rate limit, refused token) is raised so the follow-up is tried again or given up as a whole
    (cancellation_to_bigcommerce); a retry first looks for a refund of ours that did reach BigCommerce."""
    if backorder.events.filter(kind="refunded").exists():
        return "refunded"
    if MerchantTask.objects.filter(backorder=backorder, kind=MerchantTask.Kind.REFUND_DUE).exists():
        return "refund_due"
    item = {"item_type": "PRODUCT", "item_id": backorder.order_line_id, "quantity": backorder.quantity}
    reason = f"Backorder cancelled {_marker(backorder)}"
    amount = backorder.unit_price * backorder.quantity
    try:
        if _already_refunded(client, backorder):
            backorder_event_record(backorder=backorder, kind="refunded", details={"found_in_bigcommerce": True})
            return "refunded"
        quote = client.post(f"/v3/orders/{backorder.order_id}/payment_actions/refund_quotes", json={"items": [item]})
        quote = (quote or {}).get("data") or {}
        amount = _decimal(quote.get("total_refund_amount"), amount)
        method = next(
            (m for m in quote.get("refund_methods") or [] if m and not any(p.get("offline") for p in m)), None
        )
        if method is None:
            return _refund_due(backorder, amount, "BigCommerce offers no online refund method for this order.")
        payments = [{"provider_id": p["provider_id"], "amount": p["amount"], "offline": False} for p in method]
        body = client.post(
            f"/v3/orders/{backorder.order_id}/payment_actions/refunds",
            json={"items": [{**item, "reason": reason}], "payments": payments},
        )
    except _PASSING_FAILURES:
        raise
    except errors.BigCommerceError as exc:
        return _refund_due(backorder, amount, str(exc))
    refund_id = ((body or {}).get("data") or {}).get("id")
    backorder_event_record(
        backorder=backorder, kind="refunded", details={"amount": str(amount), "refund_id": refund_id}
    )
    return "refunded"


def _already_refunded(client, backorder: Backorder) -> bool:
    """A refund of ours that reached BigCommerce but was not recorded here (crash in between)."""
    for refund in client.iter_v3(f"/v3/orders/{backorder.order_id}/payment_actions/refunds"):
        for item in refund.get("items") or []:
            if item.get("item_id") == backorder.order_line_id and _marker(backorder) in str(item.get("reason")):
                return True
    return False


def _refund_due(backorder: Backorder, amount: Decimal, error: str) -> str:
    MerchantTask.objects.get_or_create(
        backorder=backorder,
        kind=MerchantTask.Kind.REFUND_DUE,
        defaults={
            "order_id": backorder.order_id,
            "amount": amount,
            "details": {
                "order_line_id": backorder.order_line_id,
                "quantity": backorder.quantity,
                "currency": backorder.currency,
                "reason": backorder.cancellation_reason,
                "error": error[:500],
            },
        },
    )
    backorder_event_record(
        backorder=backorder, kind="refund_due", details={"amount": str(amount), "error": error[:500]}
    )
    return "refund_due"


def _order_cancel_when_all_lines_are(client, backorder: Backorder, order: dict, lines: list[dict]) -> bool:
    """Every line of the order wholly backordered and cancelled: the order becomes Cancelled (status 5)."""
    if int(order.get("status_id") or 0) == CANCELLED_STATUS_ID or not lines:
        return False
    cancelled = {
        b.order_line_id: b.quantity
        for b in Backorder.objects.filter(order_id=backorder.order_id, status=Status.CANCELLED)
    }
    if any(cancelled.get(int(line["id"]), 0) < int(line.get("quantity") or 0) for line in lines):
        return False
    client.put(f"/v2/orders/{backorder.order_id}", json={"status_id": CANCELLED_STATUS_ID})
    return True


def _decimal(value, default: Decimal) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else default
    except InvalidOperation:
        return default
