"""Merchant alerts (new backorder, limit reached, daily digest, sync and webhook problems), their recipients,
and the merchant API of the notifications app (log, resend, recipients): auth and store isolation."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from backorder.models import CatalogSync, Policy
from backorder.services.availability import availability_refresh
from backorder.services.lifecycle import backorder_event_record
from notifications.alerts import digest_enqueue, sync_problems_alert
from notifications.models import AlertRecipient, Notification
from notifications.outbox import notification_enqueue
from notifications.sending import notifications_send
from notifications.tasks import notifications_hourly
from stores.models import Store, WebhookEvent
from tests.backorder.conftest import backorder_make, variant_make
from tests.conftest import store_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(store):
    return store_client(store, signed_in_as=store.owner)


def captured(backorder):
    backorder_event_record(backorder=backorder, kind="captured", details={})


def test_a_new_backorder_alerts_the_owner_once_per_order_by_default(store):
    variant = variant_make()
    captured(backorder_make(variant, 1, order_id=77, order_line_id=1))
    captured(backorder_make(variant, 2, order_id=77, order_line_id=2))

    (alert,) = Notification.objects.filter(kind="merchant_new_backorder")
    assert alert.recipient == store.owner.email and alert.order_id == 77


def test_configured_recipients_replace_the_owner_and_may_choose_kinds(store):
    AlertRecipient.objects.create(email="ops@example.com")
    AlertRecipient.objects.create(email="buyer@example.com", kinds=["merchant_cap_reached"])

    captured(backorder_make(variant_make(), 1))

    assert list(Notification.objects.filter(kind="merchant_new_backorder").values_list("recipient", flat=True)) == [
        "ops@example.com"
    ]


def test_the_cap_running_out_alerts_once_until_it_frees_up_and_runs_out_again(store, smtp_sink):
    Policy.objects.update_or_create(scope=Policy.Scope.STORE, defaults={"enabled": True, "max_units": 3})
    variant = variant_make(on_hand=0)
    backorder_make(variant, 2)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    assert not Notification.objects.filter(kind="merchant_cap_reached").exists()

    third = backorder_make(variant, 1)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    assert Notification.objects.filter(kind="merchant_cap_reached").count() == 1

    third.delete()
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    backorder_make(variant, 1)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    assert Notification.objects.filter(kind="merchant_cap_reached").count() == 2
    notifications_send()
    assert f"Backorder limit reached: {variant.product.name}" in {m["Subject"] for m in smtp_sink.messages}
    body = smtp_sink.messages[0].get_body(("plain",)).get_content()
    assert "limit of 3 units (3 waiting)" in body


def test_the_daily_digest_goes_once_in_the_stores_morning_with_late_and_at_risk_backorders(store, smtp_sink):
    Store.objects.filter(pk=store.pk).update(timezone="America/New_York")
    store.refresh_from_db()
    today = date(2026, 12, 1)
    variant = variant_make()
    backorder_make(variant, 1, expected_ship_date=today - timedelta(days=2), product_name="Late Tent", order_id=501)
    backorder_make(variant, 1, expected_ship_date=today + timedelta(days=1), product_name="Soon Stove", order_id=502)
    backorder_make(variant, 1, expected_ship_date=today + timedelta(days=60), product_name="Far Lamp", order_id=503)

    before_morning = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # 07:00 in New York
    assert digest_enqueue(store=store, now=before_morning) == []
    morning = datetime(2026, 12, 1, 13, 5, tzinfo=UTC)  # 08:05 in New York
    assert len(digest_enqueue(store=store, now=morning)) == 1
    assert len(digest_enqueue(store=store, now=morning + timedelta(hours=3))) == 1  # the same row, not a new one
    assert Notification.objects.filter(kind="merchant_digest").count() == 1
    notifications_send()

    (message,) = smtp_sink.messages
    assert message["Subject"] == "Backorders on Dec 1, 2026: 1 late, 1 at risk"
    text = message.get_body(("plain",)).get_content()
    assert "Order 501: Late Tent" in text and "Order 502: Soon Stove" in text and "Far Lamp" not in text


def test_sync_and_webhook_problems_are_alerted_once_each(store):
    Store.objects.filter(pk=store.pk).update(connection=Store.Connection.NEEDS_RECONNECTING,
                                             connected_at=timezone.now())  # fmt: skip
    store.refresh_from_db()
    CatalogSync.objects.create(status=CatalogSync.Status.FAILED, error="HTTP 500 from BigCommerce")
    with schema_context("public"):
        for n in range(2):
            WebhookEvent.objects.create(store=store, dedupe_key=f"dead-{n}", scope="store/order/created",
                                        payload={}, status=WebhookEvent.Status.DEAD)  # fmt: skip

    first = sync_problems_alert(store=store)
    again = sync_problems_alert(store=store)

    assert sorted(n.kind for n in first) == ["merchant_sync_failure", "merchant_sync_failure",
                                             "merchant_webhook_failure"]  # fmt: skip
    assert {n.pk for n in again} <= {n.pk for n in first}  # nothing new
    webhook = Notification.objects.get(kind="merchant_webhook_failure")
    assert webhook.context["count"] == 2 and webhook.context["scopes"] == ["store/order/created"]
    assert Notification.objects.count() == 3


def test_the_hourly_schedule_checks_every_active_store(store):
    from django.db import connection

    connection.set_schema_to_public()
    assert notifications_hourly() >= 1


# -- the merchant API ------------------------------------------------------------------------------------------


def test_the_log_filters_by_status_kind_and_address_and_counts_what_needs_attention(api, store):
    a = notification_enqueue(kind="shipped", key="1", to="ann@example.com", context={})
    notification_enqueue(kind="shipped", key="2", to="bob@example.com", context={})
    Notification.objects.filter(pk=a.pk).update(status="unknown")

    data = api.get("/api/v1/notifications/?email=ANN").json()
    assert [r["id"] for r in data["results"]] == [a.pk]
    assert data["results"][0]["resendable"] is True
    assert data["needing_attention"] == {"failed": 0, "unknown": 1}
    assert api.get("/api/v1/notifications/?status=pending").json()["count"] == 1
    assert api.get("/api/v1/notifications/?kind=nonsense").status_code == 400
    assert api.get(f"/api/v1/notifications/{a.pk}/").json()["context"] == {}


def test_resend_from_the_api_makes_one_new_row_and_refuses_what_was_sent(api, store):
    row = notification_enqueue(kind="shipped", key="1", to="ann@example.com", context={})
    assert api.post(f"/api/v1/notifications/{row.pk}/resend/").status_code == 409
    Notification.objects.filter(pk=row.pk).update(status="failed")

    response = api.post(f"/api/v1/notifications/{row.pk}/resend/")

    assert response.status_code == 201 and response.json()["resend_of"] == row.pk
    assert api.post(f"/api/v1/notifications/{row.pk}/resend/").json()["id"] == response.json()["id"]
    assert Notification.objects.count() == 2


def test_alert_recipients_can_be_listed_added_changed_and_removed(api, store):
    assert api.get("/api/v1/notifications/alert-recipients/").json() == {"results": [],
                                                                         "effective": [store.owner.email]}  # fmt: skip
    created = api.post("/api/v1/notifications/alert-recipients/", {"email": "Ops@Example.com", "kinds": []},
                       content_type="application/json")  # fmt: skip
    assert created.status_code == 201 and created.json()["email"] == "ops@example.com"
    duplicate = api.post("/api/v1/notifications/alert-recipients/", {"email": "ops@example.com"},
                         content_type="application/json")  # fmt: skip
    assert duplicate.status_code == 400 and "email" in duplicate.json()["fields"]
    bad_kind = api.patch(f"/api/v1/notifications/alert-recipients/{created.json()['id']}/",
                         {"kinds": ["shipped"]}, content_type="application/json")  # fmt: skip
    assert bad_kind.status_code == 400
    changed = api.patch(f"/api/v1/notifications/alert-recipients/{created.json()['id']}/",
                        {"kinds": ["merchant_digest"]}, content_type="application/json")  # fmt: skip
    assert changed.json()["kinds"] == ["merchant_digest"]
    assert api.delete(f"/api/v1/notifications/alert-recipients/{created.json()['id']}/").status_code == 204
    assert not AlertRecipient.objects.exists()


def test_the_api_needs_a_member_of_the_store_and_shows_only_its_own_mail(api, store, make_store):
    row = notification_enqueue(kind="shipped", key="1", to="ann@example.com", context={})
    with schema_context("public"):
        other = make_store()
    intruder = store_client(other, signed_in_as=other.owner)
    anonymous = store_client(store)

    assert anonymous.get("/api/v1/notifications/").status_code in (401, 403)
    assert anonymous.get("/api/v1/notifications/templates/").status_code in (401, 403)
    assert intruder.get("/api/v1/notifications/").json()["count"] == 0
    assert intruder.get(f"/api/v1/notifications/{row.pk}/").status_code == 404
    assert intruder.post(f"/api/v1/notifications/{row.pk}/resend/").status_code == 404
    assert store_client(store, signed_in_as=other.owner).get("/api/v1/notifications/").status_code == 403


def test_the_api_is_in_the_openapi_schema(api):
    schema = api.get("/api/schema/?format=json").json()

    for path in ("/api/v1/notifications/", "/api/v1/notifications/{notification_id}/resend/",
                 "/api/v1/notifications/templates/{kind}/{language}/preview/",
                 "/api/v1/notifications/alert-recipients/"):  # fmt: skip
        assert path in schema["paths"]
