"""The stock mirror and the stock-adjustment outbox: a refresh that reads BigCommerce while one of our own
adjustments is owed (written, not sent), in flight (applied in BigCommerce, not yet recorded) or just applied
never makes the app count a unit twice (ARCHITECTURE.md, "Inventory model").

Each test interleaves the steps deterministically: the BigCommerce client is wrapped so that a "webhook
refresh" (and the allocation a webhook runs after it) lands at an exact moment of another step.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backorder import sync
from backorder.models import Allocation, Backorder, MerchantTask, StockAdjustment, Variant
from backorder.services.allocation import allocation_run, stock_adjustment_resolve, stock_adjustments_send
from stores.bigcommerce import errors
from tests.backorder.conftest import SANDBOX_STORE
from tests.backorder.test_allocation import bigcommerce_stock, client_of, order_place, tracked_variant

pytestmark = pytest.mark.django_db


class Interleaved:
    """The app's BigCommerce client, with one step run right after a chosen request has reached BigCommerce:
    `after_adjustment` once BigCommerce has applied a stock adjustment (before the app records it),
    `after_stock_read` once BigCommerce has answered a stock read (before the app writes it)."""

    def __init__(self, client, *, after_adjustment=None, after_stock_read=None):
        self.client = client
        self.after_adjustment = after_adjustment
        self.after_stock_read = after_stock_read

    def __getattr__(self, name):
        return getattr(self.client, name)

    def post(self, path, **kwargs):
        body = self.client.post(path, **kwargs)
        if path.startswith("/v3/inventory/adjustments") and self.after_adjustment:
            step, self.after_adjustment = self.after_adjustment, None
            step()
        return body

    def get(self, path, **kwargs):
        body = self.client.get(path, **kwargs)
        self._after_read(path)
        return body

    def iter_v3(self, path, params=None, **kwargs):
        rows = list(self.client.iter_v3(path, params, **kwargs))
        self._after_read(path)
        return iter(rows)

    def _after_read(self, path):
        if path.startswith("/v3/inventory/locations") and self.after_stock_read:
            step, self.after_stock_read = self.after_stock_read, None
            step()


def webhook(store, variant, client=None) -> int:
    """What a product webhook does: re-read the product and its stock, then allocate what is free."""
    sync.products_refresh(client=client or client_of(store), product_ids=[variant.product.bigcommerce_id])
    return allocation_run(variant_id=variant.bigcommerce_id)


def units_allocated(variant) -> int:
    return sum(
        Allocation.objects.filter(backorder__variant_id=variant.bigcommerce_id).values_list("quantity", flat=True)
    )


def mirror(variant) -> tuple[int, int]:
    row = Variant.objects.get(pk=variant.pk)
    return row.on_hand, row.qty_backordered


def assert_counted_once(store, sandbox, variant, *, arrived: int, backordered: int) -> None:
    """Every adjustment reached BigCommerce; the units allocated are the units that arrived (at most); the
    mirror and BigCommerce agree with the inventory model; a fresh read and allocation change nothing."""
    assert not StockAdjustment.objects.exclude(status="applied").exists()
    given = units_allocated(variant)
    assert given <= arrived
    assert (
        sum(Backorder.objects.filter(variant_id=variant.bigcommerce_id).values_list("quantity_allocated", flat=True))
        == given
    )
    expected = (arrived - given, backordered - given)
    assert bigcommerce_stock(sandbox, variant) == expected
    assert mirror(variant) == expected
    assert webhook(store, variant) == 0
    assert mirror(variant) == expected


@pytest.fixture
def waiting(connected_store, sandbox):
    """A tracked variant with nothing on hand and two backorders of 2 and 3 units (5 backordered in BigCommerce)."""
    variant = tracked_variant(sandbox, connected_store)
    order_place(sandbox, variant, 2)
    order_place(sandbox, variant, 3)
    assert bigcommerce_stock(sandbox, variant) == (0, 5)
    sync.products_refresh(client=client_of(connected_store), product_ids=[variant.product.bigcommerce_id])
    assert mirror(variant) == (0, 5)
    return variant


def restock(sandbox, variant, quantity: int) -> None:
    sandbox.restock(SANDBOX_STORE, quantity=quantity, variant_id=variant.bigcommerce_id, relative=True)


def test_a_refresh_while_an_adjustment_is_owed_counts_it_once(connected_store, sandbox, waiting):
    restock(sandbox, waiting, 4)
    assert webhook(connected_store, waiting) == 4  # the adjustment (-4) is written, not sent
    assert StockAdjustment.objects.get().status == "pending"

    # Another webhook: BigCommerce still shows the 4 units, and 4 of its backordered units.
    assert webhook(connected_store, waiting) == 0
    assert mirror(waiting) == (4, 5)

    assert stock_adjustments_send(variant_id=waiting.bigcommerce_id)["applied"] == 1
    assert_counted_once(connected_store, sandbox, waiting, arrived=4, backordered=5)


def test_a_refresh_while_a_decrement_is_in_flight_does_not_take_the_units_off_twice(connected_store, sandbox, waiting):
    restock(sandbox, waiting, 4)
    assert webhook(connected_store, waiting) == 4
    seen = []

    def webhook_lands():  # BigCommerce has applied the -4; the app has not recorded it yet
        seen.append(webhook(connected_store, waiting))

    client = Interleaved(client_of(connected_store), after_adjustment=webhook_lands)
    assert stock_adjustments_send(variant_id=waiting.bigcommerce_id, client=client)["applied"] == 1

    assert seen == [0]
    assert_counted_once(connected_store, sandbox, waiting, arrived=4, backordered=5)


def test_a_refresh_while_an_increment_is_in_flight_does_not_count_the_units_twice(connected_store, sandbox, waiting):
    # A purchase-order receipt of 4 units: an increment owed to BigCommerce, counted as free stock.
    StockAdjustment.objects.create(variant_id=waiting.bigcommerce_id, product_id=waiting.product.bigcommerce_id,
                                   on_hand_delta=4, reason="purchase_order:1")  # fmt: skip
    seen = []

    def webhook_lands():  # BigCommerce has the 4 units; the app has not recorded it yet
        seen.append(webhook(connected_store, waiting))

    client = Interleaved(client_of(connected_store), after_adjustment=webhook_lands)
    # The receipt's +4, then the -4 of the allocation the webhook ran (each applied once).
    assert stock_adjustments_send(variant_id=waiting.bigcommerce_id, client=client) == {"applied": 2}

    assert seen == [4]
    assert_counted_once(connected_store, sandbox, waiting, arrived=4, backordered=5)


def test_a_refresh_that_read_before_an_adjustment_was_applied_does_not_undo_it(connected_store, sandbox, waiting):
    restock(sandbox, waiting, 4)
    assert webhook(connected_store, waiting) == 4

    def adjustment_sent():  # the refresh has read (4, 5); now the -4 reaches BigCommerce and is recorded
        assert stock_adjustments_send(variant_id=waiting.bigcommerce_id)["applied"] == 1

    client = Interleaved(client_of(connected_store), after_stock_read=adjustment_sent)
    assert webhook(connected_store, waiting, client=client) == 0

    stock_adjustments_send(variant_id=waiting.bigcommerce_id)
    assert_counted_once(connected_store, sandbox, waiting, arrived=4, backordered=5)


def test_a_full_sync_that_read_before_an_adjustment_was_applied_does_not_undo_it(connected_store, sandbox, waiting):
    restock(sandbox, waiting, 4)
    assert webhook(connected_store, waiting) == 4

    def adjustment_sent():
        assert stock_adjustments_send(variant_id=waiting.bigcommerce_id)["applied"] == 1

    client = Interleaved(client_of(connected_store), after_stock_read=adjustment_sent)
    sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)
    assert allocation_run(variant_id=waiting.bigcommerce_id) == 0

    stock_adjustments_send(variant_id=waiting.bigcommerce_id)
    assert_counted_once(connected_store, sandbox, waiting, arrived=4, backordered=5)


def test_a_reading_set_aside_is_taken_again_once_the_send_is_recorded(
    connected_store, sandbox, waiting, django_capture_on_commit_callbacks
):
    restock(sandbox, waiting, 4)
    assert webhook(connected_store, waiting) == 4

    def merchant_restocks_and_webhook_lands():  # the -4 is applied, not recorded; the merchant adds 3 units
        restock(sandbox, waiting, 3)
        with django_capture_on_commit_callbacks() as later:
            sync.products_refresh(client=client_of(connected_store), product_ids=[waiting.product.bigcommerce_id])
        assert mirror(waiting) == (4, 5)  # set aside: the mirror keeps its stock
        reread.extend(later)  # the re-read (and the storefront refresh), queued for after the commit

    reread = []
    client = Interleaved(client_of(connected_store), after_adjustment=merchant_restocks_and_webhook_lands)
    assert stock_adjustments_send(variant_id=waiting.bigcommerce_id, client=client) == {"applied": 1}
    assert mirror(waiting) == (0, 1)  # the 3 units are not known yet

    with django_capture_on_commit_callbacks(execute=True):
        for callback in reread:  # the re-read: it reads the 3 units and gives 1 to the backorder still waiting
            callback()

    assert mirror(waiting) == (2, 0)
    assert_counted_once(connected_store, sandbox, waiting, arrived=7, backordered=5)


def test_a_refresh_costs_the_same_queries_however_many_adjustments_were_applied(connected_store, sandbox, waiting):
    restock(sandbox, waiting, 1)
    with CaptureQueriesContext(connection) as before:
        sync.products_refresh(client=client_of(connected_store), product_ids=[waiting.product.bigcommerce_id])
    for _ in range(3):
        restock(sandbox, waiting, 1)
        webhook(connected_store, waiting)
        stock_adjustments_send(variant_id=waiting.bigcommerce_id)
    with CaptureQueriesContext(connection) as after:
        sync.products_refresh(client=client_of(connected_store), product_ids=[waiting.product.bigcommerce_id])
    assert len(after.captured_queries) == len(before.captured_queries)


# -- adjustments whose outcome is unknown, and the merchant's reconciliation ---------------------------------


class AnswerLost:
    """The app's BigCommerce client, where the answer to a stock adjustment never arrives (a timeout):
    BigCommerce applied the change (`applied`) or never got it."""

    def __init__(self, client, *, applied: bool):
        self.client = client
        self.applied = applied

    def __getattr__(self, name):
        return getattr(self.client, name)

    def post(self, path, **kwargs):
        if not path.startswith("/v3/inventory/adjustments"):
            return self.client.post(path, **kwargs)
        if self.applied:
            self.client.post(path, **kwargs)
        raise errors.BigCommerceError("Read timed out", method="POST", path=path)


class StepBeforeStockRead:
    """The app's BigCommerce client, with one step run just before the first stock read (in a full sync: once
    the product pages are written)."""

    def __init__(self, client, step):
        self.client = client
        self.step = step

    def __getattr__(self, name):
        return getattr(self.client, name)

    def get(self, path, **kwargs):
        if path.startswith("/v3/inventory/locations") and self.step:
            step, self.step = self.step, None
            step()
        return self.client.get(path, **kwargs)


def receipt_unknown(store, variant, *, applied: bool) -> StockAdjustment:
    """A purchase-order receipt of 4 units whose send times out (BigCommerce applied it, or not)."""
    receipt = StockAdjustment.objects.create(
        variant_id=variant.bigcommerce_id, product_id=variant.product.bigcommerce_id, on_hand_delta=4,
        reason="purchase_order:1",
    )  # fmt: skip
    lost = AnswerLost(client_of(store), applied=applied)
    assert stock_adjustments_send(variant_id=variant.bigcommerce_id, client=lost) == {"unknown": 1}
    receipt.refresh_from_db()
    assert receipt.status == "unknown"
    return receipt


def decrement_unknown(store, sandbox, variant, *, applied: bool) -> StockAdjustment:
    """4 units arrive and go to the backorders; the -4 sent to BigCommerce times out (applied, or not)."""
    restock(sandbox, variant, 4)
    assert webhook(store, variant) == 4
    lost = AnswerLost(client_of(store), applied=applied)
    assert stock_adjustments_send(variant_id=variant.bigcommerce_id, client=lost) == {"unknown": 1}
    return StockAdjustment.objects.get(status="unknown")


def run(callbacks, capture) -> None:
    """Run the work queued for after a commit (sends, the re-read), and whatever it queues in turn."""
    with capture(execute=True):
        for callback in callbacks:
            callback()


def test_resolving_an_unknown_increment_a_refresh_has_read_as_applied_counts_it_once(
    connected_store, sandbox, waiting, django_capture_on_commit_callbacks
):
    receipt = receipt_unknown(connected_store, waiting, applied=True)
    assert bigcommerce_stock(sandbox, waiting) == (4, 5)
    assert allocation_run(variant_id=waiting.bigcommerce_id) == 0  # not counted until reconciled
    # A webhook reads the 4 units (the row is unknown, no longer in flight: the reading is written).
    assert webhook(connected_store, waiting) == 4
    assert mirror(waiting) == (4, 5)

    with django_capture_on_commit_callbacks() as later:
        assert stock_adjustment_resolve(adjustment=receipt, applied=True).status == "applied"

    assert mirror(waiting) == (4, 5)  # the reading holds the +4: 4 free units, never 8
    assert allocation_run(variant_id=waiting.bigcommerce_id) == 0
    assert units_allocated(waiting) == 4
    assert not MerchantTask.objects.filter(status="open").exists()
    run(later, django_capture_on_commit_callbacks)  # the allocation's -4 is sent, the product read again
    assert_counted_once(connected_store, sandbox, waiting, arrived=4, backordered=5)


def test_resolving_an_unknown_decrement_a_refresh_has_read_as_applied_takes_it_off_once(
    connected_store, sandbox, waiting, django_capture_on_commit_callbacks
):
    decrement = decrement_unknown(connected_store, sandbox, waiting, applied=True)
    assert bigcommerce_stock(sandbox, waiting) == (0, 1)
    assert webhook(connected_store, waiting) == 0  # reads (0, 1); the unknown -4 still holds units back
    assert mirror(waiting) == (0, 1)

    with django_capture_on_commit_callbacks() as later:
        stock_adjustment_resolve(adjustment=decrement, applied=True)

    assert mirror(waiting) == bigcommerce_stock(sandbox, waiting) == (0, 1)
    run(later, django_capture_on_commit_callbacks)
    restock(sandbox, waiting, 1)  # nothing held back any more: the next unit goes to the last backorder
    assert webhook(connected_store, waiting) == 1
    stock_adjustments_send(variant_id=waiting.bigcommerce_id)
    assert_counted_once(connected_store, sandbox, waiting, arrived=5, backordered=5)


def test_an_unknown_decrement_bigcommerce_did_not_apply_keeps_its_units_given(
    connected_store, sandbox, waiting, django_capture_on_commit_callbacks
):
    decrement = decrement_unknown(connected_store, sandbox, waiting, applied=False)
    # BigCommerce still shows the 4 units; they are the backorders' already, so none is free.
    assert webhook(connected_store, waiting) == 0
    assert mirror(waiting) == (4, 5)
    assert units_allocated(waiting) == 4

    with django_capture_on_commit_callbacks() as later:
        assert stock_adjustment_resolve(adjustment=decrement, applied=False).status == "pending"
    run(later, django_capture_on_commit_callbacks)  # sent again at once

    decrement.refresh_from_db()
    assert (decrement.status, decrement.attempts) == ("applied", 2)
    assert_counted_once(connected_store, sandbox, waiting, arrived=4, backordered=5)


def test_resolving_an_unknown_increment_as_applied_with_no_refresh_since_adds_it_once(
    connected_store, sandbox, waiting, django_capture_on_commit_callbacks
):
    receipt = receipt_unknown(connected_store, waiting, applied=True)

    with django_capture_on_commit_callbacks() as later:
        stock_adjustment_resolve(adjustment=receipt, applied=True)

    assert mirror(waiting) == (4, 5)
    assert allocation_run(variant_id=waiting.bigcommerce_id) == 4
    run(later, django_capture_on_commit_callbacks)
    assert_counted_once(connected_store, sandbox, waiting, arrived=4, backordered=5)


def test_resolving_an_unknown_increment_as_not_applied_sends_it_again_once(
    connected_store, sandbox, waiting, django_capture_on_commit_callbacks
):
    receipt = receipt_unknown(connected_store, waiting, applied=False)
    assert webhook(connected_store, waiting) == 0  # BigCommerce has no new units; the increment is not counted
    assert mirror(waiting) == (0, 5)

    with django_capture_on_commit_callbacks() as later:
        assert stock_adjustment_resolve(adjustment=receipt, applied=False).status == "pending"
    run(later, django_capture_on_commit_callbacks)  # sent, then read again: the 4 units go to the backorders

    receipt.refresh_from_db()
    assert (receipt.status, receipt.attempts) == ("applied", 2)
    assert_counted_once(connected_store, sandbox, waiting, arrived=4, backordered=5)


def test_resolving_again_changes_nothing(connected_store, sandbox, waiting, django_capture_on_commit_callbacks):
    receipt = receipt_unknown(connected_store, waiting, applied=True)
    with django_capture_on_commit_callbacks() as later:
        stock_adjustment_resolve(adjustment=receipt, applied=True)
    run(later, django_capture_on_commit_callbacks)
    settled = (mirror(waiting), bigcommerce_stock(sandbox, waiting), units_allocated(waiting))

    with django_capture_on_commit_callbacks() as again:
        assert stock_adjustment_resolve(adjustment=receipt, applied=True).status == "applied"
        assert stock_adjustment_resolve(adjustment=receipt, applied=False).status == "applied"

    assert again == []  # nothing sent, nothing read again
    assert (mirror(waiting), bigcommerce_stock(sandbox, waiting), units_allocated(waiting)) == settled
    assert_counted_once(connected_store, sandbox, waiting, arrived=4, backordered=5)


def test_a_full_sync_counts_an_unknown_increment_once_when_it_is_resolved_between_its_pages(
    connected_store, sandbox, waiting
):
    receipt = receipt_unknown(connected_store, waiting, applied=True)

    def merchant_resolves():  # the product pages are written (with BigCommerce's 4 units), the stock not yet
        stock_adjustment_resolve(adjustment=receipt, applied=True)
        assert mirror(waiting) == (4, 5)
        assert allocation_run(variant_id=waiting.bigcommerce_id) == 4

    client = StepBeforeStockRead(client_of(connected_store), merchant_resolves)
    sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)

    assert client.step is None
    assert allocation_run(variant_id=waiting.bigcommerce_id) == 0
    stock_adjustments_send(variant_id=waiting.bigcommerce_id)
    assert_counted_once(connected_store, sandbox, waiting, arrived=4, backordered=5)
