"""The outbox and its sender, end to end over SMTP to a local server: no e-mail lost, none sent twice."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from backorder.models import Backorder
from backorder.services.allocation import allocation_run
from notifications import sending
from notifications.models import Notification
from notifications.outbox import notification_enqueue
from notifications.sending import MAX_ATTEMPTS, notification_resend, notifications_send
from notifications.tasks import notifications_sweep, stores_with_due_notifications
from stores.provisioning import SCHEDULES
from tests.backorder.conftest import backorder_make, variant_make

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 1, tzinfo=UTC)


def shoppers_waiting(variant, count: int) -> list[Backorder]:
    return [
        backorder_make(variant, 1, ordered_at=START + timedelta(minutes=i), customer_email=f"shopper{i}@example.com",
                       product_name="Trail Tent", customer_name=f"Shopper {i}")
        for i in range(count)
    ]  # fmt: skip


def test_one_restock_sends_exactly_one_ready_to_ship_email_per_allocated_shopper_even_when_sent_twice(store, smtp_sink):
    variant = variant_make(on_hand=3)
    shoppers_waiting(variant, 5)

    assert allocation_run(variant_id=variant.bigcommerce_id) == 3
    first = notifications_send()
    second = notifications_send()

    assert smtp_sink.recipients() == ["shopper0@example.com", "shopper1@example.com", "shopper2@example.com"]
    assert first["sent"] == 3 and second["sent"] == 0
    assert all(m["Subject"].startswith("Your backorder is in stock") for m in smtp_sink.messages)
    rows = Notification.objects.filter(kind="ready_to_ship")
    assert {r.status for r in rows} == {"sent"} and rows.count() == 3
    assert {m["Message-ID"] for m in smtp_sink.messages} == set(rows.values_list("message_id", flat=True))


def test_a_second_allocation_run_writes_no_second_ready_to_ship_row(store):
    variant = variant_make(on_hand=1)
    (backorder,) = shoppers_waiting(variant, 1)
    allocation_run(variant_id=variant.bigcommerce_id)
    allocation_run(variant_id=variant.bigcommerce_id)

    assert Notification.objects.filter(kind="ready_to_ship", backorder=backorder).count() == 1


def test_every_email_has_a_plain_text_and_an_html_part_in_the_shoppers_language(store, smtp_sink):
    variant = variant_make(on_hand=1)
    backorder_make(variant, 1, customer_email="anna@example.com", customer_locale="de-DE", product_name="Zelt")
    allocation_run(variant_id=variant.bigcommerce_id)

    notifications_send()

    (message,) = smtp_sink.messages
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Ihr nachbestellter Artikel ist eingetroffen" in text and "Zelt" in text
    assert "<strong>Zelt</strong>" in html and store.name in html
    assert "List-Unsubscribe" not in message  # transactional
    assert f"{store.name} <" in message["From"]


def test_a_sender_killed_between_the_smtp_hand_off_and_recording_leaves_an_unknown_row_and_no_second_email(
    store, smtp_sink, monkeypatch
):
    variant = variant_make(on_hand=1)
    shoppers_waiting(variant, 1)
    allocation_run(variant_id=variant.bigcommerce_id)

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(sending, "_record_sent", killed)
    with pytest.raises(SystemExit):
        notifications_send()
    monkeypatch.undo()
    row = Notification.objects.get(kind="ready_to_ship")
    assert row.status == "sending" and row.handed_off_at is not None
    assert len(smtp_sink.messages) == 1

    notifications_send()  # the next run, before the timeout: the row may still be in someone's hands
    Notification.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - sending.SENDING_TIMEOUT * 2)
    outcome = notifications_send()  # the next sweep after the timeout

    row.refresh_from_db()
    assert row.status == "unknown" and outcome["unknown"] == 1
    assert row.subject.startswith("Your backorder is in stock")  # what it said is on record for staff
    assert len(smtp_sink.messages) == 1
    notifications_send()
    assert len(smtp_sink.messages) == 1  # never resent by itself

    resend = notification_resend(notification=row, requested_by="staff@example.com")
    assert notification_resend(notification=row, requested_by="staff@example.com") == resend  # one click = one
    notifications_send()
    resend.refresh_from_db()
    assert (resend.status, resend.resend_of_id) == ("sent", row.pk)
    assert len(smtp_sink.messages) == 2


def test_a_row_claimed_but_never_handed_off_by_a_dead_sender_is_sent_later(store, smtp_sink):
    row = notification_enqueue(kind="merchant_sync_failure", key="x", to="owner@example.com",
                               context={"problem": "Broken.", "details": ""})  # fmt: skip
    Notification.objects.filter(pk=row.pk).update(status="sending", claimed_at=timezone.now() - timedelta(hours=1))

    notifications_send()

    row.refresh_from_db()
    assert row.status == "sent" and len(smtp_sink.messages) == 1


def test_smtp_down_means_retry_with_backoff_then_failed(store, smtp_down):
    row = notification_enqueue(kind="merchant_sync_failure", key="x", to="owner@example.com",
                               context={"problem": "Broken.", "details": ""})  # fmt: skip
    notifications_send()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert "SMTP connection failed" in row.last_error

    notifications_send()  # not due yet: nothing happens
    row.refresh_from_db()
    assert row.attempts == 1

    for _ in range(MAX_ATTEMPTS - 1):
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        notifications_send()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)


def test_an_email_about_an_erased_backorder_is_cancelled_not_sent(store, smtp_sink):
    variant = variant_make(on_hand=1)
    (backorder,) = shoppers_waiting(variant, 1)
    allocation_run(variant_id=variant.bigcommerce_id)
    Backorder.objects.filter(pk=backorder.pk).delete()

    assert notifications_send()["cancelled"] == 1
    assert smtp_sink.messages == []
    assert Notification.objects.get(kind="ready_to_ship").status == "cancelled"


def test_enqueue_twice_with_the_same_key_returns_the_first_row(store):
    first = notification_enqueue(kind="shipped", key="backorder:1", to="a@example.com", context={"backorder_id": 1})
    again = notification_enqueue(kind="shipped", key="backorder:1", to="b@example.com", context={"backorder_id": 2})

    assert again.pk == first.pk and again.recipient == "a@example.com"
    assert Notification.objects.count() == 1
    assert notification_enqueue(kind="shipped", key="backorder:2", to="", context={}) is None


def test_the_sweep_finds_the_stores_with_due_email_in_one_query(make_store, django_assert_max_num_queries):
    from django_tenants.utils import schema_context

    quiet, busy = make_store(), make_store()
    with schema_context(busy.schema_name):
        notification_enqueue(kind="merchant_sync_failure", key="x", to="o@example.com",
                             context={"problem": "p", "details": ""})  # fmt: skip
    connection.set_schema_to_public()
    with django_assert_max_num_queries(2):  # SET search_path, then one statement for both stores
        due = stores_with_due_notifications([quiet.schema_name, busy.schema_name])
    assert due == [busy.schema_name]
    assert notifications_sweep() == 1  # queues (and in tests runs) the busy store's sender
    with schema_context(busy.schema_name):
        assert Notification.objects.get().status == "sent"


def test_the_sweep_and_the_hourly_checks_are_scheduled():
    scheduled = {func: minutes for _, func, minutes in SCHEDULES}
    assert scheduled["notifications.tasks.notifications_sweep"] == 1
    assert scheduled["notifications.tasks.notifications_hourly"] == 60


def test_sending_costs_a_bounded_number_of_queries_per_email(store, smtp_sink, django_assert_max_num_queries):
    variant = variant_make(on_hand=20)
    shoppers_waiting(variant, 20)
    allocation_run(variant_id=variant.bigcommerce_id)

    # two per e-mail (its self-service link's version, its record), plus a fixed cost per run and batch
    with django_assert_max_num_queries(20 * 2 + 14):
        assert notifications_send()["sent"] == 20
