"""Warm storefront answers from the cache, never older than the change that made them stale.

The storefront's availability answer for a question (store, product, variant, quantity, language, the
store's date) is kept in the shared cache with the two *generations* it was computed under: the store's
(anything that can change every answer: a policy, the store's settings) and the product's (its variants'
availability rows). Whatever changes an answer's input moves the matching generation right after its commit
(`transaction.on_commit`), and a reader fetches the answer and both current generations in one round trip and
uses the answer only when they still match. So a stale answer cannot outlive its change by more than the
time it takes to commit, in any process.

Why it is safe in the order things happen: a reader takes the generations *before* it reads the database. If
a change commits meanwhile, the answer is stored under the old generation and is never served once the
generation moves. A generation that the cache lost (evicted, restarted) comes back with a value it never had
before (the clock in nanoseconds), so an old answer can never match it by chance.

It needs a cache that every process shares (Redis, REDIS_URL): with a per-process cache, one process's
change could not reach another's answers. `STOREFRONT_ANSWER_CACHE` is therefore on when REDIS_URL is set.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction

ANSWER_SECONDS = 60 * 60  # an answer nobody asks for again leaves the cache by itself
GENERATION_SECONDS = 7 * 24 * 60 * 60


def enabled() -> bool:
    return settings.STOREFRONT_ANSWER_CACHE


# More products than this in one change move the store's generation instead (one cache step, not hundreds).
MANY_PRODUCTS = 100


def _store_generation_key(store: str) -> str:
    return f"sf:gen:{store}"


def _product_generation_key(store: str, product_id: int) -> str:
    return f"sf:gen:{store}:{product_id}"


def _answer_key(store: str, question: tuple) -> str:
    return f"sf:answer:{store}:" + ":".join(str(part) for part in question)


def _fresh_generation() -> int:
    return time.time_ns()


def answer_get(
    *, store: str, product_id: int, question: tuple, count: tuple[str, int] | None = None
) -> tuple[dict | None, tuple, int | None]:
    """(the cached answer or None, the generations to store a new answer under, the request counter's new
    value or None). One cache round trip: with `count` = (counter key, seconds it lives), the storefront
    throttle's window counter is stepped in the same round trip (on Redis, one pipeline).
    `store` is the store's schema name (a store's for ever: a new store forgets whatever it was before)."""
    store_key, product_key = _store_generation_key(store), _product_generation_key(store, product_id)
    answer_key = _answer_key(store, question)
    found, counted = _get_many_counting([store_key, product_key, answer_key], count)
    generations = (found.get(store_key), found.get(product_key))
    if None in generations:  # a generation the cache does not hold yet (or lost): start it afresh
        generations = tuple(
            value if value is not None else _generation_start(key)
            for key, value in zip((store_key, product_key), generations, strict=True)
        )
        return None, generations, counted
    entry = found.get(answer_key)
    if entry is not None and entry[0] == generations:
        return entry[1], generations, counted
    return None, generations, counted


_redis_clients: dict[int, tuple[object, object]] = {}  # id(connection pool) -> (pool, client)


def _redis_client(backend: RedisCache):
    """The backend's Redis client for writes, made once per connection pool. Django's `get_client` builds a new
    `redis.Redis` on every call (about 0.2 ms: its response-callback table is filled anew), a fifth of a warm
    answer's whole cost; the client is thread-safe and holds nothing but its pool."""
    pool = backend._cache._get_connection_pool(True)
    known = _redis_clients.get(id(pool))
    if known is None or known[0] is not pool:
        known = _redis_clients[id(pool)] = (pool, backend._cache._client(connection_pool=pool))
    return known[1]


def window_count(backend, key: str, *, ttl: int) -> int:
    """Add one to a window's counter and return it. On Redis one pipelined INCR + EXPIRE NX (Django's own
    `add` then `incr` costs three round trips); elsewhere the cache API, counting on the key existing."""
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        with _redis_client(backend).pipeline(transaction=False) as pipe:
            count, _ = pipe.incr(full_key).expire(full_key, ttl, nx=True).execute()
        return count
    try:
        return backend.incr(key)
    except ValueError:  # the window's first request (or the window just expired)
        if backend.add(key, 1, ttl):
            return 1
        return backend.incr(key)


def _get_many_counting(keys: list[str], count: tuple[str, int] | None) -> tuple[dict, int | None]:
    """cache.get_many(keys), and when `count` is given its counter stepped: on Redis both in one pipeline."""
    if count is None:
        return cache.get_many(keys), None
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return cache.get_many(keys), window_count(backend, count[0], ttl=count[1])
    counter = backend.make_and_validate_key(count[0])
    full = [backend.make_and_validate_key(key) for key in keys]
    with _redis_client(backend).pipeline(transaction=False) as pipe:
        counted, _expiry, values = pipe.incr(counter).expire(counter, count[1], nx=True).mget(full).execute()
    loads = backend._cache._serializer.loads
    return {key: loads(value) for key, value in zip(keys, values, strict=True) if value is not None}, counted


def _generation_start(key: str) -> int:
    value = _fresh_generation()
    if cache.add(key, value, GENERATION_SECONDS):
        return value
    return cache.get(key, value)  # another request started it first


def answer_put(*, store: str, question: tuple, generations: tuple, answer: dict) -> None:
    cache.set(_answer_key(store, question), (generations, answer), ANSWER_SECONDS)


def _bump(keys: list[str]) -> None:
    for key in keys:
        try:
            cache.incr(key)
        except ValueError:  # not in the cache: start it with a value no earlier answer carries
            cache.set(key, _fresh_generation(), GENERATION_SECONDS)


def answers_forget(*, product_ids: Iterable[int] | None = None, store: str | None = None) -> None:
    """The cached answers about these products (or, with none given, every answer of the store: the current
    schema's unless `store` names one) stop being served once the current transaction commits (at once
    outside a transaction)."""
    if not enabled():
        return
    store = store or connection.schema_name
    if store == "public":
        return
    products = None if product_ids is None else sorted(set(product_ids))
    if products is None or len(products) > MANY_PRODUCTS:
        keys = [_store_generation_key(store)]
    else:
        keys = [_product_generation_key(store, product_id) for product_id in products]
    if keys:
        transaction.on_commit(lambda: _bump(keys))


def store_changed(sender, instance, **kwargs) -> None:
    """A store's settings (language, time zone) or its whole existence changed: forget its answers (connected
    to Store's post_save and post_delete in BackorderConfig.ready; a new store starts from nothing)."""
    if instance.schema_name and instance.schema_name != "public":
        answers_forget(store=instance.schema_name)
