"""Catalog v3 routes: categories, category trees, products, variants (research §4.1)."""

from __future__ import annotations

from typing import Any

from stores.bigcommerce.sandbox import catalog
from stores.bigcommerce.sandbox.framework import (
    ApiError,
    Ctx,
    Reply,
    Router,
    invalid,
    not_found,
    too_large,
    v3_page,
    v3_single,
)
from stores.bigcommerce.sandbox.state import parse_date

PRODUCT_BATCH_LIMIT = 10
VARIANT_BATCH_LIMIT = 50

router = Router()


@router.add("GET", "/v3/catalog/categories", "products")
def list_categories(ctx: Ctx) -> Any:
    items = list(ctx.store.categories.values())
    ids = ctx.int_list("id:in")
    if ids is not None:
        items = [c for c in items if c["id"] in ids]
    if ctx.int_param("id") is not None:
        items = [c for c in items if c["id"] == ctx.int_param("id")]
    if ctx.int_param("parent_id") is not None:
        items = [c for c in items if c["parent_id"] == ctx.int_param("parent_id")]
    if ctx.param("name"):
        items = [c for c in items if c["name"] == ctx.param("name")]
    if ctx.bool_param("is_visible") is not None:
        items = [c for c in items if c["is_visible"] == ctx.bool_param("is_visible")]
    return v3_page(ctx, items)


@router.add("GET", "/v3/catalog/categories/{category_id:int}", "products")
def get_category(ctx: Ctx) -> Any:
    category = ctx.store.categories.get(ctx.args["category_id"])
    if category is None:
        raise not_found("The requested category was not found.")
    return v3_single(category)


@router.add("GET", "/v3/catalog/trees/categories", "products")
def list_tree_categories(ctx: Ctx) -> Any:
    items = [
        {
            "category_id": c["id"],
            "parent_id": c["parent_id"],
            "tree_id": 1,
            "name": c["name"],
            "description": c["description"],
            "views": c["views"],
            "sort_order": c["sort_order"],
            "page_title": c["page_title"],
            "is_visible": c["is_visible"],
            "url": {"path": c["custom_url"]["url"], "is_customized": False},
        }
        for c in ctx.store.categories.values()
    ]
    ids = ctx.int_list("category_id:in")
    if ids is not None:
        items = [c for c in items if c["category_id"] in ids]
    return v3_page(ctx, items)


def _filter_products(ctx: Ctx) -> list[dict[str, Any]]:
    products = list(ctx.store.products.values())
    ids = ctx.int_list("id:in")
    if ids is not None:
        products = [p for p in products if p["id"] in ids]
    not_ids = ctx.int_list("id:not_in")
    if not_ids is not None:
        products = [p for p in products if p["id"] not in not_ids]
    for name, test in (
        ("id", lambda p, v: p["id"] == v),
        ("id:min", lambda p, v: p["id"] >= v),
        ("id:max", lambda p, v: p["id"] <= v),
        ("id:greater", lambda p, v: p["id"] > v),
        ("id:less", lambda p, v: p["id"] < v),
        ("categories", lambda p, v: v in p["categories"]),
        ("inventory_level", lambda p, v: catalog.product_stock(ctx.store, p) == v),
        ("inventory_level:min", lambda p, v: catalog.product_stock(ctx.store, p) >= v),
        ("inventory_level:max", lambda p, v: catalog.product_stock(ctx.store, p) <= v),
    ):
        value = ctx.int_param(name)
        if value is not None:
            products = [p for p in products if test(p, value)]
    categories = ctx.int_list("categories:in")
    if categories is not None:
        products = [p for p in products if set(p["categories"]) & set(categories)]
    if ctx.param("sku"):
        sku = ctx.param("sku", "").lower()
        products = [p for p in products if p["sku"].lower() == sku or _variant_has_sku(ctx, p, sku)]
    skus = ctx.list_param("sku:in")
    if skus is not None:
        wanted = {s.lower() for s in skus}
        products = [p for p in products if p["sku"].lower() in wanted]
    if ctx.param("name"):
        products = [p for p in products if p["name"] == ctx.param("name")]
    if ctx.param("keyword"):
        keyword = ctx.param("keyword", "").lower()
        products = [p for p in products if keyword in p["name"].lower() or keyword in p["sku"].lower()]
    for name in ("is_visible", "is_featured"):
        flag = ctx.bool_param(name)
        if flag is not None:
            products = [p for p in products if p[name] == flag]
    for name in ("availability", "type", "inventory_tracking"):
        if ctx.param(name):
            products = [p for p in products if p[name] == ctx.param(name)]
    if ctx.param("out_of_stock") == "1":
        products = [
            p for p in products if p["inventory_tracking"] != "none" and catalog.product_stock(ctx.store, p) == 0
        ]
    for name, at_least in (("date_modified:min", True), ("date_modified:max", False)):
        if ctx.param(name):
            bound = parse_date(ctx.param(name, ""))
            if bound is None:
                raise invalid(f"The filter '{name}' must be a date.")
            if at_least:
                products = [p for p in products if parse_date(p["date_modified"]) >= bound]
            else:
                products = [p for p in products if parse_date(p["date_modified"]) <= bound]
    sort = ctx.param("sort", "id")
    if sort not in ("id", "name", "sku", "price", "date_modified", "inventory_level", "is_visible", "total_sold"):
        raise invalid("Invalid sort field", sort=sort)
    key = (lambda p: catalog.product_stock(ctx.store, p)) if sort == "inventory_level" else (lambda p: p[sort])
    return sorted(products, key=key, reverse=ctx.param("direction") == "desc")


def _variant_has_sku(ctx: Ctx, product: dict[str, Any], sku: str) -> bool:
    return any(ctx.store.variants[vid]["sku"].lower() == sku for vid in product["_variant_ids"])


def _render_options(ctx: Ctx) -> dict[str, Any]:
    return {
        "include": ctx.list_param("include"),
        "include_fields": ctx.list_param("include_fields"),
        "exclude_fields": ctx.list_param("exclude_fields"),
    }


@router.add("GET", "/v3/catalog/products", "products")
def list_products(ctx: Ctx) -> Any:
    page = v3_page(ctx, _filter_products(ctx))
    options = _render_options(ctx)
    page["data"] = [catalog.render_product(ctx.store, p, **options) for p in page["data"]]
    return page


@router.add("POST", "/v3/catalog/products", "products")
def create_product(ctx: Ctx) -> Any:
    product = catalog.create_product(ctx.store, ctx.json_object())
    return v3_single(catalog.render_product(ctx.store, product, include=["variants"]))


@router.add("PUT", "/v3/catalog/products", "products")
def batch_update_products(ctx: Ctx) -> Any:
    items = ctx.json_list()
    if len(items) > PRODUCT_BATCH_LIMIT:
        raise too_large(PRODUCT_BATCH_LIMIT)
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            raise invalid("JSON data is missing or invalid", **{f"[{index}].id": "error.path.missing."})
        catalog.get_product(ctx.store, item["id"])
    updated = [catalog.update_product(ctx.store, item["id"], item) for item in items]
    return {"data": [catalog.render_product(ctx.store, p) for p in updated], "meta": {}}


@router.add("DELETE", "/v3/catalog/products", "products")
def batch_delete_products(ctx: Ctx) -> Any:
    ids = ctx.int_list("id:in")
    if not ids:
        raise invalid("A filter is required to delete products", **{"id:in": "required"})
    if len(ids) > 250:
        raise too_large(250)
    for product_id in ids:
        if product_id in ctx.store.products:
            catalog.delete_product(ctx.store, product_id)
    return Reply(204)


@router.add("GET", "/v3/catalog/products/{product_id:int}", "products")
def get_product(ctx: Ctx) -> Any:
    product = catalog.get_product(ctx.store, ctx.args["product_id"])
    return v3_single(catalog.render_product(ctx.store, product, **_render_options(ctx)))


@router.add("PUT", "/v3/catalog/products/{product_id:int}", "products")
def update_product(ctx: Ctx) -> Any:
    product = catalog.update_product(ctx.store, ctx.args["product_id"], ctx.json_object())
    return v3_single(catalog.render_product(ctx.store, product))


@router.add("DELETE", "/v3/catalog/products/{product_id:int}", "products")
def delete_product(ctx: Ctx) -> Any:
    catalog.delete_product(ctx.store, ctx.args["product_id"])
    return Reply(204)


@router.add("GET", "/v3/catalog/products/{product_id:int}/variants", "products")
def list_product_variants(ctx: Ctx) -> Any:
    product = catalog.get_product(ctx.store, ctx.args["product_id"])
    page = v3_page(ctx, [ctx.store.variants[vid] for vid in product["_variant_ids"]])
    page["data"] = [catalog.render_variant(ctx.store, v) for v in page["data"]]
    return page


@router.add("POST", "/v3/catalog/products/{product_id:int}/variants", "products")
def create_product_variant(ctx: Ctx) -> Any:
    variant = catalog.create_variant(ctx.store, ctx.args["product_id"], ctx.json_object())
    return v3_single(catalog.render_variant(ctx.store, variant))


@router.add("GET", "/v3/catalog/products/{product_id:int}/variants/{variant_id:int}", "products")
def get_product_variant(ctx: Ctx) -> Any:
    variant = catalog.get_variant(ctx.store, ctx.args["product_id"], ctx.args["variant_id"])
    return v3_single(catalog.render_variant(ctx.store, variant))


@router.add("PUT", "/v3/catalog/products/{product_id:int}/variants/{variant_id:int}", "products")
def update_product_variant(ctx: Ctx) -> Any:
    variant = catalog.get_variant(ctx.store, ctx.args["product_id"], ctx.args["variant_id"])
    return v3_single(catalog.render_variant(ctx.store, catalog.update_variant(ctx.store, variant, ctx.json_object())))


@router.add("DELETE", "/v3/catalog/products/{product_id:int}/variants/{variant_id:int}", "products")
def delete_product_variant(ctx: Ctx) -> Any:
    variant = catalog.get_variant(ctx.store, ctx.args["product_id"], ctx.args["variant_id"])
    catalog.delete_variant(ctx.store, variant)
    return Reply(204)


@router.add("GET", "/v3/catalog/variants", "products")
def list_variants(ctx: Ctx) -> Any:
    variants = sorted(ctx.store.variants.values(), key=lambda v: v["id"])
    for name, field in (("id", "id"), ("product_id", "product_id")):
        value = ctx.int_param(name)
        if value is not None:
            variants = [v for v in variants if v[field] == value]
        values = ctx.int_list(f"{name}:in")
        if values is not None:
            variants = [v for v in variants if v[field] in values]
    if ctx.param("sku"):
        variants = [v for v in variants if v["sku"].lower() == ctx.param("sku", "").lower()]
    skus = ctx.list_param("sku:in")
    if skus is not None:
        wanted = {s.lower() for s in skus}
        variants = [v for v in variants if v["sku"].lower() in wanted]
    page = v3_page(ctx, variants)
    page["data"] = [catalog.render_variant(ctx.store, v) for v in page["data"]]
    return page


@router.add("PUT", "/v3/catalog/variants", "products")
def batch_update_variants(ctx: Ctx) -> Any:
    items = ctx.json_list()
    if len(items) > VARIANT_BATCH_LIMIT:
        raise too_large(VARIANT_BATCH_LIMIT)
    batch_errors = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            batch_errors.append({"index": index, "status": 422, "title": "id is required to update a variant"})
        elif item["id"] not in ctx.store.variants:
            batch_errors.append({"index": index, "status": 404, "title": f"Variant {item['id']} not found"})
    if batch_errors:
        raise ApiError(422, "Batch contains invalid variants", extra={"batch_errors": batch_errors})
    updated = [catalog.update_variant(ctx.store, ctx.store.variants[item["id"]], item) for item in items]
    return {"data": [catalog.render_variant(ctx.store, v) for v in updated], "meta": {}}
