"""Verifying BigCommerce's control-panel callbacks (`signed_payload_jwt` of load, uninstall, remove-user)."""

from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction

from stores.models import CallbackTokenUse

# BigCommerce stamps nbf = iat - 5 s; clocks drift a little more than that.
CLOCK_LEEWAY_SECONDS = 60
REQUIRED_CLAIMS = ["aud", "iss", "iat", "nbf", "exp", "jti", "sub", "user"]


class InvalidCallback(Exception):
    """The callback cannot be trusted (bad signature or claims, replayed, or for no installed store)."""


@dataclass(frozen=True)
class CallbackClaims:
    store_hash: str
    user_id: int
    user_email: str
    user_locale: str
    owner_id: int | None
    owner_email: str
    url: str
    channel_id: int | None
    jti: str
    expires_at: datetime


def callback_verify(token: str) -> CallbackClaims:
    """HS256 only, signed with our client secret, `aud` = our client id, `iss` = "bc", in its time window."""
    if not token:
        raise InvalidCallback("signed_payload_jwt is missing")
    try:
        claims = jwt.decode(
            token,
            settings.BIGCOMMERCE_CLIENT_SECRET,
            algorithms=["HS256"],
            audience=settings.BIGCOMMERCE_CLIENT_ID,
            issuer="bc",
            leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise InvalidCallback(f"signed_payload_jwt rejected: {exc}") from None
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub.startswith("stores/") or len(sub) <= len("stores/"):
        raise InvalidCallback("signed_payload_jwt has no store in `sub`")
    user = claims.get("user") or {}
    owner = claims.get("owner") or {}
    try:
        user_id = int(user["id"])
    except (KeyError, TypeError, ValueError):
        raise InvalidCallback("signed_payload_jwt has no user id") from None
    return CallbackClaims(
        store_hash=sub.removeprefix("stores/"),
        user_id=user_id,
        user_email=str(user.get("email") or ""),
        user_locale=str(user.get("locale") or ""),
        owner_id=int(owner["id"]) if owner.get("id") is not None else None,
        owner_email=str(owner.get("email") or ""),
        url=str(claims.get("url") or "/"),
        channel_id=claims.get("channel_id"),
        jti=str(claims["jti"]),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
    )


def callback_token_consume(claims: CallbackClaims) -> None:
    """A callback token works once: its `jti` is recorded, and a second use is refused."""
    try:
        with transaction.atomic():
            CallbackTokenUse.objects.create(jti=claims.jti, store_hash=claims.store_hash, expires_at=claims.expires_at)
    except IntegrityError:
        raise InvalidCallback("signed_payload_jwt was already used") from None
