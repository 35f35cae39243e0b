"""Which shopper e-mails the backorder timeline causes: written with the change, once per fact, rendered when
sent. BigCommerce is the sandbox over loopback; mail goes to a local SMTP server."""

from datetime import date

import pytest

from backorder.handlers import order_changed
from backorder.models import Backorder, Policy, StockAlertSubscription
from backorder.services.backorder_actions import backorder_date_change, backorder_mark_shipped
from backorder.services.cancellation import backorder_cancel
from backorder.services.lifecycle import backorder_transition
from backorder.services.stock_alerts import stock_alert_subscribe
from notifications.models import Notification
from notifications.sending import notifications_send
from notifications.services import on_cancellation_followed_up
from notifications.stock_alerts import on_restocked
from tests.backorder.conftest import SANDBOX_STORE as STORE
from tests.backorder.conftest import backorder_make, variant_make
from tests.backorder.test_capture import order_event, stocked_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def selling(connected_store):
    Policy.objects.update_or_create(
        scope=Policy.Scope.STORE, defaults={"enabled": True, "lead_time_days": 10, "max_units": None}
    )
    return connected_store


def test_an_order_with_two_backordered_lines_gets_one_confirmation_listing_both(selling, sandbox, smtp_sink):
    first = stocked_variant(sandbox, on_hand=0)
    second = stocked_variant(sandbox, on_hand=0, skip=(first,))
    order = sandbox.place_order(STORE, [{"variant_id": first, "quantity": 2}, {"variant_id": second, "quantity": 1}],
                                email="ada@example.com")  # fmt: skip

    order_changed(selling, [order_event(order["id"])])
    order_changed(selling, [order_event(order["id"], "store/order/updated")])  # a redelivery: nothing more
    notifications_send()
    notifications_send()

    confirmations = Notification.objects.filter(kind="backorder_confirmation")
    assert confirmations.count() == 1 and confirmations.get().order_id == order["id"]
    (message,) = smtp_sink.to("ada@example.com")
    text = message.get_body(("plain",)).get_content()
    names = list(Backorder.objects.filter(order_id=order["id"]).values_list("product_name", flat=True))
    assert len(names) == 2 and all(name in text for name in names)
    assert f"order {order['id']}" in message["Subject"]
    assert "/s/" in text  # the self-service link
    owner_alert = smtp_sink.to(selling.owner.email)
    assert len(owner_alert) == 1 and owner_alert[0]["Subject"] == f"New backorder: order {order['id']}"


def test_a_date_brought_forward_is_told_once_per_new_date(store):
    backorder = backorder_make(variant_make(), 1, expected_ship_date=date(2027, 3, 20))

    backorder_date_change(backorder=backorder, expected_ship_date=date(2027, 3, 10), actor="merchant", actor_label="m")
    backorder_date_change(backorder=backorder, expected_ship_date=date(2027, 3, 5), actor="merchant", actor_label="m")

    rows = Notification.objects.filter(kind="date_brought_forward").order_by("id")
    assert [r.context["new_date"] for r in rows] == ["2027-03-10", "2027-03-05"]
    assert rows[0].context["old_date"] == "2027-03-20"


def test_a_delay_is_not_announced_here_twice(store):
    """Delay notices belong to the consent flow (notifications/consent.py): exactly one per delay."""
    backorder = backorder_make(
        variant_make(), 1, expected_ship_date=date(2027, 3, 1), promised_ship_date=date(2027, 3, 1)
    )

    backorder_date_change(backorder=backorder, expected_ship_date=date(2027, 3, 9), actor="merchant", actor_label="m")

    assert list(Notification.objects.values_list("kind", flat=True)) == ["delay_notice"]


def test_a_shipment_is_told_with_bigcommerces_tracking_number(selling, sandbox, smtp_sink):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}], email="ada@example.com")
    order_changed(selling, [order_event(order["id"])])
    backorder = Backorder.objects.get(order_id=order["id"])
    backorder.quantity_allocated = 2
    backorder_transition(backorder=backorder, to_status="allocated", kind="allocated",
                         save_fields=("quantity_allocated",))  # fmt: skip
    shipment = sandbox.ship_order(STORE, order["id"], tracking_number="EJ958083578US")

    order_changed(selling, [{"scope": "store/shipment/created",
                             "data": {"type": "shipment", "id": shipment["id"], "orderId": order["id"]}}])  # fmt: skip
    notifications_send()

    shipped = [m for m in smtp_sink.to("ada@example.com") if "shipped" in m["Subject"]]
    assert len(shipped) == 1
    assert "EJ958083578US" in shipped[0].get_body(("plain",)).get_content()


def test_a_shipment_marked_by_the_merchant_has_no_tracking_number(store):
    backorder = backorder_make(variant_make(), 1)
    backorder_mark_shipped(backorder=backorder, actor="merchant", actor_label="m")

    assert Notification.objects.get(kind="shipped").context == {"backorder_id": backorder.pk, "tracking_number": ""}


def test_an_order_cancelled_in_bigcommerce_is_told_at_once_as_handled_by_the_store(selling, sandbox, smtp_sink):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 1}], email="ada@example.com")
    order_changed(selling, [order_event(order["id"])])
    sandbox.set_order_status(STORE, order["id"], 5)

    order_changed(selling, [order_event(order["id"], "store/order/statusUpdated")])
    notifications_send()

    cancelled = Notification.objects.get(kind="cancelled")
    assert cancelled.context["refund"] == "store"
    (message,) = [m for m in smtp_sink.to("ada@example.com") if "cancelled" in m["Subject"]]
    assert "The store handled your order" in message.get_body(("plain",)).get_content()


def test_a_cancellation_the_app_refunds_is_told_after_the_refund_with_its_outcome(
    store, django_capture_on_commit_callbacks
):
    backorder = backorder_make(variant_make(), 1, unit_price=25)
    backorder_cancel(backorder=backorder, actor="merchant", reason="Discontinued")
    assert not Notification.objects.filter(kind="cancelled").exists()  # waits for the refund step

    backorder.refresh_from_db()
    from backorder.services.lifecycle import backorder_event_record

    backorder_event_record(backorder=backorder, kind="refunded", details={"amount": "25.00"})
    backorder_event_record(backorder=backorder, kind="bigcommerce_follow_up_done", details={"refund": "refunded"})

    (row,) = Notification.objects.filter(kind="cancelled")
    assert row.context == {"backorder_id": backorder.pk, "reason": "Discontinued", "refund": "refunded",
                           "amount": "25.00", "currency": "USD"}  # fmt: skip


def test_a_backorder_cancelled_for_lack_of_consent_gets_only_the_consent_email(store):
    backorder = backorder_make(variant_make(), 1)
    from notifications.outbox import notification_enqueue

    notification_enqueue(kind="consent_auto_cancelled", key=str(backorder.pk), to=backorder.customer_email,
                         context={"backorder_id": backorder.pk}, backorder=backorder)  # fmt: skip
    event = backorder.events.create(kind="bigcommerce_follow_up_done", details={"refund": "refunded"})

    on_cancellation_followed_up(backorder=backorder, event=event)

    assert not Notification.objects.filter(kind="cancelled").exists()


def test_a_notify_me_sign_up_is_confirmed_once(store, smtp_sink):
    variant = variant_make(on_hand=0)
    stock_alert_subscribe(email="Zoe@Example.com", variant_id=variant.bigcommerce_id, locale="es")
    stock_alert_subscribe(email="zoe@example.com", variant_id=variant.bigcommerce_id, locale="es")
    notifications_send()

    (message,) = smtp_sink.messages
    assert message["Subject"] == f"Te avisaremos cuando {variant.product.name} vuelva"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].strip().startswith("<http") and "/u/" in message["List-Unsubscribe"]
    assert StockAlertSubscription.objects.get().confirmed_at is not None


def test_back_in_stock_goes_to_no_more_subscribers_than_units_oldest_first_once_each(store, smtp_sink):
    variant = variant_make(on_hand=0)
    for name in ("first", "second", "third"):
        stock_alert_subscribe(email=f"{name}@example.com", variant_id=variant.bigcommerce_id)
    variant.on_hand = 2
    variant.save()

    assert on_restocked(variant_ids=[variant.bigcommerce_id]) == 2
    assert on_restocked(variant_ids=[variant.bigcommerce_id]) == 0  # the same restock told again
    variant.on_hand = 3
    variant.save()
    assert on_restocked(variant_ids=[variant.bigcommerce_id]) == 1  # one more unit: the next in line
    notifications_send()

    alerts = [m for m in smtp_sink.messages if "is back in stock" in m["Subject"]]
    assert sorted(r for m in alerts for r in m.envelope_to) == [
        "first@example.com",
        "second@example.com",
        "third@example.com",
    ]


def test_back_in_stock_keeps_units_for_the_shoppers_already_waiting(store):
    variant = variant_make(on_hand=0)
    stock_alert_subscribe(email="zoe@example.com", variant_id=variant.bigcommerce_id)
    backorder_make(variant, 2)
    variant.on_hand = 2
    variant.save()

    assert on_restocked(variant_ids=[variant.bigcommerce_id]) == 0
    variant.on_hand = 3
    variant.save()
    assert on_restocked(variant_ids=[variant.bigcommerce_id]) == 1
