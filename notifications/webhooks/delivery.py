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
- A batch is sent in waves of CONCURRENCY requests at once (the requests run in threads, the database work
  stays in the task's thread: one statement per wave). An endpoint that did not answer gets no more tries in
  that batch: its other deliveries wait for the same moment as the first (a dead receiver costs a wave's
  timeout per batch, not one per event).
- Test events (`webhook.test`) get one attempt and count for nothing (the endpoint may be off).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
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
CONCURRENCY = 8  # requests in flight at once (each to its own receiver or the same one)
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
    """Send a claimed batch in waves of CONCURRENCY requests at once; each wave's results are written in one
    statement. A receiver that did not answer gets no more tries in this batch: its other deliveries wait for
    the same moment as its failed one."""
    unreachable: dict[int, object] = {}  # endpoint id -> when its failed delivery is tried again
    with ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="webhook") as pool:
        for start in range(0, len(rows), CONCURRENCY):
            wave, deferred = [], []
            for row in rows[start : start + CONCURRENCY]:
                if row.endpoint_id in unreachable and row.event.type != catalog.TEST_EVENT:
                    deferred.append(row)
                else:
                    wave.append(row)
            for row in deferred:
                WebhookDelivery.objects.filter(pk=row.pk).update(
                    status=Status.PENDING, attempts=F("attempts") - 1, next_attempt_at=unreachable[row.endpoint_id],
                    updated_at=timezone.now(),
                )  # fmt: skip
                outcome["deferred"] += 1
            attempts = list(pool.map(lambda row: _attempt(row, http=http), wave))
            for result, retry_at, row in _record(attempts):
                outcome[result] += 1
                if result in ("retry", "failed") and retry_at is not None:
                    unreachable[row.endpoint_id] = retry_at


@dataclass
class Attempt:
    row: WebhookDelivery
    at: object
    status: int | None
    text: str
    error: str
    elapsed_ms: int


def _attempt(row: WebhookDelivery, *, http) -> Attempt:
    """One signed POST (no database: it runs in a worker thread)."""
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
    except (targets.TargetRefused, targets.NotSent, targets.SentWithoutAnswer) as exc:
        error = str(exc)
    return Attempt(row=row, at=timezone.now(), status=status, text=text, error=error,
                   elapsed_ms=int((time.monotonic() - started) * 1000))  # fmt: skip


_RECORD_SQL = f"""
    UPDATE {WebhookDelivery._meta.db_table} d
    SET status = r.status, delivered_at = COALESCE(r.delivered_at, d.delivered_at),
        next_attempt_at = COALESCE(r.next_attempt_at, d.next_attempt_at), response_status = r.response_status,
        response_body = r.response_body, error = r.error, attempt_log = r.attempt_log, updated_at = r.at
    FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, status text, delivered_at timestamptz,
         next_attempt_at timestamptz, response_status int, response_body text, error text, attempt_log jsonb,
         at timestamptz)
    WHERE d.id = r.id
"""


def _record(attempts: list[Attempt]) -> list[tuple[str, object, WebhookDelivery]]:
    """Write a wave's outcomes (one statement), then what they mean for their endpoints: a success clears its
    failing streak; a delivery out of attempts may switch its endpoint off."""
    rows, results, reached, failing, exhausted = [], [], set(), set(), []
    for a in attempts:
        row, test = a.row, a.row.event.type == catalog.TEST_EVENT
        entry = {"at": a.at.isoformat(), "status": a.status, "ms": a.elapsed_ms, "error": a.error[:300]}
        values = {"id": row.pk, "response_status": a.status, "response_body": a.text[:2000], "error": a.error[:2000],
                  "attempt_log": [*row.attempt_log, entry][-LOG_ENTRIES:], "at": a.at, "delivered_at": None,
                  "next_attempt_at": None}  # fmt: skip
        if not a.error:
            values.update(status=Status.DELIVERED, delivered_at=a.at)
            results.append(("delivered", None, row))
            if not test:
                reached.add(row.endpoint_id)
        elif test or row.attempts >= MAX_ATTEMPTS:
            values["status"] = Status.FAILED
            results.append(("failed", None, row))
            if not test:
                failing.add(row.endpoint_id)
                exhausted.append(row)
        else:
            retry_at = a.at + SCHEDULE[row.attempts - 1]
            values.update(status=Status.PENDING, next_attempt_at=retry_at)
            results.append(("retry", retry_at, row))
            failing.add(row.endpoint_id)
        rows.append(values)
    if rows:
        with connection.cursor() as cursor:
            cursor.execute(_RECORD_SQL, [json.dumps(rows, cls=DjangoJSONEncoder)])
    now = timezone.now()
    if reached:
        WebhookEndpoint.objects.filter(pk__in=reached).filter(
            Q(last_success_at__isnull=True) | Q(last_success_at__lt=now - timedelta(seconds=30))
            | Q(failing_since__isnull=False)
        ).update(last_success_at=now, failing_since=None)  # fmt: skip
    if failing - reached:
        WebhookEndpoint.objects.filter(pk__in=failing - reached, failing_since__isnull=True).update(failing_since=now)
    for row in exhausted:
        _disable_if_failing(row.endpoint, since=row.created_at)
    return results


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
