"""A full catalog sync reads the next page from BigCommerce while it writes the current one: the reading runs
in a worker thread and does nothing but HTTP; every database statement stays in the calling thread; and the
outbox is noted before each reading starts, so a stock adjustment sent while a page is read ahead is never
undone by that page (the stock mirror's rule, backorder/sync.py)."""

import threading

import pytest
from django.db import connections

from backorder import sync
from backorder.models import Product, StockAdjustment, Variant
from backorder.services.allocation import allocation_run, stock_adjustments_send
from tests.backorder.conftest import SANDBOX_STORE
from tests.backorder.test_allocation import bigcommerce_stock, client_of, order_place
from tests.backorder.test_stock_mirror import assert_counted_once, mirror, restock, webhook

pytestmark = pytest.mark.django_db

STOCK_PAGES = "/v3/inventory/locations/1/items"


class Recorded:
    """The app's BigCommerce client, noting for every read which thread made it and whether that thread had
    a database connection open; `read` is set once a read of `path` with these params has been answered."""

    def __init__(self, client, *, path: str = "", params: dict | None = None):
        self.client = client
        self.reads: list[tuple[str, dict, str, bool]] = []
        self.awaited = (path, params or {})
        self.read = threading.Event()

    def __getattr__(self, name):
        return getattr(self.client, name)

    def get(self, path, **kwargs):
        params = kwargs.get("params") or {}
        connected = connections["default"].connection is not None
        self.reads.append((path, params, threading.current_thread().name, connected))
        body = self.client.get(path, **kwargs)
        wanted_path, wanted = self.awaited
        if path == wanted_path and all(params.get(key) == value for key, value in wanted.items()):
            self.read.set()
        return body


def mirror_rows() -> tuple[list, list]:
    products = Product.objects.order_by("bigcommerce_id").values_list(
        "bigcommerce_id", "name", "sku", "inventory_tracking", "category_ids", "price", "url", "is_deleted"
    )
    variants = Variant.objects.order_by("bigcommerce_id").values_list(
        "bigcommerce_id", "product__bigcommerce_id", "sku", "option_label", "price", "on_hand", "backorder_limit",
        "qty_backordered", "available_to_sell", "purchasing_disabled", "is_deleted",
    )  # fmt: skip
    return list(products), list(variants)


def test_a_sync_in_small_pages_reads_ahead_in_a_worker_and_mirrors_the_same_catalog(
    connected_store, sandbox, monkeypatch
):
    copied_in_one_page = mirror_rows()  # the fixture's sync: one page of each kind, nothing read ahead
    Variant.objects.all().delete()
    Product.objects.all().delete()
    monkeypatch.setattr(sync, "PRODUCT_PAGE", 7)
    monkeypatch.setattr(sync, "INVENTORY_PAGE", 10)
    client = Recorded(client_of(connected_store))
    stock_items = len(client_of(connected_store).get(STOCK_PAGES, params={"limit": 1000})["data"])

    done = sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)

    assert mirror_rows() == copied_in_one_page
    assert (done.status, done.products_done, done.products_total) == ("done", 30, 30)
    assert done.api_requests == client.requests_made
    product_reads = [r for r in client.reads if r[0] == "/v3/catalog/products"]
    stock_reads = [r for r in client.reads if r[0] == STOCK_PAGES]
    assert len(product_reads) == 5  # 7 + 7 + 7 + 7 + 2 products
    assert len(stock_reads) == -(-stock_items // 10) > 2
    main = threading.current_thread().name
    # The first page of each phase is read by the caller; every later page by the worker, which never
    # holds a database connection (the database work stays in the caller's thread and transaction).
    assert product_reads[0][2] == stock_reads[0][2] == main
    assert {thread for _, _, thread, _ in product_reads[1:] + stock_reads[1:]} == {"catalog-sync-reader_0"}
    assert not any(connected for *_, thread, connected in client.reads if thread != main)
    assert [r[1]["page"] for r in stock_reads] == list(range(1, len(stock_reads) + 1))


def test_a_stock_page_read_ahead_does_not_undo_an_adjustment_sent_while_it_was_read(
    connected_store, sandbox, monkeypatch
):
    # The newest product comes last in BigCommerce's stock listing: its variant is alone on the second page.
    store_client = client_of(connected_store)
    store_client.post("/v3/catalog/products", json={
        "name": "Read Ahead Lamp", "type": "physical", "weight": 1, "price": 20, "inventory_tracking": "variant",
        "variants": [{"sku": "LAMP-1", "option_values": [{"option_display_name": "Colour", "label": "Red"}]}],
    })  # fmt: skip
    items = store_client.get(STOCK_PAGES, params={"limit": 1000})["data"]
    lamp_id = items[-1]["identity"]["variant_id"]
    sync.products_refresh(client=store_client, product_ids=[items[-1]["identity"]["product_id"]])
    lamp = Variant.objects.get(bigcommerce_id=lamp_id)
    sandbox.set_backorder_limit(SANDBOX_STORE, None, variant_id=lamp_id)
    sandbox.restock(SANDBOX_STORE, quantity=0, variant_id=lamp_id)  # BigCommerce's first, absolute, count
    order_place(sandbox, lamp, 2)
    order_place(sandbox, lamp, 3)
    restock(sandbox, lamp, 4)
    assert webhook(connected_store, lamp) == 4  # the -4 (and -4 backordered) is owed to BigCommerce
    assert bigcommerce_stock(sandbox, lamp) == (4, 5)

    monkeypatch.setattr(sync, "INVENTORY_PAGE", len(items) - 1)
    client = Recorded(client_of(connected_store), path=STOCK_PAGES, params={"page": 2})
    stock_write = sync.stock_store
    pages_written = []

    def send_while_the_next_page_is_read(**kwargs):
        pages_written.append(kwargs)
        if len(pages_written) == 1:
            # Page 2 has been read (BigCommerce said 4 on hand, 5 backordered) while page 1 is being written;
            # now the -4 reaches BigCommerce and is recorded (into the mirror), before page 2 is written.
            assert client.read.wait(timeout=10)
            assert stock_adjustments_send(variant_id=lamp_id) == {"applied": 1}
            assert mirror(lamp) == (0, 1)
        return stock_write(**kwargs)

    monkeypatch.setattr(sync, "stock_store", send_while_the_next_page_is_read)
    sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)

    assert len(pages_written) == 2
    assert mirror(lamp) == (0, 1)  # the reading was set aside: it predates the adjustment
    assert allocation_run(variant_id=lamp_id) == 0
    assert not StockAdjustment.objects.exclude(status="applied").exists()
    assert_counted_once(connected_store, sandbox, lamp, arrived=4, backordered=5)
