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
one), so such a row sent and recorded between that note and the page's write would go unnoticed until the
next refresh. The full sync reads each next page (in a worker thread, HTTP only) while it writes the current
one: the next page's note is taken before its reading starts, so the rule above holds as it is; only the time
from a page's note to its write now also covers the previous page's write.

Locations: a store with several locations is read through `/v3/inventory/items` (each item with all its
locations, so one reading covers every location of an item and `Variant.stock_read_at` dates them all); the
default location's counts go to Variant as before, the others' to LocationStock, under the same rule (a
variant set aside keeps every location's counts). A store with one location reads
`/v3/inventory/locations/1/items`, as it always did.

Writes are set-based: a page is one statement per table (rows passed as one JSON parameter and read with
`jsonb_to_recordset`), never one ORM object per row; nothing is left on the database session (no session
SET, no temporary table, no prepared statement), so it runs behind a transaction-mode pooler.
"""

import json
import logging
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Self

from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from backorder.id_lists import id_array
from backorder.models import CatalogSync, Category, Product, StockAdjustment, Variant
from backorder.models.locations import DEFAULT_LOCATION_ID
from stores.bigcommerce.client import BigCommerceClient
from stores.tasks import enqueue_for_store, store_task

logger = logging.getLogger(__name__)

PRODUCT_PAGE = 250
INVENTORY_PAGE = 1000
ID_BATCH = 50  # ids per `id:in` filter: keeps URLs short
STALE_SYNC_AFTER = timedelta(minutes=10)
REREAD_ATTEMPTS = 3  # a reading set aside because a send was in flight is taken again at most this often


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


def _when(value) -> str | None:
    """BigCommerce's ISO 8601 date, checked and given an offset (UTC when it names none), for a JSON row."""
    parsed = parse_datetime(value) if value else None
    if parsed is None:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()


def _money(value) -> str | None:
    """A price for a JSON row: the Decimal's exact text (PostgreSQL reads it as numeric, never as a float)."""
    amount = _decimal(value)
    return None if amount is None else str(amount)


def _json_rows(rows: list[dict]) -> str:
    """A page's rows as one JSON parameter, read by `jsonb_to_recordset` as typed columns."""
    return json.dumps(rows, separators=(",", ":"))


# Set-based writes: a page of any size is one statement per table, its rows one JSON parameter.
_CATEGORIES_UPSERT_SQL = f"""
    INSERT INTO {Category._meta.db_table} AS c (bigcommerce_id, parent_bigcommerce_id, name, path, is_visible,
        synced_at)
    SELECT r.bigcommerce_id, r.parent_bigcommerce_id, r.name, r.path, r.is_visible, %(now)s
    FROM jsonb_to_recordset(%(rows)s::jsonb)
         AS r(bigcommerce_id bigint, parent_bigcommerce_id bigint, name text, path bigint[], is_visible boolean)
    ORDER BY r.bigcommerce_id
    ON CONFLICT (bigcommerce_id) DO UPDATE SET
        parent_bigcommerce_id = EXCLUDED.parent_bigcommerce_id, name = EXCLUDED.name, path = EXCLUDED.path,
        is_visible = EXCLUDED.is_visible, synced_at = EXCLUDED.synced_at
"""
_CATEGORIES_GONE_SQL = f"DELETE FROM {Category._meta.db_table} WHERE bigcommerce_id <> ALL(%(ids)s::bigint[])"

_PRODUCTS_UPSERT_SQL = f"""
    INSERT INTO {Product._meta.db_table} AS p (bigcommerce_id, name, sku, inventory_tracking, availability,
        is_visible, category_ids, base_variant_id, url, price, date_modified, is_deleted, synced_at)
    SELECT r.bigcommerce_id, r.name, r.sku, r.inventory_tracking, r.availability, r.is_visible, r.category_ids,
           r.base_variant_id, r.url, r.price, r.date_modified, false, %(now)s
    FROM jsonb_to_recordset(%(rows)s::jsonb)
         AS r(bigcommerce_id bigint, name text, sku text, inventory_tracking text, availability text,
              is_visible boolean, category_ids bigint[], base_variant_id bigint, url text, price numeric,
              date_modified timestamptz)
    ORDER BY r.bigcommerce_id
    ON CONFLICT (bigcommerce_id) DO UPDATE SET
        name = EXCLUDED.name, sku = EXCLUDED.sku, inventory_tracking = EXCLUDED.inventory_tracking,
        availability = EXCLUDED.availability, is_visible = EXCLUDED.is_visible, category_ids = EXCLUDED.category_ids,
        base_variant_id = EXCLUDED.base_variant_id, url = EXCLUDED.url, price = EXCLUDED.price,
        date_modified = EXCLUDED.date_modified, is_deleted = false, synced_at = EXCLUDED.synced_at
"""
# Stock counts come from the inventory API (which knows the backorder fields); the catalog's on-hand is
# written too (new rows need one), except for the variants in `keep` (see the module docstring).
_VARIANTS_UPSERT_SQL = f"""
    INSERT INTO {Variant._meta.db_table} AS v (bigcommerce_id, product_id, sku, option_label, price,
        purchasing_disabled, on_hand, qty_backordered, is_deleted, synced_at)
    SELECT r.bigcommerce_id, p.id, r.sku, r.option_label, r.price, r.purchasing_disabled, r.on_hand, 0, false,
           %(now)s
    FROM jsonb_to_recordset(%(rows)s::jsonb)
         AS r(bigcommerce_id bigint, product bigint, sku text, option_label text, price numeric,
              purchasing_disabled boolean, on_hand integer)
    JOIN {Product._meta.db_table} p ON p.bigcommerce_id = r.product
    ORDER BY r.bigcommerce_id
    ON CONFLICT (bigcommerce_id) DO UPDATE SET
        product_id = EXCLUDED.product_id, sku = EXCLUDED.sku, option_label = EXCLUDED.option_label,
        price = EXCLUDED.price, purchasing_disabled = EXCLUDED.purchasing_disabled,
        on_hand = CASE WHEN v.bigcommerce_id = ANY(%(keep)s::bigint[]) THEN v.on_hand ELSE EXCLUDED.on_hand END,
        is_deleted = false, synced_at = EXCLUDED.synced_at
"""
_VARIANTS_GONE_SQL = f"""
    UPDATE {Variant._meta.db_table} v SET is_deleted = true
    FROM {Product._meta.db_table} p
    WHERE p.id = v.product_id AND p.bigcommerce_id = ANY(%(products)s::bigint[])
      AND v.bigcommerce_id <> ALL(%(seen)s::bigint[]) AND NOT v.is_deleted
"""
# A stock reading: `written` rows take every count (dated `read_at`), the others only the backorder limit.
_STOCK_WRITE_SQL = f"""
    UPDATE {Variant._meta.db_table} v SET
        backorder_limit = s.backorder_limit,
        on_hand = CASE WHEN s.written THEN s.on_hand ELSE v.on_hand END,
        qty_backordered = CASE WHEN s.written THEN s.qty_backordered ELSE v.qty_backordered END,
        available_to_sell = CASE WHEN s.written THEN s.available_to_sell ELSE v.available_to_sell END,
        stock_read_at = CASE WHEN s.written THEN %(read_at)s ELSE v.stock_read_at END
    FROM (
        SELECT t.id, r.on_hand, r.backorder_limit, r.qty_backordered, r.available_to_sell,
               t.bigcommerce_id <> ALL(%(set_aside)s::bigint[]) AS written
        FROM jsonb_to_recordset(%(rows)s::jsonb)
             AS r(item bigint, on_hand integer, backorder_limit integer, qty_backordered integer,
                  available_to_sell integer)
        JOIN {{targets}}
    ) s
    WHERE v.id = s.id
"""
_STOCK_OF_VARIANTS_SQL = _STOCK_WRITE_SQL.replace(
    "{targets}", f"{Variant._meta.db_table} t ON t.bigcommerce_id = r.item"
)
# Stock tracked by product: every variant of the product shares the product's item.
_STOCK_OF_PRODUCTS_SQL = _STOCK_WRITE_SQL.replace(
    "{targets}",
    f"{Product._meta.db_table} p ON p.bigcommerce_id = r.item JOIN {Variant._meta.db_table} t ON t.product_id = p.id",
)


def categories_copy(*, client: BigCommerceClient, now) -> int:
    """Copy every category, with each one's path from the top (for "deepest category wins"); categories
    BigCommerce no longer has are deleted."""
    rows = list(client.iter_v3("/v3/catalog/categories", {"limit": 250}))
    parents = {row["id"]: row.get("parent_id") or None for row in rows}

    def path_of(category_id: int) -> list[int]:
        path, seen = [], set()
        while category_id and category_id not in seen:
            seen.add(category_id)
            path.append(category_id)
            category_id = parents.get(category_id)
        return list(reversed(path))

    categories = [
        {"bigcommerce_id": row["id"], "parent_bigcommerce_id": parents[row["id"]],
         "name": (row.get("name") or "")[:255], "path": path_of(row["id"]), "is_visible": row.get("is_visible", True)}
        for row in rows
    ]  # fmt: skip
    with connection.cursor() as cursor:
        if categories:
            cursor.execute(_CATEGORIES_UPSERT_SQL, {"now": now, "rows": _json_rows(categories)})
        cursor.execute(_CATEGORIES_GONE_SQL, {"ids": id_array(parents)})
    return len(rows)


def products_store(*, products: list[dict], now, keep_on_hand: Collection[int] = ()) -> int:
    """Upsert products and their variants as BigCommerce returned them (`include=variants`), in one statement
    each, and mark deleted the variants these products no longer have; variants in `keep_on_hand` keep their
    mirror on-hand instead of the catalog's (a reading set aside, see the module docstring)."""
    if not products:
        return 0
    variants = [_variant_row(p, v) for p in products for v in p.get("variants") or []]
    product_ids = id_array(p["id"] for p in products)
    with connection.cursor() as cursor:
        cursor.execute(_PRODUCTS_UPSERT_SQL, {"now": now, "rows": _json_rows([_product_row(p) for p in products])})
        cursor.execute(_VARIANTS_UPSERT_SQL, {"now": now, "keep": id_array(keep_on_hand), "rows": _json_rows(variants)})
        cursor.execute(
            _VARIANTS_GONE_SQL, {"products": product_ids, "seen": id_array(v["bigcommerce_id"] for v in variants)}
        )
    return len(variants)


def _product_row(product: dict) -> dict:
    """The mirror's product columns from one of BigCommerce's products."""
    return {
        "bigcommerce_id": product["id"],
        "name": (product.get("name") or "")[:255],
        "sku": (product.get("sku") or "")[:255],
        "inventory_tracking": product.get("inventory_tracking") or "none",
        "availability": product.get("availability") or "available",
        "is_visible": bool(product.get("is_visible", True)),
        "category_ids": list(product.get("categories") or []),
        "base_variant_id": product.get("base_variant_id"),
        "url": ((product.get("custom_url") or {}).get("url") or "")[:255],
        "price": _money(product.get("price")),
        "date_modified": _when(product.get("date_modified")),
    }


def _variant_row(product: dict, variant: dict) -> dict:
    """The mirror's variant columns from one of BigCommerce's variants (its product's price when it has
    none of its own)."""
    return {
        "bigcommerce_id": variant["id"],
        "product": product["id"],
        "sku": (variant.get("sku") or "")[:255],
        "option_label": _option_label(variant),
        "price": _money(product.get("price") if variant.get("price") is None else variant.get("price")),
        "purchasing_disabled": bool(variant.get("purchasing_disabled")),
        "on_hand": _on_hand_from_catalog(product.get("inventory_tracking") or "none", product, variant),
    }


def _on_hand_from_catalog(tracking: str, product: dict, variant: dict) -> int | None:
    if tracking == "none":
        return None
    if tracking == "product":
        return int(product.get("inventory_level") or 0)
    return int(variant.get("inventory_level") or 0)


def stock_store(*, items: Iterable[dict], read_at, set_aside: Collection[int] = ()) -> int:
    """Apply inventory items of the default location (on-hand and the native backorder fields), read at
    `read_at`, in one statement per kind of item; variants in `set_aside` take only the backorder limit
    (their counts are not known from this reading). An item of a variant wins over its product's."""
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
    with connection.cursor() as cursor:
        for statement, stock_of in ((_STOCK_OF_PRODUCTS_SQL, by_product), (_STOCK_OF_VARIANTS_SQL, by_variant)):
            if stock_of:
                rows = _json_rows([{"item": key, **stock} for key, stock in stock_of.items()])
                cursor.execute(statement, {"read_at": read_at, "set_aside": id_array(set_aside), "rows": rows})
    return len(by_variant) + len(by_product)


# -- stock readings and the outbox (see the module docstring) ---------------------------------------------

_VARIANTS_LOCK_SQL = f"""
    SELECT v.bigcommerce_id, p.bigcommerce_id
    FROM {Variant._meta.db_table} v JOIN {Product._meta.db_table} p ON p.id = v.product_id
    WHERE v.bigcommerce_id = ANY(%(variants)s::bigint[])
       OR v.product_id = ANY(ARRAY(
           SELECT id FROM {Product._meta.db_table} WHERE bigcommerce_id = ANY(%(products)s::bigint[])))
    ORDER BY v.bigcommerce_id
    FOR UPDATE OF v
"""
_MARK_SQL = f"""
    SELECT clock_timestamp(), (SELECT COALESCE(MAX(id), 0) FROM {StockAdjustment._meta.db_table}),
           ARRAY(SELECT id FROM {StockAdjustment._meta.db_table}
                 WHERE status IN ('pending', 'sending') AND (%(all)s OR variant_id = ANY(%(variants)s::bigint[])))
"""
_UNRESOLVED_SQL = f"""
    SELECT DISTINCT variant_id FROM {StockAdjustment._meta.db_table}
    WHERE status = 'unknown' AND variant_id = ANY(%(variants)s::bigint[])
"""
# Rows in flight now, or sent since the mark (owed then, or written after it, and no longer pending).
_MOVED_SQL = f"""
    SELECT variant_id FROM {StockAdjustment._meta.db_table}
    WHERE variant_id = ANY(%(variants)s::bigint[]) AND status = 'sending'
    UNION
    SELECT variant_id FROM {StockAdjustment._meta.db_table}
    WHERE (id = ANY(%(owed)s::bigint[]) OR id > %(last)s) AND status <> 'pending'
      AND variant_id = ANY(%(variants)s::bigint[])
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
        cursor.execute(_MARK_SQL, {"all": variant_ids is None, "variants": id_array(variant_ids or [])})
        at, last_id, owed = cursor.fetchone()
    return OutboxMark(at=at, last_id=last_id, owed=list(owed))


def variants_lock(*, variant_ids: Iterable[int] = (), product_ids: Iterable[int] = ()) -> LockedStock:
    """Lock the mirror rows of these variants (and of every variant of these products) in id order, the
    order allocation locks them in: no allocation, and no adjustment marked applied, until the commit."""
    with connection.cursor() as cursor:
        cursor.execute(_VARIANTS_LOCK_SQL, {"variants": id_array(variant_ids), "products": id_array(product_ids)})
        rows = cursor.fetchall()
    return LockedStock(product_of=dict(rows))


def readings_set_aside(*, locked: LockedStock, mark: OutboxMark) -> set[int]:
    """The locked variants whose reading may or may not contain one of our adjustments: one was in flight,
    or was sent since the mark. Their mirror stock stays as it is."""
    if not locked.product_of:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            _MOVED_SQL, {"variants": id_array(locked.product_of), "owed": id_array(mark.owed), "last": mark.last_id}
        )
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
        cursor.execute(_UNRESOLVED_SQL, {"variants": id_array(locked.product_of)})
        return {variant_id for (variant_id,) in cursor.fetchall()}


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


class _RequestCount:
    """The client's requests not yet added to the sync's count (a page read ahead counts with the next save)."""

    def __init__(self, client: BigCommerceClient) -> None:
        self.client = client
        self.counted = self._made()

    def _made(self) -> int:
        return getattr(self.client, "requests_made", 0)

    def take(self) -> int:
        made = self._made()
        new, self.counted = max(0, made - self.counted), made
        return new


class PageReader:
    """Reads the next API page in one worker thread while the caller writes the current page.

    Only HTTP runs in the worker, one request at a time (the client waits there when BigCommerce's rate-limit
    headers say so); every database statement stays in the caller's thread, on its own connection. Should the
    reading touch the database after all, the worker's connection is closed after each page."""

    def __init__(self) -> None:
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalog-sync-reader")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self._worker.shutdown(wait=True)  # a page still being read is awaited, and dropped

    def read(self, fetch: Callable[..., dict], *args, **kwargs) -> Future:
        return self._worker.submit(_read_in_worker, fetch, args, kwargs)


def _read_in_worker(fetch: Callable[..., dict], args: tuple, kwargs: dict) -> dict:
    try:
        return fetch(*args, **kwargs)
    finally:
        connections.close_all()  # this thread's own connections, if any were opened


def catalog_sync_run(*, sync: CatalogSync, client: BigCommerceClient) -> CatalogSync:
    """Carry a sync to the end from wherever it stopped; every page is committed with its cursor.

    While a page is written, the next one is read from BigCommerce in a worker thread (`PageReader`): one
    request at a time, as before, so the client's rate-limit handling holds; the outbox is noted before each
    reading starts (module docstring). The first page of each phase is read in the caller's thread."""
    requests = _RequestCount(client)
    if sync.phase == CatalogSync.Phase.CATEGORIES:
        from backorder.services.locations import locations_sync

        with transaction.atomic():
            categories_copy(client=client, now=sync.started_at)
            locations_sync(client=client, follow_up=False)  # the sync computes every variant again at its end
            _advance(sync, requests, phase=CatalogSync.Phase.PRODUCTS)
    with PageReader() as reader:
        if sync.phase == CatalogSync.Phase.PRODUCTS:
            _products_copy(sync=sync, client=client, reader=reader, requests=requests)
        if sync.phase == CatalogSync.Phase.INVENTORY:
            _stock_copy(sync=sync, client=client, reader=reader, requests=requests)
    return sync


def _products_page(client: BigCommerceClient, *, after: int) -> dict:
    """The next page of products (with their variants) in id order, after the product id `after`."""
    body = client.get(
        "/v3/catalog/products",
        params={"include": "variants", "sort": "id", "direction": "asc", "limit": PRODUCT_PAGE, "id:min": after + 1},
    )
    return body if isinstance(body, dict) else {}


def _stock_page(client: BigCommerceClient, *, page: int, several: bool = False) -> dict:
    """One page of the default location's inventory items, or (`several` locations) of every item with all
    its locations."""
    path = "/v3/inventory/items" if several else f"/v3/inventory/locations/{DEFAULT_LOCATION_ID}/items"
    body = client.get(path, params={"page": page, "limit": INVENTORY_PAGE})
    return body if isinstance(body, dict) else {}


def _products_copy(
    *, sync: CatalogSync, client: BigCommerceClient, reader: PageReader, requests: _RequestCount
) -> None:
    """The products phase: page after page (by product id), each written with the note taken before it was
    read; after the last page, the products BigCommerce no longer has are marked deleted."""
    mark = outbox_mark()
    body = _products_page(client, after=sync.product_cursor)
    while True:
        products = body.get("data") or []
        last = len(products) < PRODUCT_PAGE
        if not last:
            next_mark = outbox_mark()  # noted before the next page's reading starts (module docstring)
            ahead = reader.read(_products_page, client, after=products[-1]["id"])
        with transaction.atomic():
            if sync.products_total is None:
                sync.products_total = int(body.get("meta", {}).get("pagination", {}).get("total", len(products)))
            locked = variants_lock(product_ids=[p["id"] for p in products])
            set_aside = readings_set_aside(locked=locked, mark=mark)  # the stock phase reads them again
            keep_on_hand = set_aside | _unresolved(locked)
            sync.variants_done += products_store(products=products, now=timezone.now(), keep_on_hand=keep_on_hand)
            sync.products_done += len(products)
            if products:
                sync.product_cursor = products[-1]["id"]
            if last:
                _products_gone_mark(since=sync.started_at)
                sync.phase = CatalogSync.Phase.INVENTORY
            _advance(sync, requests)
        if last:
            return
        mark, body = next_mark, ahead.result()


def _stock_copy(*, sync: CatalogSync, client: BigCommerceClient, reader: PageReader, requests: _RequestCount) -> None:
    """The stock phase: each page written where no adjustment of ours moved since its note (module
    docstring); at the end every variant's availability is computed again."""
    from backorder.services.locations import items_by_location, location_stock_store, several_locations

    several = several_locations()
    mark = outbox_mark()
    body = _stock_page(client, page=sync.inventory_page + 1, several=several)
    while True:
        items = body.get("data") or []
        elsewhere: list[dict] = []
        if several:
            items, elsewhere = items_by_location(items)
        total_pages = int(body.get("meta", {}).get("pagination", {}).get("total_pages") or 0)
        last = not body.get("data") or sync.inventory_page + 1 >= total_pages
        if not last:
            next_mark = outbox_mark()
            ahead = reader.read(_stock_page, client, page=sync.inventory_page + 2, several=several)
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
            if elsewhere:
                location_stock_store(items=elsewhere, set_aside=set_aside)
            _reread_later(locked=locked, set_aside=set_aside, attempt=0)
            sync.inventory_page += 1
            if last:
                sync.phase = CatalogSync.Phase.FINISHED
                sync.status = CatalogSync.Status.DONE
                sync.finished_at = timezone.now()
                from backorder.services.availability import availability_refresh_all

                availability_refresh_all()
            _advance(sync, requests)
        if last:
            return
        mark, body = next_mark, ahead.result()


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


def _advance(sync: CatalogSync, requests: _RequestCount, phase: str | None = None) -> None:
    if phase:
        sync.phase = phase
    sync.api_requests += requests.take()
    sync.save()


# -- incremental updates -----------------------------------------------------------------------------------


def products_refresh(*, client: BigCommerceClient, product_ids: Iterable[int], attempt: int = 0) -> int:
    """Re-read these products, their variants and their stock from BigCommerce (deleted ones are marked).

    The stock is read under the variants' locks, and written only where no adjustment of ours was in flight
    meanwhile (module docstring); the others keep their mirror stock and are read again later."""
    from backorder.services.locations import items_by_location, location_stock_store, several_locations

    ids = sorted(set(product_ids))
    seen: set[int] = set()
    now = timezone.now()
    several = several_locations()
    stock_path = "/v3/inventory/items" if several else f"/v3/inventory/locations/{DEFAULT_LOCATION_ID}/items"
    for start in range(0, len(ids), ID_BATCH):
        batch = ids[start : start + ID_BATCH]
        products = list(
            client.iter_v3("/v3/catalog/products", {"id:in": ",".join(map(str, batch)), "include": "variants"})
        )
        seen.update(p["id"] for p in products)
        with transaction.atomic():
            locked = variants_lock(product_ids=batch)
            mark = outbox_mark(variant_ids=list(locked.product_of))
            items = list(client.iter_v3(stock_path, {"product_id:in": ",".join(map(str, batch))}, limit=INVENTORY_PAGE))
            elsewhere: list[dict] = []
            if several:
                items, elsewhere = items_by_location(items)
            set_aside = readings_set_aside(locked=locked, mark=mark)
            products_store(products=products, now=now, keep_on_hand=set_aside)
            stock_store(items=items, read_at=mark.at, set_aside=set_aside)
            if elsewhere:
                location_stock_store(items=elsewhere, set_aside=set_aside)
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
