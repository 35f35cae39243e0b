"""The catalog mirror: a full, resumable copy from BigCommerce, and updates from webhooks.

BigCommerce stays the source of truth; the mirror is what the availability engine reads. Webhook values
are never trusted: a product event re-reads the product (and its stock) from the API.

Stock readings and the stock-adjustment outbox (ARCHITECTURE.md, "Inventory model"; allocation.py):
the mirror's on-hand and qty_backordered are what BigCommerce last said plus the adjustments of ours that
BigCommerce has applied since (`_mark_applied` adds a row's delta when it marks it applied); free units are
the mirror plus the rows still owed (pending or sending). So a reading may be written over the mirror only
when it contains exactly the adjustments that are marked applied, no more, no less:
- a row still `pending` was never applied by BigCommerce (a send that was refused or rate-limited put it
  back): the reading does not contain it, and free units still count it. Writing the reading is right.
- a row `sending` (in flight) may or may not be in the reading (BigCommerce applies it before the app
  records it), and BigCommerce's adjustments are relative, never idempotent: nothing tells which. Writing
  the reading could count it twice (its delta in the reading, and again as owed, and again when it is
  marked applied), e.g. a purchase-order receipt's +4 counted as 8 free units.
- a row marked applied after the reading was taken is not in the reading: writing the reading would undo
  its delta, and the units it took off would be allocated again.
Hence a stock write notes the outbox before the reading (its last row id, and the rows then owed), and
then, holding the variants' locks in id order (the lock allocation takes, and the one `_mark_applied`
needs), writes the reading only for variants none of whose rows is in flight or was sent since the note.
The others keep their mirror stock (consistent: the last reading plus the deltas applied since), and their
products are read again once the sends are recorded (`stock_reread`, bounded). A row that went `unknown`
meanwhile is set aside too. A row already `unknown` before the note has its outcome in the reading (applied
or not), and the reading is written; each written reading is dated (`Variant.stock_read_at`: the note's
database clock), so when the merchant resolves the row as applied its delta enters the mirror only if no
reading since it went `unknown` holds it (allocation.stock_adjustment_resolve). The full sync's product
pages keep the on-hand of variants with an `unknown` row: their counts come from the dated stock pages.
The product refresh (webhooks, capture, refunds) locks before it notes and reads, so no row can be marked
applied while it reads, and nothing is missed. The full sync reads a page before it knows which variants
to lock; its note cannot see a row still being inserted at that moment (its id below the last committed
one), so such a row sent and recorded within that one page read would go unnoticed until the next refresh.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from backorder.models import CatalogSync, Category, Product, StockAdjustment, Variant
from stores.bigcommerce.client import BigCommerceClient
from stores.tasks import enqueue_for_store, store_task

logger = logging.getLogger(__name__)

PRODUCT_PAGE = 250
INVENTORY_PAGE = 1000
DEFAULT_LOCATION_ID = 1
ID_BATCH = 50  # ids per `id:in` filter: keeps URLs short
STALE_SYNC_AFTER = timedelta(minutes=10)
REREAD_ATTEMPTS = 3  # a reading set aside because a send was in flight is taken again at most this often

PRODUCT_FIELDS = ["name", "sku", "inventory_tracking", "availability", "is_visible", "category_ids",
                  "base_variant_id", "url", "price", "date_modified", "is_deleted", "synced_at"]  # fmt: skip
VARIANT_FIELDS = ["product", "sku", "option_label", "price", "purchasing_disabled", "is_deleted", "synced_at"]
STOCK_FIELDS = ["on_hand", "backorder_limit", "qty_backordered", "available_to_sell", "stock_read_at"]


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


def products_store(*, products: list[dict], now, keep_on_hand: dict[int, int | None] | None = None) -> int:
    """Upsert products and their variants as BigCommerce returned them (`include=variants`); variants in
    `keep_on_hand` keep that on-hand instead of the catalog's (a reading set aside, see the module docstring)."""
    keep_on_hand = keep_on_hand or {}
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
                    on_hand=keep_on_hand[v["id"]] if v["id"] in keep_on_hand else _on_hand_from_catalog(tracked, p, v),
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


def stock_store(*, items: Iterable[dict], read_at, set_aside: set[int] = frozenset()) -> int:
    """Apply inventory items of the default location (on-hand and the native backorder fields), read at
    `read_at`; variants in `set_aside` take only the backorder limit (their counts are not known from this
    reading)."""
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
        _stock_set(variant, by_variant[variant.bigcommerce_id], set_aside, read_at)
    if by_product:  # stock tracked by product: every variant of the product shares it
        for variant in Variant.objects.filter(product__bigcommerce_id__in=list(by_product)).select_related("product"):
            _stock_set(variant, by_product[variant.product.bigcommerce_id], set_aside, read_at)
            rows.append(variant)
    Variant.objects.bulk_update(rows, STOCK_FIELDS, batch_size=1000)
    return len(by_variant) + len(by_product)


def _stock_set(variant: Variant, stock: dict, set_aside: set[int], read_at) -> None:
    written = variant.bigcommerce_id not in set_aside
    for field, value in stock.items():
        if field == "backorder_limit" or written:
            setattr(variant, field, value)
    if written:
        variant.stock_read_at = read_at


# -- stock readings and the outbox (see the module docstring) ---------------------------------------------

_VARIANTS_LOCK_SQL = f"""
    SELECT v.bigcommerce_id, p.bigcommerce_id
    FROM {Variant._meta.db_table} v JOIN {Product._meta.db_table} p ON p.id = v.product_id
    WHERE v.bigcommerce_id = ANY(%(variants)s)
       OR v.product_id = ANY(ARRAY(SELECT id FROM {Product._meta.db_table} WHERE bigcommerce_id = ANY(%(products)s)))
    ORDER BY v.bigcommerce_id
    FOR UPDATE OF v
"""
_MARK_SQL = f"""
    SELECT clock_timestamp(), (SELECT COALESCE(MAX(id), 0) FROM {StockAdjustment._meta.db_table}),
           ARRAY(SELECT id FROM {StockAdjustment._meta.db_table}
                 WHERE status IN ('pending', 'sending') AND (%(all)s OR variant_id = ANY(%(variants)s)))
"""
_UNRESOLVED_SQL = f"""
    SELECT DISTINCT variant_id FROM {StockAdjustment._meta.db_table}
    WHERE status = 'unknown' AND variant_id = ANY(%(variants)s)
"""
# Rows in flight now, or sent since the mark (owed then, or written after it, and no longer pending).
_MOVED_SQL = f"""
    SELECT variant_id FROM {StockAdjustment._meta.db_table}
    WHERE variant_id = ANY(%(variants)s) AND status = 'sending'
    UNION
    SELECT variant_id FROM {StockAdjustment._meta.db_table}
    WHERE (id = ANY(%(owed)s) OR id > %(last)s) AND status <> 'pending' AND variant_id = ANY(%(variants)s)
"""


@dataclass(frozen=True)
class OutboxMark:
    """Where the stock-adjustment outbox stood just before a reading of BigCommerce's stock, and when (the
    database clock, which also dates the rows whose outcome became unknown)."""

    at: datetime
    last_id: int
    owed: list[int]


@dataclass(frozen=True)
class LockedStock:
    """The variants a stock write holds locked, each with its product."""

    product_of: dict[int, int]


def outbox_mark(*, variant_ids: list[int] | None = None) -> OutboxMark:
    """Note the outbox (its last row, and the rows owed: of these variants, or of all) before a reading."""
    with connection.cursor() as cursor:
        cursor.execute(_MARK_SQL, {"all": variant_ids is None, "variants": variant_ids or []})
        at, last_id, owed = cursor.fetchone()
    return OutboxMark(at=at, last_id=last_id, owed=list(owed))


def variants_lock(*, variant_ids: Iterable[int] = (), product_ids: Iterable[int] = ()) -> LockedStock:
    """Lock the mirror rows of these variants (and of every variant of these products) in id order, the
    order allocation locks them in: no allocation, and no adjustment marked applied, until the commit."""
    with connection.cursor() as cursor:
        cursor.execute(_VARIANTS_LOCK_SQL, {"variants": list(variant_ids), "products": list(product_ids)})
        rows = cursor.fetchall()
    return LockedStock(product_of=dict(rows))


def readings_set_aside(*, locked: LockedStock, mark: OutboxMark) -> set[int]:
    """The locked variants whose reading may or may not contain one of our adjustments: one was in flight,
    or was sent since the mark. Their mirror stock stays as it is."""
    if not locked.product_of:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(_MOVED_SQL, {"variants": list(locked.product_of), "owed": mark.owed, "last": mark.last_id})
        moved = {variant_id for (variant_id,) in cursor.fetchall()}
    if moved:
        logger.info("Stock reading set aside for variants %s: an adjustment of ours was in flight", sorted(moved))
    return moved


def _unresolved(locked: LockedStock) -> set[int]:
    """The locked variants with an adjustment whose outcome is unknown: the full sync's product pages keep
    their mirror on-hand, so that their stock counts come from one reading, dated (`Variant.stock_read_at`),
    which is what resolving the adjustment compares with (allocation.stock_adjustment_resolve)."""
    if not locked.product_of:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(_UNRESOLVED_SQL, {"variants": list(locked.product_of)})
        return {variant_id for (variant_id,) in cursor.fetchall()}


def _mirror_on_hand(variant_ids: set[int]) -> dict[int, int | None]:
    """The mirror's on-hand of set-aside variants, for the catalog write to keep (no query when none)."""
    if not variant_ids:
        return {}
    return dict(Variant.objects.filter(bigcommerce_id__in=variant_ids).values_list("bigcommerce_id", "on_hand"))


def _reread_later(*, locked: LockedStock, set_aside: set[int], attempt: int) -> None:
    """Read the set-aside products again once the transaction commits (their sends recorded by then)."""
    product_ids = sorted({locked.product_of[variant_id] for variant_id in set_aside})
    if not product_ids:
        return
    if attempt >= REREAD_ATTEMPTS:  # the next product webhook or sync reads them again
        logger.warning("Stock of products %s still set aside after %s readings", product_ids, attempt)
        return
    transaction.on_commit(
        lambda: enqueue_for_store("backorder.sync.stock_reread", product_ids=product_ids, attempt=attempt + 1)
    )


@store_task
def stock_reread(*, product_ids: list[int], attempt: int) -> int:
    """Products whose stock reading was set aside: wait (bounded) for the sends in flight, then read again.
    A row left `sending` by a sender that stopped becomes `unknown` first (the send pass does that), so it
    does not hold the variant's reading back."""
    from backorder.services.allocation import (
        allocation_for_variants,
        stock_adjustment_sends_wait,
        stock_adjustments_send,
    )
    from stores.bigcommerce.connection import client_for
    from stores.models import Store

    variant_ids = list(
        Variant.objects.filter(product__bigcommerce_id__in=product_ids).values_list("bigcommerce_id", flat=True)
    )
    client = client_for(Store.objects.get(schema_name=connection.schema_name))
    if not stock_adjustment_sends_wait(variant_ids=variant_ids):
        for variant_id in variant_ids:
            stock_adjustments_send(variant_id=variant_id, client=client)
    refreshed = products_refresh(client=client, product_ids=product_ids, attempt=attempt)
    allocation_for_variants(variant_ids=variant_ids, source="restock")  # stock the set-aside reading had
    return refreshed


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
        mark = outbox_mark()
        body = client.get(
            "/v3/catalog/products",
            params={"include": "variants", "sort": "id", "direction": "asc", "limit": PRODUCT_PAGE,
                    "id:min": sync.product_cursor + 1},
        )  # fmt: skip
        products = body.get("data") or []
        with transaction.atomic():
            if sync.products_total is None:
                sync.products_total = int(body.get("meta", {}).get("pagination", {}).get("total", len(products)))
            locked = variants_lock(product_ids=[p["id"] for p in products])
            set_aside = readings_set_aside(locked=locked, mark=mark)  # the stock phase reads them again
            keep_on_hand = _mirror_on_hand(set_aside | _unresolved(locked))
            sync.variants_done += products_store(products=products, now=timezone.now(), keep_on_hand=keep_on_hand)
            sync.products_done += len(products)
            if products:
                sync.product_cursor = products[-1]["id"]
            if len(products) < PRODUCT_PAGE:
                _products_gone_mark(since=sync.started_at)
                sync.phase = CatalogSync.Phase.INVENTORY
            _advance(sync, client, requests_before)
        requests_before = _requests(client)
    while sync.phase == CatalogSync.Phase.INVENTORY:
        mark = outbox_mark()
        body = client.get(
            f"/v3/inventory/locations/{DEFAULT_LOCATION_ID}/items",
            params={"page": sync.inventory_page + 1, "limit": INVENTORY_PAGE},
        )
        items = body.get("data") or []
        pagination = body.get("meta", {}).get("pagination", {})
        if sync.inventory_page == 0 and items:
            native_backorders_record(items=items)
        with transaction.atomic():
            identities = [item.get("identity") or {} for item in items]
            locked = variants_lock(
                variant_ids=[i["variant_id"] for i in identities if i.get("variant_id")],
                product_ids=[i["product_id"] for i in identities if i.get("product_id") and not i.get("variant_id")],
            )
            set_aside = readings_set_aside(locked=locked, mark=mark)
            sync.stock_items_done += stock_store(items=items, read_at=mark.at, set_aside=set_aside)
            _reread_later(locked=locked, set_aside=set_aside, attempt=0)
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


def products_refresh(*, client: BigCommerceClient, product_ids: Iterable[int], attempt: int = 0) -> int:
    """Re-read these products, their variants and their stock from BigCommerce (deleted ones are marked).

    The stock is read under the variants' locks, and written only where no adjustment of ours was in flight
    meanwhile (module docstring); the others keep their mirror stock and are read again later."""
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
            locked = variants_lock(product_ids=batch)
            mark = outbox_mark(variant_ids=list(locked.product_of))
            items = list(
                client.iter_v3(
                    f"/v3/inventory/locations/{DEFAULT_LOCATION_ID}/items",
                    {"product_id:in": ",".join(map(str, batch))},
                    limit=INVENTORY_PAGE,
                )
            )
            set_aside = readings_set_aside(locked=locked, mark=mark)
            products_store(products=products, now=now, keep_on_hand=_mirror_on_hand(set_aside))
            stock_store(items=items, read_at=mark.at, set_aside=set_aside)
            _reread_later(locked=locked, set_aside=set_aside, attempt=attempt)
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
