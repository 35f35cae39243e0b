"""Finding the store a request is for, without asking the database on a warm request.

Two levels: each web process keeps what it looked up for TENANT_CACHE_LOCAL_TTL seconds; behind it, the
shared cache (Redis when REDIS_URL is set) holds the answer until the store or one of its domains
changes, when stores.signals deletes it. So every process sees a change within the local TTL.
"""

import threading
import time

from django.conf import settings
from django.core.cache import cache

from stores.models import Domain, Store

_LOCAL_MAX_ENTRIES = 10_000
_MISSING = "missing"
_local: dict[str, tuple[float, dict | str]] = {}
_local_lock = threading.Lock()


def host_key(hostname: str) -> str:
    return f"tenancy:host:{hostname.lower()}"


def public_key_key(public_key: str) -> str:
    return f"tenancy:pk:{public_key}"


# Secrets never go into a cache: an instance built from the cache loads them from the database if asked.
CACHED_FIELDS = [f.attname for f in Store._meta.concrete_fields if f.name not in {"access_token", "webhook_secret"}]


def _store_fields(store: Store) -> dict:
    return {name: store.__dict__[name] for name in CACHED_FIELDS}


def _store_from_fields(fields: dict) -> Store:
    store = Store.from_db("default", list(fields), list(fields.values()))
    return store


def _lookup(cache_key: str, load) -> Store | None:
    now = time.monotonic()
    entry = _local.get(cache_key)
    if entry is not None and entry[0] > now:
        value = entry[1]
    else:
        value = cache.get(cache_key)
        if value is None:
            store = load()
            value = _store_fields(store) if store is not None else _MISSING
            if store is not None:
                cache.set(cache_key, value, settings.TENANT_CACHE_SHARED_TTL)
        with _local_lock:
            if len(_local) >= _LOCAL_MAX_ENTRIES:
                _local.clear()
            _local[cache_key] = (now + settings.TENANT_CACHE_LOCAL_TTL, value)
    return None if value == _MISSING else _store_from_fields(value)


def store_for_host(hostname: str) -> Store | None:
    """The store (or the public tenant) whose domain is `hostname`."""

    def load():
        domain = Domain.objects.select_related("tenant").filter(domain=hostname.lower()).first()
        return domain.tenant if domain else None

    return _lookup(host_key(hostname), load)


def store_for_public_key(public_key: str) -> Store | None:
    """The merchant store that owns a storefront public key."""

    def load():
        return Store.objects.merchants().filter(public_key=public_key).first()

    return _lookup(public_key_key(public_key), load)


def bigcommerce_hash_key(store_hash: str) -> str:
    return f"tenancy:bc:{store_hash}"


def store_for_bigcommerce_hash(store_hash: str) -> Store | None:
    """The store (active or not) connected to a BigCommerce store hash."""

    def load():
        return Store.objects.merchants().filter(bigcommerce_store_hash=store_hash).first()

    return _lookup(bigcommerce_hash_key(store_hash), load)


def forget(cache_keys: list[str]) -> None:
    """Drop these lookups here and in the shared cache (other processes follow within the local TTL)."""
    cache.delete_many(cache_keys)
    with _local_lock:
        for key in cache_keys:
            _local.pop(key, None)


def forget_everything_local() -> None:
    with _local_lock:
        _local.clear()
