"""FIFO allocation: arriving units go to the oldest waiting backorders first, once, and leave BigCommerce's
on-hand in the same step."""

import email.utils
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from backorder import sync
from backorder.models import Allocation, Backorder, MerchantTask, StockAdjustment, Variant
from backorder.services.allocation import (
    allocation_run,
    stock_adjustment_sends_wait,
    stock_adjustments_send,
    units_release,
)
from notifications.automations.recording import ruleset
from stores.bigcommerce.client import BigCommerceClient
from tests.backorder.conftest import SANDBOX_STORE, backorder_make, variant_make
from tests.fixtures.bigcommerce import drop_store_schemas

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 1, tzinfo=UTC)


def queue(variant, *quantities):
    """Backorders of `quantities`, oldest first (created newest first, so insertion order cannot help)."""
    made = [
        backorder_make(variant, quantity, ordered_at=START + timedelta(hours=i))
        for i, quantity in enumerate(quantities)
    ]
    return [Backorder.objects.get(pk=b.pk) for b in made]


def allocated(*backorders):
    return [Backorder.objects.get(pk=b.pk).quantity_allocated for b in backorders]


def test_restock_of_5_units_fills_oldest_backorders_first(store):
    variant = variant_make(on_hand=5)
    newest = backorder_make(variant, 3, ordered_at=START + timedelta(days=2))
    oldest, second = queue(variant, 2, 2)

    assert allocation_run(variant_id=variant.bigcommerce_id) == 5

    assert allocated(oldest, second, newest) == [2, 2, 1]
    assert [Backorder.objects.get(pk=b.pk).status for b in (oldest, second, newest)] == [
        "allocated",
        "allocated",
        "waiting",
    ]
    adjustment = StockAdjustment.objects.get()
    assert (adjustment.on_hand_delta, adjustment.qty_backordered_delta, adjustment.status) == (-5, -5, "pending")
    assert sorted(Allocation.objects.values_list("quantity", flat=True)) == [1, 2, 2]
    assert set(Allocation.objects.values_list("adjustment_id", flat=True)) == {adjustment.pk}
    event = oldest.events.get()
    assert (event.kind, event.from_status, event.to_status, event.details["units"]) == ("allocated", "waiting",
                                                                                          "allocated", 2)  # fmt: skip
    assert newest.events.get().kind == "partly_allocated"
    assert Backorder.objects.get(pk=oldest.pk).allocated_at is not None


def test_a_partial_restock_leaves_the_rest_waiting(store):
    variant = variant_make(on_hand=3)
    first, second = queue(variant, 5, 1)

    assert allocation_run(variant_id=variant.bigcommerce_id) == 3

    assert allocated(first, second) == [3, 0]
    assert Backorder.objects.get(pk=first.pk).status == "waiting"
    assert Backorder.objects.get(pk=first.pk).quantity_waiting == 2


def test_fifo_ties_break_by_order_id_then_line_id(store):
    variant = variant_make(on_hand=2)
    later_line = backorder_make(variant, 1, ordered_at=START, order_id=900, order_line_id=20)
    later_order = backorder_make(variant, 1, ordered_at=START, order_id=901, order_line_id=1)
    first = backorder_make(variant, 1, ordered_at=START, order_id=900, order_line_id=10)

    allocation_run(variant_id=variant.bigcommerce_id)

    assert allocated(first, later_line, later_order) == [1, 1, 0]


def test_re_running_allocation_allocates_nothing_more(store):
    variant = variant_make(on_hand=4)
    queue(variant, 3, 3)

    assert allocation_run(variant_id=variant.bigcommerce_id) == 4
    assert allocation_run(variant_id=variant.bigcommerce_id) == 0

    assert StockAdjustment.objects.count() == 1
    assert Allocation.objects.count() == 2


def test_units_owed_to_bigcommerce_are_not_counted_twice(store):
    variant = variant_make(on_hand=5)
    first, second = queue(variant, 3, 3)
    # 3 units already allocated and not yet taken off BigCommerce's on-hand (which still says 5).
    StockAdjustment.objects.create(variant_id=variant.bigcommerce_id, product_id=1, on_hand_delta=-3,
                                   qty_backordered_delta=-3, reason="allocation:restock")  # fmt: skip
    # An increment BigCommerce has not confirmed yet counts; one whose outcome is unknown does not.
    StockAdjustment.objects.create(variant_id=variant.bigcommerce_id, product_id=1, on_hand_delta=2,
                                   reason="purchase_order:1")  # fmt: skip
    StockAdjustment.objects.create(variant_id=variant.bigcommerce_id, product_id=1, on_hand_delta=7,
                                   reason="purchase_order:2", status="unknown")  # fmt: skip
    # Applied rows are in the mirror already.
    StockAdjustment.objects.create(variant_id=variant.bigcommerce_id, product_id=1, on_hand_delta=-5,
                                   reason="allocation:restock", status="applied")  # fmt: skip

    assert allocation_run(variant_id=variant.bigcommerce_id) == 4

    assert allocated(first, second) == [3, 1]


def test_stock_that_is_not_tracked_is_never_allocated(store):
    variant = variant_make(on_hand=None)
    (backorder,) = queue(variant, 1)

    assert allocation_run(variant_id=variant.bigcommerce_id) == 0
    assert allocated(backorder) == [0]


def test_allocation_costs_the_same_queries_however_many_backorders_wait(store):
    small, large = variant_make(on_hand=10), variant_make(on_hand=400)
    queue(small, *[1] * 10)
    Backorder.objects.bulk_create(
        [
            Backorder(
                order_id=10_000 + i,
                order_line_id=i,
                order_created_at=START + timedelta(seconds=i),
                product_id=large.product.bigcommerce_id,
                variant_id=large.bigcommerce_id,
                quantity=1,
                customer_email="s@example.com",
            )  # fmt: skip
            for i in range(1000)
        ]
    )
    ruleset()  # the store's automation rules are read once into the shared cache, then cost no query
    with CaptureQueriesContext(connection) as few:
        assert allocation_run(variant_id=small.bigcommerce_id) == 10
    with CaptureQueriesContext(connection) as many:
        assert allocation_run(variant_id=large.bigcommerce_id) == 400
    # savepoint, lock, the allocation statement, the "ready to ship" outbox rows (one INSERT … SELECT), release
    assert len(few.captured_queries) == len(many.captured_queries) <= 5


def test_releasing_units_gives_them_to_the_next_in_line_and_nets_bigcommerce(store):
    variant = variant_make(on_hand=3)
    first, second = queue(variant, 3, 2)
    allocation_run(variant_id=variant.bigcommerce_id)
    Variant.objects.filter(pk=variant.pk).update(on_hand=F("on_hand") - 3)  # BigCommerce confirmed it
    StockAdjustment.objects.update(status="applied")

    assert units_release(backorder=first, reason="merchant moved them", actor="merchant") == 3

    assert allocated(first, second) == [0, 2]
    assert Backorder.objects.get(pk=first.pk).status == "waiting"
    release = StockAdjustment.objects.get(status="pending")
    # 3 back as backordered units of their line, 2 of them allocated again: +1 on both counters.
    assert (release.on_hand_delta, release.qty_backordered_delta) == (1, 1)
    assert Allocation.objects.filter(backorder=first).order_by("id").last().quantity == -3


# -- with BigCommerce (the sandbox) ------------------------------------------------------------------------


def client_of(store) -> BigCommerceClient:
    return BigCommerceClient(store_hash=SANDBOX_STORE, access_token=store.access_token)


def tracked_variant(sandbox, store, *, on_hand: int = 0) -> Variant:
    """A variant tracked by variant, with unlimited native backorders and `on_hand` units in BigCommerce."""
    variant = Variant.objects.filter(product__inventory_tracking="variant", is_deleted=False).order_by("id").first()
    sandbox.set_backorder_limit(SANDBOX_STORE, None, variant_id=variant.bigcommerce_id)
    sandbox.restock(SANDBOX_STORE, quantity=on_hand, variant_id=variant.bigcommerce_id)
    mirror_refresh(store, variant)
    return Variant.objects.get(pk=variant.pk)


def mirror_refresh(store, variant) -> None:
    sync.products_refresh(client=client_of(store), product_ids=[variant.product.bigcommerce_id])


def order_place(sandbox, variant, quantity: int, **fields) -> Backorder:
    """A shopper orders beyond stock in BigCommerce; capture records the backordered part of the line."""
    order = sandbox.place_order(
        SANDBOX_STORE, [{"product_id": variant.product.bigcommerce_id, "variant_id": variant.bigcommerce_id,
                         "quantity": quantity}],
    )  # fmt: skip
    line = order["lines"][0]
    return Backorder.objects.create(
        order_id=order["id"], order_line_id=line["id"],
        order_created_at=email.utils.parsedate_to_datetime(order["date_created"]),
        product_id=variant.product.bigcommerce_id, variant_id=variant.bigcommerce_id,
        quantity=line["quantity_backordered"], unit_price=Decimal(line["price_inc_tax"]),
        customer_email="s@example.com", **fields,
    )  # fmt: skip


def bigcommerce_stock(sandbox, variant) -> tuple[int, int]:
    item = sandbox.inventory_item(SANDBOX_STORE, variant_id=variant.bigcommerce_id)
    return item["total_inventory_onhand"], item["qty_backordered"]


def test_allocated_units_leave_bigcommerce_on_hand_in_the_same_step(connected_store, sandbox,
                                                                    django_capture_on_commit_callbacks):  # fmt: skip
    variant = tracked_variant(sandbox, connected_store)
    first, second = order_place(sandbox, variant, 2), order_place(sandbox, variant, 3)
    assert bigcommerce_stock(sandbox, variant) == (0, 5)
    sandbox.restock(SANDBOX_STORE, quantity=4, variant_id=variant.bigcommerce_id, relative=True)
    mirror_refresh(connected_store, variant)

    with django_capture_on_commit_callbacks(execute=True):
        assert allocation_run(variant_id=variant.bigcommerce_id) == 4

    assert allocated(first, second) == [2, 2]
    assert bigcommerce_stock(sandbox, variant) == (0, 1)
    adjustment = StockAdjustment.objects.get()
    assert adjustment.status == "applied" and adjustment.bigcommerce_transaction_id
    mirror = Variant.objects.get(pk=variant.pk)
    assert (mirror.on_hand, mirror.qty_backordered) == (0, 1)
    # The stock webhook this causes finds nothing left to allocate.
    mirror_refresh(connected_store, variant)
    assert allocation_run(variant_id=variant.bigcommerce_id) == 0


def test_an_adjustment_bigcommerce_refuses_fails_and_asks_the_merchant_to_check_stock(connected_store, sandbox):
    variant = tracked_variant(sandbox, connected_store)
    order_place(sandbox, variant, 2)
    # The mirror claims 2 units that BigCommerce does not have (sold meanwhile).
    Variant.objects.filter(pk=variant.pk).update(on_hand=2)
    allocation_run(variant_id=variant.bigcommerce_id)

    assert stock_adjustments_send(variant_id=variant.bigcommerce_id)["failed"] == 1

    assert StockAdjustment.objects.get().status == "failed"
    task = MerchantTask.objects.get()
    assert task.kind == "check_stock" and task.details["problem"] == "refused"
    assert bigcommerce_stock(sandbox, variant) == (0, 2)


def test_a_row_left_sending_by_a_stopped_sender_becomes_unknown_and_is_not_resent(connected_store, sandbox):
    variant = tracked_variant(sandbox, connected_store, on_hand=1)
    StockAdjustment.objects.create(variant_id=variant.bigcommerce_id, product_id=variant.product.bigcommerce_id,
                                   on_hand_delta=-1, reason="allocation:restock", status="sending")  # fmt: skip

    outcome = stock_adjustments_send()

    assert outcome["unknown"] == 1
    assert StockAdjustment.objects.get().status == "unknown"
    assert MerchantTask.objects.get().details["problem"] == "unknown"
    assert stock_adjustments_send() == {}
    assert bigcommerce_stock(sandbox, variant) == (1, 0)


def test_a_row_whose_sender_still_holds_its_lease_is_left_to_it_and_waited_for(connected_store, sandbox):
    variant = tracked_variant(sandbox, connected_store, on_hand=1)
    row = StockAdjustment.objects.create(variant_id=variant.bigcommerce_id, product_id=variant.product.bigcommerce_id,
                                         on_hand_delta=-1, reason="allocation:restock", status="sending",
                                         sending_until=timezone.now() + timedelta(minutes=2))  # fmt: skip

    assert stock_adjustments_send() == {}  # a live sender's row: neither resent nor declared unknown
    assert StockAdjustment.objects.get().status == "sending"

    StockAdjustment.objects.filter(pk=row.pk).update(sending_until=timezone.now() - timedelta(seconds=1))
    assert stock_adjustments_send()["unknown"] == 1  # its sender is gone: outcome unknown, never resent
    assert bigcommerce_stock(sandbox, variant) == (1, 0)


@pytest.fixture
def committed_store(make_store):
    """A store whose schema is committed (a transactional test), dropped afterwards: the flush between tests
    empties tables, not schemas."""
    yield make_store()
    drop_store_schemas()


@pytest.mark.django_db(transaction=True)
def test_waiting_for_sends_in_flight_ends_when_the_outcome_is_recorded_or_the_sender_is_gone(committed_store):
    store = committed_store
    with schema_context(store.schema_name):
        row = StockAdjustment.objects.create(
            variant_id=7, product_id=1, on_hand_delta=-1, reason="allocation:restock", status="sending",
            sending_until=timezone.now() + timedelta(minutes=2),
        )  # fmt: skip
        started = time.monotonic()
        assert stock_adjustment_sends_wait(variant_ids=[7], timeout_seconds=0.3) is False  # still in flight
        assert 0.1 < time.monotonic() - started < 2
        assert stock_adjustment_sends_wait(variant_ids=[8], timeout_seconds=0.3) is True  # another variant's

        def sender_records_the_outcome() -> None:
            with schema_context(store.schema_name):
                StockAdjustment.objects.filter(pk=row.pk).update(status="applied")
            connection.close()

        threading.Timer(0.3, sender_records_the_outcome).start()
        assert stock_adjustment_sends_wait(variant_ids=[7], timeout_seconds=10) is True  # the sender recorded it

        StockAdjustment.objects.filter(pk=row.pk).update(status="sending", sending_until=timezone.now())
        started = time.monotonic()
        assert stock_adjustment_sends_wait(variant_ids=[7], timeout_seconds=10) is False  # gone: not waited for
        assert time.monotonic() - started < 2
