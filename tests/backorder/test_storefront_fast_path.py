"""The storefront endpoint is cheap to ask again, polite to the store's own origins only, and throttled."""

import pytest

from backorder.models import Policy
from backorder.services.availability import availability_refresh
from backorder.storefront_api import StorefrontThrottle
from tests.backorder.conftest import variant_make


@pytest.fixture
def product_url(store):
    variant = variant_make(on_hand=2)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    url = f"/api/storefront/v1/{store.public_key}/products/{variant.product.bigcommerce_id}"
    return url, variant


@pytest.mark.django_db
def test_an_unchanged_answer_is_a_304_with_no_body_and_a_changed_one_is_not(store, public_client, product_url):
    url, variant = product_url
    first = public_client.get(url, {"quantity": 1})
    assert first.status_code == 200
    assert first["Cache-Control"] == "public, max-age=30, stale-while-revalidate=60"
    again = public_client.get(url, {"quantity": 1}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert (again.status_code, again.content) == (304, b"")
    other_quantity = public_client.get(url, {"quantity": 2}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert other_quantity.status_code == 200

    Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=5)
    availability_refresh(variant_ids=[variant.bigcommerce_id])  # the policy changed: a new answer
    assert public_client.get(url, {"quantity": 1}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


@pytest.mark.django_db
def test_only_the_stores_own_storefront_origins_may_read_it_cross_origin(store, public_client, product_url):
    url, _ = product_url
    store.storefront_origins = ["https://lamps.example.com"]
    store.save()
    allowed = public_client.get(url, HTTP_ORIGIN="https://lamps.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://lamps.example.com"
    refused = public_client.get(url, HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in refused
    assert "Access-Control-Allow-Credentials" not in allowed  # no cookies, ever


@pytest.fixture(params=["database answers", "warm answers, local cache", "warm answers, Redis"])
def answers_from(request, settings):
    """The throttle counts the same whether answers come from the database or from the cache (where its
    counter is stepped in the cache lookup's own round trip, one pipeline on Redis)."""
    if request.param == "database answers":
        yield request.param
        return
    settings.STOREFRONT_ANSWER_CACHE = True
    if request.param == "warm answers, local cache":
        yield request.param
        return
    from tests.hardening.servers import redis_start

    started = redis_start()
    if started is None:
        pytest.skip("redis-server is not installed (bin/test installs it)")
    url, stop_redis = started
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    yield request.param
    stop_redis()


@pytest.mark.django_db
def test_too_many_requests_from_one_client_get_429_with_retry_after(
    store, public_client, product_url, monkeypatch, answers_from
):
    url, _ = product_url
    monkeypatch.setattr(StorefrontThrottle, "rate", "3/min", raising=False)
    statuses = [public_client.get(url).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = public_client.get(url)
    assert int(limited["Retry-After"]) > 0
    assert limited.json()["error"] == "throttled"


def _redis_cache():
    """A Redis-backed cache on the machine's Redis, or a skip where there is none (the suite runs without)."""
    import socket

    from django.core.cache.backends.redis import RedisCache

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.2).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return RedisCache("redis://127.0.0.1:6379/15", {"KEY_PREFIX": "backorder-test-throttle"})


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_a_window_counts_each_request_once_and_expires(backend):
    from django.core.cache.backends.locmem import LocMemCache

    from backorder.storefront_answers import window_count

    cache = _redis_cache() if backend == "redis" else LocMemCache("throttle-test", {})
    key = f"storefront:window-test:{backend}"
    cache.delete(key)
    assert [window_count(cache, key, ttl=60) for _ in range(3)] == [1, 2, 3]
    assert cache.get(key) == 3
    if backend == "redis":  # the window's key dies with the window (EXPIRE set once, by the first request)
        client = cache._cache.get_client(write=True)
        assert 0 < client.ttl(cache.make_and_validate_key(key)) <= 60
    cache.delete(key)
    assert window_count(cache, key, ttl=60) == 1
    cache.delete(key)
