"""Refunds made in BigCommerce: refunded backordered units stop waiting, stop holding stock and leave the
queue, and BigCommerce's stock counts each unit once. BigCommerce is the sandbox over loopback; the refunds
go through its refunds API the way the merchant's control panel sends them."""

from datetime import timedelta

import pytest

from backorder.models import Backorder, StockAdjustment, Variant
from backorder.services.allocation import allocation_run
from backorder.services.availability import store_today
from backorder.services.purchase_orders import LineInput, purchase_order_create
from backorder.services.refunds import backordered_units_refunded
from notifications.models import Notification
from stores.bigcommerce.connection import client_for
from tests.backorder import test_capture as capture_tests
from tests.backorder.conftest import SANDBOX_STORE as STORE
from tests.backorder.test_allocation import mirror_refresh
from tests.backorder.test_capture import deliver, line_of, order_event, stocked_variant, writes

pytestmark = pytest.mark.django_db

# The capture tests' fixtures: a store selling on backorder, and the requests the app sends BigCommerce.
selling = capture_tests.selling
calls = capture_tests.calls


# -- helpers -----------------------------------------------------------------------------------------------


@pytest.fixture
def sync_order(selling, django_capture_on_commit_callbacks):
    """BigCommerce tells us about the order (these webhooks by default: a refund, its status change); the
    work after the commit (stock adjustments sent, availability refreshed, e-mails queued) runs too."""

    def sync(order_id: int, *scopes: str) -> None:
        scopes = scopes or ("store/order/refund/created", "store/order/statusUpdated")
        with django_capture_on_commit_callbacks(execute=True):
            deliver(selling, *[order_event(order_id, scope) for scope in scopes])

    return sync


def place(sandbox, sync_order, *lines: tuple[int, int]) -> dict:
    """A shopper orders (variant, quantity) lines; the order is captured."""
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": quantity} for variant, quantity in lines])
    sync_order(order["id"], "store/order/created")
    return order


def refund(store, order: dict, variant: int, quantity: int) -> None:
    """The merchant refunds `quantity` units of the order's line of `variant` in BigCommerce."""
    client = client_for(store)
    item = {"item_type": "PRODUCT", "item_id": line_of(order, variant)["id"], "quantity": quantity}
    quote = client.post(f"/v3/orders/{order['id']}/payment_actions/refund_quotes", json={"items": [item]})["data"]
    payment = {"provider_id": "storecredit", "amount": quote["total_refund_amount"], "offline": False}
    client.post(f"/v3/orders/{order['id']}/payment_actions/refunds", json={"items": [item], "payments": [payment]})


def restock(store, sandbox, variant: int, units: int, capture) -> None:
    """Units arrive in BigCommerce and allocation hands them out (FIFO)."""
    sandbox.restock(STORE, quantity=units, variant_id=variant, relative=True)
    mirror_refresh(store, Variant.objects.select_related("product").get(bigcommerce_id=variant))
    with capture(execute=True):
        allocation_run(variant_id=variant)


def stock(sandbox, variant: int) -> tuple[int, int]:
    """BigCommerce's (on-hand, qty_backordered) of the variant."""
    item = sandbox.inventory_item(STORE, variant_id=variant)
    return item["total_inventory_onhand"], item["qty_backordered"]


def backorder_of(order: dict, variant: int) -> Backorder:
    return Backorder.objects.get(order_id=order["id"], order_line_id=line_of(order, variant)["id"])


def refunds_of(store, order: dict) -> list[dict]:
    return client_for(store).get_data(f"/v3/orders/{order['id']}/payment_actions/refunds")


# -- the rule ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ordered", "backordered", "shipped", "refunded", "expected"),
    [
        (5, 3, 0, 1, 1),  # 2 in stock, 3 backordered: the refunded unit is a backordered one
        (5, 3, 0, 4, 3),  # beyond the backordered units the refund takes in-stock ones
        (5, 3, 2, 1, 1),  # the 2 in-stock units shipped: still a backordered unit
        (5, 3, 4, 2, 1),  # 4 shipped (2 backordered): only 1 backordered unit is unshipped
        (3, 3, 3, 1, 0),  # everything shipped: a return, no backordered unit left to refund
    ],
)
def test_refunds_take_the_unshipped_backordered_units_first(ordered, backordered, shipped, refunded, expected):
    assert (
        backordered_units_refunded(ordered=ordered, backordered=backordered, shipped=shipped, refunded=refunded)
        == expected
    )


# -- full refund of a line ---------------------------------------------------------------------------------


def test_a_line_refunded_in_full_is_cancelled_and_the_next_shopper_gets_the_stock(
    selling, sandbox, sync_order, django_capture_on_commit_callbacks
):
    variant = stocked_variant(sandbox, on_hand=0)
    in_stock = stocked_variant(sandbox, on_hand=10, skip=(variant,))
    first = place(sandbox, sync_order, (variant, 2), (in_stock, 1))
    second = place(sandbox, sync_order, (variant, 1))
    assert stock(sandbox, variant) == (0, 3)

    refund(selling, first, variant, 2)  # the order is Partially Refunded (14): the in-stock line stays
    sync_order(first["id"])

    refunded = backorder_of(first, variant)
    assert sandbox.get_order(STORE, first["id"])["status_id"] == 14
    assert (refunded.status, refunded.cancellation_reason) == ("cancelled", "Refunded in BigCommerce")
    event = refunded.events.get(kind="cancelled")
    assert (event.actor, event.from_status, event.to_status) == ("bigcommerce", "waiting", "cancelled")
    assert len(refunds_of(selling, first)) == 1  # the merchant's: we refund nothing more
    mail = Notification.objects.get(kind="cancelled", backorder_id=refunded.pk)
    assert mail.context["refund"] == "store"  # "the store refunded you"
    assert stock(sandbox, variant) == (0, 1)  # BigCommerce released the 2 units itself; nothing sent

    restock(selling, sandbox, variant, 1, django_capture_on_commit_callbacks)

    assert backorder_of(first, variant).quantity_allocated == 0
    assert backorder_of(second, variant).status == "allocated"
    assert stock(sandbox, variant) == (0, 0)


# -- partial refunds ---------------------------------------------------------------------------------------


def test_a_partial_refund_lowers_the_quantity_and_the_shoppers_behind_move_up(
    selling, sandbox, sync_order, django_capture_on_commit_callbacks
):
    variant = stocked_variant(sandbox, on_hand=0)
    today = store_today()
    soon, later = today + timedelta(days=5), today + timedelta(days=30)
    purchase_order_create(lines=[LineInput(variant_id=variant, quantity=3, expected_date=soon)], today=today)
    purchase_order_create(lines=[LineInput(variant_id=variant, quantity=5, expected_date=later)], today=today)
    first = place(sandbox, sync_order, (variant, 3))
    second = place(sandbox, sync_order, (variant, 2))
    assert (backorder_of(first, variant).expected_ship_date, backorder_of(second, variant).expected_ship_date) == (
        soon,
        later,
    )

    refund(selling, first, variant, 2)
    sync_order(first["id"])

    reduced, behind = backorder_of(first, variant), backorder_of(second, variant)
    assert (reduced.status, reduced.quantity) == ("waiting", 1)
    event = reduced.events.get(kind="partly_refunded")
    assert (event.actor, event.details["units"], event.details["quantity"]) == ("bigcommerce", 2, 1)
    # The first shopper now needs 1 of the 3 units arriving soon: the second's 2 come with them.
    assert behind.expected_ship_date == soon
    assert behind.events.filter(kind="brought_forward").exists()
    assert stock(sandbox, variant) == (0, 3)  # 5 backordered, 2 refunded

    restock(selling, sandbox, variant, 3, django_capture_on_commit_callbacks)

    assert [(b.quantity, b.quantity_allocated, b.status) for b in (backorder_of(first, variant),
            backorder_of(second, variant))] == [(1, 1, "allocated"), (2, 2, "allocated")]  # fmt: skip
    assert stock(sandbox, variant) == (0, 0)


def test_refunding_1_unit_of_a_line_with_2_in_stock_and_3_backordered_refunds_a_backordered_one(
    selling, sandbox, sync_order
):
    variant = stocked_variant(sandbox, on_hand=2)
    order = place(sandbox, sync_order, (variant, 5))
    line = line_of(order, variant)
    assert (backorder_of(order, variant).quantity, stock(sandbox, variant)) == (3, (0, 3))

    refund(selling, order, variant, 1)
    sync_order(order["id"])

    backorder = backorder_of(order, variant)
    assert (backorder.quantity, backorder.status) == (2, "waiting")
    assert stock(sandbox, variant) == (0, 2)  # BigCommerce released a backordered unit too, none from stock

    # The 2 in-stock units and 1 backordered unit ship; the refund did not shift which units are which.
    sandbox.ship_order(STORE, order["id"], [{"order_product_id": line["id"], "quantity": 3}])
    sync_order(order["id"], "store/order/updated")
    backorder.refresh_from_db()
    assert (backorder.quantity, backorder.quantity_shipped, backorder.status) == (2, 1, "waiting")

    # The last unshipped unit is refunded: what is left of the backorder has shipped.
    refund(selling, order, variant, 1)
    sync_order(order["id"])
    backorder.refresh_from_db()
    assert (backorder.quantity, backorder.quantity_shipped, backorder.status) == (1, 1, "shipped")
    assert [e.details["units"] for e in backorder.events.filter(kind="partly_refunded")] == [1, 1]


def test_replaying_the_refund_webhooks_changes_nothing(selling, sandbox, sync_order, calls):
    variant = stocked_variant(sandbox, on_hand=0)
    order = place(sandbox, sync_order, (variant, 4))
    refund(selling, order, variant, 1)
    sync_order(order["id"])
    backorder = backorder_of(order, variant)
    before = (backorder.quantity, backorder.events.count(), StockAdjustment.objects.count())
    calls.clear()

    sync_order(order["id"], "store/order/refund/created", "store/order/statusUpdated", "store/order/updated")
    sync_order(order["id"])

    backorder.refresh_from_db()
    assert (backorder.quantity, backorder.events.count(), StockAdjustment.objects.count()) == before == (3, 2, 0)
    assert writes(calls) == []  # not even the order's staff note: it already says 3 units
    assert stock(sandbox, variant) == (0, 3)


# -- refunds of allocated units: BigCommerce's stock ends right --------------------------------------------


@pytest.mark.parametrize("with_in_stock_line", [False, True], ids=["order_refunded", "line_refunded"])
def test_refunding_an_allocated_line_puts_its_units_back_on_hand_once(
    selling, sandbox, sync_order, django_capture_on_commit_callbacks, with_in_stock_line
):
    variant = stocked_variant(sandbox, on_hand=0)
    lines = [(variant, 2)]
    if with_in_stock_line:
        lines.append((stocked_variant(sandbox, on_hand=10, skip=(variant,)), 1))
    order = place(sandbox, sync_order, *lines)
    restock(selling, sandbox, variant, 2, django_capture_on_commit_callbacks)
    assert backorder_of(order, variant).status == "allocated"
    assert stock(sandbox, variant) == (0, 0)  # the 2 units arrived and are allocated to this shopper

    refund(selling, order, variant, 2)
    sync_order(order["id"])

    backorder = backorder_of(order, variant)
    assert (backorder.status, backorder.quantity_allocated) == ("cancelled", 0)
    assert sandbox.get_order(STORE, order["id"])["status_id"] == (14 if with_in_stock_line else 4)
    # Nobody else waits: the 2 units are free again, once; nothing is backordered any more.
    assert stock(sandbox, variant) == (2, 0)
    assert not StockAdjustment.objects.exclude(status="applied").exists()
    assert len(refunds_of(selling, order)) == 1


def test_a_partial_refund_of_an_allocated_backorder_gives_the_units_to_the_next_in_line(
    selling, sandbox, sync_order, django_capture_on_commit_callbacks
):
    variant = stocked_variant(sandbox, on_hand=0)
    first = place(sandbox, sync_order, (variant, 3))
    second = place(sandbox, sync_order, (variant, 2))
    restock(selling, sandbox, variant, 3, django_capture_on_commit_callbacks)
    assert stock(sandbox, variant) == (0, 2)

    refund(selling, first, variant, 2)
    sync_order(first["id"])

    reduced, served = backorder_of(first, variant), backorder_of(second, variant)
    assert (reduced.quantity, reduced.quantity_allocated, reduced.status) == (1, 1, "allocated")
    assert (served.quantity_allocated, served.status) == (2, "allocated")
    assert Notification.objects.filter(kind="ready_to_ship", backorder_id=served.pk).exists()
    assert reduced.events.get(kind="partly_refunded").details["units_released"] == 2
    # 3 units arrived: 1 for the first shopper, 2 for the second; none free, nobody waiting.
    assert stock(sandbox, variant) == (0, 0)


def test_a_partial_refund_of_an_allocated_backorder_nobody_else_wants_frees_the_units_once(
    selling, sandbox, sync_order, django_capture_on_commit_callbacks
):
    variant = stocked_variant(sandbox, on_hand=0)
    order = place(sandbox, sync_order, (variant, 3))
    restock(selling, sandbox, variant, 3, django_capture_on_commit_callbacks)

    refund(selling, order, variant, 1)
    sync_order(order["id"])

    backorder = backorder_of(order, variant)
    assert (backorder.quantity, backorder.quantity_allocated, backorder.status) == (2, 2, "allocated")
    assert stock(sandbox, variant) == (1, 0)


def test_refunds_of_the_waiting_units_of_a_partly_allocated_backorder_make_it_ready_to_ship(
    selling, sandbox, sync_order, django_capture_on_commit_callbacks
):
    variant = stocked_variant(sandbox, on_hand=0)
    order = place(sandbox, sync_order, (variant, 3))
    restock(selling, sandbox, variant, 1, django_capture_on_commit_callbacks)
    assert stock(sandbox, variant) == (0, 2)

    refund(selling, order, variant, 1)
    sync_order(order["id"])
    backorder = backorder_of(order, variant)
    assert (backorder.quantity, backorder.quantity_allocated, backorder.status) == (2, 1, "waiting")
    assert not Notification.objects.filter(kind="ready_to_ship", backorder_id=backorder.pk).exists()

    refund(selling, order, variant, 1)
    sync_order(order["id"])
    backorder.refresh_from_db()
    assert (backorder.quantity, backorder.quantity_allocated, backorder.status) == (1, 1, "allocated")
    assert Notification.objects.filter(kind="ready_to_ship", backorder_id=backorder.pk).exists()
    assert stock(sandbox, variant) == (0, 0)


def test_units_refunded_before_the_order_was_first_captured_are_not_taken_off_twice(selling, sandbox, sync_order):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 3}])
    refund(selling, order, variant, 1)  # before we ever saw the order (its webhooks were lost)
    sandbox.set_order_status(STORE, order["id"], 11)  # and the merchant put it back to Awaiting Fulfillment

    sync_order(order["id"], "store/order/statusUpdated")
    sync_order(order["id"])

    backorder = backorder_of(order, variant)
    assert (backorder.quantity, backorder.status) == (2, "waiting")
    assert backorder.events.get(kind="captured").details["quantity_refunded"] == 1
    assert not backorder.events.filter(kind="partly_refunded").exists()
    assert stock(sandbox, variant) == (0, 2)
