"""The webhook sender: takes due deliveries, signs them, POSTs them, records the answer, retries, gives up.

Rules:
- Claimed in batches with `SELECT … FOR UPDATE SKIP LOCKED`, marked `sending` and committed before any
  request. A 2xx answer delivers; anything else (another status, no connection, a timeout, an address that is
  not allowed) is a failed attempt, tried again after the Standard Webhooks schedule: 5 s, 5 min, 30 min,
  2 h, 5 h, 10 h, 10 h (8 attempts over about 27 hours). The body and `webhook-id` are the same every time.
- A sender that died leaves the row `sending`; after SENDING_TIMEOUT it is sent again (at least once: the
  receiver dedupes on `webhook-id`).
- An endpoint that failed a delivery's whole schedule with no success since that delivery began has been
  failing for over a day: it is switched off, its waiting deliveries fail, and the merchant is alerted once.
- Within a batch, an endpoint that did not answer gets no more tries in that batch: its other deliveries wait
  for the same moment as the first (a dead receiver costs one timeout per batch, not one per event).
- Test events (`webhook.test`) get one attempt and count for nothing (the endpoint may be off).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.automations import catalog
from notifications.webhooks import payloads, signing, targets
from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint
from notifications.webhooks.services import signing_secrets

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
SCHEDULE = [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
            timedelta(hours=5), timedelta(hours=10), timedelta(hours=10)]  # fmt: skip
MAX_ATTEMPTS = len(SCHEDULE) + 1
BATCH = 50
ROUNDS = 40
SENDING_TIMEOUT = timedelta(minutes=10)
LOG_ENTRIES = 10
USER_AGENT = "Backorder-Webhooks/1.0"


def webhook_deliveries_send(*, on_backlog=None) -> Counter:
    """Send the current store's due deliveries. Safe to run twice, or twice at once (SKIP LOCKED)."""
    outcome: Counter = Counter()
    stale_deliveries_resolve(outcome)
    http = targets.session()
    try:
        for round_number in range(ROUNDS):
            rows = _claim()
            if not rows:
                break
            if round_number == 0 and len(rows) == BATCH and on_backlog is not None:
                on_backlog()
            _send_batch(rows, http=http, outcome=outcome)
    finally:
        http.close()
    return outcome


def _claim() -> list[WebhookDelivery]:
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event")
            .filter(status=Status.PENDING, next_attempt_at__lte=timezone.now())
            .filter(Q(endpoint__enabled=True, endpoint__deleted_at__isnull=True) | Q(event__type=catalog.TEST_EVENT))
            .order_by("next_attempt_at", "id")[:BATCH]
        )
        if rows:
            now = timezone.now()
            WebhookDelivery.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
            )
            for row in rows:
                row.attempts += 1
    return rows


def _send_batch(rows: list[WebhookDelivery], *, http, outcome: Counter) -> None:
    unreachable: dict[int, object] = {}  # endpoint id -> when its failed delivery is tried again
    for row in rows:
        if row.endpoint_id in unreachable and row.event.type != catalog.TEST_EVENT:
            WebhookDelivery.objects.filter(pk=row.pk).update(
                status=Status.PENDING, attempts=F("attempts") - 1, next_attempt_at=unreachable[row.endpoint_id],
                updated_at=timezone.now(),
            )  # fmt: skip
            outcome["deferred"] += 1
            continue
        result, retry_at = _send(row, http=http)
        outcome[result] += 1
        if result in ("retry", "failed") and retry_at is not None:
            unreachable[row.endpoint_id] = retry_at


def _send(row: WebhookDelivery, *, http) -> tuple[str, object]:
    endpoint, event = row.endpoint, row.event
    body = payloads.body(event_type=event.type, occurred_at=event.occurred_at, data=event.data)
    stamp = int(time.time())
    headers = {**signing.headers(secrets_=signing_secrets(endpoint), message_id=row.message_id, timestamp=stamp,
                                 body=body), "User-Agent": USER_AGENT}  # fmt: skip
    started = time.monotonic()
    status, text, error = None, "", ""
    try:
        answer = targets.post(endpoint.url, body=body, headers=headers, http=http)
        status, text = answer.status, answer.text
        if not 200 <= status < 300:
            error = f"The endpoint answered {status}."
    except targets.TargetRefused as exc:
        error = str(exc)
    except (targets.NotSent, targets.SentWithoutAnswer) as exc:
        error = str(exc)
    elapsed = int((time.monotonic() - started) * 1000)
    now = timezone.now()
    entry = {"at": now.isoformat(), "status": status, "ms": elapsed, "error": error[:300]}
    log = ([*row.attempt_log, entry])[-LOG_ENTRIES:]
    common = {"response_status": status, "response_body": text[:2000], "error": error[:2000], "attempt_log": log,
              "updated_at": now}  # fmt: skip
    test = event.type == catalog.TEST_EVENT
    if not error:
        WebhookDelivery.objects.filter(pk=row.pk).update(status=Status.DELIVERED, delivered_at=now, **common)
        if not test:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).filter(
                Q(last_success_at__isnull=True)
                | Q(last_success_at__lt=now - timedelta(seconds=30))
                | Q(failing_since__isnull=False)
            ).update(last_success_at=now, failing_since=None)
        return "delivered", None
    if test or row.attempts >= MAX_ATTEMPTS:
        WebhookDelivery.objects.filter(pk=row.pk).update(status=Status.FAILED, **common)
        if not test:
            _failing(endpoint, now)
            _disable_if_failing(endpoint, since=row.created_at)
        return "failed", None
    retry_at = now + SCHEDULE[row.attempts - 1]
    WebhookDelivery.objects.filter(pk=row.pk).update(status=Status.PENDING, next_attempt_at=retry_at, **common)
    _failing(endpoint, now)
    return "retry", retry_at


def _failing(endpoint: WebhookEndpoint, now) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)


def _disable_if_failing(endpoint: WebhookEndpoint, *, since) -> bool:
    """Switch the endpoint off when nothing reached it since `since` (the start of a delivery that just used
    up its whole schedule), fail its waiting deliveries and alert the merchant once."""
    from notifications.alerts import merchant_alert

    with transaction.atomic():
        fresh = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if not fresh.enabled or (fresh.last_success_at is not None and fresh.last_success_at >= since):
            return False
        now = timezone.now()
        failing_since = fresh.failing_since or since
        fresh.enabled, fresh.disabled_at = False, now
        fresh.disabled_reason = (f"Switched off automatically: every delivery failed since "
                                 f"{failing_since:%Y-%m-%d %H:%M} UTC.")  # fmt: skip
        fresh.save(update_fields=["enabled", "disabled_at", "disabled_reason", "updated_at"])
        WebhookDelivery.objects.filter(endpoint=fresh, status=Status.PENDING).update(
            status=Status.FAILED, error="The endpoint was switched off after failing for over a day.", updated_at=now
        )
        merchant_alert(
            kind="merchant_webhook_disabled", key=f"endpoint:{fresh.pk}:{int(now.timestamp())}",
            context={"url": fresh.url, "since": failing_since.isoformat(), "endpoint_id": fresh.pk},
        )  # fmt: skip
        from notifications.automations.recording import ruleset_forget

        ruleset_forget()
    logger.warning("Webhook endpoint %s switched off after failing since %s", fresh.pk, failing_since)
    return True


def stale_deliveries_resolve(outcome: Counter | None = None) -> Counter:
    """Deliveries left `sending` by a sender that died: sent again (same id)."""
    outcome = outcome if outcome is not None else Counter()
    cutoff = timezone.now() - SENDING_TIMEOUT
    outcome["requeued"] += WebhookDelivery.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff).update(
        status=Status.PENDING, next_attempt_at=timezone.now(), updated_at=timezone.now()
    )
    return outcome
