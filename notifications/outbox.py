"""The outbox: an e-mail the app owes is a row written in the transaction of the change that causes it.

`notification_enqueue` is the one way in. The row commits or rolls back with the change; the sender
(notifications/sending.py) is woken after the commit and a per-minute sweep catches anything it missed.
The idempotency key `<kind>:<subject>` is unique, so a second enqueue of the same message (a webhook
redelivered, a task run twice) finds the first row instead of making a second e-mail.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from notifications import kinds
from notifications.models import Notification, Unsubscribe

_TABLE = Notification._meta.db_table
_INSERT_SQL = f"""
    INSERT INTO {_TABLE}
        (kind, idempotency_key, recipient, language, status, attempts, next_attempt_at, last_error, context,
         backorder_id, order_id, subject, body_text, body_html, message_id, is_test, created_at, updated_at)
    VALUES (%s, %s, %s, %s, %s, 0, now(), '', %s::jsonb, %s, %s, '', '', '', '', %s, now(), now())
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, created_at
"""


def idempotency_key(kind: str, key: str) -> str:
    return f"{kind}:{key}"[:200]


def notification_enqueue(
    *,
    kind: str,
    key: str,
    to: str,
    language: str = "",
    context: dict,
    backorder=None,
    order_id: int | None = None,
    is_test: bool = False,
) -> Notification | None:
    """Owe `to` one e-mail of `kind` about `key` (an order, a backorder and its date, a subscription, …).

    Written in the caller's transaction; the same (kind, key) a second time returns the first row unchanged.
    An address unsubscribed from the kind's scope (non-transactional kinds only) gets a `suppressed` row, kept
    so the log shows why nothing went out. Returns None when there is nobody to write to.
    `is_test`: a test e-mail the merchant asked for (notifications/sample_email.py), filled with sample data.
    """
    spec = kinds.get(kind)
    recipient = (to or "").strip()
    if not recipient:
        return None
    status = Notification.Status.PENDING
    if spec.unsubscribe_scope and unsubscribed(email=recipient, scope=spec.unsubscribe_scope):
        status = Notification.Status.SUPPRESSED
    full_key = idempotency_key(kind, key)
    backorder_id = getattr(backorder, "pk", backorder)
    if order_id is None and backorder is not None and hasattr(backorder, "order_id"):
        order_id = backorder.order_id
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_SQL,
            [kind, full_key, recipient, language[:10], status, json.dumps(context, cls=DjangoJSONEncoder),
             backorder_id, order_id, is_test],
        )  # fmt: skip
        inserted = cursor.fetchone()
    if inserted is None:
        return Notification.objects.filter(idempotency_key=full_key).first()
    if status == Notification.Status.PENDING:
        sender_wake()
    notification = Notification(
        kind=kind, idempotency_key=full_key, recipient=recipient, language=language[:10], status=status,
        context=context, backorder_id=backorder_id, order_id=order_id, is_test=is_test,
    )  # fmt: skip
    notification.pk, notification.created_at = inserted
    notification.updated_at = notification.next_attempt_at = notification.created_at
    return notification


def unsubscribed(*, email: str, scope: str) -> bool:
    return Unsubscribe.objects.filter(email=email.strip().lower(), scope__in=[scope, kinds.SCOPE_ALL]).exists()


class _Wake:
    """After the commit, queue one sender run for the store (one per transaction, however many rows)."""

    def __init__(self, schema_name: str):
        self.schema_name = schema_name

    def __call__(self) -> None:
        from django_q.tasks import async_task

        async_task("notifications.tasks.notifications_send", schema_name=self.schema_name)


def sender_wake() -> None:
    """Wake the store's sender after the current transaction commits (at once outside a transaction)."""
    schema_name = connection.schema_name
    if schema_name == settings.PUBLIC_SCHEMA_NAME:
        raise RuntimeError("Notifications belong to a store: no store's schema is active.")
    pending = getattr(connection, "run_on_commit", None) or []
    if any(isinstance(func, _Wake) and func.schema_name == schema_name for _, func, *_ in pending):
        return
    transaction.on_commit(_Wake(schema_name))
