"""Reads for the merchant's dashboard: backorders over time, the most backordered variants, the ones at
risk of disappointing a shopper, and the first steps of a new store. Each states its rule in its docstring.

The figures (open backorders, units, value, waits, late count, cancellation rate) are
`backorder.selectors.backorders_summary`. Everything here is a handful of set-based queries, whatever the
number of backorders (the dashboard stays fast with 100,000 of them; see docs/performance.md).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Max, Sum
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


def onboarding_steps(*, store) -> list[dict]:
    """A new store's first steps, in order: connect the BigCommerce store, copy its catalog, switch a
    policy on, get the storefront widget onto the store (its script installed on every storefront)."""
    connected = bool(store.bigcommerce_store_hash) and store.connection == store.Connection.CONNECTED
    synced = CatalogSync.objects.filter(status=CatalogSync.Status.DONE).exists()
    policy_on = Policy.objects.filter(enabled=True).exists()
    health = store.connection_health or {}
    scripts = health.get("scripts") or {}
    widget_live = (
        connected and bool(scripts.get("installed")) and scripts.get("installed") >= scripts.get("channels", 1)
    )
    return [
        {"key": "connect", "label": "Connect your BigCommerce store", "done": connected, "href": "/"},
        {"key": "sync", "label": "Copy your catalog", "done": synced, "href": "/settings/catalog/"},
        {"key": "policy", "label": "Switch on your first backorder policy", "done": policy_on, "href": "/policies/"},
        {"key": "widget", "label": "Show ship dates on your storefront", "done": widget_live,
         "href": "/settings/connection/"},
    ]  # fmt: skip
