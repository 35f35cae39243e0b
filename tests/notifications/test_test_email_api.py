"""Test e-mails: the merchant sends an e-mail of one kind, in the store's own wording with sample data, to
themselves; it goes through the outbox (sent over SMTP, logged, retried) marked as a test, at most 10 an hour.
Any member may send one to themselves; only the owner to another address; an API token must say where."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import Notification
from notifications.sample_email import SAMPLE_EMAILS_PER_HOUR
from notifications.sending import notifications_send
from stores import api_tokens, services
from stores.models import StoreMembership, User
from tests.conftest import PASSWORD, store_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/test-email/"


@pytest.fixture
def api(store):
    return store_client(store, signed_in_as=store.owner)


def send(client, **body):
    return client.post(URL, body, content_type="application/json")


def staff_client(store, email="staff@shop.example") -> Client:
    user = User.objects.create_user(email, password=PASSWORD)
    services.membership_grant(user=user, store=store, role=StoreMembership.Role.STAFF)
    return store_client(store, signed_in_as=user)


def test_a_test_email_arrives_with_the_test_subject_and_the_stores_own_wording(api, store, smtp_sink):
    own = {"subject": "Order {{ order_id }}: {{ line.product_name if line is defined else lines[0].product_name }}",
           "body_html": "<p>Hello {{ shopper.name }}, we keep {{ lines|length }} item(s) for you.</p>",
           "body_text": "Hello {{ shopper.name }}, Lamp House keeps {{ lines[0].product_name }} for you."}  # fmt: skip
    assert api.put("/api/v1/notifications/templates/backorder_confirmation/en/", own,
                   content_type="application/json").status_code == 200  # fmt: skip

    response = send(api)

    assert response.status_code == 202
    queued = response.json()
    assert (queued["kind"], queued["recipient"], queued["is_test"]) == ("backorder_confirmation", store.owner.email,
                                                                       True)  # fmt: skip
    assert notifications_send()["sent"] == 1
    (message,) = smtp_sink.to(store.owner.email)
    assert message["Subject"] == "[Test] Order 1042: Trail Tent 2P"  # the kind's sample data
    assert "Hello Jane Doe, Lamp House keeps Trail Tent 2P for you." in message.get_body(("plain",)).get_content()
    assert "we keep 1 item(s) for you" in message.get_body(("html",)).get_content()

    log = api.get("/api/v1/notifications/", {"is_test": "true"}).json()
    (row,) = log["results"]
    assert (row["id"], row["status"], row["subject"]) == (queued["id"], "sent", "[Test] Order 1042: Trail Tent 2P")
    assert api.get("/api/v1/notifications/", {"is_test": "false"}).json()["count"] == 0
    assert api.get("/api/v1/notifications/").json()["count"] == 1  # the whole log shows it


def test_any_kind_can_be_tried_in_any_language(api, store, smtp_sink):
    response = send(api, kind="merchant_digest", language="de")

    assert response.status_code == 202
    notifications_send()
    (message,) = smtp_sink.to(store.owner.email)
    # the German wording, with the kind's sample data (as in the template editor's preview)
    assert message["Subject"].strip() == "[Test] Nachbestellungen am Mar 10, 2027: 1 verspätet, 1 gefährdet"


def test_a_test_email_is_retried_like_any_email_when_the_mail_server_is_down(api, smtp_down):
    notification_id = send(api).json()["id"]

    notifications_send()

    row = Notification.objects.get(pk=notification_id)
    assert (row.status, row.attempts, row.is_test) == ("pending", 1, True)
    assert row.last_error.startswith("SMTP connection failed") and row.next_attempt_at > timezone.now()


def test_ten_test_emails_an_hour_then_429_with_when_to_retry(api):
    for _ in range(SAMPLE_EMAILS_PER_HOUR):
        assert send(api).status_code == 202

    refused = send(api)

    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "throttled" and "10 test e-mails in the last hour" in body["message"]
    assert 3500 < body["retry_after_seconds"] <= 3600 and int(refused["Retry-After"]) == body["retry_after_seconds"]
    assert Notification.objects.filter(is_test=True).count() == SAMPLE_EMAILS_PER_HOUR
    Notification.objects.update(created_at=timezone.now() - timedelta(hours=1, seconds=1))
    assert send(api).status_code == 202  # an hour later


@pytest.mark.parametrize(
    ("body", "field"),
    [({"to": "not-an-address"}, "to"), ({"to": "a" * 250 + "@x.example"}, "to"), ({"kind": "nope"}, "kind"),
     ({"language": "xx"}, "language")],
    ids=["bad-address", "too-long", "unknown-kind", "unknown-language"],
)  # fmt: skip
def test_bad_input_is_a_400_naming_the_field(api, body, field):
    response = send(api, **body)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid" and field in response.json()["fields"]
    assert not Notification.objects.exists()


def test_staff_may_send_one_to_themselves_but_not_to_another_address(store, smtp_sink):
    staff = staff_client(store)

    assert send(staff).json()["recipient"] == "staff@shop.example"
    refused = send(staff, to="someone@elsewhere.example")

    assert refused.status_code == 403 and "owner" in refused.json()["message"]
    assert send(staff, to="STAFF@shop.example").status_code == 202  # their own address, any case
    notifications_send()
    assert smtp_sink.recipients() == ["STAFF@shop.example", "staff@shop.example"]


def test_the_owner_may_send_one_to_another_address(api, smtp_sink):
    assert send(api, to="designer@agency.example").status_code == 202
    notifications_send()
    assert smtp_sink.recipients() == ["designer@agency.example"]


def test_an_api_token_must_say_where_the_test_email_goes(store):
    _, token = api_tokens.api_token_create(store=store, name="ERP", created_by=store.owner)
    integration = Client(HTTP_HOST=store.host, HTTP_AUTHORIZATION=f"Bearer {token}")

    missing = send(integration)
    given = send(integration, to="ops@shop.example")

    assert missing.status_code == 400 and "to" in missing.json()["fields"]
    assert given.status_code == 202 and given.json()["recipient"] == "ops@shop.example"


def test_people_outside_the_store_cannot_send_one(store):
    assert send(Client(HTTP_HOST=store.host)).status_code == 403
    assert not Notification.objects.exists()


def test_a_resent_test_email_is_still_a_test(api):
    notification_id = send(api).json()["id"]
    Notification.objects.filter(pk=notification_id).update(status=Notification.Status.FAILED)

    resend = api.post(f"/api/v1/notifications/{notification_id}/resend/")

    assert resend.status_code == 201 and resend.json()["is_test"] is True
