"""Triggers nobody announces, found by the hourly check: a backorder became late or is at risk, a purchase
order is overdue.

Each is one event per occasion (`late:<backorder>:<promised date>`, `at_risk:<backorder>:<expected date>`,
`po_overdue:<line>:<expected date>`), looked at again every hour while it lasts: a rule whose conditions hold
on a later check (e.g. "days late ≥ 21") runs then, once; rules and endpoints that already have their run or
delivery are left alone without writing anything. Moving the date makes a new occasion.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import F, Q

from backorder.models import Backorder, PurchaseOrder, PurchaseOrderLine, Variant
from notifications.automations import facts as facts_
from notifications.automations.recording import Occurrence, backorder_occurrence, occurrences_record, ruleset

CHUNK = 500


def purchase_order_occurrence(*, trigger: str, key: str, order: PurchaseOrder, raw: dict,
                              received: list[tuple[int, int]] | None = None,
                              line: PurchaseOrderLine | None = None) -> Occurrence:  # fmt: skip
    """An event about a purchase order: the units a receipt brought (`received`, (variant, units) pairs), or
    one overdue `line`."""
    from notifications.webhooks.payloads import purchase_order_data

    zone = facts_.zone_for(raw.get("timezone") or "UTC")
    today = _today(zone)
    lines_by_variant = {ln.variant_id: ln for ln in order.lines.all()}
    items = [(line.variant_id, line.quantity)] if line is not None else list(received or [])
    skus = dict(Variant.objects.filter(bigcommerce_id__in=[v for v, _ in items]).values_list("bigcommerce_id", "sku"))
    payload_lines = []
    for variant_id, units in items:
        source = line if line is not None else lines_by_variant.get(variant_id)
        payload_lines.append({
            "id": source.pk if line is not None else None, "variant_id": variant_id,
            "product_id": source.product_id if source else 0, "sku": skus.get(variant_id, ""), "quantity": units,
            "quantity_outstanding": source.quantity_outstanding if source else 0,
            "expected_date": source.expected_date if source else None,
        })  # fmt: skip
    facts = {
        "purchase_order_id": order.pk,
        "product": sorted({entry["product_id"] for entry in payload_lines}),
        "variant": [entry["variant_id"] for entry in payload_lines],
        "sku": [entry["sku"] for entry in payload_lines if entry["sku"]],
        "quantity": sum(entry["quantity_outstanding"] if line is not None else entry["quantity"]
                        for entry in payload_lines),
        "days_late": facts_.days_late(line.expected_date, today) if line is not None else 0,
        "purchase_order": order.reference or f"#{order.pk}",
        "supplier": order.supplier,
    }  # fmt: skip
    return Occurrence(trigger=trigger, key=key, facts=facts, data=purchase_order_data(order, payload_lines))


def _today(zone) -> date:
    from django.utils import timezone

    return timezone.now().astimezone(zone).date()


def _chunks(queryset, size: int = CHUNK) -> Iterable[list]:
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def scheduled_events_record() -> dict[str, int]:
    """The hourly check of the current store: record the late, at-risk and overdue events its rules and
    endpoints want. Each chunk is its own transaction; running it twice records nothing more."""
    from backorder.selectors import at_risk_condition, late_backorders_condition

    rules, raw = ruleset()
    zone = facts_.zone_for(raw.get("timezone") or "UTC")
    today = _today(zone)
    counts = {"runs": 0, "deliveries": 0}

    def record(occurrences: list[Occurrence]) -> None:
        with transaction.atomic():
            runs, deliveries = occurrences_record(occurrences, rules=rules, skip_known=True)
        counts["runs"] += runs
        counts["deliveries"] += deliveries

    if rules.wants("backorder.late"):
        late = Backorder.objects.filter(status=Backorder.Status.WAITING).filter(
            Q(promised_ship_date__lt=today) | Q(promised_ship_date__isnull=True, expected_ship_date__lt=today)
        )
        for chunk in _chunks(late):
            record([
                backorder_occurrence(trigger="backorder.late", backorder=b, raw=raw,
                                     key=f"late:{b.pk}:{b.promised_ship_date or b.expected_ship_date}")
                for b in chunk
            ])  # fmt: skip
    if rules.wants("backorder.at_risk"):
        at_risk = (
            Backorder.objects.filter(at_risk_condition(today=today))
            .exclude(late_backorders_condition(today=today))
            .filter(quantity_allocated=0)
        )
        for chunk in _chunks(at_risk):
            record([
                backorder_occurrence(trigger="backorder.at_risk", backorder=b, raw=raw,
                                     key=f"at_risk:{b.pk}:{b.expected_ship_date}")
                for b in chunk
            ])  # fmt: skip
    if rules.wants("purchase_order.overdue"):
        overdue = PurchaseOrderLine.objects.select_related("purchase_order").filter(
            purchase_order__status__in=[PurchaseOrder.Status.OPEN, PurchaseOrder.Status.PARTLY_RECEIVED],
            expected_date__lt=today, quantity_received__lt=F("quantity"),
        )  # fmt: skip
        for chunk in _chunks(overdue):
            record([
                purchase_order_occurrence(trigger="purchase_order.overdue", order=line.purchase_order, line=line,
                                          raw=raw, key=f"po_overdue:{line.pk}:{line.expected_date}")
                for line in chunk
            ])  # fmt: skip
    return counts
