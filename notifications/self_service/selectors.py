"""What the self-service page shows: each line's state, its date history and what the shopper may do."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils.dateparse import parse_date

from backorder.models import Backorder, BackorderEvent
from notifications.consent import delay_awaiting_answer
from notifications.self_service.services import SHIPPING_CHOICES, may_cancel, shipping_choice_open
from notifications.self_service.texts import Texts

Status = Backorder.Status
HISTORY_KINDS = (
    "captured", "delayed", "brought_forward", "date_changed", "delay_accepted", "delay_consent_cleared",
    "allocated", "partly_allocated", "shipped", "cancelled", "refunded", "shipping_preference_changed",
)  # fmt: skip


@dataclass
class HistoryLine:
    on: str
    text: str


@dataclass
class Line:
    backorder: Backorder
    status: str  # waiting / allocated / shipped / cancelled (CSS class and machine-readable state)
    status_text: str
    expected_text: str
    consent_text: str
    no_cancel_text: str
    awaiting_answer: bool
    may_cancel: bool
    history: list[HistoryLine] = field(default_factory=list)


@dataclass
class OrderPage:
    order_id: int
    lines: list[Line]
    may_cancel_any: bool
    shipping_open: bool
    shipping_current: str
    shipping_options: list[tuple[str, str]]


def order_page(*, backorders: list[Backorder], texts: Texts, timezone_name: str, store_name: str) -> OrderPage:
    """The page for one order's lines (two queries: the lines were loaded by the caller, plus the timeline)."""
    zone = _zone(timezone_name)
    timelines: dict[int, list[BackorderEvent]] = defaultdict(list)
    for event in BackorderEvent.objects.filter(backorder__in=backorders, kind__in=HISTORY_KINDS).order_by("at", "id"):
        timelines[event.backorder_id].append(event)
    lines = [_line(b, timelines[b.pk], texts, zone, store_name) for b in backorders]
    current = next((b.shipping_preference for b in backorders if b.status != Status.CANCELLED), "together")
    return OrderPage(
        order_id=backorders[0].order_id,
        lines=lines,
        may_cancel_any=sum(line.may_cancel for line in lines) > 1,
        shipping_open=shipping_choice_open(backorders),
        shipping_current=texts[f"shipping_{current}"] if current in SHIPPING_CHOICES else current,
        shipping_options=[(choice, texts[f"shipping_{choice}"]) for choice in SHIPPING_CHOICES if choice != current],
    )


def _line(backorder: Backorder, timeline: list[BackorderEvent], texts: Texts, zone: ZoneInfo, store_name: str) -> Line:
    if backorder.status == Status.WAITING and backorder.quantity_allocated:
        status_text = texts.get("status_partly", allocated=backorder.quantity_allocated, quantity=backorder.quantity)
    else:
        status_text = texts[f"status_{backorder.status}"]
    consent = ""
    if backorder.status == Status.WAITING and backorder.delay_consent_due_on:
        consent = texts.get("consent_needed", date=texts.date(backorder.delay_consent_due_on))
    return Line(
        backorder=backorder,
        status=backorder.status,
        status_text=status_text,
        expected_text=texts.date(backorder.expected_ship_date),
        consent_text=consent,
        no_cancel_text=texts.get("no_cancel", store=store_name),
        awaiting_answer=delay_awaiting_answer(backorder, timeline),
        may_cancel=may_cancel(backorder),
        history=[_history(event, texts, zone) for event in timeline],
    )


def _history(event: BackorderEvent, texts: Texts, zone: ZoneInfo) -> HistoryLine:
    details = event.details or {}
    kind = event.kind
    if kind == "captured":
        promised = _date(details.get("promised_ship_date"))
        text = texts.get("event_captured", to=texts.date(promised)) if promised else texts["event_captured_unknown"]
    elif kind in ("delayed", "brought_forward", "date_changed"):
        text = texts.get(
            f"event_{kind}", to=texts.date(_date(details.get("to"))), **{"from": texts.date(_date(details.get("from")))}
        )
    else:
        text = texts[f"event_{kind}"]
    return HistoryLine(on=texts.date(event.at.astimezone(zone).date()), text=text)


def _date(value):
    return parse_date(value) if isinstance(value, str) and value else None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")
