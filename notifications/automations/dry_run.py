"""Dry run: how often a rule would have matched in the last 30 days, with examples, before it is switched on.

The events are rebuilt from what the store already keeps, so a dry run works for a rule nobody had before:
backorder timelines (created, date changes, allocations, shipments, cancellations, refunds, accepted delays),
the e-mail outbox (delays that asked for consent, unanswered delays), purchase-order receipts and lines,
notify-me sign-ups and the back-in-stock alerts sent. Three are approximations and say so: `late` and
`at_risk` are judged from the backorders' dates as they are now, and `variant.back_in_stock` from the alerts
that went out. Facts BigCommerce holds (order total, customer group) are not read for history: events that
depend on them are counted as "may match". At most SCAN_LIMIT events (the newest) are looked at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F, Q
from django.utils import timezone

from backorder.models import (
    Backorder,
    BackorderEvent,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderReceipt,
    StockAlertSubscription,
)
from notifications.automations import catalog
from notifications.automations import facts as facts_
from notifications.automations.matching import rule_compile
from notifications.models import Notification

SCAN_LIMIT = 5000
EXAMPLES = 5
APPROXIMATE = {"backorder.late", "backorder.at_risk", "variant.back_in_stock", "purchase_order.overdue"}


@dataclass
class PastEvent:
    at: object
    facts: dict
    summary: str
    backorder_id: int | None = None
    order_id: int | None = None


def rule_dry_run(*, trigger: str, match: str, conditions: list, store, days: int = 30) -> dict:
    """Count the events of the last `days` days the rule (trigger, conditions) matches, may match (depends on
    facts read from BigCommerce when it runs) or does not; up to EXAMPLES of each matching kind."""
    spec = catalog.rule_validate(trigger=trigger, match=match, conditions=conditions, actions=[{"type": "task",
                                 "title": "dry run"}], complete=True)  # fmt: skip
    compiled = rule_compile(rule_id=0, version=0, trigger=spec.trigger, match=spec.match, conditions=spec.conditions)
    zone = facts_.zone_for(getattr(store, "timezone", "") or "UTC")
    today = timezone.now().astimezone(zone).date()
    since = timezone.now() - timedelta(days=days)
    events = list(_history(spec.trigger, since=since, today=today, zone=zone))[:SCAN_LIMIT]
    if "category" in compiled.needs:
        facts_.categories_add([e.facts for e in events])
    matched, maybe, examples = 0, 0, []
    for event in events:
        verdict = compiled.verdict(event.facts)
        if verdict is False:
            continue
        if verdict:
            matched += 1
        else:
            maybe += 1
        if len(examples) < EXAMPLES:
            examples.append({"occurred_at": event.at, "summary": event.summary, "backorder_id": event.backorder_id,
                             "order_id": event.order_id, "certain": bool(verdict)})  # fmt: skip
    remote = sorted(c["field"] for c in spec.conditions if catalog.CONDITIONS[c["field"]].source == catalog.REMOTE)
    return {
        "days": days,
        "scanned": len(events),
        "matched": matched,
        "maybe": maybe,
        "examples": examples,
        "checked_when_run": remote,
        "approximate": spec.trigger in APPROXIMATE,
        "truncated": len(events) >= SCAN_LIMIT,
    }


_TIMELINE = {
    "backorder.created": ["captured"],
    "backorder.date_changed": ["delayed", "brought_forward", "date_changed"],
    "backorder.partly_allocated": ["partly_allocated"],
    "backorder.allocated": ["allocated"],
    "backorder.shipped": ["shipped"],
    "backorder.cancelled": ["cancelled"],
    "backorder.refunded": ["refunded", "partly_refunded"],
    "backorder.delay_consent_given": ["delay_accepted"],
}
_OUTBOX = {"backorder.delay_consent_requested": "delay_notice", "backorder.delay_consent_expired":
           "consent_auto_cancelled"}  # fmt: skip


def _summary(b: Backorder, what: str) -> str:
    return f"Order {b.order_id}: {b.product_name or b.sku} x {b.quantity} ({what})"


def _history(trigger: str, *, since, today: date, zone) -> Iterator[PastEvent]:
    label = catalog.TRIGGERS[trigger].label
    if trigger in _TIMELINE:
        rows = (BackorderEvent.objects.select_related("backorder").filter(kind__in=_TIMELINE[trigger], at__gte=since)
                .order_by("-at", "-id")[:SCAN_LIMIT])  # fmt: skip
        for row in rows:
            day = facts_.store_day(row.at, zone)
            yield PastEvent(
                row.at,
                facts_.backorder_facts(row.backorder, today=day, zone=zone),
                _summary(row.backorder, label),
                row.backorder_id,
                row.backorder.order_id,
            )
    elif trigger in _OUTBOX:
        rows = Notification.objects.select_related("backorder").filter(
            kind=_OUTBOX[trigger], created_at__gte=since, backorder__isnull=False, is_test=False
        )
        if trigger == "backorder.delay_consent_requested":
            rows = rows.filter(context__consent_required=True)
        for row in rows.order_by("-created_at")[:SCAN_LIMIT]:
            day = facts_.store_day(row.created_at, zone)
            yield PastEvent(
                row.created_at,
                facts_.backorder_facts(row.backorder, today=day, zone=zone),
                _summary(row.backorder, label),
                row.backorder_id,
                row.order_id,
            )
    elif trigger == "backorder.late":
        # Promised dates that passed in the window while the backorder was still open (as far as we can tell
        # today: still waiting, or shipped or cancelled after the date).
        start = facts_.store_day(since, zone)
        rows = Backorder.objects.filter(promised_ship_date__gte=start, promised_ship_date__lt=today).filter(
            Q(status=Backorder.Status.WAITING) | Q(shipped_at__date__gt=F("promised_ship_date"))
            | Q(cancelled_at__date__gt=F("promised_ship_date"))
        ).order_by("-promised_ship_date")[:SCAN_LIMIT]  # fmt: skip
        for b in rows:
            ended = b.shipped_at or b.cancelled_at
            day = facts_.store_day(ended, zone) if ended else today
            facts = facts_.backorder_facts(b, today=day, zone=zone)
            facts["days_late"] = facts_.days_late(b.promised_ship_date, day)
            yield PastEvent(b.promised_ship_date, facts, _summary(b, label), b.pk, b.order_id)
    elif trigger == "backorder.at_risk":
        from backorder.selectors import at_risk_condition, late_backorders_condition

        rows = (Backorder.objects.filter(at_risk_condition(today=today)).exclude(late_backorders_condition(today=today))
                .filter(quantity_allocated=0).order_by("expected_ship_date")[:SCAN_LIMIT])  # fmt: skip
        for b in rows:
            yield PastEvent(
                b.expected_ship_date,
                facts_.backorder_facts(b, today=today, zone=zone),
                _summary(b, label),
                b.pk,
                b.order_id,
            )
    elif trigger == "purchase_order.received":
        for receipt in (PurchaseOrderReceipt.objects.select_related("purchase_order")
                        .filter(received_at__gte=since).order_by("-received_at")[:SCAN_LIMIT]):  # fmt: skip
            variant_ids = [line["variant_id"] for line in receipt.lines]
            yield PastEvent(receipt.received_at, {
                "variant": variant_ids, "product": _products(variant_ids), "sku": _skus(variant_ids),
                "quantity": sum(line["quantity"] for line in receipt.lines), "days_late": 0,
            }, f"Purchase order {receipt.purchase_order.reference or receipt.purchase_order_id}: received")  # fmt: skip
    elif trigger == "purchase_order.overdue":
        start = facts_.store_day(since, zone)
        lines = PurchaseOrderLine.objects.select_related("purchase_order").filter(
            expected_date__gte=start, expected_date__lt=today, quantity_received__lt=F("quantity"),
            purchase_order__status__in=[PurchaseOrder.Status.OPEN, PurchaseOrder.Status.PARTLY_RECEIVED],
        ).order_by("-expected_date")[:SCAN_LIMIT]  # fmt: skip
        for line in lines:
            yield PastEvent(line.expected_date, {
                "variant": [line.variant_id], "product": [line.product_id], "sku": _skus([line.variant_id]),
                "quantity": line.quantity_outstanding, "days_late": facts_.days_late(line.expected_date, today),
            }, f"Purchase order {line.purchase_order.reference or line.purchase_order_id}: {label}")  # fmt: skip
    elif trigger in ("stock_alert.subscribed", "variant.back_in_stock"):
        field = "created_at" if trigger == "stock_alert.subscribed" else "notified_at"
        rows = StockAlertSubscription.objects.filter(**{f"{field}__gte": since}).order_by(f"-{field}")[:SCAN_LIMIT]
        for s in rows:
            variant_ids = [s.variant_id] if s.variant_id else []
            facts = {"variant": variant_ids, "product": [s.product_id], "sku": _skus(variant_ids)}
            if trigger == "stock_alert.subscribed":
                facts["email_domain"] = s.email.rpartition("@")[2].lower()
            yield PastEvent(getattr(s, field), facts, f"Product {s.product_id}: {label}")


def _skus(variant_ids: list[int]) -> list[str]:
    from backorder.models import Variant

    return [s for s in Variant.objects.filter(bigcommerce_id__in=variant_ids).values_list("sku", flat=True) if s]


def _products(variant_ids: list[int]) -> list[int]:
    from backorder.models import Variant

    return sorted(set(Variant.objects.filter(bigcommerce_id__in=variant_ids).values_list("product__bigcommerce_id",
                                                                                         flat=True)))  # fmt: skip
