"""Orders v3 routes: order metafields and refunds (research §6.5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stores.bigcommerce.sandbox import orders
from stores.bigcommerce.sandbox.framework import ApiError, Ctx, Reply, Router, invalid, not_found, v3_page, v3_single
from stores.bigcommerce.sandbox.state import iso8601, utcnow

router = Router()

PERMISSION_SETS = ("app_only", "read", "write", "read_and_sf_access", "write_and_sf_access")


def _visible_metafields(ctx: Ctx, order_id: int) -> list[dict[str, Any]]:
    return [
        m
        for m in ctx.store.order_metafields.values()
        if m["resource_id"] == order_id and (m["owner_client_id"] == ctx.client_id or m["permission_set"] != "app_only")
    ]


def _get_metafield(ctx: Ctx) -> dict[str, Any]:
    orders.get_order(ctx.store, ctx.args["order_id"])
    for metafield in _visible_metafields(ctx, ctx.args["order_id"]):
        if metafield["id"] == ctx.args["metafield_id"]:
            return metafield
    raise not_found("Metafield not found.")


@router.add("GET", "/v3/orders/{order_id:int}/metafields", "orders")
def list_metafields(ctx: Ctx) -> Any:
    orders.get_order(ctx.store, ctx.args["order_id"])
    items = _visible_metafields(ctx, ctx.args["order_id"])
    for name in ("key", "namespace"):
        if ctx.param(name):
            items = [m for m in items if m[name] == ctx.param(name)]
    return v3_page(ctx, items)


@router.add("POST", "/v3/orders/{order_id:int}/metafields", "orders")
def create_metafield(ctx: Ctx) -> Any:
    order = orders.get_order(ctx.store, ctx.args["order_id"])
    body = ctx.json_object()
    missing = {f: "error.path.missing." for f in ("permission_set", "namespace", "key", "value") if not body.get(f)}
    if missing:
        raise ApiError(422, "JSON data is missing or invalid", errors=missing)
    if body["permission_set"] not in PERMISSION_SETS:
        raise invalid("JSON data is missing or invalid", permission_set="invalid value")
    for existing in ctx.store.order_metafields.values():
        if (existing["resource_id"], existing["owner_client_id"], existing["namespace"], existing["key"]) == (
            order["id"],
            ctx.client_id,
            body["namespace"],
            body["key"],
        ):
            raise ApiError(409, "A metafield with this namespace and key already exists for this resource.")
    now = iso8601(utcnow())
    metafield = {
        "id": ctx.store.next_id("metafield", 1),
        "key": body["key"],
        "value": str(body["value"]),
        "namespace": body["namespace"],
        "permission_set": body["permission_set"],
        "resource_type": "order",
        "resource_id": order["id"],
        "description": body.get("description", ""),
        "date_created": now,
        "date_modified": now,
        "owner_client_id": ctx.client_id,
    }
    ctx.store.order_metafields[metafield["id"]] = metafield
    ctx.store.emit("store/order/metafield/created", {"metafield_id": metafield["id"], "resource_id": str(order["id"])})
    return v3_single(metafield)


@router.add("GET", "/v3/orders/{order_id:int}/metafields/{metafield_id:int}", "orders")
def get_metafield(ctx: Ctx) -> Any:
    return v3_single(_get_metafield(ctx))


@router.add("PUT", "/v3/orders/{order_id:int}/metafields/{metafield_id:int}", "orders")
def update_metafield(ctx: Ctx) -> Any:
    metafield = _get_metafield(ctx)
    if metafield["owner_client_id"] != ctx.client_id and not metafield["permission_set"].startswith("write"):
        raise ApiError(403, "This metafield belongs to another app.")
    body = ctx.json_object()
    for field in ("value", "description", "permission_set"):
        if field in body:
            metafield[field] = str(body[field]) if field == "value" else body[field]
    metafield["date_modified"] = iso8601(utcnow())
    ctx.store.emit(
        "store/order/metafield/updated",
        {"metafield_id": metafield["id"], "resource_id": str(metafield["resource_id"])},
    )
    return v3_single(metafield)


@router.add("DELETE", "/v3/orders/{order_id:int}/metafields/{metafield_id:int}", "orders")
def delete_metafield(ctx: Ctx) -> Any:
    metafield = _get_metafield(ctx)
    if metafield["owner_client_id"] != ctx.client_id:
        raise ApiError(403, "This metafield belongs to another app.")
    del ctx.store.order_metafields[metafield["id"]]
    ctx.store.emit(
        "store/order/metafield/deleted",
        {"metafield_id": metafield["id"], "resource_id": str(metafield["resource_id"])},
    )
    return Reply(204)


# -- refunds ----------------------------------------------------------------------------------------------


def _refund_items(order: dict[str, Any], items: Any) -> list[tuple[dict[str, Any] | None, int, Decimal]]:
    """Validate refund items; returns (line or None for ORDER amounts, quantity, amount)."""
    if not isinstance(items, list) or not items:
        raise invalid("JSON data is missing or invalid", items="error.path.missing.")
    lines = {ln["id"]: ln for ln in order["_lines"]}
    result = []
    for index, item in enumerate(items):
        item_type = item.get("item_type")
        if item_type == "PRODUCT":
            line = lines.get(item.get("item_id"))
            quantity = item.get("quantity")
            if line is None or not isinstance(quantity, int) or quantity < 1:
                raise invalid("Invalid refund item", **{f"items.{index}": "unknown item_id or bad quantity"})
            if quantity > line["quantity"] - line["quantity_refunded"]:
                raise invalid(
                    "Refund quantity exceeds the refundable quantity", **{f"items.{index}.quantity": "too many"}
                )
            result.append((line, quantity, line["_price"] * quantity))
        elif item_type == "ORDER":
            result.append((None, 0, Decimal(str(item.get("amount", 0)))))
        else:
            raise invalid("Unsupported item_type", **{f"items.{index}.item_type": str(item_type)})
    return result


@router.add("POST", "/v3/orders/{order_id:int}/payment_actions/refund_quotes", "orders")
def create_refund_quote(ctx: Ctx) -> Any:
    order = orders.get_order(ctx.store, ctx.args["order_id"])
    total = sum((amount for _, _, amount in _refund_items(order, ctx.json_object().get("items"))), Decimal("0"))
    quote = {
        "order_id": order["id"],
        "total_refund_amount": float(total),
        "total_refund_tax_amount": 0,
        "rounding": 0,
        "adjustment": 0,
        "tax_inclusive": True,
        "refund_methods": [
            [
                {
                    "provider_id": "storecredit",
                    "provider_description": "Store Credit",
                    "amount": float(total),
                    "offline": False,
                    "offline_provider": False,
                    "offline_reason": "",
                }
            ],
            [
                {
                    "provider_id": "custom",
                    "provider_description": "Custom",
                    "amount": float(total),
                    "offline": True,
                    "offline_provider": True,
                    "offline_reason": "Offline refund",
                }
            ],
        ],
    }
    return Reply(201, v3_single(quote))


@router.add("POST", "/v3/orders/{order_id:int}/payment_actions/refunds", "orders")
def create_refund(ctx: Ctx) -> Any:
    order = orders.get_order(ctx.store, ctx.args["order_id"])
    body = ctx.json_object()
    items = _refund_items(order, body.get("items"))
    total = sum((amount for _, _, amount in items), Decimal("0"))
    payments = body.get("payments")
    if not isinstance(payments, list) or not payments:
        raise invalid("JSON data is missing or invalid", payments="error.path.missing.")
    paid = sum((Decimal(str(p.get("amount", 0))) for p in payments), Decimal("0"))
    if abs(paid - total) > Decimal("0.005"):
        raise invalid(f"Payment total {paid} does not match the refund total {total}.")
    for line, quantity, amount in items:
        if line is not None:
            line["quantity_refunded"] += quantity
            line["_refund_amount"] += amount
            if order["_stock_applied"]:
                orders.release_units(ctx.store, line, quantity)
    order["_refunded"] += total
    refund_id = ctx.store.next_id("refund", 1)
    refund = {
        "id": refund_id,
        "order_id": order["id"],
        "user_id": 0,
        "created": iso8601(utcnow()),
        "reason": next((i.get("reason") for i in body["items"] if i.get("reason")), ""),
        "total_amount": float(total),
        "total_tax": 0,
        "uses_merchant_override_values": False,
        "payments": [
            {
                "id": n + 1,
                "provider_id": p.get("provider_id", ""),
                "amount": float(Decimal(str(p.get("amount", 0)))),
                "offline": bool(p.get("offline")),
                "is_declined": False,
                "declined_message": "",
            }
            for n, p in enumerate(payments)
        ],
        "items": [dict(i) for i in body["items"]],
    }
    ctx.store.refunds[refund_id] = refund
    ctx.store.emit(
        "store/order/refund/created", {"type": "order", "id": order["id"], "refund": {"refund_id": refund_id}}
    )
    fully = order["_refunded"] >= orders.totals(order)["total"]
    new_status = orders.REFUNDED if fully else orders.PARTIALLY_REFUNDED
    if new_status != order["status_id"]:
        orders.set_status(ctx.store, order, new_status)
    else:
        orders.touch(ctx.store, order)
    return Reply(201, v3_single(refund))


@router.add("GET", "/v3/orders/{order_id:int}/payment_actions/refunds", "orders")
def list_order_refunds(ctx: Ctx) -> Any:
    orders.get_order(ctx.store, ctx.args["order_id"])
    return v3_page(ctx, [r for r in ctx.store.refunds.values() if r["order_id"] == ctx.args["order_id"]])


@router.add("GET", "/v3/orders/payment_actions/refunds", "orders")
def list_refunds(ctx: Ctx) -> Any:
    refunds = list(ctx.store.refunds.values())
    order_ids = ctx.int_list("order_id:in")
    if order_ids is not None:
        refunds = [r for r in refunds if r["order_id"] in order_ids]
    return v3_page(ctx, refunds)
