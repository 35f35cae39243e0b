"""Cancelling backorders: who may, the units go to the next in line, the shopper is refunded, BigCommerce's
stock ends right."""

import pytest

from backorder.models import Backorder, MerchantTask, StockAdjustment
from backorder.services.allocation import allocation_run, stock_adjustments_send
from backorder.services.cancellation import CancellationNotAllowed, backorder_cancel, backorders_cancel_for_order
from backorder.services.lifecycle import IllegalTransition
from tests.backorder.conftest import SANDBOX_STORE, variant_make
from tests.backorder.test_allocation import (
    allocated,
    bigcommerce_stock,
    client_of,
    mirror_refresh,
    order_place,
    queue,
    tracked_variant,
)

pytestmark = pytest.mark.django_db


def test_cancelling_releases_units_to_the_next_in_line(store):
    variant = variant_make(on_hand=2)
    first, second = queue(variant, 2, 2)
    allocation_run(variant_id=variant.bigcommerce_id)

    result = backorder_cancel(backorder=first, actor="merchant", reason="customer called")

    assert result.cancelled and result.units_released == 2
    assert allocated(first, second) == [0, 2]
    first.refresh_from_db()
    assert (first.status, first.cancellation_reason) == ("cancelled", "customer called")
    assert first.events.order_by("id").last().kind == "cancelled"
    # Released and re-allocated at once: nothing for BigCommerce beyond the first allocation.
    assert list(StockAdjustment.objects.values_list("on_hand_delta", flat=True)) == [-2]


def test_units_nobody_waits_for_go_back_to_bigcommerce_on_hand(store):
    variant = variant_make(on_hand=3)
    (only,) = queue(variant, 3)
    allocation_run(variant_id=variant.bigcommerce_id)

    backorder_cancel(backorder=only, actor="merchant", reason="duplicate order")

    release = StockAdjustment.objects.order_by("id").last()
    assert (release.on_hand_delta, release.qty_backordered_delta, release.reason) == (3, 3, "release:release")


def test_shopper_cannot_cancel_after_allocation_when_policy_says_until_allocated(store):
    variant = variant_make(on_hand=1)
    (backorder,) = queue(variant, 1)
    Backorder.objects.filter(pk=backorder.pk).update(policy={"shopper_may_cancel": "until_allocated"})
    allocation_run(variant_id=variant.bigcommerce_id)
    backorder.refresh_from_db()

    with pytest.raises(CancellationNotAllowed):
        backorder_cancel(backorder=backorder, actor="shopper", reason="changed my mind")

    assert Backorder.objects.get(pk=backorder.pk).status == "allocated"
    assert backorder_cancel(backorder=backorder, actor="merchant", reason="asked by email").cancelled


def test_shopper_may_cancel_an_allocated_backorder_when_policy_says_until_shipped(store):
    variant = variant_make(on_hand=1)
    (backorder,) = queue(variant, 1)
    Backorder.objects.filter(pk=backorder.pk).update(policy={"shopper_may_cancel": "until_shipped"})
    allocation_run(variant_id=variant.bigcommerce_id)

    assert backorder_cancel(backorder=backorder, actor="shopper", reason="changed my mind").cancelled


def test_shopper_cannot_cancel_at_all_when_policy_says_never(store):
    (backorder,) = queue(variant_make(on_hand=0), 1)
    Backorder.objects.filter(pk=backorder.pk).update(policy={"shopper_may_cancel": "never"})

    with pytest.raises(CancellationNotAllowed):
        backorder_cancel(backorder=backorder, actor="shopper", reason="changed my mind")


def test_a_shipped_backorder_cannot_be_cancelled(store):
    (backorder,) = queue(variant_make(on_hand=0), 1)
    Backorder.objects.filter(pk=backorder.pk).update(status="shipped")

    with pytest.raises(IllegalTransition):
        backorder_cancel(backorder=backorder, actor="merchant", reason="too late")


def test_cancelling_twice_does_nothing_more(store):
    variant = variant_make(on_hand=1)
    (backorder,) = queue(variant, 2)
    allocation_run(variant_id=variant.bigcommerce_id)
    backorder_cancel(backorder=backorder, actor="merchant", reason="once")
    events, adjustments = backorder.events.count(), StockAdjustment.objects.count()

    again = backorder_cancel(backorder=backorder, actor="merchant", reason="twice")

    assert not again.cancelled and again.units_released == 0
    assert (backorder.events.count(), StockAdjustment.objects.count()) == (events, adjustments)


# -- with BigCommerce (the sandbox) ------------------------------------------------------------------------


def cancel(backorder, capture, **kwargs):
    """Cancel, committing, so the follow-up task (run inline in tests) talks to BigCommerce."""
    with capture(execute=True):
        return backorder_cancel(backorder=backorder, actor="merchant", reason="customer asked", **kwargs)


def test_cancelling_refunds_the_line_and_notes_it_on_the_order(connected_store, sandbox,
                                                               django_capture_on_commit_callbacks):  # fmt: skip
    variant = tracked_variant(sandbox, connected_store)
    backorder = order_place(sandbox, variant, 2)

    cancel(backorder, django_capture_on_commit_callbacks)
    cancel(backorder, django_capture_on_commit_callbacks)  # idempotent: no second refund, no second note

    refunds = client_of(connected_store).get_data(f"/v3/orders/{backorder.order_id}/payment_actions/refunds")
    assert len(refunds) == 1 and refunds[0]["items"][0]["quantity"] == 2
    assert float(refunds[0]["total_amount"]) == float(backorder.unit_price * 2)
    order = sandbox.get_order(SANDBOX_STORE, backorder.order_id)
    assert order["staff_notes"].count(f"[backorder {backorder.pk}]") == 1
    assert backorder.events.filter(kind="refunded").count() == 1
    assert not MerchantTask.objects.exists()


def test_a_refund_that_bigcommerce_refuses_raises_a_refund_due_task(connected_store, sandbox,
                                                                   django_capture_on_commit_callbacks):  # fmt: skip
    variant = tracked_variant(sandbox, connected_store)
    backorder = order_place(sandbox, variant, 2)
    # The merchant already refunded one unit by hand: a refund of both is refused (422).
    client_of(connected_store).post(
        f"/v3/orders/{backorder.order_id}/payment_actions/refunds",
        json={"items": [{"item_type": "PRODUCT", "item_id": backorder.order_line_id, "quantity": 1}],
              "payments": [{"provider_id": "custom", "amount": float(backorder.unit_price), "offline": True}]},
    )  # fmt: skip

    cancel(backorder, django_capture_on_commit_callbacks)

    task = MerchantTask.objects.get()
    assert (task.kind, task.order_id, task.amount) == ("refund_due", backorder.order_id, backorder.unit_price * 2)
    assert "refundable" in task.details["error"]
    assert backorder.events.filter(kind="refund_due").exists()


def test_cancelling_every_line_cancels_the_order_in_bigcommerce(connected_store, sandbox,
                                                               django_capture_on_commit_callbacks):  # fmt: skip
    variant = tracked_variant(sandbox, connected_store)
    cancelled_line = order_place(sandbox, variant, 3)
    next_in_line = order_place(sandbox, variant, 1)
    sandbox.restock(SANDBOX_STORE, quantity=4, variant_id=variant.bigcommerce_id, relative=True)
    mirror_refresh(connected_store, variant)
    with django_capture_on_commit_callbacks(execute=True):
        allocation_run(variant_id=variant.bigcommerce_id)  # 3 + 1: everyone served
    sandbox.restock(SANDBOX_STORE, quantity=1, variant_id=variant.bigcommerce_id, relative=True)
    mirror_refresh(connected_store, variant)
    assert bigcommerce_stock(sandbox, variant) == (1, 0)

    cancel(cancelled_line, django_capture_on_commit_callbacks)

    assert sandbox.get_order(SANDBOX_STORE, cancelled_line.order_id)["status_id"] == 5
    assert sandbox.get_order(SANDBOX_STORE, next_in_line.order_id)["status_id"] != 5
    # The 3 allocated units come back to on-hand exactly once (nobody else waits): 1 + 3.
    assert bigcommerce_stock(sandbox, variant) == (4, 0)
    assert not StockAdjustment.objects.exclude(status="applied").exists()


def test_a_cancelled_line_releases_its_units_to_the_next_waiting_order(connected_store, sandbox,
                                                                      django_capture_on_commit_callbacks):  # fmt: skip
    variant = tracked_variant(sandbox, connected_store)
    first, second = order_place(sandbox, variant, 5), order_place(sandbox, variant, 3)
    sandbox.restock(SANDBOX_STORE, quantity=4, variant_id=variant.bigcommerce_id, relative=True)
    mirror_refresh(connected_store, variant)
    with django_capture_on_commit_callbacks(execute=True):
        allocation_run(variant_id=variant.bigcommerce_id)
    assert bigcommerce_stock(sandbox, variant) == (0, 4)

    cancel(first, django_capture_on_commit_callbacks)

    assert allocated(first, second) == [0, 3]
    # 4 units arrived, 3 went to the second order, 1 is free; nobody waits any more.
    assert bigcommerce_stock(sandbox, variant) == (1, 0)


def test_an_order_cancelled_in_bigcommerce_cancels_its_backorders_without_writing_back(
    connected_store, sandbox, django_capture_on_commit_callbacks
):
    variant = tracked_variant(sandbox, connected_store)
    first, second = order_place(sandbox, variant, 2), order_place(sandbox, variant, 2)
    sandbox.restock(SANDBOX_STORE, quantity=2, variant_id=variant.bigcommerce_id, relative=True)
    mirror_refresh(connected_store, variant)
    with django_capture_on_commit_callbacks(execute=True):
        allocation_run(variant_id=variant.bigcommerce_id)
    sandbox.set_order_status(SANDBOX_STORE, first.order_id, 5)  # releases the line's 2 backordered units

    with django_capture_on_commit_callbacks(execute=True):
        assert backorders_cancel_for_order(order_id=first.order_id, reason="Order cancelled in BigCommerce") == 1

    assert allocated(first, second) == [0, 2]
    assert Backorder.objects.get(pk=first.pk).status == "cancelled"
    assert bigcommerce_stock(sandbox, variant) == (0, 0)
    assert stock_adjustments_send() == {}
    assert "[backorder" not in sandbox.get_order(SANDBOX_STORE, first.order_id)["staff_notes"]


def test_a_follow_up_lost_in_a_crash_is_found_and_done_by_reconciliation(
    connected_store, sandbox, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from backorder.services.cancellation import backorder_cancel, cancellations_follow_up_sweep

    variant = tracked_variant(sandbox, connected_store)
    backorder = order_place(sandbox, variant, 2)
    with django_capture_on_commit_callbacks(execute=False):  # the process dies right after the commit
        backorder_cancel(backorder=backorder, actor="merchant", reason="crash test")
    assert not client_of(connected_store).get_data(f"/v3/orders/{backorder.order_id}/payment_actions/refunds")

    assert cancellations_follow_up_sweep(older_than=timedelta(minutes=10)) == 0  # too fresh: still in flight
    with django_capture_on_commit_callbacks(execute=True):
        assert cancellations_follow_up_sweep(older_than=timedelta(0)) == 1

    refunds = client_of(connected_store).get_data(f"/v3/orders/{backorder.order_id}/payment_actions/refunds")
    assert len(refunds) == 1
    assert cancellations_follow_up_sweep(older_than=timedelta(0)) == 0  # done: nothing owed any more
