"""Warm storefront answers stay true across processes: gunicorn's two processes answer from the shared cache
(Redis), and a change made in another process (here, the test's) is in every answer from the next request on,
not after some expiry; no answer of one store reaches another."""

import pytest
import requests
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
from django_tenants.utils import schema_context

from backorder.models import Policy, Variant
from backorder.services.availability import availability_refresh
from backorder.services.policies import policy_update
from stores import provisioning
from tests.hardening.servers import app_environment, free_port, gunicorn_start, redis_start, stop
from tests.hardening.shops import shop_make
from tests.integration.conftest import drop_store_schemas

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shared_cache():
    started = redis_start()
    if started is None:
        pytest.skip("redis-server is not installed (bin/test installs it)")
    url, stop_redis = started
    cache_settings = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    with override_settings(CACHES=cache_settings, STOREFRONT_ANSWER_CACHE=True):  # this process shares it too
        assert caches["default"].__class__.__name__ == "RedisCache"
        yield url
    stop_redis()


@pytest.fixture
def shops():
    drop_store_schemas()
    provisioning.public_tenant_ensure()
    made = [shop_make(products=2) for _ in range(2)]
    yield made
    drop_store_schemas()


def test_a_change_in_one_process_reaches_every_processs_warm_answers_at_once(shared_cache, shops):
    port = free_port()
    server = gunicorn_start(port=port, workers=2, threads=1, env=app_environment(
        REDIS_URL=shared_cache, STOREFRONT_ANSWER_CACHE="1", STOREFRONT_RATE_LIMIT="100000/min",
    ))  # fmt: skip
    shop, other = shops

    def on_hand(which, variant_index: int = 2) -> list:
        """The answer's on_hand from 8 requests (both processes answer some of them)."""
        product, variant = which.product_ids[1], which.variant_ids[variant_index]
        url = f"http://127.0.0.1:{port}/api/storefront/v1/{which.store.public_key}/products/{product}"
        answers = []
        for _ in range(8):
            response = requests.get(url, params={"variant_id": variant}, timeout=10,
                                    headers={"Host": settings.PUBLIC_HOST, "Connection": "close"})  # fmt: skip
            assert response.status_code == 200, response.text
            answers.append(response.json()["on_hand"])
        return answers

    try:
        assert set(on_hand(shop)) == {0} and set(on_hand(other)) == {0}  # warm in both processes now
        with schema_context(shop.store.schema_name):
            Variant.objects.filter(bigcommerce_id=shop.variant_ids[2]).update(on_hand=7)
            availability_refresh(variant_ids=[shop.variant_ids[2]])  # commits; the generation moves after it
        assert set(on_hand(shop)) == {7}  # every process, the very next request
        assert set(on_hand(other)) == {0}  # the other store's answer did not move

        with schema_context(shop.store.schema_name):
            policy_update(policy=Policy.objects.get(scope="store"), data={"enabled": False})
        url = f"http://127.0.0.1:{port}/api/storefront/v1/{shop.store.public_key}/products/{shop.product_ids[1]}"
        states = {
            requests.get(url, params={"variant_id": shop.variant_ids[2], "quantity": 9}, timeout=10,
                         headers={"Host": settings.PUBLIC_HOST, "Connection": "close"}).json()["state"]
            for _ in range(8)
        }  # fmt: skip
        assert states == {"unavailable"}  # the policy switched backorders off: no process still says backorder
    finally:
        stop(server)
