"""Per-store API tokens for integrations (an ERP, a script). Each function states its rule in its docstring.

A token is shown once, when it is made; only its SHA-256 digest is stored, and tokens are never logged.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from stores.models import ApiToken, Store, User

TOKEN_PREFIX = "bo_"
LAST_USED_PRECISION = timedelta(minutes=1)


def api_token_digest(*, token: str) -> str:
    """The SHA-256 hex digest a token is stored and looked up by (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, store: Store, name: str, created_by: User | None) -> tuple[ApiToken, str]:
    """Make a token for the store's integrations; the plaintext is returned once and never stored."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        store=store,
        name=name.strip()[:100],
        prefix=plaintext[:8],
        token_hash=api_token_digest(token=plaintext),
        created_by=created_by,
    )
    return token, plaintext


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """A revoked token stops working at once and for good; revoking it again changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=token.revoked_at)
    return token


def api_token_for(*, token: str) -> ApiToken | None:
    """The live (not revoked) token with this plaintext, with its store, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    return (
        ApiToken.objects.select_related("store")
        .filter(token_hash=api_token_digest(token=token), revoked_at__isnull=True)
        .first()
    )


def api_token_mark_used(*, token: ApiToken) -> None:
    """Record when a token was last used, at most once a minute per token (a busy ERP must not write on
    every request)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - LAST_USED_PRECISION).update(last_used_at=now)
    token.last_used_at = now
