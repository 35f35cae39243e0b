"""Support staff see a store's e-mail log and resend, with one click, what may not have arrived."""

import pytest
from django.db import connection
from django.urls import set_script_prefix

from notifications.models import Notification
from notifications.outbox import notification_enqueue
from stores.models import StaffAuditEntry, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(public_client):
    staff = User.objects.create_superuser("support@backorder.example", "support@backorder.example", "s3cret-pass!")
    public_client.force_login(staff)
    yield public_client
    set_script_prefix("/")  # the store admin mounts itself under /admin/store/<id>/ for its requests


def test_staff_find_unknown_emails_and_resend_them_and_it_is_audited(store, staff_client):
    unknown = notification_enqueue(kind="shipped", key="1", to="ann@example.com", context={})
    sent = notification_enqueue(kind="shipped", key="2", to="bob@example.com", context={})
    Notification.objects.filter(pk=unknown.pk).update(status="unknown")
    Notification.objects.filter(pk=sent.pk).update(status="sent")
    url = f"/admin/store/{store.pk}/notifications/notification/"

    listing = staff_client.get(url, {"attention": "yes"})
    connection.set_tenant(store)
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "ann@example.com" in page and "bob@example.com" not in page

    response = staff_client.post(url, {"action": "resend", "_selected_action": [unknown.pk, sent.pk]})
    connection.set_tenant(store)

    assert response.status_code == 302
    resend = Notification.objects.get(resend_of=unknown)
    assert resend.status == "pending" and resend.recipient == "ann@example.com"
    assert not Notification.objects.filter(resend_of=sent).exists()
    entry = StaffAuditEntry.objects.get()
    assert (entry.store_id, entry.object_id, entry.changes["resent_as"]["to"]) == (store.pk, str(unknown.pk), resend.pk)


def test_staff_read_the_automations_and_webhooks_of_a_store_but_never_a_webhook_secret(store, staff_client):
    from notifications.automations.services import rule_create
    from notifications.webhooks.services import endpoint_create

    rule = rule_create(name="Tell the ERP", trigger="backorder.created", enabled=True,
                       actions=[{"type": "task", "title": "Look"}])  # fmt: skip
    endpoint = endpoint_create(url="https://erp.example.com/hook", events=["backorder.created"])
    pages = {
        "automationrule": rule.pk, "automationrun": None, "webhookendpoint": endpoint.pk, "webhookdelivery": None,
    }  # fmt: skip
    for model, pk in pages.items():
        base = f"/admin/store/{store.pk}/notifications/{model}/"
        for url in [base] + ([f"{base}{pk}/change/"] if pk else []):
            response = staff_client.get(url)
            connection.set_tenant(store)
            assert response.status_code == 200, url
            assert endpoint.secret not in response.content.decode(), url
