"""A cancellation's follow-up when BigCommerce cannot be reached: the shopper is never kept waiting for ever.

A store that is not connected (or whose token is refused) settles at once; a store that keeps failing
settles after GIVE_UP_AFTER and GIVE_UP_MIN_ATTEMPTS tries; either way the merchant gets a "refund due" task
with the amount and the shopper the `cancelled` e-mail saying the store refunds them. A store back in time
refunds as usual; a reconnected store catches up the note and the order status, never a second refund.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from backorder import tasks
from backorder.models import Backorder, BackorderEvent, MerchantTask
from backorder.services.cancellation import (
    FOLLOW_UP_CAUGHT_UP,
    FOLLOW_UP_DONE,
    FOLLOW_UP_FAILED,
    FOLLOW_UP_OWED,
    GIVE_UP_MIN_ATTEMPTS,
    backorder_cancel,
    cancellation_to_bigcommerce,
    cancellations_follow_up_sweep,
)
from notifications.models import Notification
from stores.bigcommerce import connection as bc_connection
from stores.bigcommerce import errors
from stores.bigcommerce.client import BigCommerceClient
from stores.models import Store
from tests.backorder.conftest import SANDBOX_STORE
from tests.backorder.test_allocation import order_place, tracked_variant

pytestmark = pytest.mark.django_db


def quick_client_for(store):
    """The app's client, with its backoff between retries shortened (the sandbox's faults come at once)."""
    return BigCommerceClient(
        store_hash=store.bigcommerce_store_hash, access_token=store.access_token,
        sleep=lambda seconds: time.sleep(min(seconds, 0.01)),
    )  # fmt: skip


@pytest.fixture
def store(connected_store, monkeypatch):
    monkeypatch.setattr(bc_connection, "client_for", quick_client_for)
    return connected_store


def shopper_cancels(backorder, capture):
    with capture(execute=True):
        return backorder_cancel(backorder=backorder, actor="shopper", reason="Changed my mind")


def sweep(capture, **kwargs):
    with capture(execute=True):
        return cancellations_follow_up_sweep(older_than=timedelta(0), **kwargs)


def fails(call, *args, **kwargs):
    """The task fails (tests run django-q in sync mode, which raises what the task raised)."""
    with pytest.raises(errors.ServerError):
        call(*args, **kwargs)


def owed_since(backorder, hours: int) -> None:
    BackorderEvent.objects.filter(backorder=backorder, kind=FOLLOW_UP_OWED).update(
        at=timezone.now() - timedelta(hours=hours)
    )


def refund_count(store, backorder) -> int:
    client = BigCommerceClient(store_hash=SANDBOX_STORE, access_token=store.access_token)
    return len(client.get_data(f"/v3/orders/{backorder.order_id}/payment_actions/refunds"))


def assert_settled_as_refund_due(backorder, *, reason_contains: str) -> None:
    done = backorder.events.get(kind=FOLLOW_UP_DONE)
    assert done.details["refund"] == "refund_due" and done.details["bigcommerce"] is False
    assert reason_contains in done.details["reason"]
    task = MerchantTask.objects.get(backorder=backorder)
    amount = backorder.unit_price * backorder.quantity
    assert (task.kind, task.order_id, task.amount) == ("refund_due", backorder.order_id, amount)
    (email,) = Notification.objects.filter(kind="cancelled", backorder_id=backorder.pk)
    assert email.context["refund"] == "refund_due"
    assert email.context["amount"] == str(amount)


def test_a_store_no_longer_connected_settles_at_once_and_the_shopper_hears_the_store_refunds_them(
    store, sandbox, django_capture_on_commit_callbacks, mailoutbox
):
    backorder = order_place(sandbox, tracked_variant(sandbox, store), 2)
    Store.objects.filter(pk=store.pk).update(connection=Store.Connection.NEEDS_RECONNECTING)

    shopper_cancels(backorder, django_capture_on_commit_callbacks)

    assert_settled_as_refund_due(backorder, reason_contains="not connected")
    assert refund_count(store, backorder) == 0  # nothing was sent to BigCommerce
    assert "[backorder" not in sandbox.get_order(SANDBOX_STORE, backorder.order_id)["staff_notes"]
    assert sweep(django_capture_on_commit_callbacks) == 0  # nothing owed: no requeue, this hour or the next
    from notifications.sending import notifications_send

    notifications_send(store=Store.objects.get(pk=store.pk))
    (message,) = [m for m in mailoutbox if "cancelled" in m.subject.lower()]
    assert "The store refunds you" in message.body


def test_a_revoked_token_settles_the_follow_up_and_marks_the_store_needs_reconnecting(
    store, sandbox, settings, django_capture_on_commit_callbacks
):
    backorder = order_place(sandbox, tracked_variant(sandbox, store), 1)
    with sandbox.state.lock:  # the app was uninstalled in BigCommerce; its callback has not reached us
        sandbox.state.revoke(sandbox.state.store(SANDBOX_STORE), settings.BIGCOMMERCE_CLIENT_ID)

    shopper_cancels(backorder, django_capture_on_commit_callbacks)

    assert_settled_as_refund_due(backorder, reason_contains="refused the token")
    assert Store.objects.get(pk=store.pk).connection == Store.Connection.NEEDS_RECONNECTING
    assert not backorder.events.filter(kind=FOLLOW_UP_FAILED).exists()


def test_bigcommerce_failing_past_the_bound_settles_then_a_reconnection_catches_up_without_refunding(
    store, sandbox, django_capture_on_commit_callbacks
):
    backorder = order_place(sandbox, tracked_variant(sandbox, store), 2)
    sandbox.set_faults(SANDBOX_STORE, status_5xx=100_000)

    fails(shopper_cancels, backorder, django_capture_on_commit_callbacks)

    assert backorder.events.filter(kind=FOLLOW_UP_FAILED).count() == 1
    assert not backorder.events.filter(kind=FOLLOW_UP_DONE).exists()
    assert not Notification.objects.filter(kind="cancelled").exists()  # still within the bound: still trying
    owed_since(backorder, hours=25)
    for attempt in range(2, GIVE_UP_MIN_ATTEMPTS):  # past the bound, but not tried often enough yet
        fails(sweep, django_capture_on_commit_callbacks)
        assert backorder.events.filter(kind=FOLLOW_UP_FAILED).count() == attempt
        assert not backorder.events.filter(kind=FOLLOW_UP_DONE).exists()

    assert sweep(django_capture_on_commit_callbacks) == 1

    assert backorder.events.filter(kind=FOLLOW_UP_FAILED).count() == GIVE_UP_MIN_ATTEMPTS
    assert_settled_as_refund_due(backorder, reason_contains="kept failing")
    assert Store.objects.get(pk=store.pk).connection == Store.Connection.CONNECTED  # a 5xx is not a revocation
    # BigCommerce is back: the next reconciliation adds the note, never a refund; then nothing is owed.
    sandbox.set_faults(SANDBOX_STORE, status_5xx=0)
    assert sweep(django_capture_on_commit_callbacks) == 1
    assert sandbox.get_order(SANDBOX_STORE, backorder.order_id)["staff_notes"].count(f"[backorder {backorder.pk}]") == 1
    assert sandbox.get_order(SANDBOX_STORE, backorder.order_id)["status_id"] == 5  # its only line was cancelled
    assert refund_count(store, backorder) == 0
    assert backorder.events.get(kind=FOLLOW_UP_CAUGHT_UP).details["refund"] == "refund_due"
    assert sweep(django_capture_on_commit_callbacks) == 0


def test_a_store_back_within_the_bound_refunds_the_shopper_as_usual(store, sandbox, django_capture_on_commit_callbacks):
    backorder = order_place(sandbox, tracked_variant(sandbox, store), 2)
    sandbox.set_faults(SANDBOX_STORE, status_5xx=100_000)
    fails(shopper_cancels, backorder, django_capture_on_commit_callbacks)
    owed_since(backorder, hours=23)
    for _ in range(GIVE_UP_MIN_ATTEMPTS):  # tried often, but not for long enough: no giving up
        fails(sweep, django_capture_on_commit_callbacks)
    assert backorder.events.filter(kind=FOLLOW_UP_FAILED).count() == GIVE_UP_MIN_ATTEMPTS + 1
    assert not backorder.events.filter(kind=FOLLOW_UP_DONE).exists()

    sandbox.set_faults(SANDBOX_STORE, status_5xx=0)
    assert sweep(django_capture_on_commit_callbacks) == 1

    assert refund_count(store, backorder) == 1
    assert backorder.events.get(kind=FOLLOW_UP_DONE).details["refund"] == "refunded"
    assert not MerchantTask.objects.exists()
    (email,) = Notification.objects.filter(kind="cancelled", backorder_id=backorder.pk)
    assert email.context["refund"] == "refunded"
    assert sweep(django_capture_on_commit_callbacks) == 0


def test_a_passing_failure_of_the_refund_itself_is_retried_not_turned_into_a_refund_due_task(
    store, sandbox, django_capture_on_commit_callbacks, monkeypatch
):
    backorder = order_place(sandbox, tracked_variant(sandbox, store), 1)
    real_post = BigCommerceClient.post

    def refund_fails_once(client, path, **kwargs):
        if path.endswith("/payment_actions/refunds") and not getattr(refund_fails_once, "done", False):
            refund_fails_once.done = True
            sandbox.set_faults(SANDBOX_STORE, status_5xx=1)
        return real_post(client, path, **kwargs)

    monkeypatch.setattr(BigCommerceClient, "post", refund_fails_once)
    fails(shopper_cancels, backorder, django_capture_on_commit_callbacks)
    assert backorder.events.filter(kind=FOLLOW_UP_FAILED).count() == 1
    assert not MerchantTask.objects.exists()

    sweep(django_capture_on_commit_callbacks)

    assert refund_count(store, backorder) == 1
    assert backorder.events.get(kind=FOLLOW_UP_DONE).details == {
        "staff_note": False, "refund": "refunded", "order_cancelled": True,  # the note was added the first time
    }  # fmt: skip


def test_replaying_a_settled_follow_up_does_nothing_twice(store, sandbox, django_capture_on_commit_callbacks):
    backorder = order_place(sandbox, tracked_variant(sandbox, store), 2)
    Store.objects.filter(pk=store.pk).update(connection=Store.Connection.NEEDS_RECONNECTING)
    shopper_cancels(backorder, django_capture_on_commit_callbacks)

    for _ in range(2):  # a duplicate task, the hourly job of disconnected stores, a second cancellation
        cancellation_to_bigcommerce(backorder_id=backorder.pk, refund=True)
        with django_capture_on_commit_callbacks(execute=True):
            tasks.cancellations_follow_up_disconnected_all()
        shopper_cancels(Backorder.objects.get(pk=backorder.pk), django_capture_on_commit_callbacks)
    # Reconnected: caught up once, however often reconciliation runs.
    Store.objects.filter(pk=store.pk).update(connection=Store.Connection.CONNECTED)
    for _ in range(2):
        sweep(django_capture_on_commit_callbacks)
        cancellation_to_bigcommerce(backorder_id=backorder.pk, refund=True)

    kinds = list(backorder.events.values_list("kind", flat=True))
    assert (kinds.count(FOLLOW_UP_DONE), kinds.count(FOLLOW_UP_CAUGHT_UP), kinds.count("refund_due")) == (1, 1, 1)
    assert "refunded" not in kinds and refund_count(store, backorder) == 0
    assert MerchantTask.objects.count() == 1
    assert Notification.objects.filter(kind="cancelled").count() == 1
    assert sandbox.get_order(SANDBOX_STORE, backorder.order_id)["staff_notes"].count(f"[backorder {backorder.pk}]") == 1


def test_a_follow_up_owed_when_the_store_disconnected_is_settled_by_the_hourly_job(
    store, sandbox, django_capture_on_commit_callbacks
):
    backorder = order_place(sandbox, tracked_variant(sandbox, store), 1)
    sandbox.set_faults(SANDBOX_STORE, status_5xx=100_000)
    fails(shopper_cancels, backorder, django_capture_on_commit_callbacks)  # owed
    Store.objects.filter(pk=store.pk).update(connection=Store.Connection.NEEDS_RECONNECTING)
    BackorderEvent.objects.filter(backorder=backorder, kind=FOLLOW_UP_OWED).update(
        at=timezone.now() - timedelta(minutes=11)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.cancellations_follow_up_disconnected_all() == 1

    assert_settled_as_refund_due(backorder, reason_contains="not connected")


def test_a_second_worker_on_the_same_follow_up_does_nothing_while_the_first_holds_it(
    store, sandbox, django_capture_on_commit_callbacks
):
    from django.db import connection

    from backorder.services.cancellation import FOLLOW_UP_LEASE
    from stores.leases import lease_acquire

    backorder = order_place(sandbox, tracked_variant(sandbox, store), 1)
    with django_capture_on_commit_callbacks(execute=False):  # the first worker has not finished yet
        backorder_cancel(backorder=backorder, actor="shopper", reason="Changed my mind")
    first_worker = lease_acquire(
        name=f"backorder.cancellation_follow_up:{connection.schema_name}:{backorder.pk}", ttl=FOLLOW_UP_LEASE
    )
    assert first_worker is not None

    assert cancellation_to_bigcommerce(backorder_id=backorder.pk, refund=True) == {"busy": True}
    assert refund_count(store, backorder) == 0

    first_worker.release()
    assert cancellation_to_bigcommerce(backorder_id=backorder.pk, refund=True)["refund"] == "refunded"
    assert refund_count(store, backorder) == 1
