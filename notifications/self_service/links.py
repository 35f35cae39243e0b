"""The self-service link every shopper e-mail carries.

A link carries its (order, address) version; the sender reads the versions of a whole batch of e-mails in
one query (`access_versions_prefetched`) instead of one per e-mail. The prefetch lives only while that
batch renders, so a revocation (a version bump) reaches the next batch like it reached the next e-mail.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connection

from notifications.self_service.models import SelfServiceAccess
from notifications.self_service.tokens import link_token_make

Pair = tuple[int, str]  # (order id, lower-cased address)

_prefetched: ContextVar[dict[Pair, int] | None] = ContextVar("self_service_versions", default=None)


def _pair(order_id: int, email: str) -> Pair:
    return int(order_id), email.strip().lower()


def access_version(*, order_id: int, email: str) -> int:
    """The version new links of this order and address carry (0 until a link was first revoked)."""
    prefetched = _prefetched.get()
    pair = _pair(order_id, email)
    if prefetched is not None and pair in prefetched:
        return prefetched[pair]
    version = (
        SelfServiceAccess.objects.filter(order_id=pair[0], email=pair[1]).values_list("version", flat=True).first()
    )
    return version or 0


def access_versions(pairs: Iterable[tuple[int, str]]) -> dict[Pair, int]:
    """The versions of many (order, address) pairs in one query; every pair asked for is in the answer."""
    wanted = {_pair(order_id, email) for order_id, email in pairs if order_id and email}
    if not wanted:
        return {}
    versions = dict.fromkeys(wanted, 0)
    rows = SelfServiceAccess.objects.filter(
        order_id__in={order_id for order_id, _ in wanted}, email__in={email for _, email in wanted}
    ).values_list("order_id", "email", "version")
    for order_id, email, version in rows:
        if (order_id, email) in versions:  # the two IN lists also match pairs nobody asked for
            versions[(order_id, email)] = version
    return versions


@contextmanager
def access_versions_prefetched(pairs: Iterable[tuple[int, str]]) -> Iterator[dict[Pair, int]]:
    """While the block runs, links of these pairs take their version from one query made here; other pairs
    are still looked up one by one."""
    token = _prefetched.set(access_versions(pairs))
    try:
        yield _prefetched.get() or {}
    finally:
        _prefetched.reset(token)


def self_service_url(*, order_id: int, email: str) -> str:
    """The absolute URL of the shopper's self-service page for this order, on the public host.

    Call it inside the store's schema (an e-mail being rendered for that store). One query, none inside
    `access_versions_prefetched` for a pair it fetched.
    """
    schema_name = connection.schema_name
    if schema_name == settings.PUBLIC_SCHEMA_NAME:
        raise RuntimeError("self_service_url needs a store's schema to be active.")
    token = link_token_make(
        schema_name=schema_name, order_id=order_id, email=email, version=access_version(order_id=order_id, email=email)
    )
    return f"{settings.APP_BASE_URL}/s/{token}/"
