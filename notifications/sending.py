"""The sender: takes due outbox rows, renders them, hands them to SMTP and records what happened.

No e-mail is lost or sent twice:
- Rows are claimed in batches with `SELECT … FOR UPDATE SKIP LOCKED` (two senders never take the same
  row), marked `sending` and committed before any SMTP traffic.
- Right before its hand-off a row records `handed_off_at` (and what it says); right after, `sent` with the
  Message-ID. A row found `sending` later than SENDING_TIMEOUT (longer than any task may run) had a sender
  that died: handed off → `unknown`, never resent automatically (staff resend it with one click, which makes
  a new row); not handed off → pending again.
- A failure before the hand-off (rendering, connecting, the server refusing the message) puts the row back
  to pending with an exponential backoff; after MAX_ATTEMPTS it is `failed` (visible to the merchant and
  staff). What the message was about having gone (erased, deleted) cancels it.
- One SMTP connection per batch; every message has a plain-text and an HTML part; non-transactional mail
  carries `List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
"""

from __future__ import annotations

import logging
import smtplib
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from backorder import texts
from notifications import kinds
from notifications.models import Notification
from notifications.rendering import RenderedMessage, branding, render_message, template_for
from notifications.sample_email import TEST_SUBJECT_PREFIX
from notifications.self_service.links import access_versions_prefetched
from notifications.variables import NothingToSend, variables_for

logger = logging.getLogger(__name__)

Status = Notification.Status
BATCH = 100
ROUNDS = 100  # bounded: one run sends at most ROUNDS * BATCH messages, the next run goes on
MAX_ATTEMPTS = 6
SENDING_TIMEOUT = timedelta(minutes=10)  # > Q_CLUSTER timeout: no live sender holds a row this long


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8, 16 minutes … (at most 6 hours) between tries."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 6 * 3600))


def notifications_send(*, store=None, connection_factory=get_connection, on_backlog=None) -> Counter:
    """Send the current store's due e-mails (inside its schema). Safe to run twice, or twice at once (rows
    are claimed with SKIP LOCKED): `on_backlog` is called once when the first claim fills a whole batch, so
    the caller can start a second sender on the rest (a restock of 1,000 backorders sends in parallel)."""
    from notifications.alerts import current_store

    store = store or current_store()
    outcome: Counter = Counter()
    stale_sending_resolve(outcome)
    for round_number in range(ROUNDS):
        rows = _claim()
        if not rows:
            break
        if round_number == 0 and len(rows) == BATCH and on_backlog is not None:
            on_backlog()
        _send_batch(rows, store=store, outcome=outcome, connection_factory=connection_factory)
    return outcome


def _claim() -> list[Notification]:
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("backorder")
            .filter(status=Status.PENDING, next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at", "id")[:BATCH]
        )
        if rows:
            now = timezone.now()
            Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=Status.SENDING, claimed_at=now, handed_off_at=None, attempts=F("attempts") + 1, updated_at=now
            )
            for row in rows:
                row.attempts += 1
    return rows


def _language(row: Notification, store) -> str:
    return texts.language_for(row.language, getattr(store, "language", "") or "en")


def _render(row: Notification, *, store, templates: dict) -> RenderedMessage:
    """Render one row; `templates` caches the run's templates and branding (one query each, not per e-mail)."""
    language = _language(row, store)
    template = templates.get((row.kind, language))
    if template is None:
        template = templates[(row.kind, language)] = template_for(kind=row.kind, language=language)
    if "brand" not in templates:
        templates["brand"] = branding(store)
    variables = variables_for(row, store=store, language=language)
    rendered = render_message(kind=row.kind, language=language, context=variables, store=store, template=template,
                              brand=templates["brand"])  # fmt: skip
    if row.is_test:
        rendered = replace(rendered, subject=f"{TEST_SUBJECT_PREFIX}{rendered.subject}")
    return rendered


def _message(row: Notification, rendered: RenderedMessage, *, store) -> tuple[EmailMultiAlternatives, str]:
    """The e-mail as SMTP gets it: plain text and HTML, a Message-ID we record, and for non-transactional mail
    the one-click unsubscribe headers (RFC 8058)."""
    spec = kinds.get(row.kind)
    unsubscribe = None
    if spec.unsubscribe_scope:
        from notifications.unsubscribe import unsubscribe_url

        unsubscribe = unsubscribe_url(store=store, email=row.recipient, scope=spec.unsubscribe_scope)
    _, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = from_address.rpartition("@")[2] or settings.PUBLIC_HOST
    message_id = make_msgid(idstring=f"n{row.pk}", domain=domain)
    headers = {"Message-ID": message_id, "X-Backorder-Notification": f"{store.schema_name}:{row.pk}"}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=formataddr((store.name, from_address)) if store.name else settings.DEFAULT_FROM_EMAIL,
        to=[row.recipient],
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message, message_id


def _self_service_pairs(rows: list[Notification]) -> list[tuple[int, str]]:
    """The (order, address) of every shopper e-mail of the batch, whose self-service link it carries."""
    pairs = []
    for row in rows:
        spec = kinds.KINDS.get(row.kind)  # an unknown kind fails in its own rendering, not here
        if row.is_test or spec is None or spec.audience != kinds.SHOPPER:
            continue
        if row.backorder is not None:
            pairs.append((row.backorder.order_id, row.backorder.customer_email))
        elif row.order_id:
            pairs.append((row.order_id, row.recipient))
    return pairs


def _send_batch(rows: list[Notification], *, store, outcome: Counter, connection_factory) -> None:
    templates: dict = {}
    ready: list[tuple[Notification, RenderedMessage]] = []
    # One query for the batch's self-service link versions, not one per e-mail.
    with access_versions_prefetched(_self_service_pairs(rows)):
        for row in rows:
            try:
                ready.append((row, _render(row, store=store, templates=templates)))
            except NothingToSend as exc:
                _finish(row, Status.CANCELLED, error=str(exc))
                outcome["cancelled"] += 1
            except Exception as exc:  # a template or data problem: retried later, failed in the end, never lost
                logger.exception("Rendering notification %s failed", row.pk)
                outcome[_retry_later(row, f"Rendering failed: {type(exc).__name__}: {exc}")] += 1
    if not ready:
        return
    handed: set[int] = set()
    try:
        connection = connection_factory(fail_silently=False)
        connection.open()
    except Exception as exc:  # nothing was handed off: all of them go back to pending
        for row, _ in ready:
            outcome[_retry_later(row, f"SMTP connection failed: {type(exc).__name__}: {exc}")] += 1
        return
    try:
        messages = [(row, rendered, *_message(row, rendered, store=store)) for row, rendered in ready]
        for index, (row, rendered, message, message_id) in enumerate(messages):
            if row.pk not in handed:
                _record_handoff(row, rendered)
                handed.add(row.pk)
            try:
                connection.send_messages([message])
            except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
                # The server answered "no": it does not have the message, so it may be tried again.
                _handoff_undo(row)
                handed.discard(row.pk)
                outcome[_retry_later(row, f"SMTP refused it: {exc}")] += 1
                connection = _reconnect(connection, connection_factory)
                if connection is None:
                    break
                continue
            except Exception as exc:  # cut off mid-conversation: the server may or may not have it
                _finish(row, Status.UNKNOWN, error=f"Hand-off interrupted: {type(exc).__name__}: {exc}")
                outcome["unknown"] += 1
                connection = _reconnect(connection, connection_factory)
                if connection is None:
                    break
                continue
            following = messages[index + 1] if index + 1 < len(messages) else None
            _record_sent(row, message_id, next_handoff=following[:2] if following else None)
            if following:
                handed.add(following[0].pk)
            outcome["sent"] += 1
    finally:
        # Rows never handed off (an error above ended the batch early) are not at risk of a duplicate.
        unsent = [row.pk for row, _ in ready if row.pk not in handed]
        if unsent:
            Notification.objects.filter(pk__in=unsent, status=Status.SENDING, handed_off_at__isnull=True).update(
                status=Status.PENDING, updated_at=timezone.now()
            )
        if connection is not None:
            try:
                connection.close()
            except Exception:  # closing a broken connection must not hide what happened above
                logger.warning("Closing the SMTP connection failed", exc_info=True)


def _reconnect(connection, connection_factory):
    """A fresh connection after an SMTP error (the old one may be in any state); None when the server is gone
    (the rest of the batch then goes back to pending)."""
    try:
        connection.close()
    except Exception:
        logger.warning("Closing the SMTP connection failed", exc_info=True)
    try:
        fresh = connection_factory(fail_silently=False)
        fresh.open()
    except Exception:
        logger.warning("Reconnecting to the SMTP server failed", exc_info=True)
        return None
    return fresh


def _handoff_values(rendered: RenderedMessage, now) -> dict:
    return {"handed_off_at": now, "subject": rendered.subject[:300], "body_text": rendered.text,
            "body_html": rendered.html}  # fmt: skip


def _record_handoff(row: Notification, rendered: RenderedMessage) -> None:
    """Just before SMTP gets it: from now on a crash leaves the outcome unknown (and what it said on record)."""
    now = timezone.now()
    Notification.objects.filter(pk=row.pk).update(**_handoff_values(rendered, now), updated_at=now)


def _handoff_undo(row: Notification) -> None:
    Notification.objects.filter(pk=row.pk).update(handed_off_at=None)


def _only_for(pk: int, field: str, value) -> Case:
    """`value` for the row `pk`, the column unchanged for the other row of the statement."""
    output = Notification._meta.get_field(field)
    return Case(When(pk=pk, then=Value(value, output_field=output)), default=F(field), output_field=output)


def _record_sent(
    row: Notification, message_id: str, *, next_handoff: tuple[Notification, RenderedMessage] | None = None
) -> None:
    """The server has it: `sent`. The next message's hand-off is recorded by the same statement (one round
    trip per e-mail instead of two; each row still changes only when its own step happened)."""
    now = timezone.now()
    sent = {"status": Status.SENT, "sent_at": now, "message_id": message_id[:300], "last_error": ""}
    if next_handoff is None:
        Notification.objects.filter(pk=row.pk).update(**sent, updated_at=now)
        return
    following, rendered = next_handoff
    handoff = _handoff_values(rendered, now)
    Notification.objects.filter(pk__in=[row.pk, following.pk]).update(
        **{field: _only_for(row.pk, field, value) for field, value in sent.items()},
        **{field: _only_for(following.pk, field, value) for field, value in handoff.items()},
        updated_at=now,
    )  # fmt: skip


def _finish(row: Notification, status: str, *, error: str) -> None:
    Notification.objects.filter(pk=row.pk).update(status=status, last_error=error[:2000], updated_at=timezone.now())


def _retry_later(row: Notification, error: str) -> str:
    """Back to pending after a backoff, or `failed` after the last attempt. Returns the new status."""
    now = timezone.now()
    if row.attempts >= MAX_ATTEMPTS:
        Notification.objects.filter(pk=row.pk).update(
            status=Status.FAILED, last_error=error[:2000], handed_off_at=None, updated_at=now
        )
        return Status.FAILED
    Notification.objects.filter(pk=row.pk).update(
        status=Status.PENDING, last_error=error[:2000], next_attempt_at=now + retry_delay(row.attempts),
        handed_off_at=None, updated_at=now,
    )  # fmt: skip
    return "retry"


def stale_sending_resolve(outcome: Counter | None = None) -> Counter:
    """Rows left `sending` by a sender that died: handed off → unknown (never resent by itself); not handed
    off → pending again."""
    outcome = outcome if outcome is not None else Counter()
    cutoff = timezone.now() - SENDING_TIMEOUT
    stale = Notification.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff)
    outcome["unknown"] += stale.filter(handed_off_at__isnull=False).update(
        status=Status.UNKNOWN,
        last_error="The sender stopped after handing the message to SMTP and before recording the result.",
        updated_at=timezone.now(),
    )
    outcome["requeued"] += stale.filter(handed_off_at__isnull=True).update(
        status=Status.PENDING, next_attempt_at=timezone.now(), updated_at=timezone.now()
    )
    return outcome


RESENDABLE = (Status.UNKNOWN, Status.FAILED)


class NotResendable(ValueError):
    pass


@transaction.atomic
def notification_resend(*, notification: Notification, requested_by: str) -> Notification:
    """Staff or the merchant send an `unknown` or `failed` e-mail again: a new row (the original keeps its
    history), pending at once. Asking twice for the same original makes one resend."""
    original = Notification.objects.select_for_update().get(pk=notification.pk)
    if original.status not in RESENDABLE:
        raise NotResendable(f"Only e-mails whose outcome is unknown or that failed can be resent; this one is "
                            f"{original.get_status_display().lower()}.")  # fmt: skip
    existing = original.resends.order_by("-id").first()
    if existing is not None and existing.status not in RESENDABLE:
        return existing
    number = original.resends.count() + 1
    from notifications.outbox import sender_wake

    resend = Notification.objects.create(
        kind=original.kind,
        idempotency_key=f"{original.idempotency_key}"[:180] + f":resend:{number}",
        recipient=original.recipient,
        language=original.language,
        context=original.context,
        backorder_id=original.backorder_id,
        order_id=original.order_id,
        resend_of=original,
        is_test=original.is_test,
        next_attempt_at=timezone.now(),
        last_error=f"Resent by {requested_by}"[:2000],
    )
    sender_wake()
    return resend
