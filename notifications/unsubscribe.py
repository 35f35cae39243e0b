"""Unsubscribing from non-transactional mail (back-in-stock alerts, notify-me confirmations, incentives).

Every such e-mail carries a signed link (`/u/<token>/` on the public host) in its footer and in the
`List-Unsubscribe` header, with `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): a mail
client's one-click POST unsubscribes at once; a person opening the link gets a confirmation page first
(link scanners only GET). The token is signed with its own salt and names the store's schema, the
address and the scope; it does not expire (an old e-mail's link must keep working).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from notifications import kinds
from notifications.models import Notification, Unsubscribe

SALT = "notifications.unsubscribe.v1"


class BadUnsubscribeLink(Exception):
    """Not a link we made (tampered, truncated, or signed with a key we no longer have)."""


@dataclass(frozen=True)
class UnsubscribeClaims:
    schema_name: str
    email: str
    scope: str


def unsubscribe_token_make(*, schema_name: str, email: str, scope: str) -> str:
    return signing.dumps({"s": schema_name, "e": email.strip().lower(), "c": scope}, salt=SALT, compress=True)


def unsubscribe_token_read(token: str) -> UnsubscribeClaims:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature as exc:
        raise BadUnsubscribeLink("bad signature") from exc
    if not isinstance(data, dict) or data.get("c") not in kinds.UNSUBSCRIBE_SCOPES or not data.get("e"):
        raise BadUnsubscribeLink("bad claims")
    if data.get("s") in (None, "", settings.PUBLIC_SCHEMA_NAME):
        raise BadUnsubscribeLink("no store")
    return UnsubscribeClaims(schema_name=data["s"], email=data["e"], scope=data["c"])


def unsubscribe_url(*, store, email: str, scope: str) -> str:
    token = unsubscribe_token_make(schema_name=store.schema_name, email=email, scope=scope)
    return f"{settings.APP_BASE_URL}/u/{token}/"


@transaction.atomic
def unsubscribe_record(*, email: str, scope: str, source: str) -> Unsubscribe:
    """The address gets no more mail of `scope` from this store (call inside the store's schema): the
    unsubscribe is recorded once, mail of that scope not yet sent is suppressed, and notify-me sign-ups
    stop waiting for an alert. Doing it twice changes nothing more."""
    email = email.strip().lower()
    row, _ = Unsubscribe.objects.get_or_create(email=email, scope=scope, defaults={"source": source[:40]})
    scopes = {kinds.SCOPE_ALL, scope} if scope != kinds.SCOPE_ALL else set(kinds.UNSUBSCRIBE_SCOPES)
    scoped = [name for name, k in kinds.KINDS.items() if k.unsubscribe_scope in scopes]
    Notification.objects.filter(recipient__iexact=email, kind__in=scoped, status=Notification.Status.PENDING).update(
        status=Notification.Status.SUPPRESSED, last_error="The address unsubscribed.", updated_at=timezone.now()
    )
    if scope in (kinds.SCOPE_ALL, kinds.SCOPE_STOCK_ALERTS):
        from backorder.models import StockAlertSubscription

        StockAlertSubscription.objects.filter(email__iexact=email, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
    return row
