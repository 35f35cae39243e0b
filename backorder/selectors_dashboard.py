"""Reads for the merchant's dashboard: backorders over time, the most backordered variants, the ones at
risk of disappointing a shopper, and the first steps of a new store. Each states its rule in its docstring.

The figures (open backorders, units, value, waits, late count, cancellation rate) are
`backorder.selectors.backorders_summary`. Everything here is a handful of set-based queries, whatever the
number of backorders (the dashboard stays fast with 100,000 of them; see docs/performance.md).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, F, Max, QuerySet, Sum
from django.db.models.functions import TruncDate

from backorder.models import Backorder, CatalogSync, Policy, PurchaseOrder, PurchaseOrderLine
from backorder.selectors import at_risk_condition

Status = Backorder.Status
STATUSES = [Status.WAITING, Status.ALLOCATED, Status.SHIPPED, Status.CANCELLED]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def backorders_over_time(*, days: int, today: date, timezone_name: str) -> dict:
    """Backorders placed on each of the last `days` days (the store's calendar days, today included),
    split by where each one is now: waiting, allocated, shipped or cancelled. Days without any are zeros."""
    zone = _zone(timezone_name)
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, tzinfo=zone)
    rows = (
        Backorder.objects.filter(order_created_at__gte=since)
        .annotate(day=TruncDate("order_created_at", tzinfo=zone))
        .values_list("day", "status")
        .annotate(count=Count("id"))
        .order_by()
    )
    dates = [first + timedelta(days=n) for n in range(days)]
    index = {day: n for n, day in enumerate(dates)}
    series = {status.value: [0] * days for status in STATUSES}
    for day, status, count in rows:
        if day in index and status in series:
            series[status][index[day]] = count
    return {"days": days, "dates": [d.isoformat() for d in dates], "series": series}


def variants_most_backordered(*, limit: int = 5) -> list[dict]:
    """The variants with the most units still waiting for stock (open, not yet allocated), most first,
    with how many backorders wait on them and the units already on open purchase orders.

    The ranking reads only indexed columns (one index-only scan); names come afterwards for the few."""
    top = list(
        Backorder.objects.filter(status=Status.WAITING)
        .values("variant_id")
        .annotate(units=Sum(F("quantity") - F("quantity_allocated")), backorders=Count("*"))
        .order_by("-units", "variant_id")[:limit]
    )
    ids = [row["variant_id"] for row in top]
    names = {
        row["variant_id"]: row
        for row in Backorder.objects.filter(status=Status.WAITING, variant_id__in=ids)
        .values("variant_id")
        .annotate(product_id=Max("product_id"), product_name=Max("product_name"), sku=Max("sku"))
        .order_by()
    }
    incoming = incoming_units(variant_ids=ids)
    return [
        {
            "variant_id": row["variant_id"],
            "product_id": names[row["variant_id"]]["product_id"],
            "product_name": names[row["variant_id"]]["product_name"],
            "sku": names[row["variant_id"]]["sku"],
            "units_waiting": row["units"],
            "backorders": row["backorders"],
            "units_incoming": incoming.get(row["variant_id"], 0),
        }
        for row in top
    ]


def incoming_units(*, variant_ids: list[int]) -> dict[int, int]:
    """Units ordered from suppliers and not received yet, per variant (open and partly received POs)."""
    if not variant_ids:
        return {}
    rows = (
        PurchaseOrderLine.objects.filter(
            variant_id__in=variant_ids,
            purchase_order__status__in=[PurchaseOrder.Status.OPEN, PurchaseOrder.Status.PARTLY_RECEIVED],
            quantity_received__lt=F("quantity"),
        )
        .values("variant_id")
        .annotate(units=Sum(F("quantity") - F("quantity_received")))
        .order_by()
    )
    return {row["variant_id"]: row["units"] for row in rows}


def backorders_at_risk(*, today: date, limit: int = 10) -> list[Backorder]:
    """The first `limit` waiting backorders at risk (backorder.selectors.at_risk_condition), the earliest
    expected date first (how many there are in all is in backorders_summary)."""
    at_risk = Backorder.objects.filter(at_risk_condition(today=today))
    return list(at_risk.order_by(F("expected_ship_date").asc(nulls_last=True), "id")[:limit])


@dataclass(frozen=True)
class OnboardingStep:
    """A first step that an app built on this one adds to the checklist (this app never imports them)."""

    key: str
    label: str
    href: str
    done_when: Callable[[], QuerySet]  # done once this has a row (read in the checklist's one query)


_EXTRA_STEPS: dict[str, OnboardingStep] = {}


def onboarding_step_register(step: OnboardingStep) -> None:
    """Add a step after this app's own (from the other app's AppConfig.ready(); registering twice is harmless)."""
    _EXTRA_STEPS[step.key] = step


def _which_exist(querysets: dict[str, QuerySet]) -> dict[str, bool]:
    """Whether each queryset has a row, all answered by one query: SELECT EXISTS(…), EXISTS(…), …"""
    parts, params = [], []
    for queryset in querysets.values():
        sql, query_params = queryset.order_by().values("pk")[:1].query.sql_with_params()
        parts.append(f"EXISTS({sql})")
        params.extend(query_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return dict(zip(querysets, cursor.fetchone(), strict=True))


def onboarding_steps(*, store) -> list[dict]:
    """A new store's first steps, in order: connect the BigCommerce store, copy its catalog, switch a
    policy on, get the storefront widget onto the store (its script installed on every storefront), then
    the steps other apps registered (notifications: send yourself a test e-mail). One query in all."""
    connected = bool(store.bigcommerce_store_hash) and store.connection == store.Connection.CONNECTED
    extra = list(_EXTRA_STEPS.values())
    exists = _which_exist({
        "sync": CatalogSync.objects.filter(status=CatalogSync.Status.DONE),
        "policy": Policy.objects.filter(enabled=True),
        **{step.key: step.done_when() for step in extra},
    })  # fmt: skip
    health = store.connection_health or {}
    scripts = health.get("scripts") or {}
    widget_live = (
        connected and bool(scripts.get("installed")) and scripts.get("installed") >= scripts.get("channels", 1)
    )
    return [
        {"key": "connect", "label": "Connect your BigCommerce store", "done": connected, "href": "/"},
        {"key": "sync", "label": "Copy your catalog", "done": exists["sync"], "href": "/settings/catalog/"},
        {"key": "policy", "label": "Switch on your first backorder policy", "done": exists["policy"],
         "href": "/policies/"},
        {"key": "widget", "label": "Show ship dates on your storefront", "done": widget_live,
         "href": "/settings/connection/"},
        *({"key": step.key, "label": step.label, "done": exists[step.key], "href": step.href} for step in extra),
    ]  # fmt: skip
