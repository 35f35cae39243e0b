"""Order domain of the sandbox: checkout-like creation, status changes, shipments, refunds (§6).

Stock (see inventory.py): with `update_stock_behavior` = order_placed (the default) a placed order takes
available on-hand first and books the rest as backordered (`quantity_backordered` on the line,
`qty_backordered` on the item); beyond the backorder limit the order is refused with 409 OutOfStock.
Incomplete orders (status 0) move no stock until they leave status 0. With order_completed_or_shipped
the check still happens at placement, but stock moves at the first shipment or completion.
Cancelling (status 5) and refunds restock when `refund_order_stock_adjustment` is on: the backordered part
of a line is released first (qty_backordered drops), then the part that came from on-hand is returned.
Locations (locations.py): an order with a pickup consignment (`consignments.pickups[0].location.id`) takes
its stock and books its backordered units at the pickup location; its lines carry the consignment's id in
`order_pickup_method_id` and `GET /v2/orders/{id}/consignments` lists it. Other orders ship: on-hand from
the online locations, backordered units at the default location.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from stores.bigcommerce.sandbox import inventory, locations
from stores.bigcommerce.sandbox.framework import ApiError, not_found, public
from stores.bigcommerce.sandbox.state import (
    DEFAULT_CHANNEL_ID,
    ORDER_STATUSES,
    Store,
    money,
    rfc2822,
    utcnow,
)

SHIPPED, PARTIALLY_SHIPPED, REFUNDED, CANCELLED, COMPLETED, PARTIALLY_REFUNDED = 2, 3, 4, 5, 10, 14

ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "street_1",
    "street_2",
    "city",
    "state",
    "zip",
    "country",
    "country_iso2",
    "phone",
    "email",
)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def get_order(store: Store, order_id: int) -> dict[str, Any]:
    order = store.orders.get(order_id)
    if order is None:
        raise not_found("The requested order was not found.")
    return order


def _resolve_line(store: Store, item: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    quantity = item.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise bad_request("Each product needs a positive integer quantity.")
    if item.get("product_id") is None:
        if not item.get("name") or item.get("price_inc_tax", item.get("price_ex_tax")) is None:
            raise bad_request("A custom product needs name and price_inc_tax or price_ex_tax.")
        return None, None
    product = store.products.get(item["product_id"])
    if product is None:
        raise bad_request(f"Product {item['product_id']} does not exist.")
    variant_id = item.get("variant_id")
    if variant_id is None and product["base_variant_id"]:
        variant_id = product["base_variant_id"]
    if variant_id is None and item.get("product_options"):
        wanted = {(o.get("id"), int(o.get("value"))) for o in item["product_options"]}
        for vid in product["_variant_ids"]:
            values = {(v["option_id"], v["id"]) for v in store.variants[vid]["option_values"]}
            if values == wanted:
                variant_id = vid
    variant = store.variants.get(variant_id) if variant_id is not None else None
    if variant is None or variant["product_id"] != product["id"]:
        raise bad_request(f"Product {product['id']} needs a valid variant_id or product_options.")
    return product, variant


def create_order(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    items = body.get("products")
    if not isinstance(items, list) or not items:
        raise bad_request("The field 'products' is required.")
    billing = body.get("billing_address")
    if not isinstance(billing, dict):
        raise bad_request("The field 'billing_address' is required.")
    status_id = body.get("status_id", 1)
    if status_id not in ORDER_STATUSES:
        raise bad_request(f"Unknown status_id {status_id}.")
    resolved = [(item, *_resolve_line(store, item)) for item in items]
    pickup_at = locations.pickup_location(store, body)
    order_id = store.next_id("order", 100)
    plan = inventory.plan_reservation(
        store,
        [
            (
                inventory.key_for(p, v) if p else None,
                v["id"] if v else 0,
                item["quantity"],
                item.get("quantity_backordered"),
            )
            for item, p, v in resolved
        ],
        order_id="",
        pickup_location=pickup_at,
    )
    now = utcnow()
    address_id = store.next_id("order_address", 1)
    order: dict[str, Any] = {
        "id": order_id,
        "customer_id": body.get("customer_id", 0),
        "status_id": status_id,
        "staff_notes": body.get("staff_notes", ""),
        "customer_message": body.get("customer_message", ""),
        "channel_id": body.get("channel_id", DEFAULT_CHANNEL_ID),
        "order_source": body.get("order_source", "external" if body.get("external_source") else "manual"),
        "external_source": body.get("external_source", ""),
        "external_order_id": body.get("external_order_id", ""),
        "cart_id": body.get("cart_id") or str(uuid.uuid4()),
        "customer_locale": body.get("customer_locale", "en"),
        "payment_method": body.get("payment_method", "Test Payment Gateway"),
        "payment_status": "captured" if status_id not in (0, 7) else "",
        "currency_code": "USD",
        "is_deleted": False,
        "billing_address": {k: billing.get(k, "") for k in ADDRESS_FIELDS},
        "_created": now,
        "_modified": now,
        "_shipped": None,
        "_refunded": Decimal("0"),
        "_stock_applied": False,
        "_lines": [],
    }
    shipping = (body.get("shipping_addresses") or [billing])[0]
    order["_address"] = {"id": address_id, "order_id": order_id, **{k: shipping.get(k, "") for k in ADDRESS_FIELDS}}
    if pickup_at is not None:
        pickup = (body["consignments"]["pickups"] or [{}])[0]
        order["_pickup"] = {
            "id": store.next_id("pickup_consignment", 1),
            "pickup_method_id": pickup.get("pickup_method_id", 1),
            "pickup_method_display_name": pickup.get("pickup_method_display_name", "Pick up in store"),
            "collection_instructions": pickup.get("collection_instructions", ""),
            "collection_time_description": pickup.get("collection_time_description", ""),
            "location_id": pickup_at,
        }
    for (item, product, variant), (key, from_stock, backordered, booked_at) in zip(resolved, plan, strict=True):
        price = Decimal(str(item.get("price_inc_tax", item.get("price_ex_tax", _price(product, variant)))))
        quantity = item["quantity"]
        order["_lines"].append(
            {
                "id": store.next_id("order_product", 1),
                "order_id": order_id,
                "product_id": product["id"] if product else 0,
                "variant_id": variant["id"] if variant else None,
                "order_address_id": address_id,
                "name": item.get("name") or (product["name"] if product else ""),
                "sku": variant["sku"] if variant else item.get("sku", ""),
                "type": product["type"] if product else "physical",
                "product_options": [
                    {
                        "id": i + 1,
                        "option_id": ov["option_id"],
                        "display_name": ov["option_display_name"],
                        "display_value": ov["label"],
                        "value": str(ov["id"]),
                        "type": "Multiple choice",
                        "name": ov["option_display_name"],
                    }
                    for i, ov in enumerate(variant["option_values"] if variant else [])
                ],
                "_price": price,
                "quantity": quantity,
                "quantity_shipped": 0,
                "quantity_refunded": 0,
                "quantity_backordered": backordered,
                "_refund_amount": Decimal("0"),
                "order_pickup_method_id": order["_pickup"]["id"] if pickup_at is not None else 0,
                "_key": key,
                "_stock_from": from_stock,
                "_location": booked_at,
            }
        )
        if product:
            product["total_sold"] += quantity
    store.orders[order_id] = order
    if status_id != 0 and store.inventory_settings["update_stock_behavior"] == "order_placed":
        _apply_stock(store, order)
    store.emit("store/order/created", {"type": "order", "id": order_id})
    return order


def _price(product: dict[str, Any] | None, variant: dict[str, Any] | None) -> Any:
    if variant and (variant.get("sale_price") or variant.get("price")):
        return variant.get("sale_price") or variant["price"]
    return product["calculated_price"] if product else 0


def _apply_stock(store: Store, order: dict[str, Any]) -> None:
    if order["_stock_applied"]:
        return
    order["_stock_applied"] = True
    for line in order["_lines"]:
        if line["_key"] is not None:
            inventory.apply_order_movement(
                store, line["_key"], line["_stock_from"], line["quantity_backordered"], line["_location"]
            )


def release_units(store: Store, line: dict[str, Any], quantity: int) -> None:
    """Give `quantity` units of a line back: backordered units first, then on-hand ones (to the locations
    they came from, the last one first)."""
    from_backorder = min(quantity, line["quantity_backordered"])
    left = min(quantity - from_backorder, sum(line["_stock_from"].values()))
    returned: dict[int, int] = {}
    for location in reversed(list(line["_stock_from"])):
        units = min(left, line["_stock_from"][location])
        if units:
            returned[location] = -units
            line["_stock_from"][location] -= units
            left -= units
    line["quantity_backordered"] -= from_backorder
    if line["_key"] is not None and store.inventory_settings["refund_order_stock_adjustment"]:
        inventory.apply_order_movement(store, line["_key"], returned, -from_backorder, line["_location"])


def set_status(store: Store, order: dict[str, Any], status_id: int) -> None:
    if status_id not in ORDER_STATUSES:
        raise bad_request(f"Unknown status_id {status_id}.")
    previous = order["status_id"]
    if previous == status_id:
        return
    behavior = store.inventory_settings["update_stock_behavior"]
    if previous == 0 and status_id != CANCELLED and behavior == "order_placed":
        _apply_stock(store, order)
    if status_id in (SHIPPED, COMPLETED) and behavior == "order_completed_or_shipped":
        _apply_stock(store, order)
    if status_id == CANCELLED and order["_stock_applied"]:
        for line in order["_lines"]:
            release_units(store, line, line["quantity"] - line["quantity_refunded"])
    order["status_id"] = status_id
    touch(store, order)
    store.emit(
        "store/order/statusUpdated",
        {"type": "order", "id": order["id"], "status": {"previous_status_id": previous, "new_status_id": status_id}},
    )


def touch(store: Store, order: dict[str, Any]) -> None:
    order["_modified"] = utcnow()
    store.emit("store/order/updated", {"type": "order", "id": order["id"]})


def update_order(store: Store, order: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    for field in ("staff_notes", "customer_message", "external_order_id", "customer_id", "payment_method"):
        if field in body:
            order[field] = body[field]
    if isinstance(body.get("billing_address"), dict):
        order["billing_address"].update({k: v for k, v in body["billing_address"].items() if k in ADDRESS_FIELDS})
    for item in body.get("products") or []:
        line = next((ln for ln in order["_lines"] if ln["id"] == item.get("id")), None)
        if line is None:
            raise bad_request(f"Order product {item.get('id')} does not exist.")
        if "quantity_backordered" in item:
            line["quantity_backordered"] = max(0, min(int(item["quantity_backordered"]), line["quantity"]))
        if "quantity" in item and int(item["quantity"]) < line["quantity"]:
            removed = line["quantity"] - int(item["quantity"])
            if store.inventory_settings["edit_order_stock_adjustment"] and order["_stock_applied"]:
                release_units(store, line, removed)
            line["quantity"] = int(item["quantity"])
        elif "quantity" in item and int(item["quantity"]) > line["quantity"]:
            raise bad_request("Increasing a line's quantity is not supported by the sandbox.")
    order["_lines"] = [ln for ln in order["_lines"] if ln["quantity"] > 0]
    if "status_id" in body and body["status_id"] != order["status_id"]:
        set_status(store, order, body["status_id"])
    elif set(body) - {"status_id"}:
        touch(store, order)
    return order


def archive(store: Store, order: dict[str, Any]) -> None:
    order["is_deleted"] = True
    order["_modified"] = utcnow()
    store.emit("store/order/archived", {"type": "order", "id": order["id"]})


def create_shipment(store: Store, order: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    if body.get("order_address_id") != order["_address"]["id"]:
        raise bad_request("The field 'order_address_id' is invalid.")
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise bad_request("The field 'items' is required.")
    lines = {ln["id"]: ln for ln in order["_lines"]}
    for item in items:
        line = lines.get(item.get("order_product_id"))
        quantity = item.get("quantity")
        if line is None or not isinstance(quantity, int) or quantity < 1:
            raise bad_request("Each item needs a valid order_product_id and a positive quantity.")
        if quantity > line["quantity"] - line["quantity_shipped"] - line["quantity_refunded"]:
            raise bad_request(f"Quantity to ship for order product {line['id']} exceeds the quantity left.")
    if store.inventory_settings["update_stock_behavior"] == "order_completed_or_shipped":
        _apply_stock(store, order)
    for item in items:
        lines[item["order_product_id"]]["quantity_shipped"] += item["quantity"]
    shipment_id = store.next_id("shipment", 1)
    shipment = {
        "id": shipment_id,
        "order_id": order["id"],
        "customer_id": order["customer_id"],
        "order_address_id": order["_address"]["id"],
        "date_created": rfc2822(utcnow()),
        "tracking_number": body.get("tracking_number", ""),
        "shipping_method": body.get("shipping_method", ""),
        "shipping_provider": body.get("shipping_provider", ""),
        "tracking_carrier": body.get("tracking_carrier", ""),
        "tracking_link": "",
        "generated_tracking_link": "",
        "comments": body.get("comments", ""),
        "items": [
            {
                "order_product_id": i["order_product_id"],
                "product_id": lines[i["order_product_id"]]["product_id"],
                "quantity": i["quantity"],
            }
            for i in items
        ],
        "billing_address": dict(order["billing_address"]),
        "shipping_address": public(order["_address"]),
    }
    store.shipments[shipment_id] = shipment
    store.emit("store/shipment/created", {"type": "shipment", "id": shipment_id, "orderId": order["id"]})
    everything = all(ln["quantity_shipped"] + ln["quantity_refunded"] >= ln["quantity"] for ln in order["_lines"])
    if everything:
        order["_shipped"] = utcnow()
    new_status = SHIPPED if everything else PARTIALLY_SHIPPED
    if new_status != order["status_id"]:
        set_status(store, order, new_status)
    else:
        touch(store, order)
    return shipment


def totals(order: dict[str, Any]) -> dict[str, Decimal]:
    subtotal = sum((ln["_price"] * ln["quantity"] for ln in order["_lines"]), Decimal("0"))
    return {"subtotal": subtotal, "total": subtotal}


def render_line(line: dict[str, Any]) -> dict[str, Any]:
    total = line["_price"] * line["quantity"]
    data = public(line)
    data.update(
        {
            "name_customer": line["name"],
            "name_merchant": line["name"],
            "upc": "",
            "base_price": money(line["_price"]),
            "price_ex_tax": money(line["_price"]),
            "price_inc_tax": money(line["_price"]),
            "price_tax": money(0),
            "base_total": money(total),
            "total_ex_tax": money(total),
            "total_inc_tax": money(total),
            "total_tax": money(0),
            "discounted_total_inc_tax": money(total),
            "is_refunded": line["quantity_refunded"] >= line["quantity"] and line["quantity"] > 0,
            "refund_amount": money(line["_refund_amount"]),
            "return_id": 0,
            "is_bundled_product": False,
            "parent_order_product_id": None,
            "bin_picking_number": "",
            "applied_discounts": [],
        }
    )
    return data


def render_order(store: Store, order: dict[str, Any], api_base: str) -> dict[str, Any]:
    sums = totals(order)
    base = f"{api_base}/stores/{store.store_hash}/v2/orders/{order['id']}"
    status = ORDER_STATUSES[order["status_id"]]
    data = public(order)
    data.update(
        {
            "date_created": rfc2822(order["_created"]),
            "date_modified": rfc2822(order["_modified"]),
            "date_shipped": rfc2822(order["_shipped"]),
            "status": status,
            "custom_status": status,
            "subtotal_ex_tax": money(sums["subtotal"]),
            "subtotal_inc_tax": money(sums["subtotal"]),
            "subtotal_tax": money(0),
            "base_shipping_cost": money(0),
            "shipping_cost_ex_tax": money(0),
            "shipping_cost_inc_tax": money(0),
            "total_ex_tax": money(sums["total"]),
            "total_inc_tax": money(sums["total"]),
            "total_tax": money(0),
            "discount_amount": money(0),
            "coupon_discount": money(0),
            "refunded_amount": money(order["_refunded"]),
            "items_total": sum(ln["quantity"] for ln in order["_lines"]),
            "items_shipped": sum(ln["quantity_shipped"] for ln in order["_lines"]),
            "default_currency_code": "USD",
            "store_default_currency_code": "USD",
            "products": {"url": f"{base}/products", "resource": f"/orders/{order['id']}/products"},
            "consignments": {"url": f"{base}/consignments", "resource": f"/orders/{order['id']}/consignments"},
            "shipping_addresses": {
                "url": f"{base}/shippingaddresses",
                "resource": f"/orders/{order['id']}/shippingaddresses",
            },
            "coupons": {"url": f"{base}/coupons", "resource": f"/orders/{order['id']}/coupons"},
        }
    )
    return data


def render_consignments(store: Store, order: dict[str, Any], api_base: str) -> dict[str, Any]:
    """`GET /v2/orders/{id}/consignments`: the pickup consignment with its location, or the order's
    shipping consignment (its shape beyond `id` and `line_items` is not documented)."""
    base = f"{api_base}/stores/{store.store_hash}/v2/orders/{order['id']}/products"
    line_items = [{"url": f"{base}/{ln['id']}", "resource": f"/orders/{order['id']}/products/{ln['id']}"}
                  for ln in order["_lines"]]  # fmt: skip
    pickup = order.get("_pickup")
    if pickup is None:
        return {"shipping": [{"id": order["_address"]["id"], "line_items": line_items}]}
    location = store.locations.get(pickup["location_id"]) or {"label": "", "code": ""}
    address = location.get("address") or {}
    return {
        "pickups": [
            {
                **{k: v for k, v in pickup.items() if k != "location_id"},
                "location": {
                    "id": pickup["location_id"],
                    "name": location["label"],
                    "code": location["code"],
                    "address_line_1": address.get("address1", ""),
                    "address_line_2": address.get("address2", ""),
                    "city": address.get("city", ""),
                    "state": address.get("state", ""),
                    "postal_code": address.get("zip", ""),
                    "country_alpha2": address.get("country_code", ""),
                    "email": address.get("email", ""),
                    "phone": address.get("phone", ""),
                },
                "line_items": line_items,
            }
        ]
    }


def render_address(order: dict[str, Any]) -> dict[str, Any]:
    data = public(order["_address"])
    data.update(
        {
            "items_total": sum(ln["quantity"] for ln in order["_lines"]),
            "items_shipped": sum(ln["quantity_shipped"] for ln in order["_lines"]),
            "shipping_method": "Free Shipping",
            "base_cost": money(0),
            "cost_ex_tax": money(0),
            "cost_inc_tax": money(0),
            "shipping_zone_id": 1,
            "shipping_zone_name": "United States",
        }
    )
    return data
