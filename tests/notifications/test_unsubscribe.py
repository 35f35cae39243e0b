"""Unsubscribing from non-transactional mail: a confirmation page for people, one-click POST (RFC 8058) for
mail providers, and nothing more of that kind afterwards; order e-mails still arrive."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from backorder.models import StockAlertSubscription
from backorder.services.stock_alerts import stock_alert_subscribe
from notifications.models import Notification, Unsubscribe
from notifications.outbox import notification_enqueue
from notifications.sending import notifications_send
from notifications.stock_alerts import on_restocked
from notifications.unsubscribe import unsubscribe_token_make
from tests.backorder.conftest import variant_make

pytestmark = pytest.mark.django_db


def unsubscribe_path(message) -> str:
    return re.search(r"<https?://[^/]+(/u/[^>]+)>", str(message["List-Unsubscribe"])).group(1)


class PublicBrowser(Client):
    """A browser on the public host; the test goes on in the schema it was in (requests switch schemas)."""

    def request(self, **request):
        schema = connection.schema_name
        try:
            return super().request(**request)
        finally:
            connection.set_schema(schema)


@pytest.fixture
def browser():
    return PublicBrowser(HTTP_HOST=settings.PUBLIC_HOST, enforce_csrf_checks=True)


@pytest.fixture
def alerted(store, smtp_sink):
    """Zoe signed up for a notify-me alert and got the confirmation."""
    variant = variant_make(on_hand=0)
    stock_alert_subscribe(email="zoe@example.com", variant_id=variant.bigcommerce_id)
    notifications_send()
    (message,) = smtp_sink.messages
    return variant, message


def test_the_link_shows_a_confirmation_page_and_a_get_changes_nothing(alerted, browser):
    _, message = alerted

    page = browser.get(unsubscribe_path(message), HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    assert "Stop back-in-stock alerts" in page.content.decode() and "zoe@example.com" in page.content.decode()
    assert not Unsubscribe.objects.exists()


def test_one_click_post_unsubscribes_without_csrf_and_later_alerts_are_suppressed(alerted, browser, smtp_sink):
    variant, message = alerted

    response = browser.post(unsubscribe_path(message), "List-Unsubscribe=One-Click",
                            content_type="application/x-www-form-urlencoded")  # fmt: skip

    assert response.status_code == 200
    assert Unsubscribe.objects.get().email == "zoe@example.com"
    assert StockAlertSubscription.objects.get().unsubscribed_at is not None
    variant.on_hand = 5
    variant.save()
    assert on_restocked(variant_ids=[variant.bigcommerce_id]) == 0  # no alert spent on her
    row = notification_enqueue(kind="back_in_stock", key="later", to="ZOE@example.com",
                               context={"product_id": variant.product.bigcommerce_id})  # fmt: skip
    assert row.status == "suppressed"
    notifications_send()
    assert len(smtp_sink.messages) == 1


def test_the_confirmation_page_button_unsubscribes_too(alerted, browser):
    _, message = alerted
    path = unsubscribe_path(message)

    response = browser.post(path, {"confirm": "1"})

    assert response.status_code == 200 and "Done" in response.content.decode()
    assert Unsubscribe.objects.get().source == "page"
    assert browser.post(path, {"confirm": "1"}).status_code == 200  # twice: still one row
    assert Unsubscribe.objects.count() == 1


def test_pending_mail_of_that_kind_is_suppressed_but_order_email_still_goes(store, browser, smtp_sink):
    offer = notification_enqueue(kind="incentive_offer", key="1", to="zoe@example.com", context={})
    receipt = notification_enqueue(kind="merchant_sync_failure", key="1", to="zoe@example.com",
                                   context={"problem": "p", "details": ""})  # fmt: skip
    token = unsubscribe_token_make(schema_name=store.schema_name, email="zoe@example.com", scope="incentives")

    browser.post(f"/u/{token}/", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")

    offer.refresh_from_db()
    receipt.refresh_from_db()
    assert (offer.status, receipt.status) == ("suppressed", "pending")
    assert notification_enqueue(kind="shipped", key="x", to="zoe@example.com", context={}).status == "pending"


def test_a_tampered_link_is_404(store, browser):
    token = unsubscribe_token_make(schema_name=store.schema_name, email="zoe@example.com", scope="all")

    assert browser.get(f"/u/{token[:-2]}xx/").status_code == 404
    assert browser.post(f"/u/{token[:-2]}xx/", "List-Unsubscribe=One-Click",
                        content_type="application/x-www-form-urlencoded").status_code == 404  # fmt: skip
    assert not Notification.objects.exists() and not Unsubscribe.objects.exists()
