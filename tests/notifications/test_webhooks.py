"""Outbound webhooks (ARCHITECTURE.md, `/api/v1/webhooks/`): subscriptions, Standard Webhooks signatures that an
independent library verifies, retries with one `webhook-id`, switching off after sustained failure, replay,
test events, secret rotation, and refusing targets on loopback or private networks. The receiver is the
sandbox's (`/_sandbox/receivers/<name>`) over loopback HTTP."""

import json
import socket
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from backorder.api.backorders import BackorderOutputSerializer
from backorder.services.lifecycle import backorder_event_record
from notifications.models import Notification
from notifications.webhooks import delivery as sender
from notifications.webhooks import services
from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.backorder.conftest import backorder_make, variant_make
from tests.conftest import store_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(sandbox, settings):
    """The sandbox's receiver `erp`; the app may send to loopback (as with DEBUG on)."""
    settings.OUTBOUND_PRIVATE_TARGETS = True
    return sandbox.receiver_url("erp")


def owner_api(store):
    return store_client(store, signed_in_as=store.owner)


def subscribe(store, url, events=("backorder.created",)) -> dict:
    response = owner_api(store).post("/api/v1/webhooks/", {"url": url, "events": list(events)},
                                     content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()


def new_backorder(**fields):
    backorder = backorder_make(variant_make(), 2, **fields)
    backorder_event_record(backorder=backorder, kind="captured", actor="bigcommerce")
    return backorder


def send() -> dict:
    return dict(sender.webhook_deliveries_send())


def due_now() -> None:
    """The retry's time has come (instead of waiting for the schedule)."""
    WebhookDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_subscribing_shows_the_secret_once(store, receiver):
    created = subscribe(store, receiver)

    assert created["secret"].startswith("whsec_") and created["events"] == ["backorder.created"]
    assert created["enabled"] is True
    shown = owner_api(store).get(f"/api/v1/webhooks/{created['id']}/").json()
    listed = owner_api(store).get("/api/v1/webhooks/").json()
    assert "secret" not in shown and listed["count"] == 1 and "secret" not in listed["results"][0]
    with connection.cursor() as cursor:  # the raw column, not the decrypting field
        cursor.execute(f"SELECT secret FROM {WebhookEndpoint._meta.db_table}")
        (stored,) = cursor.fetchone()
    assert created["secret"] not in stored and len(stored) > 60  # encrypted at rest


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://192.168.0.10/hook", "https://[::1]/hook",
    "https://169.254.169.254/latest/meta-data", "https://localhost/hook", "https://erp.internal/hook",
    "http://erp.example.com/hook", "https://user:pass@erp.example.com/hook", "ftp://erp.example.com/",
])  # fmt: skip
def test_targets_on_loopback_or_private_networks_are_refused(store, url):
    response = owner_api(store).post("/api/v1/webhooks/", {"url": url, "events": ["backorder.shipped"]},
                                     content_type="application/json")  # fmt: skip
    assert response.status_code == 400 and "url" in response.json()["fields"]


def test_loopback_and_private_targets_are_allowed_only_with_debug_on(settings):
    """The demo and the tests point webhooks, Slack and Teams at the sandbox on loopback: DEBUG on allows it (or
    OUTBOUND_PRIVATE_TARGETS, whose default is DEBUG); in production both are off and such targets are refused."""
    from notifications.webhooks import targets

    settings.DEBUG, settings.OUTBOUND_PRIVATE_TARGETS = False, False
    for url in ("http://127.0.0.1:8000/hook", "https://10.0.0.5/hook", "https://localhost/hook"):
        with pytest.raises(targets.TargetRefused):
            targets.url_validate(url)
    settings.DEBUG = True
    assert targets.url_validate("http://127.0.0.1:8000/hook") == "http://127.0.0.1:8000/hook"
    assert targets.url_validate("https://10.0.0.5/hook") == "https://10.0.0.5/hook"


def test_a_public_name_that_resolves_to_a_private_address_is_refused_when_sending(store, monkeypatch):
    endpoint = services.endpoint_create(url="https://erp.example.com/hook", events=["backorder.created"])
    resolve = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: resolve("127.0.0.1", *a, **k)
                        if host == "erp.example.com" else resolve(host, *a, **k))  # fmt: skip
    new_backorder()

    send()

    row = WebhookDelivery.objects.get(endpoint=endpoint)
    assert row.status == "pending" and row.response_status is None
    assert "resolves to an address on a private network (127.0.0.1)" in row.error


def test_a_delivery_is_signed_so_the_standardwebhooks_library_verifies_it(store, receiver, sandbox):
    secret = subscribe(store, receiver)["secret"]
    backorder = new_backorder(customer_email="ada@example.com")

    assert send() == {"delivered": 1, "requeued": 0}

    (request,) = sandbox.receiver_requests("erp")
    body = request["body"].encode()
    payload = Webhook(secret).verify(body, request["headers"])
    assert payload["type"] == "backorder.created" and set(payload) == {"type", "timestamp", "data"}
    assert payload["data"]["backorder"]["id"] == backorder.pk
    assert set(payload["data"]["backorder"]) == set(BackorderOutputSerializer().fields)
    assert request["headers"]["webhook-id"] == WebhookDelivery.objects.get().message_id
    with pytest.raises(WebhookVerificationError):  # another store's secret does not verify it
        Webhook(services.signing.secret_new()).verify(body, request["headers"])


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try_once(store, receiver, sandbox):
    subscribe(store, receiver)
    sandbox.receiver_configure("erp", fail_times=2, fail_status=503)
    new_backorder()

    assert send()["retry"] == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.next_attempt_at - delivery.updated_at == timedelta(seconds=5)  # the schedule's first wait
    assert send() == {"requeued": 0}  # not due yet: nothing sent
    due_now()
    assert send()["retry"] == 1
    due_now()
    assert send()["delivered"] == 1
    due_now()
    send()

    requests = sandbox.receiver_requests("erp")
    assert [r["answered"] for r in requests] == [503, 503, 200]
    assert len({r["headers"]["webhook-id"] for r in requests}) == 1  # one id, kept across retries
    assert len({r["body"] for r in requests}) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, [a["status"] for a in delivery.attempt_log]) == (
        "delivered",
        3,
        [503, 503, 200],
    )


def test_a_delivery_whose_sender_died_is_sent_again_with_the_same_id_after_the_timeout(store, receiver, sandbox):
    subscribe(store, receiver)
    new_backorder()
    (claimed,) = sender._claim()  # the sender claimed it (committed: `sending`) and died before its request
    assert WebhookDelivery.objects.get().status == "sending"

    assert send() == {"requeued": 0}  # a live sender may still hold it: left alone
    WebhookDelivery.objects.update(claimed_at=timezone.now() - sender.SENDING_TIMEOUT - timedelta(seconds=1))
    assert send() == {"requeued": 1, "delivered": 1}
    send()

    (request,) = sandbox.receiver_requests("erp")
    assert request["headers"]["webhook-id"] == claimed.message_id
    assert WebhookDelivery.objects.get().status == "delivered"


def test_an_endpoint_failing_its_whole_retry_schedule_is_switched_off_and_the_merchant_told(store, receiver, sandbox):
    created = subscribe(store, receiver)
    sandbox.receiver_configure("erp", fail_times=1000, fail_status=500)
    new_backorder()
    assert sum(sender.SCHEDULE, timedelta()) >= timedelta(hours=24)  # retried for at least a day

    send()
    new_backorder()  # recorded while it is still on: waiting when the endpoint is switched off
    later = WebhookDelivery.objects.order_by("id").last()
    for _ in range(sender.MAX_ATTEMPTS - 1):
        due_now()
        WebhookDelivery.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
        send()

    first = WebhookDelivery.objects.order_by("id").first()
    assert (first.status, first.attempts) == ("failed", sender.MAX_ATTEMPTS)
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert not endpoint.enabled and "Switched off automatically" in endpoint.disabled_reason
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"failed"}
    alert = Notification.objects.get(kind="merchant_webhook_disabled")
    assert alert.recipient == store.owner.email and alert.context["url"] == receiver
    new_backorder()
    assert WebhookDelivery.objects.count() == 2  # nothing more for an endpoint that is off
    shown = owner_api(store).get(f"/api/v1/webhooks/{created['id']}/").json()
    assert shown["enabled"] is False and shown["disabled_reason"]


def test_replay_sends_the_same_message_again_and_the_log_shows_every_attempt(store, receiver, sandbox):
    created = subscribe(store, receiver)
    new_backorder()
    send()
    delivery = WebhookDelivery.objects.get()

    api = owner_api(store)
    replayed = api.post(f"/api/v1/webhooks/{created['id']}/deliveries/{delivery.pk}/replay/")
    assert replayed.status_code == 202 and replayed.json()["status"] == "pending"
    again = api.post(f"/api/v1/webhooks/{created['id']}/deliveries/{delivery.pk}/replay/")
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    send()

    first, second = sandbox.receiver_requests("erp")
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] and first["body"] == second["body"]
    log = api.get(f"/api/v1/webhooks/{created['id']}/deliveries/").json()
    assert log["count"] == 1 and log["results"][0]["status"] == "delivered"
    detail = api.get(f"/api/v1/webhooks/{created['id']}/deliveries/{delivery.pk}/").json()
    assert len(detail["attempt_log"]) == 2 and json.loads(detail["body"])["type"] == "backorder.created"


def test_the_test_button_sends_one_signed_test_event(store, receiver, sandbox):
    created = subscribe(store, receiver, events=[])
    response = owner_api(store).post(f"/api/v1/webhooks/{created['id']}/test/")
    assert response.status_code == 202

    send()

    (request,) = sandbox.receiver_requests("erp")
    payload = Webhook(created["secret"]).verify(request["body"].encode(), request["headers"])
    assert payload["type"] == "webhook.test" and "backorder" in payload["data"]


def test_a_test_event_to_a_receiver_that_fails_is_tried_once_and_reported(store, receiver, sandbox):
    created = subscribe(store, receiver, events=[])
    sandbox.receiver_configure("erp", fail_times=5, fail_status=404)
    owner_api(store).post(f"/api/v1/webhooks/{created['id']}/test/")

    send()
    due_now()
    send()

    assert len(sandbox.receiver_requests("erp")) == 1
    assert WebhookDelivery.objects.get().status == "failed"
    assert WebhookEndpoint.objects.get().enabled  # a test counts for nothing


def test_a_rotated_secret_signs_alongside_the_old_one_for_a_day(store, receiver, sandbox):
    created = subscribe(store, receiver)
    rotated = owner_api(store).post(f"/api/v1/webhooks/{created['id']}/rotate-secret/").json()
    assert rotated["secret"] != created["secret"] and rotated["secret_rotated_until"]
    new_backorder()
    send()

    (request,) = sandbox.receiver_requests("erp")
    for secret in (created["secret"], rotated["secret"]):
        Webhook(secret).verify(request["body"].encode(), request["headers"])
    WebhookEndpoint.objects.update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    endpoint = WebhookEndpoint.objects.get()
    assert services.signing_secrets(endpoint) == [rotated["secret"]]


def test_switching_an_endpoint_off_fails_its_waiting_deliveries_and_stops_new_ones(store, receiver, sandbox):
    created = subscribe(store, receiver)
    new_backorder()
    response = owner_api(store).patch(f"/api/v1/webhooks/{created['id']}/", {"enabled": False},
                                      content_type="application/json")  # fmt: skip
    assert response.status_code == 200 and response.json()["disabled_reason"]
    new_backorder()
    send()

    assert sandbox.receiver_requests("erp") == []
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["failed"]


def test_staff_may_look_but_only_the_owner_or_a_token_may_subscribe(store, receiver):
    from stores import api_tokens
    from stores.team import team_member_add

    staff = team_member_add(store=store, email="staff@example.com", role="staff", added_by=store.owner).user
    as_staff = store_client(store, signed_in_as=staff)
    assert as_staff.get("/api/v1/webhooks/").status_code == 200
    refused = as_staff.post("/api/v1/webhooks/", {"url": receiver, "events": []}, content_type="application/json")
    assert refused.status_code == 403
    _token, plaintext = api_tokens.api_token_create(store=store, name="ERP", created_by=store.owner)
    from django.test import Client

    erp = Client(HTTP_HOST=store.host, HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert erp.post("/api/v1/webhooks/", {"url": receiver, "events": ["backorder.shipped"]},
                    content_type="application/json").status_code == 201  # fmt: skip


def test_unknown_event_types_are_refused_and_the_catalog_lists_every_type(store, receiver):
    api = owner_api(store)
    bad = api.post("/api/v1/webhooks/", {"url": receiver, "events": ["order.exploded"]},
                   content_type="application/json")  # fmt: skip
    assert bad.status_code == 400
    types = [row["type"] for row in api.get("/api/v1/webhooks/event-types/").json()]
    assert {"backorder.created", "backorder.allocated", "backorder.shipped", "backorder.cancelled",
            "backorder.date_changed"} <= set(types)  # fmt: skip


def test_every_payload_sent_is_the_one_documented_and_versioned_in_the_merchant_schema(store, receiver):
    """The merchant OpenAPI schema documents each body as a callback of `POST /api/v1/webhooks/` (version 1), every
    event type is in one of them, and what is recorded for each kind of event has exactly the documented fields."""
    from backorder.models import PurchaseOrderLine, StockAlertSubscription
    from backorder.services.purchase_orders import LineInput, purchase_order_create
    from notifications.automations import catalog, recording
    from notifications.automations.models import AutomationEvent
    from notifications.automations.scheduled import scheduled_events_record

    schema = owner_api(store).get("/api/schema/?format=json").json()
    callbacks = schema["paths"]["/api/v1/webhooks/"]["post"]["callbacks"]
    assert set(callbacks) == {"backorder_events_v1", "purchase_order_events_v1", "variant_events_v1",
                              "stock_alert_events_v1"}  # fmt: skip
    documented: dict[str, dict] = {}
    for callback in callbacks.values():
        (operation,) = [path["post"] for path in callback.values()]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("WebhookV1")
        for event_type in operation["summary"].removeprefix("Webhook: ").split(", "):
            assert event_type not in documented
            documented[event_type] = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(documented) == set(catalog.TRIGGER_NAMES) | {catalog.TEST_EVENT}

    def fields(component: dict) -> dict:
        """A component's properties, nested objects (and arrays of objects) as their own property names."""
        shown = {}
        for name, prop in component["properties"].items():
            target = prop.get("items", prop)
            if "$ref" in target:
                shown[name] = fields(schema["components"]["schemas"][target["$ref"].rsplit("/", 1)[1]])
            else:
                shown[name] = None
        return shown

    def shape(value) -> dict | None:
        if isinstance(value, list):
            return shape(value[0]) if value else None
        return {k: shape(v) for k, v in value.items()} if isinstance(value, dict) else None

    services.endpoint_create(url=receiver, events=list(catalog.TRIGGER_NAMES))
    today = timezone.localdate()
    variant = variant_make(on_hand=0)
    backorder = new_backorder()
    order = purchase_order_create(lines=[LineInput(variant_id=variant.bigcommerce_id, quantity=5,
                                                   expected_date=today + timedelta(days=3))],
                                  supplier="Acme", reference="PO-7", today=today)  # fmt: skip
    PurchaseOrderLine.objects.filter(purchase_order=order).update(expected_date=today - timedelta(days=2))
    scheduled_events_record()
    product_id = variant.product.bigcommerce_id
    subscription = StockAlertSubscription.objects.create(
        email="ada@example.com", product_id=product_id, variant_id=variant.bigcommerce_id, locale="en"
    )
    recording.on_stock_alert_subscribed(subscription=subscription)
    recording.on_restocked(variant_ids=[variant.bigcommerce_id])

    recorded = {event.type: event.data for event in AutomationEvent.objects.all()}
    assert {"backorder.created", "purchase_order.overdue", "stock_alert.subscribed", "variant.back_in_stock"} <= set(
        recorded
    )
    for event_type, data in recorded.items():
        assert shape(data) == fields(documented[event_type])["data"], event_type
    assert recorded["backorder.created"]["backorder"]["id"] == backorder.pk
    assert recorded["purchase_order.overdue"]["lines"][0]["quantity_outstanding"] == 5
