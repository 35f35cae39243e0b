"""Shopper data: support staff export everything a store holds about an e-mail address, or erase it (what
accounting needs stays, anonymised); both from the store's admin, both in the staff audit log."""

import json
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client

from backorder.models import Backorder, BackorderEvent, Incentive, StockAlertSubscription
from backorder.services.backorder_actions import backorder_date_change
from backorder.services.lifecycle import backorder_event_record
from notifications.models import Notification, Unsubscribe
from notifications.outbox import notification_enqueue
from notifications.self_service.links import self_service_url
from notifications.self_service.services import access_revoke
from notifications.shopper_data import ERASED_EMAIL, shopper_data_erase, shopper_data_export
from stores.models import StaffAuditEntry, User
from tests.backorder.conftest import backorder_make, variant_make

pytestmark = pytest.mark.django_db

EMAIL = "ann@example.com"


def shopper_history():
    """Two backorders, a delay notice, an unsubscribe, an incentive and a revoked link for Ann; one for Bob."""
    variant = variant_make()
    first = backorder_make(variant, 2, customer_email="Ann@Example.com", customer_name="Ann Lee", unit_price="12.50",
                           expected_ship_date=date(2027, 3, 1), promised_ship_date=date(2027, 3, 1))  # fmt: skip
    second = backorder_make(variant, 1, customer_email=EMAIL, customer_name="Ann Lee")
    bob = backorder_make(variant, 1, customer_email="bob@example.com", customer_name="Bob")
    backorder_event_record(backorder=first, kind="captured", details={"promised_ship_date": "2027-03-01"})
    backorder_date_change(backorder=first, expected_ship_date=date(2027, 3, 5), actor="merchant", actor_label="m")
    Unsubscribe.objects.create(email=EMAIL, scope="incentives", source="one_click")
    StockAlertSubscription.objects.create(email=EMAIL, product_id=variant.product.bigcommerce_id)
    StockAlertSubscription.objects.create(email="bob@example.com", product_id=variant.product.bigcommerce_id)
    Incentive.objects.create(backorder=second, trigger="at_order", percent=10, product_id=1, code="WAIT10-ABCDEFGH",
                             expires_on=date(2027, 5, 1))  # fmt: skip
    access_revoke(order_id=first.order_id, email=EMAIL, revoked_by="support")
    notification_enqueue(kind="cancelled", key=str(bob.pk), to="bob@example.com", context={"backorder_id": bob.pk},
                         backorder=bob)  # fmt: skip
    return first, second, bob


def test_the_export_holds_everything_about_the_address_and_nothing_else(store):
    first, second, bob = shopper_history()

    document = json.loads(json.dumps(shopper_data_export(email=" ANN@example.com ")))

    assert document["email"] == EMAIL
    assert [b["id"] for b in document["backorders"]] == [first.pk, second.pk]
    exported = document["backorders"][0]
    assert (exported["customer_name"], exported["unit_price"], exported["quantity"]) == ("Ann Lee", "12.5000", 2)
    assert [e["kind"] for e in exported["timeline"]] == ["captured", "delayed"]
    assert document["backorders"][1]["incentive"]["code"] == "WAIT10-ABCDEFGH"
    assert "delay_notice" in [n["kind"] for n in document["notifications"]]
    assert {n["recipient"] for n in document["notifications"]} == {"Ann@Example.com"}
    assert [u["scope"] for u in document["unsubscribes"]] == ["incentives"]
    assert [s["email"] for s in document["subscriptions"]] == [EMAIL]
    assert [a["order_id"] for a in document["self_service_accesses"]] == [first.order_id]
    assert "bob@example.com" not in json.dumps(document)


def test_erasing_anonymises_what_accounting_needs_and_deletes_the_rest(store, settings):
    first, second, bob = shopper_history()
    link = self_service_url(order_id=first.order_id, email=EMAIL)
    anns_mail = Notification.objects.filter(recipient__iexact=EMAIL).count()

    counts = shopper_data_erase(email=EMAIL, erased_by="support@backorder.example")

    assert anns_mail >= 1 and counts["backorders_anonymised"] == 2 and counts["notifications_emptied"] == anns_mail
    assert counts["unsubscribes_deleted"] == 1 and counts["self_service_accesses_deleted"] == 1
    assert counts["subscriptions_deleted"] == 1
    assert list(StockAlertSubscription.objects.values_list("email", flat=True)) == ["bob@example.com"]
    first.refresh_from_db()
    assert (first.customer_email, first.customer_name, first.customer_id) == (ERASED_EMAIL, "", 0)
    assert (first.order_id, first.quantity, str(first.unit_price)) == (first.order_id, 2, "12.5000")
    assert first.events.filter(kind="shopper_data_erased", actor="staff").exists()
    mail = Notification.objects.get(kind="delay_notice")
    assert (mail.recipient, mail.body_text, mail.context, mail.status) == (ERASED_EMAIL, "", {}, "cancelled")
    assert Notification.objects.get(kind="cancelled").recipient == "bob@example.com"
    assert Backorder.objects.get(pk=bob.pk).customer_email == "bob@example.com"
    assert Incentive.objects.filter(backorder=second).exists()  # the coupon is the merchant's record
    assert shopper_data_export(email=EMAIL)["backorders"] == []
    assert "ann@example.com" not in json.dumps(list(BackorderEvent.objects.values("details", "actor_label")))
    assert shopper_data_erase(email=EMAIL, erased_by="support")["backorders_anonymised"] == 0
    # The links made for the address open nothing any more.
    page = Client(HTTP_HOST=settings.PUBLIC_HOST).get(urlsplit(link).path)
    connection.set_tenant(store)
    assert page.status_code == 410


@pytest.fixture
def staff_client(db, settings):
    """Support staff signed in on the public host."""
    staff = User.objects.create_superuser("support@backorder.example", "support@backorder.example", "s3cret-pass!")
    client = Client(HTTP_HOST=settings.PUBLIC_HOST)
    client.force_login(staff)
    return client


def test_staff_export_from_the_store_admin_and_it_is_audited(store, staff_client):
    first, _, _ = shopper_history()
    url = f"/admin/store/{store.pk}/notifications/selfserviceaccess/shopper-data/"

    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"email": EMAIL, "step": "export"})
    connection.set_tenant(store)

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert [b["id"] for b in json.loads(response.content)["backorders"]][0] == first.pk
    entry = StaffAuditEntry.objects.get()
    assert (entry.store_id, entry.action, entry.changes["operation"]) == (store.pk, "export", "shopper_data_exported")
    assert EMAIL not in json.dumps(entry.changes)


def test_staff_erase_after_a_confirmation_page_and_it_is_audited(store, staff_client):
    shopper_history()
    url = f"/admin/store/{store.pk}/notifications/selfserviceaccess/shopper-data/"

    confirm = staff_client.post(url, {"email": EMAIL, "step": "erase"})
    connection.set_tenant(store)
    assert "2 backorder(s)" in confirm.content.decode()
    assert Backorder.objects.filter(customer_email__iexact=EMAIL).count() == 2  # nothing erased yet

    done = staff_client.post(url, {"email": EMAIL, "step": "erase_confirmed"})
    connection.set_tenant(store)

    assert done.status_code == 302
    assert not Backorder.objects.filter(customer_email__iexact=EMAIL).exists()
    entry = StaffAuditEntry.objects.get()
    assert (entry.action, entry.changes["operation"], entry.changes["backorders_anonymised"]) == (
        "delete", "shopper_data_erased", 2)  # fmt: skip


def test_staff_revoke_a_shoppers_links_from_the_store_admin(store, staff_client, settings):
    first, _, _ = shopper_history()
    link = urlsplit(self_service_url(order_id=first.order_id, email=EMAIL)).path
    url = f"/admin/store/{store.pk}/notifications/selfserviceaccess/revoke/"

    assert staff_client.get(f"/admin/store/{store.pk}/notifications/selfserviceaccess/").status_code == 200
    done = staff_client.post(url, {"order_id": first.order_id, "email": EMAIL})
    page = Client(HTTP_HOST=settings.PUBLIC_HOST).get(link)
    connection.set_tenant(store)

    assert done.status_code == 302 and page.status_code == 410
    assert StaffAuditEntry.objects.get().changes["operation"] == "self_service_links_revoked"
