"""Test e-mails: the merchant sends one kind of e-mail, filled with sample data, to an address, to see it as a
shopper (or they) would. (Named "sample" in code: pytest takes any `test*` name for a test.)

A test e-mail is an ordinary outbox row (notifications/outbox.py), so it is sent, logged and retried like
any e-mail, rendered by the sender from the store's current wording of the kind. It is marked `is_test`:
the sender fills it with the kind's sample data (the template editor's preview data) and starts its subject
with "[Test] ", and nothing that counts shopper e-mails counts it. A store may send SAMPLE_EMAILS_PER_HOUR of
them in any hour (the rows of the last hour are counted, so the limit holds across processes).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from notifications import kinds
from notifications.models import Notification
from notifications.outbox import notification_enqueue

TEST_SUBJECT_PREFIX = "[Test] "
SAMPLE_EMAILS_PER_HOUR = 10
DEFAULT_SAMPLE_KIND = "backorder_confirmation"


class SampleEmailThrottled(Exception):
    """The store sent SAMPLE_EMAILS_PER_HOUR test e-mails in the last hour."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        minutes = max(1, round(retry_after / 60))
        super().__init__(
            f"This store sent {SAMPLE_EMAILS_PER_HOUR} test e-mails in the last hour; "
            f"try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )


@transaction.atomic
def sample_email_send(
    *, to: str, kind: str = DEFAULT_SAMPLE_KIND, language: str = "", requested_by: str = ""
) -> Notification:
    """Owe `to` a test e-mail of `kind`: the store's current wording in `language` ('' = the store's
    language), filled with the kind's sample data, through the outbox like any e-mail (an address that
    unsubscribed from the kind gets a `suppressed` row, as always). Raises kinds.UnknownKind for a kind that
    does not exist, SampleEmailThrottled past the hourly limit."""
    kinds.get(kind)
    if not to.strip():
        raise ValueError("A test e-mail needs an address to go to.")
    now = timezone.now()
    with connection.cursor() as cursor:  # one sender at a time per store, so the limit is exact
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}:test_email"])
    window = now - timedelta(hours=1)
    recent = list(
        Notification.objects.filter(is_test=True, created_at__gte=window)
        .order_by("created_at")
        .values_list("created_at", flat=True)[:SAMPLE_EMAILS_PER_HOUR]
    )
    if len(recent) >= SAMPLE_EMAILS_PER_HOUR:
        raise SampleEmailThrottled(retry_after=max(1, int((recent[0] + timedelta(hours=1) - now).total_seconds())))
    return notification_enqueue(
        kind=kind, key=f"test:{uuid.uuid4().hex}", to=to, language=language,
        context={"requested_by": requested_by[:200]}, is_test=True,
    )  # fmt: skip


def sample_emails_sent() -> QuerySet[Notification]:
    """The store's test e-mails that reached the SMTP server (the onboarding's "sent yourself one" step)."""
    return Notification.objects.filter(is_test=True, status=Notification.Status.SENT)
