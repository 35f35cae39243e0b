"""Arriving stock goes to the oldest waiting backorders of its variant first (FIFO), and the units are taken
off BigCommerce's on-hand in the same step, so a unit is counted once (ARCHITECTURE.md, "Inventory model").

How the counts stay right:
- The stock mirror (`Variant.on_hand`, `qty_backordered`) is what BigCommerce last said, plus the
  adjustments BigCommerce has since confirmed. A change the app owes BigCommerce is a StockAdjustment row
  (outbox), written in the transaction that makes the change and sent after the commit. Until BigCommerce
  confirms it, the row is *owed*: free units = mirror on-hand + the deltas of owed rows. When BigCommerce
  confirms it, the row becomes `applied` and its delta moves into the mirror in one transaction, so the
  unit is never counted twice (the availability engine uses the same rule). A refresh writes a reading of
  BigCommerce only where no row was in flight or marked applied while it read (sync.py explains why).
- One allocation per variant at a time: it locks the variant's mirror row (`SELECT ... FOR UPDATE`, never
  SKIP LOCKED inside a variant, which would break FIFO); different variants allocate in parallel.
- Allocation is one set-based statement however many backorders wait: a window function over the FIFO
  queue decides who gets how many units, and the same statement updates the backorders, writes their
  Allocation rows, their timeline events and the one StockAdjustment (on-hand -N, qty_backordered -N).
- A variant stocked at several locations (LocationStock rows) is allocated location by location, each
  location filling the backorders it can fulfil, and its adjustments name their location
  (allocation_locations.py); a store with one location never takes that path.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import DateTimeField, DurationField, F, Func, Q, Value
from django.utils import timezone

from backorder import events
from backorder.models import (
    Allocation,
    Backorder,
    BackorderEvent,
    LocationStock,
    MerchantTask,
    Product,
    StockAdjustment,
    Variant,
)
from backorder.models.locations import DEFAULT_LOCATION_ID
from backorder.services.lifecycle import backorder_event_record, backorder_transition, status_for_allocation
from stores.bigcommerce import errors
from stores.leases import TASK_LIFETIME_BOUND
from stores.tasks import enqueue_for_store

logger = logging.getLogger(__name__)

Status = Backorder.Status
Adjustment = StockAdjustment.Status
SEND_BATCH = 200  # adjustment rows claimed per round
SEND_ROUNDS = 50  # bounded: a send never loops forever
# A sender's lease on the rows it claimed: longer than any task may run (a sender runs in a task, or after a
# request's commit, which ends sooner), so a live sender never loses it and a dead one's rows come back.
SEND_LEASE = TASK_LIFETIME_BOUND


class DatabaseClock(Func):
    """The database's clock at the statement (not the transaction's start): the clock stock readings are
    dated with (sync.outbox_mark), so the two compare."""

    template = "clock_timestamp()"
    output_field = DateTimeField()


# Variants are locked in id order (one lock order for any number of variants: no deadlocks); each says whether
# it is stocked at several locations.
# Stocked at several locations: a reading of another location, or units of ours on their way to one (a
# purchase order received at a location whose stock has not been read yet). Both probes use an index.
_AT_SEVERAL_SQL = f"""(
    EXISTS (SELECT 1 FROM {LocationStock._meta.db_table} s WHERE s.variant_id = v.bigcommerce_id)
    OR EXISTS (SELECT 1 FROM {StockAdjustment._meta.db_table} a WHERE a.variant_id = v.bigcommerce_id
               AND a.status IN ('pending', 'sending') AND a.location_id <> {DEFAULT_LOCATION_ID})
)"""
_LOCK_SQL = f"""
    SELECT v.bigcommerce_id, {_AT_SEVERAL_SQL}
    FROM {Variant._meta.db_table} v
    WHERE v.bigcommerce_id = ANY(%(variants)s) AND v.on_hand IS NOT NULL
    ORDER BY v.bigcommerce_id
    FOR UPDATE OF v
"""

# The whole allocation, for any number of variants, in one statement. It runs after the lock is held, so
# its snapshot sees every change committed by the previous holder (a stock figure read in the locking
# statement itself could miss owed rows committed while it waited).
# Free units = mirror on-hand + owed deltas. Owed = not yet confirmed by BigCommerce; an `unknown` row may
# or may not have been applied: the safe side counts a decrement as done and an increment as not done,
# until the merchant reconciles it. (A decrement that BigCommerce did apply and a later reading holds is
# then subtracted twice: units are held back, never given twice.) `released` units were taken back from a
# backorder in this transaction (units_release); they are already off BigCommerce's on-hand, hence the netting.
# Per variant only the first `free` waiting backorders can get a unit (each wants at least one), so the
# window runs over at most `free` rows of each queue, whatever its length.
# Shared by the allocation statements here and in allocation_locations.py: the `given` units (backorder id, units)
# applied to their backorders, and what a statement returns (units, the first adjustment's id, the backorders now
# fully allocated, and partly).
_UNITS_GIVEN_CTE = f"""updated AS (
    UPDATE {Backorder._meta.db_table} b
    SET quantity_allocated = b.quantity_allocated + g.units,
        status = CASE WHEN b.quantity_allocated + g.units >= b.quantity THEN 'allocated' ELSE b.status END,
        allocated_at = CASE WHEN b.quantity_allocated + g.units >= b.quantity THEN now() ELSE b.allocated_at END,
        updated_at = now()
    FROM given g
    WHERE b.id = g.id
    RETURNING b.id, b.variant_id, g.units, b.status, b.quantity_allocated
),"""
_ALLOCATED_RESULT = """SELECT (SELECT COALESCE(SUM(units), 0) FROM updated), (SELECT MIN(id) FROM adjustment),
       ARRAY(SELECT id FROM updated WHERE status = 'allocated' ORDER BY id),
       ARRAY(SELECT id FROM updated WHERE status <> 'allocated' ORDER BY id)"""

_ALLOCATE_SQL = f"""
WITH stock AS (
    SELECT v.bigcommerce_id AS variant_id, p.bigcommerce_id AS product_id, %(released)s::int AS released,
           GREATEST(v.on_hand + (
               SELECT COALESCE(SUM(a.on_hand_delta), 0) FROM {StockAdjustment._meta.db_table} a
               WHERE a.variant_id = v.bigcommerce_id
                 AND (a.status IN ('pending', 'sending') OR (a.status = 'unknown' AND a.on_hand_delta < 0))
           ), 0) + %(released)s::int AS free
    FROM {Variant._meta.db_table} v JOIN {Product._meta.db_table} p ON p.id = v.product_id
    WHERE v.bigcommerce_id = ANY(%(variants)s) AND v.on_hand IS NOT NULL
),
queue AS (
    SELECT head.id, head.variant_id, stock.free, head.wanting,
           SUM(head.wanting) OVER (
               PARTITION BY head.variant_id
               ORDER BY head.order_created_at, head.order_id, head.order_line_id ROWS UNBOUNDED PRECEDING
           ) AS running
    FROM stock CROSS JOIN LATERAL (
        SELECT id, variant_id, quantity - quantity_allocated AS wanting, order_created_at, order_id, order_line_id
        FROM {Backorder._meta.db_table}
        WHERE variant_id = stock.variant_id AND status = 'waiting' AND quantity > quantity_allocated
          AND id <> %(exclude)s
        ORDER BY order_created_at, order_id, order_line_id
        LIMIT stock.free
    ) head
),
given AS (
    SELECT id, variant_id, LEAST(wanting, free - (running - wanting)) AS units
    FROM queue WHERE running - wanting < free
),
adjustment AS (
    INSERT INTO {StockAdjustment._meta.db_table}
        (variant_id, product_id, on_hand_delta, qty_backordered_delta, reason, status, attempts, error,
         bigcommerce_transaction_id, created_at)
    SELECT stock.variant_id, stock.product_id, stock.released - COALESCE(SUM(given.units), 0),
           stock.released + %(backordered_extra)s - COALESCE(SUM(given.units), 0), %(reason)s, 'pending', 0, '',
           '', now()
    FROM stock LEFT JOIN given ON given.variant_id = stock.variant_id
    GROUP BY stock.variant_id, stock.product_id, stock.released
    HAVING stock.released - COALESCE(SUM(given.units), 0) <> 0 OR %(backordered_extra)s <> 0
    RETURNING id, variant_id
),
{_UNITS_GIVEN_CTE}
allocations AS (
    INSERT INTO {Allocation._meta.db_table} (backorder_id, quantity, source, adjustment_id, created_at)
    SELECT u.id, u.units, %(source)s, a.id, now() FROM updated u LEFT JOIN adjustment a ON a.variant_id = u.variant_id
),
events AS (
    INSERT INTO {BackorderEvent._meta.db_table}
        (backorder_id, at, kind, actor, actor_label, from_status, to_status, details)
    SELECT u.id, now(), CASE WHEN u.status = 'allocated' THEN 'allocated' ELSE 'partly_allocated' END,
           'system', '', 'waiting', u.status,
           jsonb_build_object('units', u.units, 'quantity_allocated', u.quantity_allocated, 'source', %(source)s)
    FROM updated u
)
{_ALLOCATED_RESULT}
"""


def allocation_run(*, variant_id: int, source: str = "restock") -> int:
    """Give the variant's free units to its waiting backorders, oldest order first (order date, order id,
    line id), partly when short, never more than a backorder wants; returns the units allocated.

    Free units = mirror on-hand + owed adjustments. The units allocated are taken off BigCommerce's on-hand
    and qty_backordered by one relative adjustment, sent after the commit. Running it again allocates
    nothing more (the units are gone from the free count the moment the transaction commits).
    """
    with transaction.atomic():
        allocated, _ = _allocate_locked(variant_ids=[variant_id], source=source)
    transaction.on_commit(lambda: _after_stock_change([variant_id]))
    return allocated


def allocation_for_variants(*, variant_ids: Iterable[int], source: str = "restock") -> int:
    """Allocate for many variants at once (a catalog webhook batch, a purchase-order receipt): the same rule
    as `allocation_run`, in one transaction and one set-based statement for all of them."""
    ids = sorted(set(variant_ids))
    if not ids:
        return 0
    with transaction.atomic():
        allocated, _ = _allocate_locked(variant_ids=ids, source=source)
    if allocated:
        transaction.on_commit(lambda: _after_stock_change(ids))
    return allocated


def _allocate_locked(
    *, variant_ids: list[int], source: str, released: int = 0, exclude_backorder_id: int = 0,
    backordered_extra: int = 0,
) -> tuple[int, int | None]:  # fmt: skip
    """Lock the variants, then allocate their free units (plus `released` units of a single variant, taken
    back from a backorder in this transaction) in one statement (one per location for variants stocked at
    several locations, whose releases are written beforehand: _release_locked). Returns (units allocated, the
    first StockAdjustment id or None)."""
    reason = (f"release:{source}" if released or backordered_extra else f"allocation:{source}")[:60]
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL, {"variants": variant_ids})
        locked = cursor.fetchall()  # stock not tracked: nothing to allocate
        if not locked:
            return 0, None
        at_one = [variant_id for variant_id, several in locked if not several]
        allocated, adjustment_id, fully_allocated, partly_allocated = 0, None, [], []
        if at_one:
            cursor.execute(
                _ALLOCATE_SQL,
                {
                    "variants": at_one,
                    "released": released,
                    "exclude": exclude_backorder_id,
                    "backordered_extra": backordered_extra,
                    "reason": reason,
                    "source": source[:40],
                },
            )
            allocated, adjustment_id, fully_allocated, partly_allocated = cursor.fetchone()
        at_several = [variant_id for variant_id, several in locked if several]
        if at_several:
            from backorder.services.allocation_locations import allocate_at_locations

            more, first, fully, partly = allocate_at_locations(
                cursor=cursor, variant_ids=at_several, source=source[:40], reason=reason,
                exclude_backorder_id=exclude_backorder_id,
            )  # fmt: skip
            allocated, adjustment_id = allocated + more, adjustment_id or first
            fully_allocated, partly_allocated = [*fully_allocated, *fully], [*partly_allocated, *partly]
    if fully_allocated:  # e.g. "ready to ship" e-mails, written by the listeners in this transaction
        events.publish("backorders.allocated", backorder_ids=fully_allocated, source=source)
    if partly_allocated:  # e.g. merchant rules and webhooks (notifications/automations)
        events.publish("backorders.partly_allocated", backorder_ids=partly_allocated, source=source)
    return int(allocated), adjustment_id


def units_release(*, backorder: Backorder, quantity: int | None = None, reason: str, actor: str) -> int:
    """Take allocated units back from a backorder (all of them when `quantity` is None); they go to the next
    in line at once. Returns the units released.

    BigCommerce's counts: the released units were taken off BigCommerce's on-hand when they were allocated.
    In BigCommerce's counters a released unit becomes a backordered unit of its line again, exactly as if it
    had never been allocated (on-hand +1, qty_backordered +1); a unit that goes on to the next waiting
    backorder is allocated as usual (on-hand -1, qty_backordered -1). Both are netted into one adjustment:
    on-hand and qty_backordered each change by (units released - units re-allocated) >= 0 when no other
    stock is free, so re-allocated units never leave BigCommerce's on-hand twice and units nobody waits for
    come back to it. When the backorder is cancelled, BigCommerce's own refund or order cancellation then
    releases the whole line from qty_backordered (see cancellation.py).

    A backorder that stays active keeps its place in the queue (a later allocation may give it units again);
    a cancelled one (status set by the caller in the same transaction) does not.
    """
    with transaction.atomic():
        released = _release_locked(backorder=backorder, quantity=quantity, reason=reason, actor=actor)
    if released:
        transaction.on_commit(lambda: _after_stock_change([backorder.variant_id]))
    return released


def _release_locked(
    *, backorder: Backorder, quantity: int | None, reason: str, actor: str, actor_label: str = "",
    to_status: str | None = None, kind: str = "units_released", save_fields: tuple[str, ...] = (),
    backordered_extra: int = 0, source: str = "release", details: dict | None = None,
) -> int:  # fmt: skip
    """The release inside the caller's transaction; `to_status` lets cancellation move the backorder in the
    same step (its units then go to the others, never back to it). With `details`, the timeline line is
    written even when no unit was allocated (a change of `save_fields` is the news, e.g. a partial refund)."""
    at_several = variant_lock(backorder.variant_id)
    fresh = Backorder.objects.select_for_update().get(pk=backorder.pk)
    for field in save_fields:
        setattr(fresh, field, getattr(backorder, field))
    units = fresh.quantity_allocated if quantity is None else max(0, min(quantity, fresh.quantity_allocated))
    returned = None
    sources = [(DEFAULT_LOCATION_ID, units)]
    if at_several:  # stocked at several locations: the units go back where they came from
        from backorder.services.allocation_locations import units_given_back

        sources = units_given_back(backorder=fresh, units=units) if units else []
    if units:
        fresh.quantity_allocated -= units
        returns = Allocation.objects.bulk_create(
            Allocation(backorder=fresh, quantity=-given, source=source, location_id=location_id)
            for location_id, given in sources
        )
        returned = returns[0]
    target = to_status or status_for_allocation(fresh)
    always = details is not None
    details = {"units": units, "reason": reason} if details is None else details
    if target != fresh.status or to_status:
        backorder_transition(backorder=fresh, to_status=target, kind=kind, actor=actor, actor_label=actor_label,
                             details=details, save_fields=(*save_fields, "quantity_allocated"))  # fmt: skip
    elif units or always:
        fresh.save(update_fields=[*save_fields, "quantity_allocated", "updated_at"])
        backorder_event_record(backorder=fresh, kind=kind, actor=actor, actor_label=actor_label, details=details)
    for field in ("quantity_allocated", "status", "updated_at", "allocated_at", "cancelled_at"):
        setattr(backorder, field, getattr(fresh, field))
    if at_several and (units or backordered_extra):
        from backorder.services.allocation_locations import units_release_at_locations

        given_back = units_release_at_locations(
            backorder=fresh, sources=sources, backordered_extra=backordered_extra, reason=f"release:{source}"
        )
        _allocate_locked(variant_ids=[fresh.variant_id], source=source, exclude_backorder_id=fresh.pk)
        by_location = {row.location_id: row.pk for row in given_back}
        for allocation in returns if units else []:
            Allocation.objects.filter(pk=allocation.pk).update(adjustment_id=by_location.get(allocation.location_id))
    elif units or backordered_extra:
        _, adjustment_id = _allocate_locked(
            variant_ids=[fresh.variant_id], source=source, released=units, exclude_backorder_id=fresh.pk,
            backordered_extra=backordered_extra,
        )  # fmt: skip
        if adjustment_id and returned:
            Allocation.objects.filter(pk=returned.pk).update(adjustment_id=adjustment_id)
    from backorder.services.availability import availability_refresh

    availability_refresh(variant_ids=[fresh.variant_id])  # its waiting units changed: shoppers see it now
    return units


def variant_lock(variant_id: int) -> bool:
    """Lock the variant's mirror row: every change to its allocations takes this lock first (one lock order,
    so no deadlocks between allocation, release and cancellation). True when it is stocked at several
    locations."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_AT_SEVERAL_SQL} FROM {Variant._meta.db_table} v WHERE v.bigcommerce_id = %s FOR UPDATE OF v",
            [variant_id],
        )
        found = cursor.fetchone()
    return bool(found and found[0])


def _after_stock_change(variant_ids: list[int]) -> None:
    """After the commit: send what BigCommerce is owed, then refresh what shoppers see."""
    for variant_id in variant_ids if len(variant_ids) <= 20 else [None]:
        try:
            stock_adjustments_send(variant_id=variant_id)
        except errors.AuthenticationError:
            logger.warning("Store not connected: stock adjustments stay pending")
            break
    from backorder.services.availability import availability_refresh

    availability_refresh(variant_ids=variant_ids)


# -- the outbox: sending what BigCommerce is owed -------------------------------------------------------------


def stock_adjustments_send(*, variant_id: int | None = None, client=None) -> Counter:
    """Send the pending stock adjustments (of one variant, or all) to BigCommerce, oldest first.

    Per variant, the rows go in id order as one relative adjustment request, and a row is not sent while an
    older row of its variant is still being sent (an increment must reach BigCommerce before the decrement
    that counted on it). Rows are claimed with FOR UPDATE SKIP LOCKED (across rows: two senders never take
    the same row), marked `sending` and committed before the HTTP call; then `applied` (with BigCommerce's
    transaction id, the delta moving into the mirror in the same transaction), or on a definite refusal
    (4xx) `failed` with a check-stock task for the merchant. A transport error or 5xx leaves the outcome
    unknown: the row becomes `unknown` and is never resent blindly.

    Crash between send and mark: a row found `sending` whose sender is gone (its lease, `sending_until`,
    expired: no sender outlives it) becomes `unknown` with a check-stock task. Reconciliation: check in
    BigCommerce whether the change was made (docs/operations.md); if so
    `stock_adjustment_resolve(applied=True)`, else `applied=False` (sent again).
    """
    from stores.bigcommerce.connection import client_for
    from stores.models import Store

    outcome: Counter = Counter()
    if client is None:  # before claiming anything: a store that is not connected keeps its rows pending
        client = client_for(Store.objects.get(schema_name=connection.schema_name))
    _stale_sending_mark(outcome)
    for _ in range(SEND_ROUNDS):
        claimed = _claim(variant_id)
        if not claimed:
            break
        for rows in claimed.values():
            outcome[_send_variant(client, rows)] += len(rows)
    return outcome


def _claim(variant_id: int | None) -> dict[int, list[StockAdjustment]]:
    table = StockAdjustment._meta.db_table
    with transaction.atomic():
        pending = StockAdjustment.objects.select_for_update(skip_locked=True).filter(status=Adjustment.PENDING)
        if variant_id is not None:
            pending = pending.filter(variant_id=variant_id)
        rows = list(pending.order_by("id")[:SEND_BATCH])
        if not rows:
            return {}
        by_variant: dict[int, list[StockAdjustment]] = {}
        for row in rows:
            by_variant.setdefault(row.variant_id, []).append(row)
        # An older row of the variant that someone else holds (or is sending) goes first.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT o.variant_id FROM {table} o "
                "JOIN unnest(%s::bigint[], %s::bigint[]) AS f(variant_id, first_id) ON o.variant_id = f.variant_id "
                "WHERE o.status IN ('pending', 'sending') AND o.id < f.first_id",
                [list(by_variant), [rs[0].id for rs in by_variant.values()]],
            )
            blocked = {vid for (vid,) in cursor.fetchall()}
        claimed = {vid: rs for vid, rs in by_variant.items() if vid not in blocked}
        ids = [r.id for rs in claimed.values() for r in rs]
        if ids:
            StockAdjustment.objects.filter(id__in=ids).update(
                status=Adjustment.SENDING, attempts=F("attempts") + 1, sending_until=_lease_end()
            )
    return claimed


def _lease_end():
    return DatabaseClock() + Value(SEND_LEASE, output_field=DurationField())


def _send_variant(client, rows: list[StockAdjustment]) -> str:
    items = [
        {
            "location_id": row.location_id,
            "variant_id": row.variant_id,
            "quantity": row.on_hand_delta,
            **({"qty_backordered": row.qty_backordered_delta} if row.qty_backordered_delta else {}),
        }
        for row in rows
    ]
    ids = [row.id for row in rows]
    try:
        body = client.post("/v3/inventory/adjustments/relative", json={"reason": rows[0].reason, "items": items})
    except errors.ClientError as exc:
        if isinstance(exc, errors.RateLimitedError | errors.AuthenticationError):
            StockAdjustment.objects.filter(id__in=ids).update(status=Adjustment.PENDING, error=str(exc)[:2000])
            return "pending"
        with transaction.atomic():
            StockAdjustment.objects.filter(id__in=ids).update(status=Adjustment.FAILED, error=str(exc)[:2000])
            _check_stock_task(rows, problem="refused", error=str(exc))
        return "failed"
    except errors.BigCommerceError as exc:
        with transaction.atomic():
            StockAdjustment.objects.filter(id__in=ids).update(
                status=Adjustment.UNKNOWN, unknown_at=DatabaseClock(), error=str(exc)[:2000]
            )
            _check_stock_task(rows, problem="unknown", error=str(exc))
        return "unknown"
    transaction_id = str((body or {}).get("transaction_id") or "")[:64] if isinstance(body, dict) else ""
    _mark_applied(rows, transaction_id=transaction_id)
    return "applied"


def _mark_applied(rows: list[StockAdjustment], *, transaction_id: str, in_mirror: bool = False) -> None:
    """BigCommerce has the change: the row stops being owed and its delta enters the mirror, together (unless
    `in_mirror`: the mirror's stock is a reading that holds the change already), at the row's location."""
    deltas: dict[int, tuple[int, int]] = {}
    for row in rows:
        on_hand, backordered = deltas.get(row.location_id, (0, 0))
        deltas[row.location_id] = (on_hand + row.on_hand_delta, backordered + row.qty_backordered_delta)
    with transaction.atomic():
        for location_id, (on_hand, backordered) in deltas.items() if not in_mirror else ():
            if location_id != DEFAULT_LOCATION_ID:
                _location_stock_add(rows[0].variant_id, location_id, on_hand=on_hand, backordered=backordered)
                continue
            Variant.objects.filter(bigcommerce_id=rows[0].variant_id, on_hand__isnull=False).update(
                on_hand=F("on_hand") + on_hand, qty_backordered=F("qty_backordered") + backordered
            )
        StockAdjustment.objects.filter(id__in=[row.id for row in rows]).update(
            status=Adjustment.APPLIED, applied_at=timezone.now(), bigcommerce_transaction_id=transaction_id, error=""
        )


_LOCATION_STOCK_ADD_SQL = f"""
    INSERT INTO {LocationStock._meta.db_table} AS s (variant_id, location_id, on_hand, qty_backordered)
    SELECT v.bigcommerce_id, %(location)s, GREATEST(%(on_hand)s, 0), GREATEST(%(backordered)s, 0)
    FROM {Variant._meta.db_table} v WHERE v.bigcommerce_id = %(variant)s AND v.on_hand IS NOT NULL
    ON CONFLICT (variant_id, location_id) DO UPDATE SET
        on_hand = s.on_hand + %(on_hand)s, qty_backordered = s.qty_backordered + %(backordered)s
"""


def _location_stock_add(variant_id: int, location_id: int, *, on_hand: int, backordered: int) -> None:
    """An applied adjustment's delta into the mirror of a location other than the default one (a location
    the mirror has no reading of yet starts from the delta)."""
    with connection.cursor() as cursor:
        cursor.execute(_LOCATION_STOCK_ADD_SQL, {"variant": variant_id, "location": location_id,
                                                 "on_hand": on_hand, "backordered": backordered})  # fmt: skip


def _stale_sending_mark(outcome: Counter) -> None:
    """Rows left `sending` by a sender that is gone (crash between send and mark: its lease expired, or it
    never had one) become `unknown`, with a check-stock task each."""
    lost_sender = Q(sending_until__isnull=True) | Q(sending_until__lt=DatabaseClock())
    with transaction.atomic():
        rows = list(
            StockAdjustment.objects.select_for_update(skip_locked=True)
            .filter(lost_sender, status=Adjustment.SENDING)
            .order_by("id")[:SEND_BATCH]
        )
        if not rows:
            return
        StockAdjustment.objects.filter(id__in=[row.id for row in rows]).update(
            status=Adjustment.UNKNOWN,
            unknown_at=DatabaseClock(),
            error="The sender stopped before BigCommerce's answer was recorded.",
        )
        _check_stock_task(rows, problem="unknown", error="sender stopped")
        outcome["unknown"] += len(rows)


def stock_adjustment_sends_wait(*, variant_ids: list[int], timeout_seconds: float = 30) -> bool:
    """Wait, at most `timeout_seconds`, until the adjustments of these variants that are being sent right now
    have their outcome recorded; True when none was left `sending`. A row whose sender's lease expired is not
    waited for (the send pass makes it `unknown`). Never inside a transaction (a sender records its outcome
    under the variant lock, which the caller could be holding)."""
    if connection.in_atomic_block:
        return False
    sending = StockAdjustment.objects.filter(variant_id__in=variant_ids, status=Adjustment.SENDING)
    deadline, pause = time.monotonic() + timeout_seconds, 0.02
    while sending.filter(sending_until__gte=DatabaseClock()).exists():
        if time.monotonic() + pause > deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
    return not sending.exists()


def _check_stock_task(rows: list[StockAdjustment], *, problem: str, error: str) -> None:
    text = {
        "refused": "BigCommerce refused this stock change; the units it accounts for are allocated here but "
        "still counted in BigCommerce. Check the item's stock in BigCommerce and correct it.",
        "unknown": "It is not known whether BigCommerce applied this stock change. Compare the item's on-hand "
        "in BigCommerce with the change, then mark it applied or send it again.",
    }[problem]
    MerchantTask.objects.bulk_create(
        [
            MerchantTask(
                kind=MerchantTask.Kind.CHECK_STOCK,
                details={
                    "adjustment_id": row.id,
                    "variant_id": row.variant_id,
                    "product_id": row.product_id,
                    "on_hand_delta": row.on_hand_delta,
                    "qty_backordered_delta": row.qty_backordered_delta,
                    "reason": row.reason,
                    "problem": problem,
                    "error": error[:500],
                    "message": text,
                },
            )
            for row in rows
        ]
    )


@transaction.atomic
def stock_adjustment_resolve(*, adjustment: StockAdjustment, applied: bool) -> StockAdjustment:
    """The merchant (or support) checked BigCommerce for an `unknown` adjustment: applied (its delta enters the
    mirror, unless the mirror's stock was read after the outcome became unknown and so holds it already) or
    not applied (it is sent again); either way the product's stock is read again after the commit.

    The merchant's answer is trusted: "not applied" for a change BigCommerce did apply sends it twice. A
    reading taken after the outcome became unknown holds BigCommerce's truth either way (a reading taken while
    the row was `sending` is never written, see sync.py), so "applied" never counts the delta twice, and the
    re-read corrects a wrong "applied". Under the variant lock, so no reading is written while this decides."""
    variant_lock(adjustment.variant_id)
    row = StockAdjustment.objects.select_for_update().get(pk=adjustment.pk)
    if row.status != Adjustment.UNKNOWN:
        return row
    if applied:
        in_mirror = row.unknown_at is not None and (
            Variant.objects.filter(bigcommerce_id=row.variant_id, stock_read_at__gt=row.unknown_at).exists()
        )
        _mark_applied([row], transaction_id=row.bigcommerce_transaction_id, in_mirror=in_mirror)
    else:
        StockAdjustment.objects.filter(pk=row.pk).update(status=Adjustment.PENDING, unknown_at=None)
    MerchantTask.objects.filter(
        kind=MerchantTask.Kind.CHECK_STOCK, status=MerchantTask.Status.OPEN, details__adjustment_id=row.pk
    ).update(status=MerchantTask.Status.DONE, done_at=timezone.now())
    transaction.on_commit(lambda: _after_stock_change([row.variant_id]))  # a row not applied goes at once
    transaction.on_commit(
        lambda: enqueue_for_store("backorder.sync.stock_reread", product_ids=[row.product_id], attempt=0)
    )
    row.refresh_from_db()
    return row
