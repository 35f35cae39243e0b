"""The e-mail a shopper gets when the store refunds some, not all, of their backordered units in BigCommerce:
one per refund, none for a replayed webhook, the cancellation e-mail (not this one) when every unit is
refunded. BigCommerce is the sandbox over loopback (refunds go through its refunds API, as in
tests/backorder/test_refunds.py); mail goes to a local SMTP server."""

import pytest

from backorder.models import Backorder
from backorder.services.lifecycle import backorder_event_record
from notifications.models import Notification
from notifications.sending import notifications_send
from notifications.variables import date_long
from tests.backorder import test_refunds as refund_tests
from tests.backorder.conftest import backorder_make, variant_make
from tests.backorder.test_capture import stocked_variant
from tests.backorder.test_refunds import backorder_of, place, refund, restock
from tests.conftest import store_client

pytestmark = pytest.mark.django_db

# The refund tests' fixtures: a store selling on backorder, and BigCommerce's order webhooks delivered.
selling = refund_tests.selling
sync_order = refund_tests.sync_order

SHOPPER = "shopper@example.com"  # the sandbox's default checkout address


def plain(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


@pytest.fixture
def ordered(selling, sandbox, sync_order, smtp_sink):
    """A shopper has 4 units of a sold-out variant on backorder; the confirmation has gone out."""
    variant = stocked_variant(sandbox, on_hand=0)
    order = place(sandbox, sync_order, (variant, 4))
    notifications_send()
    (confirmation,) = smtp_sink.to(SHOPPER)
    assert confirmation["Subject"] == f"Your backorder with {selling.name} (order {order['id']})"
    smtp_sink.messages.clear()
    return order, variant


def refund_and_send(store, sync_order, order: dict, variant: int, units: int) -> None:
    refund(store, order, variant, units)
    sync_order(order["id"])  # BigCommerce's refund and status webhooks
    notifications_send()


def test_a_partial_refund_tells_the_shopper_the_units_refunded_and_the_units_still_coming(
    selling, sync_order, smtp_sink, ordered
):
    order, variant = ordered

    refund_and_send(selling, sync_order, order, variant, 3)

    backorder = backorder_of(order, variant)
    row = Notification.objects.get(kind="partly_refunded")
    assert (row.status, row.backorder_id, row.context) == (
        "sent",
        backorder.pk,
        {"backorder_id": backorder.pk, "units_refunded": 3, "units_remaining": 1},
    )
    (message,) = smtp_sink.to(SHOPPER)
    assert message["Subject"] == f"Part of your backorder was refunded (order {order['id']})"
    assert message["List-Unsubscribe"] is None  # transactional: about the shopper's own order
    text = plain(message)
    # No amount: BigCommerce's refund event carries none, so the e-mail names none.
    assert f"{selling.name} has refunded 3 units of this backordered item:\n{backorder.product_name}" in text
    ships_by = date_long(backorder.expected_ship_date, "en")
    assert ships_by and f"You still have 1 unit on order, expected to ship by {ships_by}." in text
    assert "/s/" in text  # the self-service link
    assert "has refunded 3 units" in message.get_body(("html",)).get_content()


def test_replaying_the_refund_webhooks_sends_nothing_more(selling, sync_order, smtp_sink, ordered):
    order, variant = ordered
    refund_and_send(selling, sync_order, order, variant, 1)

    sync_order(order["id"], "store/order/refund/created", "store/order/statusUpdated", "store/order/updated")
    sync_order(order["id"])
    notifications_send()

    assert len(smtp_sink.to(SHOPPER)) == 1
    assert Notification.objects.filter(kind="partly_refunded").count() == 1


def test_a_second_partial_refund_sends_a_second_email_with_the_new_numbers(selling, sync_order, smtp_sink, ordered):
    order, variant = ordered

    refund_and_send(selling, sync_order, order, variant, 1)
    refund_and_send(selling, sync_order, order, variant, 2)

    texts = [plain(m) for m in smtp_sink.to(SHOPPER)]
    assert len(texts) == 2
    assert "has refunded 1 unit of this backordered item" in texts[0] and "You still have 3 units on order" in texts[0]
    assert "has refunded 2 units of this backordered item" in texts[1] and "You still have 1 unit on order" in texts[1]
    assert backorder_of(order, variant).quantity == 1


def test_a_full_refund_sends_the_cancellation_email_and_not_the_partial_one(selling, sync_order, smtp_sink, ordered):
    order, variant = ordered

    refund_and_send(selling, sync_order, order, variant, 4)

    assert backorder_of(order, variant).status == "cancelled"
    assert not Notification.objects.filter(kind="partly_refunded").exists()
    (message,) = smtp_sink.to(SHOPPER)
    assert message["Subject"] == f"Your backorder was cancelled (order {order['id']})"
    assert "The store handled your order" in plain(message)


def test_the_rest_refunded_before_the_partial_refund_email_left_sends_only_the_cancellation(
    selling, sync_order, smtp_sink, ordered
):
    order, variant = ordered
    refund(selling, order, variant, 1)
    sync_order(order["id"])
    refund(selling, order, variant, 3)  # the sender has not run yet
    sync_order(order["id"])

    notifications_send()

    assert Notification.objects.get(kind="partly_refunded").status == "cancelled"
    assert [m["Subject"] for m in smtp_sink.to(SHOPPER)] == [f"Your backorder was cancelled (order {order['id']})"]


def test_allocated_units_left_are_told_as_being_prepared_in_the_shoppers_language(
    selling, sandbox, sync_order, smtp_sink, django_capture_on_commit_callbacks
):
    variant = stocked_variant(sandbox, on_hand=0)
    order = place(sandbox, sync_order, (variant, 3))
    Backorder.objects.filter(order_id=order["id"]).update(customer_locale="de-DE")
    restock(selling, sandbox, variant, 3, django_capture_on_commit_callbacks)
    notifications_send()
    smtp_sink.messages.clear()

    refund_and_send(selling, sync_order, order, variant, 1)

    (message,) = smtp_sink.to(SHOPPER)
    assert message["Subject"] == f"Teilerstattung Ihrer Nachbestellung (Bestellung {order['id']})"
    text = plain(message)
    assert f"{selling.name} hat Ihnen 1 Stück dieses nachbestellten Artikels erstattet:" in text
    assert "Noch für Sie offen: 2 Stück; die Ware ist eingetroffen und wird für den Versand vorbereitet." in text


def test_an_amount_is_named_only_when_the_refund_told_it(store, smtp_sink):
    backorder = backorder_make(variant_make(), 2, customer_locale="fr", customer_email="ada@example.com")
    backorder_event_record(backorder=backorder, kind="partly_refunded", actor="bigcommerce",
                           details={"units": 1, "quantity": 2, "amount": "24.95", "currency": "EUR"})  # fmt: skip

    notifications_send()

    (message,) = smtp_sink.to("ada@example.com")
    assert "vous a remboursé 1 unité de cet article en réassort (24.95 EUR) :" in plain(message)
    assert "Il vous reste 2 unités en commande" in plain(message)


def test_the_merchant_edits_the_partial_refund_email_like_any_other(selling, sync_order, smtp_sink, ordered):
    order, variant = ordered
    api = store_client(selling, signed_in_as=selling.owner)
    listed = {entry["kind"]: entry for entry in api.get("/api/v1/notifications/templates/").json()}
    assert (listed["partly_refunded"]["label"], listed["partly_refunded"]["transactional"]) == ("Partial refund", True)
    response = api.put("/api/v1/notifications/templates/partly_refunded/en/",
                       {"subject": "{{ units_refunded }} refunded, {{ units_remaining }} to come",
                        "body_html": "<p>{{ line.product_name }}</p>", "body_text": "{{ self_service_url }}"},
                       content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.json()

    refund_and_send(selling, sync_order, order, variant, 1)

    (message,) = smtp_sink.to(SHOPPER)
    assert message["Subject"] == "1 refunded, 3 to come"
