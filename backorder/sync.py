"""The catalog mirror: a full, resumable copy from BigCommerce, and updates from webhooks.

BigCommerce stays the source of truth; the mirror is what the availability engine reads. Webhook values
are never trusted: a product event re-reads the product (and its stock) from the API.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from backorder.models import CatalogSync, Category, Product, Variant
from stores.bigcommerce.client import BigCommerceClient

logger = logging.getLogger(__name__)

PRODUCT_PAGE = 250
INVENTORY_PAGE = 1000
DEFAULT_LOCATION_ID = 1
ID_BATCH = 50  # ids per `id:in` filter: keeps URLs short
STALE_SYNC_AFTER = timedelta(minutes=10)

PRODUCT_FIELDS = ["name", "sku", "inventory_tracking", "availability", "is_visible", "category_ids",
                  "base_variant_id", "url", "price", "date_modified", "is_deleted", "synced_at"]  # fmt: skip
VARIANT_FIELDS = ["product", "sku", "option_label", "price", "purchasing_disabled", "is_deleted", "synced_at"]
STOCK_FIELDS = ["on_hand", "backorder_limit", "qty_backordered", "available_to_sell"]


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _option_label(variant: dict) -> str:
    values = variant.get("option_values") or []
    return ", ".join(f"{v.get('option_display_name', '')}: {v.get('label', '')}" for v in values)[:255]


def categories_copy(*, client: BigCommerceClient, now) -> int:
    """Copy every category, with each one's path from the top (for "deepest category wins")."""
    rows = list(client.iter_v3("/v3/catalog/categories", {"limit": 250}))
    parents = {row["id"]: row.get("parent_id") or None for row in rows}

    def path_of(category_id: int) -> list[int]:
        path, seen = [], set()
        while category_id and category_id not in seen:
            seen.add(category_id)
            path.append(category_id)
            category_id = parents.get(category_id)
        return list(reversed(path))

    Category.objects.bulk_create(
        [
            Category(
                bigcommerce_id=row["id"],
                parent_bigcommerce_id=parents[row["id"]],
                name=(row.get("name") or "")[:255],
                path=path_of(row["id"]),
                is_visible=row.get("is_visible", True),
                synced_at=now,
            )
            for row in rows
        ],
        update_conflicts=True,
        unique_fields=["bigcommerce_id"],
        update_fields=["parent_bigcommerce_id", "name", "path", "is_visible", "synced_at"],
    )
    Category.objects.exclude(bigcommerce_id__in=list(parents)).delete()
    return len(rows)


def products_store(*, products: list[dict], now) -> int:
    """Upsert products and their variants as BigCommerce returned them (`include=variants`)."""
    stored = Product.objects.bulk_create(
        [
            Product(
                bigcommerce_id=p["id"],
                name=(p.get("name") or "")[:255],
                sku=(p.get("sku") or "")[:255],
                inventory_tracking=p.get("inventory_tracking") or "none",
                availability=p.get("availability") or "available",
                is_visible=bool(p.get("is_visible", True)),
                category_ids=list(p.get("categories") or []),
                base_variant_id=p.get("base_variant_id"),
                url=((p.get("custom_url") or {}).get("url") or "")[:255],
                price=_decimal(p.get("price")),
                date_modified=parse_datetime(p["date_modified"]) if p.get("date_modified") else None,
                is_deleted=False,
                synced_at=now,
            )
            for p in products
        ],
        update_conflicts=True,
        unique_fields=["bigcommerce_id"],
        update_fields=PRODUCT_FIELDS,
    )
    product_pk = {product.bigcommerce_id: product.pk for product in stored}
    variants = []
    for p in products:
        tracked = p.get("inventory_tracking") or "none"
        for v in p.get("variants") or []:
            variants.append(
                Variant(
                    bigcommerce_id=v["id"],
                    product_id=product_pk[p["id"]],
                    sku=(v.get("sku") or "")[:255],
                    option_label=_option_label(v),
                    price=_decimal(v.get("price") if v.get("price") is not None else p.get("price")),
                    purchasing_disabled=bool(v.get("purchasing_disabled")),
                    on_hand=_on_hand_from_catalog(tracked, p, v),
                    is_deleted=False,
                    synced_at=now,
                )
            )
    # Stock fields come from the inventory API (which knows the backorder fields) except for new rows.
    Variant.objects.bulk_create(
        variants, update_conflicts=True, unique_fields=["bigcommerce_id"], update_fields=[*VARIANT_FIELDS, "on_hand"]
    )
    seen = [v.bigcommerce_id for v in variants]
    Variant.objects.filter(product_id__in=product_pk.values()).exclude(bigcommerce_id__in=seen).update(is_deleted=True)
    return len(variants)


def _on_hand_from_catalog(tracking: str, product: dict, variant: dict) -> int | None:
    if tracking == "none":
        return None
    if tracking == "product":
        return int(product.get("inventory_level") or 0)
    return int(variant.get("inventory_level") or 0)


def stock_store(*, items: Iterable[dict]) -> int:
    """Apply inventory items of the default location (on-hand and the native backorder fields)."""
    by_variant: dict[int, dict] = {}
    by_product: dict[int, dict] = {}
    for item in items:
        identity = item.get("identity") or {}
        settings = item.get("settings") or {}
        stock = {
            "on_hand": item.get("total_inventory_onhand"),
            "backorder_limit": settings.get("backorder_limit", 0),
            "qty_backordered": item.get("qty_backordered") or 0,
            "available_to_sell": item.get("available_to_sell"),
        }
        if identity.get("variant_id"):
            by_variant[identity["variant_id"]] = stock
        elif identity.get("product_id"):
            by_product[identity["product_id"]] = stock
    rows = list(Variant.objects.filter(bigcommerce_id__in=list(by_variant)).only("pk", "bigcommerce_id", *STOCK_FIELDS))
    for variant in rows:
        for field, value in by_variant[variant.bigcommerce_id].items():
            setattr(variant, field, value)
    if by_product:  # stock tracked by product: every variant of the product shares it
        for variant in Variant.objects.filter(product__bigcommerce_id__in=list(by_product)).select_related("product"):
            for field, value in by_product[variant.product.bigcommerce_id].items():
                setattr(variant, field, value)
            rows.append(variant)
    Variant.objects.bulk_update(rows, STOCK_FIELDS, batch_size=1000)
    return len(by_variant) + len(by_product)


# -- full sync -------------------------------------------------------------------------------------------


def catalog_sync_start() -> CatalogSync:
    """Start a full sync, unless one is already running and alive (then that one is returned)."""
    running = CatalogSync.objects.filter(status=CatalogSync.Status.RUNNING).first()
    if running and running.heartbeat_at > timezone.now() - STALE_SYNC_AFTER:
        return running
    if running:
        running.status = CatalogSync.Status.FAILED
        running.error = "Stopped responding; a new sync replaced it."
        running.save(update_fields=["status", "error"])
    return CatalogSync.objects.create()


def catalog_sync_run(*, sync: CatalogSync, client: BigCommerceClient) -> CatalogSync:
    """Carry a sync to the end from wherever it stopped; every page is committed with its cursor."""
    requests_before = _requests(client)
    if sync.phase == CatalogSync.Phase.CATEGORIES:
        with transaction.atomic():
            categories_copy(client=client, now=sync.started_at)
            _advance(sync, client, requests_before, phase=CatalogSync.Phase.PRODUCTS)
        requests_before = _requests(client)
    while sync.phase == CatalogSync.Phase.PRODUCTS:
        body = client.get(
            "/v3/catalog/products",
            params={"include": "variants", "sort": "id", "direction": "asc", "limit": PRODUCT_PAGE,
                    "id:min": sync.product_cursor + 1},
        )  # fmt: skip
        products = body.get("data") or []
        with transaction.atomic():
            if sync.products_total is None:
                sync.products_total = int(body.get("meta", {}).get("pagination", {}).get("total", len(products)))
            sync.variants_done += products_store(products=products, now=timezone.now())
            sync.products_done += len(products)
            if products:
                sync.product_cursor = products[-1]["id"]
            if len(products) < PRODUCT_PAGE:
                _products_gone_mark(since=sync.started_at)
                sync.phase = CatalogSync.Phase.INVENTORY
            _advance(sync, client, requests_before)
        requests_before = _requests(client)
    while sync.phase == CatalogSync.Phase.INVENTORY:
        body = client.get(
            f"/v3/inventory/locations/{DEFAULT_LOCATION_ID}/items",
            params={"page": sync.inventory_page + 1, "limit": INVENTORY_PAGE},
        )
        items = body.get("data") or []
        pagination = body.get("meta", {}).get("pagination", {})
        if sync.inventory_page == 0 and items:
            native_backorders_record(items=items)
        with transaction.atomic():
            sync.stock_items_done += stock_store(items=items)
            sync.inventory_page += 1
            if not items or sync.inventory_page >= int(pagination.get("total_pages") or 0):
                sync.phase = CatalogSync.Phase.FINISHED
                sync.status = CatalogSync.Status.DONE
                sync.finished_at = timezone.now()
                from backorder.services.availability import availability_refresh_all

                availability_refresh_all()
            _advance(sync, client, requests_before)
        requests_before = _requests(client)
    return sync


def native_backorders_record(*, items: list[dict]) -> bool:
    """BigCommerce shows the backorder fields on inventory items only when the store has native backorders
    switched on; the app remembers which, and tells the merchant when it is off."""
    from django.db import connection

    from stores.models import Store

    native = any("qty_backordered" in item or "backorder_limit" in (item.get("settings") or {}) for item in items)
    store = Store.objects.get(schema_name=connection.schema_name)
    if store.native_backorders != native:
        store.native_backorders = native
        store.save(update_fields=["native_backorders", "updated_at"])
    return native


def _products_gone_mark(*, since) -> None:
    """Products that a full sync did not see any more were deleted in BigCommerce."""
    gone = Product.objects.filter(synced_at__lt=since, is_deleted=False)
    Variant.objects.filter(product__in=gone).update(is_deleted=True)
    gone.update(is_deleted=True)


def _requests(client: BigCommerceClient) -> int:
    return getattr(client, "requests_made", 0)


def _advance(sync: CatalogSync, client: BigCommerceClient, requests_before: int, phase: str | None = None) -> None:
    if phase:
        sync.phase = phase
    sync.api_requests += max(0, _requests(client) - requests_before)
    sync.save()


# -- incremental updates -----------------------------------------------------------------------------------


def products_refresh(*, client: BigCommerceClient, product_ids: Iterable[int]) -> int:
    """Re-read these products, their variants and their stock from BigCommerce (deleted ones are marked)."""
    ids = sorted(set(product_ids))
    seen: set[int] = set()
    now = timezone.now()
    for start in range(0, len(ids), ID_BATCH):
        batch = ids[start : start + ID_BATCH]
        products = list(
            client.iter_v3("/v3/catalog/products", {"id:in": ",".join(map(str, batch)), "include": "variants"})
        )
        seen.update(p["id"] for p in products)
        with transaction.atomic():
            products_store(products=products, now=now)
            items = client.iter_v3(
                f"/v3/inventory/locations/{DEFAULT_LOCATION_ID}/items",
                {"product_id:in": ",".join(map(str, batch))},
                limit=INVENTORY_PAGE,
            )
            stock_store(items=items)
    gone = [i for i in ids if i not in seen]
    if gone:
        Variant.objects.filter(product__bigcommerce_id__in=gone).update(is_deleted=True)
        Product.objects.filter(bigcommerce_id__in=gone).update(is_deleted=True)
    from backorder.services.availability import availability_refresh

    availability_refresh(
        variant_ids=Variant.objects.filter(product__bigcommerce_id__in=ids).values_list("bigcommerce_id", flat=True)
    )
    return len(seen)


def product_ids_in(payloads: Iterable[dict]) -> set[int]:
    """The products that a batch of product/sku webhook events are about (coalesced)."""
    ids: set[int] = set()
    for payload in payloads:
        data = payload.get("data") or {}
        if data.get("type") == "product" and data.get("id"):
            ids.add(int(data["id"]))
        for nested in ("sku", "inventory"):
            product_id = (data.get(nested) or {}).get("product_id")
            if product_id:
                ids.add(int(product_id))
    return ids
