"""Opening a self-service link: which store, which order, whose lines, and whether the link still works.

Rules (docs/notifications-self-service.md):
- authentic: signed by us with the self-service salt (tokens.py), else *bad* (404);
- the store exists and is active, else *gone* (410);
- not revoked: the link's version is the access's current one (support staff or an erasure bump it);
- not expired: a link works while any line of the order is open, then for LINK_TTL_AFTER_FINAL after the last
  line shipped or was cancelled, and never longer than LINK_MAX_AGE after it was made;
- the order still has lines for the address the link was made for (an erased shopper's lines do not).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from backorder.models import Backorder
from notifications.self_service.links import access_version
from notifications.self_service.tokens import BadLink, LinkClaims, link_token_read
from stores.models import Store

LINK_TTL_AFTER_FINAL = timedelta(days=180)
LINK_MAX_AGE = timedelta(days=730)
OPEN = (Backorder.Status.WAITING, Backorder.Status.ALLOCATED)


class LinkProblem(Exception):
    """Why a link does not open; `reason` picks the page the shopper sees."""

    status = 404

    def __init__(self, reason: str, *, store: Store | None = None, renewable: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.store = store
        self.renewable = renewable  # an authentic, expired link may ask for a fresh one by e-mail


class LinkGone(LinkProblem):
    status = 410


@dataclass
class OpenedLink:
    claims: LinkClaims
    store: Store
    email: str
    backorders: list[Backorder]


def link_claims(token: str) -> LinkClaims:
    try:
        return link_token_read(token)
    except BadLink as exc:
        raise LinkProblem("bad") from exc


def link_store(claims: LinkClaims) -> Store:
    """The store the link was made in (public schema; the caller then enters the store's schema)."""
    if claims.schema_name == settings.PUBLIC_SCHEMA_NAME:
        raise LinkProblem("bad")
    store = Store.objects.merchants().filter(schema_name=claims.schema_name).first()
    if store is None:
        raise LinkProblem("bad")
    if not store.is_active:
        raise LinkGone("store_inactive", store=store)
    return store


def link_lines(*, claims: LinkClaims, store: Store) -> list[Backorder]:
    """The order's lines for the link's address, unless the link was revoked (call inside the store's schema)."""
    order = Backorder.objects.filter(order_id=claims.order_id).order_by("id")
    lines = [backorder for backorder in order if claims.matches(backorder.customer_email)]
    if not lines:
        raise LinkGone("no_order", store=store)
    if claims.version < access_version(order_id=claims.order_id, email=lines[0].customer_email):
        raise LinkGone("revoked", store=store)
    return lines


def link_open(*, claims: LinkClaims, store: Store, now: float | None = None) -> OpenedLink:
    """The order's lines for the link's address, if the link still works (call inside the store's schema)."""
    now = now or time.time()
    lines = link_lines(claims=claims, store=store)
    email = lines[0].customer_email.strip().lower()
    if now - claims.issued_at > LINK_MAX_AGE.total_seconds() or _all_final_long_ago(lines, now):
        raise LinkGone("expired", store=store, renewable=any(b.status in OPEN for b in lines))
    return OpenedLink(claims=claims, store=store, email=email, backorders=lines)


def _all_final_long_ago(lines: list[Backorder], now: float) -> bool:
    if any(b.status in OPEN for b in lines):
        return False
    ended = [b.shipped_at or b.cancelled_at or b.updated_at for b in lines]
    return now - max(ended).timestamp() > LINK_TTL_AFTER_FINAL.total_seconds()
