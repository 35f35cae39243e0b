"""The webhook inbox: authenticate, store once, acknowledge at once; process later in the store's schema.

Domain apps register handlers by scope pattern (`store/product/*`); a handler receives every due event
of its scopes in one batch, so it can coalesce bursts (ten stock changes of one product: one re-read).
"""

import base64
import fnmatch
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from stores import tenancy
from stores.models import Store

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Backorder-Webhook-Secret"
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 256 * 1024

Handler = Callable[[Store, list[dict]], None]
_handlers: list[tuple[str, Handler]] = []


def register_webhook_handler(scope_pattern: str) -> Callable[[Handler], Handler]:
    """Register `handler(store, payloads)` for the scopes matching `scope_pattern` (shell-style `*`)."""

    def register(handler: Handler) -> Handler:
        if (scope_pattern, handler) not in _handlers:
            _handlers.append((scope_pattern, handler))
        return handler

    return register


def handlers_for(scope: str) -> list[Handler]:
    return [handler for pattern, handler in _handlers if fnmatch.fnmatchcase(scope, pattern)]


def webhook_secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _signature_valid(headers, raw_body: bytes) -> bool:
    """Standard Webhooks: v1 = base64(HMAC-SHA256(client secret, "{id}.{timestamp}.{body}"))."""
    msg_id, timestamp, signatures = (
        headers.get("webhook-id"),
        headers.get("webhook-timestamp"),
        headers.get("webhook-signature"),
    )
    if not (msg_id and timestamp and signatures):
        return False
    try:
        if abs(time.time() - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
            return False
    except ValueError:
        return False
    signed = f"{msg_id}.{timestamp}.".encode() + raw_body
    expected = base64.b64encode(
        hmac.new(settings.BIGCOMMERCE_CLIENT_SECRET.encode(), signed, hashlib.sha256).digest()
    ).decode()
    for candidate in signatures.split():
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


def webhook_authentic(*, store: Store, headers, raw_body: bytes) -> bool:
    """Authentic = the per-store secret header we registered with the hook, or a valid signature."""
    secret = headers.get(SECRET_HEADER)
    if (
        secret
        and store.webhook_secret_digest
        and hmac.compare_digest(webhook_secret_digest(secret), store.webhook_secret_digest)
    ):
        return True
    return _signature_valid(headers, raw_body)


def dedupe_key(*, store_hash: str, payload: dict, webhook_id: str | None) -> str:
    """The `webhook-id` when sent; else (store, scope, created_at, hash), since `hash` repeats per entity."""
    if webhook_id:
        return f"id:{webhook_id}"[:200]
    parts = [store_hash, str(payload.get("scope")), str(payload.get("created_at")), str(payload.get("hash"))]
    return "h:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Receipt:
    status: int
    message: str
    error: str = ""  # a machine-readable code, on the refusals that have one

    def as_json(self) -> dict:
        return {"error": self.error, "message": self.message} if self.error else {"message": self.message}


def webhook_body_limit() -> int:
    """The largest body the inbox takes: its own limit, or Django's DATA_UPLOAD_MAX_MEMORY_SIZE when that is
    lower (Django refuses to read a bigger body at all, with an HTML 400)."""
    django_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return MAX_BODY_BYTES if django_limit is None else min(MAX_BODY_BYTES, django_limit)


def body_too_large(*, size: int) -> Receipt:
    limit = webhook_body_limit()
    in_kb = f"{limit // 1024} KB " if limit % 1024 == 0 else ""
    return Receipt(
        413,
        f"The webhook body ({size:,} bytes) is over the {in_kb}limit ({limit:,} bytes).",
        error="payload_too_large",
    )


def webhook_receive(*, raw_body: bytes, headers) -> Receipt:
    """Everything the acknowledgement does: find the store, check authenticity, store the event once."""
    if len(raw_body) > webhook_body_limit():
        return body_too_large(size=len(raw_body))
    try:
        payload = json.loads(raw_body)
    except ValueError:
        return Receipt(400, "Body is not JSON.")
    if not isinstance(payload, dict) or not isinstance(payload.get("scope"), str):
        return Receipt(400, "Body is not a BigCommerce webhook (no scope).")
    producer = payload.get("producer")
    store_hash = producer.removeprefix("stores/") if isinstance(producer, str) else ""
    store = tenancy.store_for_bigcommerce_hash(store_hash) if store_hash else None
    if store is None or not store.is_active or store.connection == Store.Connection.UNINSTALLED:
        logger.info("Webhook %s for unknown or inactive store %r ignored", payload.get("scope"), store_hash)
        return Receipt(200, "Ignored: no active store.")
    if not webhook_authentic(store=store, headers=headers, raw_body=raw_body):
        logger.warning("Webhook %s for store %s refused: not authentic", payload.get("scope"), store_hash)
        return Receipt(401, "Not authentic: missing or wrong secret header and signature.")
    key = dedupe_key(store_hash=store_hash, payload=payload, webhook_id=headers.get("webhook-id"))
    event_store(store=store, scope=payload["scope"], payload=payload, key=key)
    return Receipt(200, "Stored.")


# One statement, one round trip: store the event unless it is a redelivery and, when it is new and no
# processing is queued for the store yet, mark processing as queued (WebhookDrainQueued).
_STORE_EVENT_SQL = """
WITH event AS (
    INSERT INTO public.stores_webhookevent
        (store_id, dedupe_key, scope, payload, received_at, status, attempts, next_attempt_at, last_error)
    VALUES (%(store)s, %(key)s, %(scope)s, %(payload)s, now(), 'pending', 0, now(), '')
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id
), wake AS (
    INSERT INTO public.stores_webhookdrainqueued (store_id, queued_at)
    SELECT %(store)s, now() WHERE EXISTS (SELECT 1 FROM event)
    ON CONFLICT (store_id) DO NOTHING
    RETURNING store_id
)
SELECT (SELECT count(*) FROM event), (SELECT count(*) FROM wake)
"""


def event_store(*, store: Store, scope: str, payload: dict, key: str) -> bool:
    """Store an event once (by its dedupe key) and see that it gets processed; True when it is new."""
    with connection.cursor() as cursor:
        cursor.execute(
            _STORE_EVENT_SQL, {"store": store.pk, "key": key, "scope": scope[:100], "payload": json.dumps(payload)}
        )
        is_new, must_queue = cursor.fetchone()
    if must_queue:
        processing_queue(store=store)
    return bool(is_new)


def processing_queue(*, store: Store) -> None:
    from django_q.tasks import async_task

    async_task("stores.bigcommerce.tasks.webhook_events_process", store_id=store.pk, schema_name=store.schema_name)
