"""Webhook endpoints: subscribe, change, rotate the secret, delete, send a test event, replay a delivery."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from notifications.automations import catalog
from notifications.automations.models import AutomationEvent
from notifications.automations.recording import _wake, ruleset_forget
from notifications.webhooks import signing, targets
from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint

EVENT_TYPES = tuple(catalog.TRIGGERS)
ROTATION_OVERLAP = timedelta(hours=24)  # the previous secret keeps signing this long after a rotation
MAX_ENDPOINTS = 20


def endpoints() -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(deleted_at__isnull=True).order_by("id"))


def endpoint_get(pk: int) -> WebhookEndpoint:
    return WebhookEndpoint.objects.get(pk=pk, deleted_at__isnull=True)


def _events_validate(events) -> list[str]:
    if not isinstance(events, list) or any(not isinstance(e, str) for e in events):
        raise ValidationError({"events": ["A list of event types."]})
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise ValidationError({"events": [f"Unknown event type(s): {', '.join(unknown)}."]})
    return sorted(set(events), key=EVENT_TYPES.index)


def _url_validate(url: str) -> str:
    try:
        return targets.url_validate(url)
    except targets.TargetRefused as exc:
        raise ValidationError({"url": [str(exc)]}) from None


@transaction.atomic
def endpoint_create(*, url: str, events: list[str], enabled: bool = True, description: str = "") -> WebhookEndpoint:
    """Subscribe `url` to `events`; the secret is new, shown once (in the answer to this call), stored
    encrypted. The URL must be one the app may send to (targets.py)."""
    url = _url_validate(url)
    events = _events_validate(events)
    if WebhookEndpoint.objects.filter(deleted_at__isnull=True).count() >= MAX_ENDPOINTS:
        raise ValidationError({"url": [f"A store has at most {MAX_ENDPOINTS} webhook endpoints."]})
    endpoint = WebhookEndpoint.objects.create(url=url, events=events, enabled=enabled, description=description.strip(),
                                              secret=signing.secret_new())  # fmt: skip
    ruleset_forget()
    return endpoint


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, url: str | None = None, events: list[str] | None = None,
                    enabled: bool | None = None, description: str | None = None) -> WebhookEndpoint:  # fmt: skip
    """Change what the endpoint gets. Switching it on again clears the reason it was switched off; switching it
    off makes its deliveries still waiting `failed` (the log keeps them, replay sends one again)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    fields = ["updated_at"]
    if url is not None:
        endpoint.url = _url_validate(url)
        fields.append("url")
    if events is not None:
        endpoint.events = _events_validate(events)
        fields.append("events")
    if description is not None:
        endpoint.description = description.strip()
        fields.append("description")
    if enabled is not None and enabled != endpoint.enabled:
        endpoint.enabled = enabled
        fields.append("enabled")
        if enabled:
            endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = "", None, None
        else:
            endpoint.disabled_reason, endpoint.disabled_at = "Switched off by the merchant.", timezone.now()
        fields += ["disabled_reason", "disabled_at", "failing_since"]
    endpoint.save(update_fields=fields)
    if not endpoint.enabled:
        _pending_fail(endpoint, "The endpoint was switched off.")
    ruleset_forget()
    return endpoint


def _pending_fail(endpoint: WebhookEndpoint, reason: str) -> int:
    now = timezone.now()
    return WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED, error=reason, updated_at=now
    )


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Stop sending to it and forget its secrets; its log rows stay until the housekeeping removes them."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        deleted_at=timezone.now(), enabled=False, secret="", previous_secret="", updated_at=timezone.now()
    )
    _pending_fail(endpoint, "The endpoint was deleted.")
    ruleset_forget()


@transaction.atomic
def endpoint_secret_rotate(*, endpoint: WebhookEndpoint) -> tuple[WebhookEndpoint, str]:
    """A new secret, shown once; the old one keeps signing (as a second signature) for 24 hours so the
    receiver can switch without losing a message."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    new = signing.secret_new()
    endpoint.previous_secret, endpoint.secret = endpoint.secret, new
    endpoint.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
    endpoint.save(update_fields=["previous_secret", "secret", "previous_secret_expires_at", "updated_at"])
    return endpoint, new


def signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The secrets that sign a message now: the current one, and the previous one during its overlap."""
    current = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and \
            endpoint.previous_secret_expires_at > timezone.now():  # fmt: skip
        current.append(endpoint.previous_secret)
    return current


_DELIVERY_SQL = f"""
    INSERT INTO {WebhookDelivery._meta.db_table}
        (endpoint_id, event_id, message_id, status, attempts, next_attempt_at, response_body, error, attempt_log,
         created_at, updated_at)
    VALUES (%(endpoint)s, %(event)s, 'msg_' || md5(%(schema)s || ':' || %(event)s || ':' || %(endpoint)s), 'pending',
            0, now(), '', '', '[]'::jsonb, now(), now())
    ON CONFLICT (endpoint_id, event_id) DO NOTHING
"""


def delivery_for_event(*, endpoint_id: int, event: AutomationEvent) -> WebhookDelivery:
    """The delivery of `event` to the endpoint (made now, or the one already there); the sender is woken after
    the commit. A deleted or switched-off endpoint refuses (the rule's step fails with this reason)."""
    from notifications.automations.actions import StepFailed

    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, deleted_at__isnull=True).first()
    if endpoint is None:
        raise StepFailed(f"Webhook endpoint {endpoint_id} no longer exists.")
    if not endpoint.enabled:
        raise StepFailed(f"Webhook endpoint {endpoint.url} is switched off.")
    with connection.cursor() as cursor:
        cursor.execute(_DELIVERY_SQL, {"endpoint": endpoint.pk, "event": event.pk, "schema": connection.schema_name})
        made = cursor.rowcount
    if made:
        _wake("notifications.webhooks.tasks.webhook_deliveries_send")
    return WebhookDelivery.objects.get(endpoint=endpoint, event=event)


@transaction.atomic
def endpoint_test_send(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event to this endpoint only (also when it is switched off, to check it before switching
    it on): the store's latest backorder as the example, else a made-up one."""
    from backorder.models import Backorder
    from notifications.webhooks.payloads import backorder_data

    backorder = Backorder.objects.order_by("-id").first()
    data = backorder_data(backorder) if backorder is not None else _sample_backorder()
    now = timezone.now()
    event = AutomationEvent.objects.create(
        key=f"test:{endpoint.pk}:{now.timestamp():.6f}", type=catalog.TEST_EVENT, occurred_at=now, data=data,
        facts={}, origin=[],
    )  # fmt: skip
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=event,
        message_id=_message_id(),
        next_attempt_at=now,
    )
    _wake("notifications.webhooks.tasks.webhook_deliveries_send")
    return delivery


def _message_id() -> str:
    import uuid

    return f"msg_{uuid.uuid4().hex}"


def _sample_backorder() -> dict:
    today = timezone.localdate()
    return {"backorder": {
        "id": 0, "order_id": 100, "order_line_id": 1, "order_created_at": timezone.now().isoformat(),
        "product_id": 111, "variant_id": 67, "sku": "SAMPLE-1", "product_name": "Sample product", "quantity": 2,
        "quantity_allocated": 0, "quantity_shipped": 0, "status": "waiting",
        "expected_ship_date": (today + timedelta(days=14)).isoformat(), "promised_ship_date": None,
        "customer_email": "shopper@example.com", "customer_name": "Sample Shopper",
        "shipping_preference": "together", "unit_price": "10.0000", "currency": "USD",
        "created_at": timezone.now().isoformat(),
    }}  # fmt: skip


class DeliveryNotReplayable(ValueError):
    pass


@transaction.atomic
def delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivered or failed delivery again, as it was (same `webhook-id`, same body): the receiver
    dedupes on the id if it already has it. The endpoint must exist and be on."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    if delivery.status not in (WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED):
        raise DeliveryNotReplayable("This delivery is still on its way; it cannot be replayed yet.")
    if delivery.endpoint.deleted_at is not None or not delivery.endpoint.enabled:
        raise DeliveryNotReplayable("The endpoint is switched off; switch it on to replay deliveries.")
    delivery.status, delivery.attempts, delivery.next_attempt_at = WebhookDelivery.Status.PENDING, 0, timezone.now()
    delivery.error = "Replayed by the merchant."
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "error", "updated_at"])
    _wake("notifications.webhooks.tasks.webhook_deliveries_send")
    return delivery
