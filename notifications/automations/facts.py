"""The facts conditions are checked against, built from what an event is about.

Three sources (catalog.Condition.source): *local* facts come from the objects the event carries (no query);
*lookup* facts (a product's categories, with their parents) take one query, made only when a rule of the
trigger reads them; *remote* facts (the order's total, the customer's group) come from BigCommerce and are
read by the run itself, after the commit (never in the transaction that captured an order).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from backorder.models import Backorder, Category, Product
from stores.bigcommerce import errors


def store_day(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return moment.astimezone(zone).date() if moment is not None else None


def zone_for(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def days_late(promised: date | None, today: date) -> int:
    return max(0, (today - promised).days) if promised is not None else 0


def backorder_facts(backorder: Backorder, *, today: date, zone: ZoneInfo) -> dict:
    """What a rule may ask about a backorder, as of `today` (the store's day)."""
    email = backorder.customer_email or ""
    ordered_on = store_day(backorder.order_created_at, zone) or today
    open_ = backorder.status in (Backorder.Status.WAITING, Backorder.Status.ALLOCATED)
    promised = backorder.promised_ship_date or backorder.expected_ship_date
    return {
        "backorder_id": backorder.pk,
        "order_id": backorder.order_id,
        "customer_id": backorder.customer_id,
        "status": backorder.status,
        "product": [backorder.product_id],
        "variant": [backorder.variant_id],
        "sku": [backorder.sku] if backorder.sku else [],
        "policy_mode": (backorder.policy or {}).get("mode") or "backorder",
        "quantity": backorder.quantity,
        "days_waiting": max(0, (today - ordered_on).days),
        "days_late": days_late(promised, today) if open_ else 0,
        "channel": [backorder.channel_id],
        "email_domain": email.rpartition("@")[2].lower() if "@" in email else "",
        # Guests (customer 0) are in no group: known without asking BigCommerce.
        **({"customer_group": [0]} if not backorder.customer_id else {}),
    }


def categories_add(facts_list: list[dict]) -> None:
    """Add `category` (the products' categories and all their parents) to each facts dict; one query for
    the products, one for the categories."""
    product_ids = {p for facts in facts_list for p in facts.get("product", [])}
    if not product_ids:
        return
    direct = dict(Product.objects.filter(bigcommerce_id__in=product_ids).values_list("bigcommerce_id", "category_ids"))
    wanted = {c for ids in direct.values() for c in (ids or [])}
    paths = dict(Category.objects.filter(bigcommerce_id__in=wanted).values_list("bigcommerce_id", "path"))
    for facts in facts_list:
        found: set[int] = set()
        for product_id in facts.get("product", []):
            for category_id in direct.get(product_id) or []:
                found.add(category_id)
                found.update(paths.get(category_id) or [])
        facts["category"] = sorted(found)


def remote_facts_read(*, needs: set[str], facts: dict, client) -> dict:
    """Read from BigCommerce the facts a run's conditions need and the event could not carry: the order's
    total (`GET /v2/orders/{id}`) and the customer's group (`GET /v3/customers?id:in=`). A customer who no
    longer exists is in no group (0). Raises BigCommerceError when BigCommerce cannot answer."""
    found: dict = {}
    if "order_total" in needs and "order_total" not in facts and facts.get("order_id"):
        order = client.get(f"/v2/orders/{facts['order_id']}") or {}
        found["order_total"] = str(order.get("total_inc_tax") or "0")
    if "customer_group" in needs and "customer_group" not in facts:
        customer_id = facts.get("customer_id") or 0
        group = 0
        if customer_id:
            try:
                customers = client.get_data("/v3/customers", params={"id:in": customer_id}) or []
            except errors.NotFoundError:
                customers = []
            group = int((customers[0] if customers else {}).get("customer_group_id") or 0)
        found["customer_group"] = [group]
    return found
