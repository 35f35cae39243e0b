"""Delays and consent (US FTC Mail, Internet, or Telephone Order Rule): every delay is announced; a delay of
more than 30 days past the original date, or to an unknown date, needs the shopper's express consent by a
deadline, else the backorder is cancelled with a full refund and the shopper told."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from backorder.models import Backorder, MerchantTask
from backorder.services.backorder_actions import backorder_date_change
from backorder.services.lifecycle import backorder_event_record
from notifications.consent import consent_deadlines_all, consent_deadlines_enforce, delay_accept
from notifications.models import Notification
from stores.provisioning import SCHEDULES
from tests.backorder.conftest import SANDBOX_STORE, backorder_make, variant_make
from tests.backorder.test_allocation import client_of, order_place, tracked_variant

pytestmark = pytest.mark.django_db

PROMISED = date(2027, 3, 1)


def waiting(**fields):
    fields = {"promised_ship_date": PROMISED, "expected_ship_date": PROMISED, **fields}
    return backorder_make(variant_make(on_hand=0), 2, customer_email="ann@example.com", customer_locale="fr", **fields)


def delay(backorder, to: date):
    return backorder_date_change(backorder=backorder, expected_ship_date=to, actor="merchant", actor_label="m")


def notices(backorder):
    return list(Notification.objects.filter(kind="delay_notice", backorder=backorder).order_by("id"))


def test_a_short_delay_is_announced_and_needs_no_answer(store):
    backorder = waiting()

    delay(backorder, PROMISED + timedelta(days=30))

    backorder.refresh_from_db()
    assert backorder.delay_consent_due_on is None
    (notice,) = notices(backorder)
    assert (notice.recipient, notice.language, notice.order_id) == ("ann@example.com", "fr", backorder.order_id)
    assert notice.context == {"backorder_id": backorder.pk, "old_date": "2027-03-01", "new_date": "2027-03-31",
                              "consent_required": False, "consent_due_on": None}  # fmt: skip


def test_a_delay_beyond_30_days_asks_for_consent_by_30_days_after_the_original_date(store):
    backorder = waiting()

    delay(backorder, PROMISED + timedelta(days=31))

    backorder.refresh_from_db()
    assert backorder.delay_consent_due_on == PROMISED + timedelta(days=30)
    (notice,) = notices(backorder)
    assert notice.context["consent_required"] is True
    assert notice.context["consent_due_on"] == "2027-03-31"


def test_a_delay_to_an_unknown_date_asks_for_consent(store):
    backorder = waiting()
    Backorder.objects.filter(pk=backorder.pk).update(expected_ship_date=None)

    backorder_event_record(backorder=backorder, kind="delayed", details={"from": "2027-03-01", "to": None})

    assert Backorder.objects.get(pk=backorder.pk).delay_consent_due_on == date(2027, 3, 31)
    assert notices(backorder)[0].context["new_date"] is None


def test_a_late_notice_still_gives_the_shopper_a_week(store):
    backorder = waiting(promised_ship_date=date(2020, 1, 1), expected_ship_date=date(2020, 1, 1))

    delay(backorder, date(2027, 1, 1))

    assert Backorder.objects.get(pk=backorder.pk).delay_consent_due_on == timezone.now().date() + timedelta(days=7)


def test_no_promised_date_means_30_days_after_the_order(store):
    backorder = waiting(promised_ship_date=None, ordered_at=datetime(2027, 1, 10, tzinfo=UTC))

    delay(backorder, date(2027, 3, 12))  # more than 30 days after Feb 9 (order + 30 days)

    assert Backorder.objects.get(pk=backorder.pk).delay_consent_due_on == date(2027, 3, 11)


def test_accepting_clears_the_deadline_and_nothing_is_cancelled(store):
    backorder = waiting()
    delay(backorder, date(2027, 6, 1))

    delay_accept(backorder=backorder)
    delay_accept(backorder=backorder)  # twice: one acceptance

    backorder.refresh_from_db()
    assert backorder.delay_consent_due_on is None
    assert backorder.events.filter(kind="delay_accepted", actor="shopper").count() == 1
    assert consent_deadlines_enforce(today=date(2027, 5, 1)) == {"cancelled": 0, "cleared": 0}
    assert Backorder.objects.get(pk=backorder.pk).status == "waiting"


def test_a_further_delay_beyond_the_accepted_date_needs_consent_again(store):
    backorder = waiting()
    delay(backorder, date(2027, 6, 1))
    delay_accept(backorder=backorder)

    delay(Backorder.objects.get(pk=backorder.pk), date(2027, 5, 20))  # earlier than accepted: fine
    assert Backorder.objects.get(pk=backorder.pk).delay_consent_due_on is None
    delay(Backorder.objects.get(pk=backorder.pk), date(2027, 8, 1))

    assert Backorder.objects.get(pk=backorder.pk).delay_consent_due_on == date(2027, 6, 1)
    assert [n.context["consent_required"] for n in notices(backorder)] == [True, True]


def test_a_date_brought_back_within_the_limit_ends_the_consent_request(store):
    backorder = waiting()
    delay(backorder, date(2027, 6, 1))

    delay(Backorder.objects.get(pk=backorder.pk), date(2027, 3, 20))

    backorder.refresh_from_db()
    assert backorder.delay_consent_due_on is None
    assert backorder.events.filter(kind="delay_consent_cleared").exists()


def test_no_answer_by_the_deadline_cancels_and_tells_the_shopper(store):
    backorder = waiting()
    delay(backorder, date(2027, 6, 1))
    due = Backorder.objects.get(pk=backorder.pk).delay_consent_due_on

    assert consent_deadlines_enforce(today=due) == {"cancelled": 0, "cleared": 0}  # the due day itself still counts
    assert consent_deadlines_enforce(today=due + timedelta(days=1)) == {"cancelled": 1, "cleared": 0}
    assert consent_deadlines_enforce(today=due + timedelta(days=1)) == {"cancelled": 0, "cleared": 0}

    backorder.refresh_from_db()
    assert backorder.status == "cancelled"
    assert backorder.cancellation_reason == "No consent to the delay by 2027-03-31"
    cancelled = backorder.events.get(kind="cancelled")
    assert (cancelled.actor, cancelled.actor_label) == ("system", "Delay consent deadline")
    assert backorder.events.filter(kind="bigcommerce_follow_up_owed", details__refund=True).exists()
    (told,) = Notification.objects.filter(kind="consent_auto_cancelled")
    assert (told.recipient, told.backorder_id, told.context["consent_due_on"]) == ("ann@example.com", backorder.pk,
                                                                                    "2027-03-31")  # fmt: skip


def test_an_allocated_backorder_is_never_cancelled_for_lack_of_consent(store):
    backorder = waiting()
    delay(backorder, date(2027, 6, 1))
    Backorder.objects.filter(pk=backorder.pk).update(status="allocated", quantity_allocated=2)

    assert consent_deadlines_enforce(today=date(2027, 6, 1)) == {"cancelled": 0, "cleared": 0}


def test_the_hourly_schedule_checks_every_store(store):
    backorder = waiting()
    delay(backorder, date(2027, 6, 1))
    yesterday = timezone.now().date() - timedelta(days=1)
    Backorder.objects.filter(pk=backorder.pk).update(delay_consent_due_on=yesterday)

    assert consent_deadlines_all() >= 1  # runs inline in tests (django-q2 sync mode)

    assert Backorder.objects.get(pk=backorder.pk).status == "cancelled"
    assert ("Delay consent deadlines", "notifications.consent.consent_deadlines_all", 60) in SCHEDULES


def test_an_auto_cancelled_backorder_is_refunded_in_bigcommerce(connected_store, sandbox,
                                                               django_capture_on_commit_callbacks):  # fmt: skip
    variant = tracked_variant(sandbox, connected_store)
    backorder = order_place(sandbox, variant, 2, promised_ship_date=PROMISED, expected_ship_date=PROMISED)
    delay(backorder, date(2027, 9, 1))

    with django_capture_on_commit_callbacks(execute=True):
        consent_deadlines_enforce(today=date(2027, 4, 1))

    refunds = client_of(connected_store).get_data(f"/v3/orders/{backorder.order_id}/payment_actions/refunds")
    assert len(refunds) == 1 and refunds[0]["items"][0]["quantity"] == 2
    assert Backorder.objects.get(pk=backorder.pk).events.filter(kind="refunded").exists()
    assert not MerchantTask.objects.exists()
    assert sandbox.get_order(SANDBOX_STORE, backorder.order_id)["status_id"] == 5


# -- end to end: the e-mail, its link, the page -------------------------------------------------------------


def sent_mail(store, smtp_sink):
    """Run the store's sender (as its task would); the SMTP server on loopback gets the messages."""
    from notifications.sending import notifications_send

    notifications_send(store=store)
    return [(m, m.get_body(preferencelist=("plain",)).get_content()) for m in smtp_sink.to("ann@example.com")]


def test_delay_notice_then_accept_from_its_link(store, settings, smtp_sink):
    import re
    from urllib.parse import urlsplit

    from django.db import connection
    from django.test import Client

    backorder = waiting(product_name="Trail Tent")
    delay(backorder, date(2027, 6, 1))
    (notice,) = [body for message, body in sent_mail(store, smtp_sink) if "Trail Tent" in body]
    link = re.search(r"https?://\S+/s/\S+/", notice)[0]
    shopper = Client(HTTP_HOST=settings.PUBLIC_HOST)

    page = shopper.get(urlsplit(link).path)
    accept = re.search(r'href="(/s/[^"]+/accept/\d+/)"', page.content.decode())[1]
    shopper.get(accept)
    shopper.post(accept, {"confirm": "yes"})
    connection.set_tenant(store)

    backorder.refresh_from_db()
    assert backorder.delay_consent_due_on is None
    assert backorder.events.filter(kind="delay_accepted", actor="shopper").exists()
    assert consent_deadlines_enforce(today=date(2027, 5, 1)) == {"cancelled": 0, "cleared": 0}
    assert Backorder.objects.get(pk=backorder.pk).status == "waiting"


def test_delay_notice_then_no_answer_cancels_and_mails_the_shopper_once(store, smtp_sink):
    backorder = waiting(product_name="Trail Tent")
    delay(backorder, date(2027, 6, 1))
    before = len(sent_mail(store, smtp_sink))

    consent_deadlines_enforce(today=date(2027, 4, 1))
    told = sent_mail(store, smtp_sink)[before:]

    assert len(told) == 1
    message, body = told[0]
    assert "Trail Tent" in body and "2027" in body
    assert Notification.objects.get(kind="consent_auto_cancelled").status == "sent"
    assert not Notification.objects.filter(kind="cancelled").exists()
    assert Backorder.objects.get(pk=backorder.pk).status == "cancelled"
