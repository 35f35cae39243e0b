"""Orders v2 routes: orders, order products, shipping addresses, shipments, order statuses (§6.1)."""

from __future__ import annotations

from typing import Any

from stores.bigcommerce.sandbox import orders
from stores.bigcommerce.sandbox.framework import Ctx, Reply, Router, not_found, v2_page
from stores.bigcommerce.sandbox.state import ORDER_STATUSES, parse_date

router = Router()

SORT_FIELDS = {
    "id": lambda o: o["id"],
    "customer_id": lambda o: o["customer_id"],
    "date_created": lambda o: o["_created"],
    "date_modified": lambda o: o["_modified"],
    "status_id": lambda o: o["status_id"],
    "channel_id": lambda o: o["channel_id"],
    "external_id": lambda o: o["external_order_id"],
}


def _bad_filter(name: str) -> Exception:
    return orders.bad_request(f"The filter '{name}' is invalid.")


def _filter_orders(ctx: Ctx) -> list[dict[str, Any]]:
    result = list(ctx.store.orders.values())
    if ctx.bool_param("is_deleted"):
        result = [o for o in result if o["is_deleted"]]
    else:
        result = [o for o in result if not o["is_deleted"]]
    for name, test in (
        ("min_id", lambda o, v: o["id"] >= v),
        ("max_id", lambda o, v: o["id"] <= v),
        ("status_id", lambda o, v: o["status_id"] == v),
        ("customer_id", lambda o, v: o["customer_id"] == v),
        ("channel_id", lambda o, v: o["channel_id"] == v),
    ):
        value = ctx.int_param(name)
        if value is not None:
            result = [o for o in result if test(o, value)]
    if ctx.param("email"):
        email = ctx.param("email", "").lower()
        result = [o for o in result if o["billing_address"].get("email", "").lower() == email]
    if ctx.param("cart_id"):
        result = [o for o in result if o["cart_id"] == ctx.param("cart_id")]
    for name, field, at_least in (
        ("min_date_created", "_created", True),
        ("max_date_created", "_created", False),
        ("min_date_modified", "_modified", True),
        ("max_date_modified", "_modified", False),
    ):
        if ctx.param(name):
            bound = parse_date(ctx.param(name, ""))
            if bound is None:
                raise _bad_filter(name)
            result = [o for o in result if (o[field] >= bound if at_least else o[field] <= bound)]
    field, _, direction = (ctx.param("sort") or "id:asc").partition(":")
    if field not in SORT_FIELDS:
        raise _bad_filter("sort")
    return sorted(result, key=SORT_FIELDS[field], reverse=direction.lower() == "desc")


@router.add("GET", "/v2/orders", "orders")
def list_orders(ctx: Ctx) -> Any:
    reply = v2_page(ctx, _filter_orders(ctx))
    if reply.body:
        reply.body = [orders.render_order(ctx.store, o, ctx.base_url) for o in reply.body]
    return reply


@router.add("GET", "/v2/orders/count", "orders")
def count_orders(ctx: Ctx) -> Any:
    visible = [o for o in ctx.store.orders.values() if not o["is_deleted"]]
    statuses = [
        {
            "id": sid,
            "name": name,
            "system_label": name,
            "custom_label": name,
            "system_description": "",
            "count": sum(1 for o in visible if o["status_id"] == sid),
            "sort_order": sid,
        }
        for sid, name in ORDER_STATUSES.items()
    ]
    return {"statuses": statuses, "count": len(visible)}


@router.add("POST", "/v2/orders", "orders")
def create_order(ctx: Ctx) -> Any:
    order = orders.create_order(ctx.store, ctx.json_object())
    return Reply(201, orders.render_order(ctx.store, order, ctx.base_url))


@router.add("GET", "/v2/orders/{order_id:int}", "orders")
def get_order(ctx: Ctx) -> Any:
    return orders.render_order(ctx.store, orders.get_order(ctx.store, ctx.args["order_id"]), ctx.base_url)


@router.add("PUT", "/v2/orders/{order_id:int}", "orders")
def update_order(ctx: Ctx) -> Any:
    order = orders.get_order(ctx.store, ctx.args["order_id"])
    orders.update_order(ctx.store, order, ctx.json_object())
    return orders.render_order(ctx.store, order, ctx.base_url)


@router.add("DELETE", "/v2/orders/{order_id:int}", "orders")
def archive_order(ctx: Ctx) -> Any:
    orders.archive(ctx.store, orders.get_order(ctx.store, ctx.args["order_id"]))
    return Reply(204)


@router.add("GET", "/v2/orders/{order_id:int}/products", "orders")
def list_order_products(ctx: Ctx) -> Any:
    order = orders.get_order(ctx.store, ctx.args["order_id"])
    reply = v2_page(ctx, order["_lines"])
    if reply.body:
        reply.body = [orders.render_line(line) for line in reply.body]
    return reply


@router.add("GET", "/v2/orders/{order_id:int}/products/{line_id:int}", "orders")
def get_order_product(ctx: Ctx) -> Any:
    order = orders.get_order(ctx.store, ctx.args["order_id"])
    for line in order["_lines"]:
        if line["id"] == ctx.args["line_id"]:
            return orders.render_line(line)
    raise not_found()


@router.add("GET", "/v2/orders/{order_id:int}/consignments", "orders")
def list_consignments(ctx: Ctx) -> Any:
    order = orders.get_order(ctx.store, ctx.args["order_id"])
    return orders.render_consignments(ctx.store, order, ctx.base_url)


@router.add("GET", "/v2/orders/{order_id:int}/shipping_addresses", "orders")
@router.add("GET", "/v2/orders/{order_id:int}/shippingaddresses", "orders")
def list_shipping_addresses(ctx: Ctx) -> Any:
    return [orders.render_address(orders.get_order(ctx.store, ctx.args["order_id"]))]


@router.add("GET", "/v2/orders/{order_id:int}/coupons", "orders")
def list_order_coupons(ctx: Ctx) -> Any:
    orders.get_order(ctx.store, ctx.args["order_id"])
    return Reply(204)


def _order_shipments(ctx: Ctx) -> list[dict[str, Any]]:
    order = orders.get_order(ctx.store, ctx.args["order_id"])
    return [s for s in ctx.store.shipments.values() if s["order_id"] == order["id"]]


@router.add("GET", "/v2/orders/{order_id:int}/shipments", "orders")
def list_shipments(ctx: Ctx) -> Any:
    return v2_page(ctx, _order_shipments(ctx))


@router.add("GET", "/v2/orders/{order_id:int}/shipments/count", "orders")
def count_shipments(ctx: Ctx) -> Any:
    return {"count": len(_order_shipments(ctx))}


@router.add("POST", "/v2/orders/{order_id:int}/shipments", "orders")
def create_shipment(ctx: Ctx) -> Any:
    order = orders.get_order(ctx.store, ctx.args["order_id"])
    return Reply(201, orders.create_shipment(ctx.store, order, ctx.json_object()))


@router.add("GET", "/v2/orders/{order_id:int}/shipments/{shipment_id:int}", "orders")
def get_shipment(ctx: Ctx) -> Any:
    for shipment in _order_shipments(ctx):
        if shipment["id"] == ctx.args["shipment_id"]:
            return shipment
    raise not_found()


@router.add("DELETE", "/v2/orders/{order_id:int}/shipments/{shipment_id:int}", "orders")
def delete_shipment(ctx: Ctx) -> Any:
    for shipment in _order_shipments(ctx):
        if shipment["id"] == ctx.args["shipment_id"]:
            order = ctx.store.orders[shipment["order_id"]]
            for item in shipment["items"]:
                for line in order["_lines"]:
                    if line["id"] == item["order_product_id"]:
                        line["quantity_shipped"] = max(0, line["quantity_shipped"] - item["quantity"])
            del ctx.store.shipments[shipment["id"]]
            ctx.store.emit("store/shipment/deleted", {"type": "shipment", "id": shipment["id"], "orderId": order["id"]})
            return Reply(204)
    raise not_found()


def _status(sid: int, name: str) -> dict[str, Any]:
    return {"id": sid, "name": name, "system_label": name, "custom_label": name, "system_description": "", "order": sid}


@router.add("GET", "/v2/order_statuses", "orders")
def list_order_statuses(ctx: Ctx) -> Any:
    return [_status(sid, name) for sid, name in ORDER_STATUSES.items()]


@router.add("GET", "/v2/order_statuses/{status_id:int}", "orders")
def get_order_status(ctx: Ctx) -> Any:
    name = ORDER_STATUSES.get(ctx.args["status_id"])
    if name is None:
        raise not_found()
    return _status(ctx.args["status_id"], name)
