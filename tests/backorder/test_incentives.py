"""Incentives: when the order-time policy offers one, a single-use, percent-off coupon limited to the product
is created in BigCommerce (the sandbox) and sent to the shopper; never twice for one backorder, even when the
task runs twice, races another run, or dies between BigCommerce's answer and recording it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from backorder.models import Backorder, Incentive
from backorder.services.backorder_actions import backorder_date_change
from backorder.services.incentives import (
    _coupon_create,
    incentive_coupon_create,
    incentive_offer,
    incentives_after_days_offer,
    incentives_pending_retry,
)
from backorder.services.lifecycle import backorder_event_record
from backorder.tasks import incentives_due
from notifications.models import Notification
from stores.bigcommerce import errors
from tests.backorder.conftest import backorder_make, variant_make
from tests.backorder.test_allocation import client_of, order_place, tracked_variant

pytestmark = pytest.mark.django_db


def policy(trigger: str, percent: str = "10.00", after_days: int | None = None) -> dict:
    return {"incentive_percent": percent, "incentive_trigger": trigger, "incentive_after_days": after_days}


def coupons(store) -> list[dict]:
    return client_of(store).get("/v2/coupons") or []


def captured(backorder, capture):
    """Capture announces the backorder; the coupon task runs after the commit (inline in tests)."""
    with capture(execute=True):
        backorder_event_record(backorder=backorder, kind="captured", actor="bigcommerce")


def test_an_at_order_incentive_creates_one_coupon_for_the_product_and_mails_it(
    connected_store, sandbox, django_capture_on_commit_callbacks
):
    variant = tracked_variant(sandbox, connected_store)
    backorder = order_place(sandbox, variant, 1, policy=policy("at_order"))

    captured(backorder, django_capture_on_commit_callbacks)

    (coupon,) = coupons(connected_store)
    incentive = Incentive.objects.get(backorder=backorder)
    assert (incentive.status, incentive.bigcommerce_coupon_id, incentive.code) == (
        "created",
        coupon["id"],
        coupon["code"],
    )
    assert coupon["type"] == "percentage_discount" and Decimal(coupon["amount"]) == Decimal("10")
    assert coupon["applies_to"] == {"entity": "products", "ids": [backorder.product_id]}
    assert (coupon["max_uses"], coupon["max_uses_per_customer"]) == (1, 1)
    assert coupon["expires"] and coupon["code"].startswith("WAIT10-")
    assert backorder.events.filter(kind="incentive_offered").count() == 1
    (mail,) = Notification.objects.filter(kind="incentive_offer")
    assert mail.recipient == backorder.customer_email
    assert mail.context == {"backorder_id": backorder.pk, "coupon_code": incentive.code, "discount": "10%",
                            "expires_on": incentive.expires_on.isoformat()}  # fmt: skip


def test_running_the_coupon_task_twice_creates_one_coupon_and_one_e_mail(
    connected_store, sandbox, django_capture_on_commit_callbacks
):
    variant = tracked_variant(sandbox, connected_store)
    backorder = order_place(sandbox, variant, 1, policy=policy("at_order"))
    captured(backorder, django_capture_on_commit_callbacks)
    incentive = Incentive.objects.get(backorder=backorder)

    assert incentive_coupon_create(incentive_id=incentive.pk, client=client_of(connected_store)) == "created"
    incentives_due(schema_name=connected_store.schema_name)

    assert len(coupons(connected_store)) == 1
    assert Notification.objects.filter(kind="incentive_offer").count() == 1


def test_a_crash_after_bigcommerce_created_the_coupon_is_reconciled_by_its_code(connected_store, sandbox):
    variant = tracked_variant(sandbox, connected_store)
    backorder = order_place(sandbox, variant, 1, policy=policy("on_delay"))
    incentive = incentive_offer(backorder=backorder, trigger="on_delay")  # committed; its task never ran
    _coupon_create(client_of(connected_store), incentive)  # ...or died right after BigCommerce's answer

    assert incentives_pending_retry(older_than=timedelta(minutes=10)) == 0  # too fresh: its task may still run
    Incentive.objects.filter(pk=incentive.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    assert incentives_pending_retry() == 1  # the task runs inline in tests

    (coupon,) = coupons(connected_store)
    incentive.refresh_from_db()
    assert (incentive.status, incentive.bigcommerce_coupon_id) == ("created", coupon["id"])
    assert incentives_pending_retry(older_than=timedelta(0)) == 0


class RacingClient:
    """Another worker creates the coupon between this run's look-up and its create: BigCommerce says 409."""

    def __init__(self, client):
        self.client = client
        self.raced = False

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)

    def post(self, path, *, json):
        if not self.raced:
            self.raced = True
            self.client.post(path, json=json)  # the other run wins
        return self.client.post(path, json=json)


def test_two_runs_at_once_make_one_coupon(connected_store, sandbox):
    variant = tracked_variant(sandbox, connected_store)
    backorder = order_place(sandbox, variant, 1, policy=policy("on_delay"))
    incentive = incentive_offer(backorder=backorder, trigger="on_delay")

    assert (
        incentive_coupon_create(incentive_id=incentive.pk, client=RacingClient(client_of(connected_store))) == "created"
    )

    assert len(coupons(connected_store)) == 1
    assert Incentive.objects.get(pk=incentive.pk).bigcommerce_coupon_id == coupons(connected_store)[0]["id"]


def test_a_coupon_bigcommerce_keeps_refusing_ends_failed_with_the_reason(connected_store, sandbox):
    variant = tracked_variant(sandbox, connected_store)
    backorder = order_place(sandbox, variant, 1, policy=policy("on_delay"))
    incentive = incentive_offer(backorder=backorder, trigger="on_delay")
    Incentive.objects.filter(pk=incentive.pk).update(product_id=0, attempts=4)

    class Refusing:
        def get(self, *args, **kwargs):
            return []

        def post(self, path, *, json):
            raise errors.ValidationError("The field 'applies_to' is invalid.", status=400)

    assert incentive_coupon_create(incentive_id=incentive.pk, client=Refusing()) == "failed"
    incentive.refresh_from_db()
    assert "applies_to" in incentive.error and not Notification.objects.filter(kind="incentive_offer").exists()


def test_an_incentive_is_never_offered_twice_for_one_backorder(store):
    backorder = backorder_make(variant_make(), 1, policy=policy("on_delay"))

    first = incentive_offer(backorder=backorder, trigger="on_delay")
    second = incentive_offer(backorder=backorder, trigger="on_delay")

    assert first is not None and second is None
    assert Incentive.objects.filter(backorder=backorder).count() == 1


def test_only_the_policys_own_trigger_fires_it(store):
    at_order = backorder_make(variant_make(), 1, policy=policy("at_order"))
    none = backorder_make(variant_make(), 1, policy={"incentive_percent": None, "incentive_trigger": ""})

    assert incentive_offer(backorder=at_order, trigger="on_delay") is None
    assert incentive_offer(backorder=none, trigger="at_order") is None
    Backorder.objects.filter(pk=at_order.pk).update(status="allocated")
    at_order.refresh_from_db()
    assert incentive_offer(backorder=at_order, trigger="at_order") is None  # not waiting any more


def test_a_delay_fires_an_on_delay_incentive(store):
    backorder = backorder_make(variant_make(), 1, policy=policy("on_delay", "7.5"),
                               expected_ship_date=timezone.now().date())  # fmt: skip

    backorder_date_change(backorder=backorder, expected_ship_date=timezone.now().date() + timedelta(days=5),
                          actor="merchant", actor_label="m")  # fmt: skip

    incentive = Incentive.objects.get(backorder=backorder)
    assert (incentive.trigger, incentive.percent, incentive.status) == ("on_delay", Decimal("7.50"), "pending")
    assert incentive.code.startswith("WAIT7_5-")


def test_after_days_incentives_wait_for_their_days(store):
    now = timezone.now()
    long_waiting = backorder_make(variant_make(), 1, policy=policy("after_days", after_days=7),
                                  ordered_at=now - timedelta(days=8))  # fmt: skip
    recent = backorder_make(variant_make(), 1, policy=policy("after_days", after_days=7),
                            ordered_at=now - timedelta(days=3))  # fmt: skip

    assert incentives_after_days_offer(now=now) == 1
    assert incentives_after_days_offer(now=now) == 0

    assert Incentive.objects.filter(backorder=long_waiting).exists()
    assert not Incentive.objects.filter(backorder=recent).exists()
