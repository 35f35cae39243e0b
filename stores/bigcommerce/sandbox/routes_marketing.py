"""Customers v3, customer groups v2, coupons v2 and promotions v3 (research §8)."""

from __future__ import annotations

import re
from typing import Any

from stores.bigcommerce.sandbox.framework import (
    ApiError,
    Ctx,
    Reply,
    Router,
    invalid,
    not_found,
    v2_page,
    v3_page,
    v3_single,
)
from stores.bigcommerce.sandbox.state import Store, iso8601, money, rfc2822, utcnow

router = Router()

COUPON_TYPES = (
    "per_item_discount",
    "per_total_discount",
    "shipping_discount",
    "free_shipping",
    "percentage_discount",
)
CODE_PATTERN = re.compile(r"^[A-Za-z0-9 _-]+$")


def add_customer(
    store: Store, *, email: str, first_name: str, last_name: str, customer_group_id: int = 0
) -> dict[str, Any]:
    if customer_group_id and customer_group_id not in store.customer_groups:
        raise ApiError(422, f"Customer group {customer_group_id} does not exist.")
    now = iso8601(utcnow())
    customer = {
        "id": store.next_id("customer", 1),
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "company": "",
        "phone": "",
        "customer_group_id": customer_group_id,
        "notes": "",
        "tax_exempt_category": "",
        "accepts_product_review_abandoned_cart_emails": True,
        "channel_ids": [1],
        "date_created": now,
        "date_modified": now,
    }
    store.customers[customer["id"]] = customer
    return customer


@router.add("GET", "/v3/customers", "customers")
def list_customers(ctx: Ctx) -> Any:
    customers = list(ctx.store.customers.values())
    ids = ctx.int_list("id:in")
    if ids is not None:
        customers = [c for c in customers if c["id"] in ids]
    emails = ctx.list_param("email:in")
    if emails is not None:
        wanted = {e.lower() for e in emails}
        customers = [c for c in customers if c["email"].lower() in wanted]
    names = ctx.list_param("name:like")
    if names is not None:
        customers = [
            c for c in customers if any(n.lower() in f"{c['first_name']} {c['last_name']}".lower() for n in names)
        ]
    page = v3_page(ctx, customers)
    ids_on_page = [c["id"] for c in page["data"]]
    page["meta"]["cursor_pagination"] = {
        "count": len(ids_on_page),
        "per_page": page["meta"]["pagination"]["per_page"],
        "start_cursor": str(ids_on_page[0]) if ids_on_page else None,
        "end_cursor": str(ids_on_page[-1]) if ids_on_page else None,
        "links": {},
    }
    return page


@router.add("PUT", "/v3/customers", "customers", write=True)
def update_customers(ctx: Ctx) -> Any:
    """Batch update: `[{"id", …fields}]`; a customer group must exist (0 = no group)."""
    items = ctx.json_list()
    updated = []
    for item in items:
        customer = ctx.store.customers.get(item.get("id")) if isinstance(item, dict) else None
        if customer is None:
            raise invalid("JSON data is missing or invalid", id=f"customer {item!r} not found")
        group = item.get("customer_group_id", customer["customer_group_id"])
        if group and group not in ctx.store.customer_groups:
            raise invalid("JSON data is missing or invalid", customer_group_id=f"group {group} does not exist")
    for item in items:
        customer = ctx.store.customers[item["id"]]
        for name in ("email", "first_name", "last_name", "company", "phone", "customer_group_id", "notes"):
            if name in item:
                customer[name] = item[name]
        customer["date_modified"] = iso8601(utcnow())
        updated.append(customer)
    return {"data": updated, "meta": {}}


# -- customer groups v2 ------------------------------------------------------------------------------------


def add_customer_group(store: Store, *, name: str, is_default: bool = False) -> dict[str, Any]:
    if not name or any(g["name"].lower() == name.lower() for g in store.customer_groups.values()):
        raise ApiError(409 if name else 400, f"The customer group name {name!r} is empty or already in use.")
    group = {"id": store.next_id("customer_group", 1), "name": name, "is_default": is_default,
             "category_access": {"type": "all"}, "discount_rules": [], "is_group_for_guests": False,
             "date_created": rfc2822(utcnow()), "date_modified": rfc2822(utcnow())}  # fmt: skip
    store.customer_groups[group["id"]] = group
    return group


@router.add("GET", "/v2/customer_groups", "customers")
def list_customer_groups(ctx: Ctx) -> Any:
    return v2_page(ctx, list(ctx.store.customer_groups.values()))


@router.add("POST", "/v2/customer_groups", "customers", write=True)
def create_customer_group(ctx: Ctx) -> Any:
    return Reply(201, add_customer_group(ctx.store, name=str(ctx.json_object().get("name") or "")))


@router.add("GET", "/v2/customer_groups/{group_id:int}", "customers")
def get_customer_group(ctx: Ctx) -> Any:
    group = ctx.store.customer_groups.get(ctx.args["group_id"])
    if group is None:
        raise not_found()
    return group


# -- coupons v2 -------------------------------------------------------------------------------------------


@router.add("POST", "/v2/coupons", "marketing")
def create_coupon(ctx: Ctx) -> Any:
    body = ctx.json_object()
    for field in ("name", "code", "type", "amount", "applies_to"):
        if body.get(field) in (None, ""):
            raise ApiError(400, f"The field '{field}' is required.")
    if body["type"] not in COUPON_TYPES:
        raise ApiError(400, "The field 'type' is invalid.")
    if not CODE_PATTERN.match(str(body["code"])):
        raise ApiError(400, "The field 'code' may contain letters, digits, spaces, '_' and '-' only.")
    for existing in ctx.store.coupons.values():
        if existing["code"].lower() == str(body["code"]).lower():
            raise ApiError(409, f"The coupon code '{body['code']}' is already in use.")
        if existing["name"].lower() == str(body["name"]).lower():
            raise ApiError(409, f"The coupon name '{body['name']}' is already in use.")
    coupon = {
        "id": ctx.store.next_id("coupon", 1),
        "name": body["name"],
        "type": body["type"],
        "amount": money(body["amount"]),
        "min_purchase": money(body.get("min_purchase", 0)),
        "expires": body.get("expires", ""),
        "enabled": body.get("enabled", True),
        "code": body["code"],
        "applies_to": body["applies_to"],
        "num_uses": 0,
        "max_uses": body.get("max_uses", 0),
        "max_uses_per_customer": body.get("max_uses_per_customer", 0),
        "restricted_to": body.get("restricted_to", {}),
        "shipping_methods": body.get("shipping_methods", []),
        "date_created": rfc2822(utcnow()),
    }
    ctx.store.coupons[coupon["id"]] = coupon
    return Reply(201, coupon)


@router.add("GET", "/v2/coupons", "marketing")
def list_coupons(ctx: Ctx) -> Any:
    coupons = list(ctx.store.coupons.values())
    if ctx.param("code"):
        coupons = [c for c in coupons if c["code"] == ctx.param("code")]
    if ctx.int_param("min_id") is not None:
        coupons = [c for c in coupons if c["id"] >= ctx.int_param("min_id")]
    return v2_page(ctx, coupons)


@router.add("GET", "/v2/coupons/{coupon_id:int}", "marketing")
def get_coupon(ctx: Ctx) -> Any:
    coupon = ctx.store.coupons.get(ctx.args["coupon_id"])
    if coupon is None:
        raise not_found()
    return coupon


@router.add("DELETE", "/v2/coupons/{coupon_id:int}", "marketing")
def delete_coupon(ctx: Ctx) -> Any:
    if ctx.store.coupons.pop(ctx.args["coupon_id"], None) is None:
        raise not_found()
    return Reply(204)


@router.add("DELETE", "/v2/coupons", "marketing")
def delete_coupons(ctx: Ctx) -> Any:
    ids = ctx.int_list("id:in")
    if not ids:
        raise ApiError(400, "The filter 'id:in' is required.")
    for coupon_id in ids:
        ctx.store.coupons.pop(coupon_id, None)
    return Reply(204)


# -- promotions v3 ----------------------------------------------------------------------------------------


@router.add("POST", "/v3/promotions", "marketing")
def create_promotion(ctx: Ctx) -> Any:
    body = ctx.json_object()
    missing = {f: "error.path.missing." for f in ("name", "rules") if not body.get(f)}
    if missing:
        raise ApiError(422, "JSON data is missing or invalid", errors=missing)
    redemption = body.get("redemption_type", "AUTOMATIC")
    if redemption not in ("AUTOMATIC", "COUPON"):
        raise invalid("JSON data is missing or invalid", redemption_type="must be AUTOMATIC or COUPON")
    promotion = {
        "id": ctx.store.next_id("promotion", 1),
        "name": body["name"],
        "created_from": "api",
        "customer": body.get(
            "customer", {"group_ids": [], "minimum_order_count": 0, "excluded_group_ids": [], "segments": None}
        ),
        "rules": body["rules"],
        "notifications": body.get("notifications", []),
        "stop": body.get("stop", False),
        "currency_code": body.get("currency_code", "USD"),
        "redemption_type": redemption,
        "current_uses": 0,
        "max_uses": body.get("max_uses"),
        "start_date": body.get("start_date") or iso8601(utcnow()),
        "end_date": body.get("end_date"),
        "status": body.get("status", "ENABLED"),
        "schedule": body.get("schedule"),
        "can_be_used_with_other_promotions": body.get("can_be_used_with_other_promotions", True),
    }
    ctx.store.promotions[promotion["id"]] = promotion
    return Reply(201, v3_single(promotion))


@router.add("GET", "/v3/promotions", "marketing")
def list_promotions(ctx: Ctx) -> Any:
    promotions = list(ctx.store.promotions.values())
    if ctx.param("redemption_type"):
        promotions = [p for p in promotions if p["redemption_type"] == ctx.param("redemption_type")]
    return v3_page(ctx, promotions)


def _promotion(ctx: Ctx) -> dict[str, Any]:
    promotion = ctx.store.promotions.get(ctx.args["promotion_id"])
    if promotion is None:
        raise not_found("Promotion not found.")
    return promotion


@router.add("GET", "/v3/promotions/{promotion_id:int}", "marketing")
def get_promotion(ctx: Ctx) -> Any:
    return v3_single(_promotion(ctx))


@router.add("DELETE", "/v3/promotions/{promotion_id:int}", "marketing")
def delete_promotion(ctx: Ctx) -> Any:
    promotion = _promotion(ctx)
    del ctx.store.promotions[promotion["id"]]
    return Reply(204)


@router.add("POST", "/v3/promotions/{promotion_id:int}/codes", "marketing")
def create_promotion_code(ctx: Ctx) -> Any:
    promotion = _promotion(ctx)
    if promotion["redemption_type"] != "COUPON":
        raise invalid("Codes can only be added to COUPON promotions.")
    body = ctx.json_object()
    code = str(body.get("code") or "")
    if not code or not CODE_PATTERN.match(code):
        raise invalid("JSON data is missing or invalid", code="invalid code")
    if any(c["code"].lower() == code.lower() for c in ctx.store.promotion_codes.values()):
        raise ApiError(409, f"The coupon code '{code}' is already in use.")
    entry = {
        "id": ctx.store.next_id("promotion_code", 1),
        "code": code,
        "current_uses": 0,
        "max_uses": body.get("max_uses", 0),
        "max_uses_per_customer": body.get("max_uses_per_customer", 0),
        "created": iso8601(utcnow()),
        "_promotion_id": promotion["id"],
    }
    ctx.store.promotion_codes[entry["id"]] = entry
    return Reply(201, v3_single({k: v for k, v in entry.items() if not k.startswith("_")}))


@router.add("GET", "/v3/promotions/{promotion_id:int}/codes", "marketing")
def list_promotion_codes(ctx: Ctx) -> Any:
    promotion = _promotion(ctx)
    codes = [
        {k: v for k, v in c.items() if not k.startswith("_")}
        for c in ctx.store.promotion_codes.values()
        if c["_promotion_id"] == promotion["id"]
    ]
    return v3_page(ctx, codes)
