"""FIFO allocation for variants stocked at several locations (allocation.py is the rule; this is its shape
when BigCommerce keeps the variant's stock in more than one place).

Stock arriving at a location fills, oldest first, the waiting backorders that location can fulfil: the ones
to collect there, and, when the location sells online, every backorder to ship (services/locations.py).
The units leave BigCommerce where they are counted: on-hand at the location that gave them, qty_backordered
at the location each backorder was booked at (the default location for an order to ship), all in one
relative adjustment (rows of the outbox naming their location, sent together). Locations are served one
after the other (the default location first, then by id), each in one set-based statement for every
variant; a disabled location gives nothing (BigCommerce refuses to change its stock). Free units at a
location = its mirror on-hand + the owed deltas of that location, the rule of the one-location statement.
"""

from __future__ import annotations

from backorder.models import Allocation, Backorder, BackorderEvent, LocationStock, Product, StockAdjustment, Variant
from backorder.models.locations import DEFAULT_LOCATION_ID
from backorder.services.allocation import _ALLOCATED_RESULT, _UNITS_GIVEN_CTE

_ALLOCATE_AT_SQL = f"""
WITH stock AS (
    SELECT v.bigcommerce_id AS variant_id, p.bigcommerce_id AS product_id,
           GREATEST(COALESCE(CASE WHEN %(location)s = {DEFAULT_LOCATION_ID} THEN v.on_hand ELSE s.on_hand END, 0) + (
               SELECT COALESCE(SUM(a.on_hand_delta), 0) FROM {StockAdjustment._meta.db_table} a
               WHERE a.variant_id = v.bigcommerce_id AND a.location_id = %(location)s
                 AND (a.status IN ('pending', 'sending') OR (a.status = 'unknown' AND a.on_hand_delta < 0))
           ), 0) AS free
    FROM {Variant._meta.db_table} v JOIN {Product._meta.db_table} p ON p.id = v.product_id
    LEFT JOIN {LocationStock._meta.db_table} s ON s.variant_id = v.bigcommerce_id AND s.location_id = %(location)s
    WHERE v.bigcommerce_id = ANY(%(variants)s) AND v.on_hand IS NOT NULL
),
queue AS (
    SELECT head.id, head.variant_id, head.booked, stock.free, head.wanting,
           SUM(head.wanting) OVER (
               PARTITION BY head.variant_id
               ORDER BY head.order_created_at, head.order_id, head.order_line_id ROWS UNBOUNDED PRECEDING
           ) AS running
    FROM stock CROSS JOIN LATERAL (
        SELECT id, variant_id, location_id AS booked, quantity - quantity_allocated AS wanting, order_created_at,
               order_id, order_line_id
        FROM {Backorder._meta.db_table}
        WHERE variant_id = stock.variant_id AND status = 'waiting' AND quantity > quantity_allocated
          AND id <> %(exclude)s AND (location_id = %(location)s OR (NOT pickup AND %(online)s))
        ORDER BY order_created_at, order_id, order_line_id
        LIMIT stock.free
    ) head
),
given AS (
    SELECT id, variant_id, booked, LEAST(wanting, free - (running - wanting)) AS units
    FROM queue WHERE running - wanting < free
),
moves AS (
    SELECT variant_id, %(location)s::bigint AS location_id, -SUM(units) AS on_hand_delta,
           -COALESCE(SUM(units) FILTER (WHERE booked = %(location)s), 0) AS qty_backordered_delta
    FROM given GROUP BY variant_id
    UNION ALL
    SELECT variant_id, booked, 0, -SUM(units) FROM given WHERE booked <> %(location)s GROUP BY variant_id, booked
),
adjustment AS (
    INSERT INTO {StockAdjustment._meta.db_table}
        (variant_id, product_id, location_id, on_hand_delta, qty_backordered_delta, reason, status, attempts, error,
         bigcommerce_transaction_id, created_at)
    SELECT m.variant_id, stock.product_id, m.location_id, m.on_hand_delta, m.qty_backordered_delta, %(reason)s,
           'pending', 0, '', '', now()
    FROM moves m JOIN stock ON stock.variant_id = m.variant_id
    ORDER BY m.variant_id, m.location_id <> %(location)s, m.location_id
    RETURNING id, variant_id, location_id
),
{_UNITS_GIVEN_CTE}
allocations AS (
    INSERT INTO {Allocation._meta.db_table} (backorder_id, quantity, source, adjustment_id, location_id, created_at)
    SELECT u.id, u.units, %(source)s, a.id, %(location)s, now()
    FROM updated u LEFT JOIN adjustment a ON a.variant_id = u.variant_id AND a.location_id = %(location)s
),
events AS (
    INSERT INTO {BackorderEvent._meta.db_table}
        (backorder_id, at, kind, actor, actor_label, from_status, to_status, details)
    SELECT u.id, now(), CASE WHEN u.status = 'allocated' THEN 'allocated' ELSE 'partly_allocated' END,
           'system', '', 'waiting', u.status,
           jsonb_build_object('units', u.units, 'quantity_allocated', u.quantity_allocated, 'source', %(source)s,
                              'location_id', %(location)s)
    FROM updated u
)
{_ALLOCATED_RESULT}
"""


def allocate_at_locations(
    *, cursor, variant_ids: list[int], source: str, reason: str, exclude_backorder_id: int = 0
) -> tuple[int, int | None, list[int], list[int]]:
    """Allocate the free units of these (locked) variants at every enabled location, default location first.
    Returns (units allocated, the first StockAdjustment id, backorders now fully allocated, partly)."""
    from backorder.services.locations import locations_setup

    setup = locations_setup()
    allocated, first_adjustment, fully, partly = 0, None, set(), set()
    for location_id in setup.enabled or [DEFAULT_LOCATION_ID]:
        cursor.execute(
            _ALLOCATE_AT_SQL,
            {
                "variants": variant_ids,
                "location": location_id,
                "online": location_id in setup.online or location_id == DEFAULT_LOCATION_ID,
                "exclude": exclude_backorder_id,
                "reason": reason,
                "source": source,
            },
        )
        units, adjustment_id, full, part = cursor.fetchone()
        allocated += int(units)
        first_adjustment = first_adjustment or adjustment_id
        fully.update(full)
        partly.update(part)
    partly -= fully
    return allocated, first_adjustment, sorted(fully), sorted(partly)


def units_given_back(*, backorder: Backorder, units: int) -> list[tuple[int, int]]:
    """Where `units` released from a backorder came from: [(location, units)], the location that gave it
    units last first."""
    held: dict[int, int] = {}
    latest: dict[int, int] = {}
    for allocation_id, location_id, quantity in (
        Allocation.objects.filter(backorder_id=backorder.pk).order_by("id").values_list("id", "location_id", "quantity")
    ):
        held[location_id] = held.get(location_id, 0) + quantity
        if quantity > 0:
            latest[location_id] = allocation_id
    sources, left = [], units
    for location_id in sorted(held, key=lambda location: latest.get(location, 0), reverse=True):
        take = min(left, max(held[location_id], 0))
        if take:
            sources.append((location_id, take))
            left -= take
    if left:  # units the records do not place: the default location's
        sources.append((DEFAULT_LOCATION_ID, left))
    return sources


def units_release_at_locations(
    *, backorder: Backorder, sources: list[tuple[int, int]], backordered_extra: int, reason: str
) -> list[StockAdjustment]:
    """The release's stock moves, as if the units had never been allocated: on-hand back at each location
    they came from, and qty_backordered back at the location the backorder is booked at (plus
    `backordered_extra` there); the allocation that follows takes them again for the next in line."""
    booked = backorder.location_id
    moves: dict[int, list[int]] = {}
    for location_id, units in sources:
        on_hand, backordered = moves.setdefault(location_id, [0, 0])
        moves[location_id] = [on_hand + units, backordered]
        on_hand, backordered = moves.setdefault(booked, [0, 0])
        moves[booked] = [on_hand, backordered + units]
    if backordered_extra:
        on_hand, backordered = moves.setdefault(booked, [0, 0])
        moves[booked] = [on_hand, backordered + backordered_extra]
    rows = [
        StockAdjustment(
            variant_id=backorder.variant_id,
            product_id=backorder.product_id,
            location_id=location_id,
            on_hand_delta=on_hand,
            qty_backordered_delta=backordered,
            reason=reason[:60],
        )  # fmt: skip
        for location_id, (on_hand, backordered) in sorted(moves.items())
        if on_hand or backordered
    ]
    return StockAdjustment.objects.bulk_create(rows)
