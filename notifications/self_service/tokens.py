"""Self-service link tokens: signed (Django's signing, its own salt), carrying the store's schema, the order, a digest
of the shopper's e-mail address, the access version and when the link was made.

The address itself is not in the token (links end up in logs and browser histories): the page finds the
order's backorders whose address has that digest. Rotating SECRET_KEY (with SECRET_KEY_FALLBACKS) keeps
links working until the old key is dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from django.core import signing

SALT = "notifications.self_service.link.v1"


class BadLink(Exception):
    """The token was not made by us (tampered, truncated, or signed with a key we no longer have)."""


@dataclass(frozen=True)
class LinkClaims:
    schema_name: str
    order_id: int
    email_digest: str
    version: int
    issued_at: int  # seconds since the epoch

    def matches(self, email: str) -> bool:
        return hmac.compare_digest(email_digest(email), self.email_digest)


def email_digest(email: str) -> str:
    """A short, stable digest of an e-mail address (case-insensitive)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:20]


def link_token_make(*, schema_name: str, order_id: int, email: str, version: int, now: float | None = None) -> str:
    payload = {"s": schema_name, "o": order_id, "e": email_digest(email), "v": version, "t": int(now or time.time())}
    return signing.Signer(salt=SALT).sign_object(payload, compress=True)


def link_token_read(token: str) -> LinkClaims:
    """The claims of an authentic token (expiry and revocation are the caller's business: see access.py)."""
    try:
        payload = signing.Signer(salt=SALT).unsign_object(token)
        return LinkClaims(
            schema_name=str(payload["s"]),
            order_id=int(payload["o"]),
            email_digest=str(payload["e"]),
            version=int(payload["v"]),
            issued_at=int(payload["t"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadLink(str(exc)) from exc
