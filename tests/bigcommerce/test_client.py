"""The BigCommerce API client, exercised against the sandbox over real loopback HTTP."""

from __future__ import annotations

import logging
import socket

import pytest

from stores.bigcommerce import errors
from stores.bigcommerce.client import PRODUCT_BATCH_LIMIT, BigCommerceClient, batches
from stores.bigcommerce.sandbox import SandboxServer

STORE_HASH = "abc123"


class FakeClock:
    """Shared by the sandbox (rate-limit window) and the client (sleep), so waiting costs no time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clocked_sandbox():
    clock = FakeClock()
    server = SandboxServer(clock=clock, rate_limit_quota=3, rate_limit_window_ms=1000)
    server.start()
    server.create_store(STORE_HASH, seed=1, products=5)
    token = server.issue_token(STORE_HASH)
    yield server, clock, token
    server.stop()


def test_iter_v3_follows_pagination_meta_across_pages(client, sandbox, caplog):
    caplog.set_level(logging.INFO, logger="stores.bigcommerce.client")
    products = list(client.iter_v3("/v3/catalog/products", limit=7))
    assert len(products) == 40
    assert len({p["id"] for p in products}) == 40
    requests_made = [r for r in caplog.records if "/v3/catalog/products" in r.getMessage()]
    assert len(requests_made) == 6  # ceil(40 / 7)


def test_iter_v3_keeps_filters_on_every_page(client):
    variants = list(client.iter_v3("/v3/catalog/variants", {"sku:in": "SB-0001,SB-0002,SB-0003"}, limit=1))
    assert {v["sku"] for v in variants} <= {"SB-0001", "SB-0002", "SB-0003"}


def test_iter_v2_pages_until_204_no_content(client, sandbox):
    product = client.post(
        "/v3/catalog/products", json={"name": "Gift wrap", "type": "physical", "weight": 0, "price": 2}
    )["data"]
    for _ in range(5):
        sandbox.place_order(STORE_HASH, [{"product_id": product["id"], "quantity": 1}])
    orders = list(client.iter_v2("/v2/orders", limit=2))
    assert [o["id"] for o in orders] == [100, 101, 102, 103, 104]
    assert client.get("/v2/orders", params={"page": 4, "limit": 2}) is None


def test_429_storm_makes_the_client_wait_for_the_reset_and_then_succeed(client, sandbox, sleeps):
    sandbox.set_faults(STORE_HASH, status_429=3, storm_reset_ms=1500)
    store = client.get("/v2/store")
    assert store["id"] == STORE_HASH
    assert sleeps.calls == [1.5, 1.5, 1.5]


def test_429_that_never_ends_raises_rate_limited_error(sandbox, access_token, sleeps):
    sandbox.set_faults(STORE_HASH, status_429=10)
    api = BigCommerceClient(
        store_hash=STORE_HASH, access_token=access_token, api_url=sandbox.base_url, sleep=sleeps, rate_limit_retries=2
    )
    with pytest.raises(errors.RateLimitedError) as caught:
        api.get("/v2/store")
    assert caught.value.status == 429
    assert len(sleeps.calls) == 2


def test_exhausted_quota_answers_429_until_the_window_resets(clocked_sandbox):
    server, clock, token = clocked_sandbox
    api = BigCommerceClient(
        store_hash=STORE_HASH, access_token=token, api_url=server.base_url, sleep=clock.sleep, min_requests_left=0
    )
    for _ in range(4):
        api.get("/v2/store")
    assert clock.sleeps == [1.0]
    assert api.last_rate_limit.requests_quota == 3
    assert api.last_rate_limit.requests_left == 2


def test_client_sleeps_proactively_when_requests_left_reaches_the_threshold(clocked_sandbox):
    server, clock, token = clocked_sandbox
    api = BigCommerceClient(
        store_hash=STORE_HASH, access_token=token, api_url=server.base_url, sleep=clock.sleep, min_requests_left=1
    )
    api.get("/v2/store")
    assert clock.sleeps == []
    api.get("/v2/store")  # 1 left: wait for the window instead of burning the last request
    assert clock.sleeps == [1.0]
    api.get("/v2/store")
    assert api.last_rate_limit.requests_left == 2


def test_every_api_response_carries_the_four_integer_rate_limit_headers(sandbox, access_token):
    import requests

    response = requests.get(
        f"{sandbox.base_url}/stores/{STORE_HASH}/v3/catalog/products", headers={"X-Auth-Token": access_token}
    )
    for name in (
        "X-Rate-Limit-Time-Window-Ms",
        "X-Rate-Limit-Time-Reset-Ms",
        "X-Rate-Limit-Requests-Quota",
        "X-Rate-Limit-Requests-Left",
    ):
        assert int(response.headers[name]) >= 0
    assert response.headers["X-Rate-Limit-Requests-Quota"] == "150"


def test_get_is_retried_on_5xx_and_succeeds(client, sandbox, sleeps):
    sandbox.set_faults(STORE_HASH, status_5xx=2, server_error_status=503)
    assert client.get_data("/v3/catalog/products/111")["id"] == 111
    assert len(sleeps.calls) == 2


def test_5xx_beyond_the_retry_budget_raises_server_error(sandbox, access_token, sleeps):
    sandbox.set_faults(STORE_HASH, status_5xx=5)
    api = BigCommerceClient(
        store_hash=STORE_HASH, access_token=access_token, api_url=sandbox.base_url, sleep=sleeps, max_retries=2
    )
    with pytest.raises(errors.ServerError) as caught:
        api.get("/v2/store")
    assert caught.value.status == 500
    assert len(sleeps.calls) == 2


def test_post_is_not_retried_on_5xx_because_it_may_have_been_applied(client, sandbox, sleeps):
    sandbox.set_faults(STORE_HASH, status_5xx=1)
    with pytest.raises(errors.ServerError):
        client.post("/v3/hooks", json={"scope": "store/order/created", "destination": "https://app.example.com/h"})
    assert sleeps.calls == []


def test_read_timeout_on_get_is_retried(sandbox, access_token, sleeps):
    sandbox.set_faults(STORE_HASH, delay_ms=700, delay_requests=1)
    api = BigCommerceClient(
        store_hash=STORE_HASH, access_token=access_token, api_url=sandbox.base_url, sleep=sleeps, timeout=(1, 0.3)
    )
    assert api.get("/v2/store")["id"] == STORE_HASH
    assert len(sleeps.calls) == 1


def test_timeouts_beyond_the_retry_budget_raise_request_timeout_error(sandbox, access_token, sleeps):
    sandbox.set_faults(STORE_HASH, delay_ms=400, delay_requests=2)
    api = BigCommerceClient(
        store_hash=STORE_HASH,
        access_token=access_token,
        api_url=sandbox.base_url,
        sleep=sleeps,
        timeout=(1, 0.1),
        max_retries=1,
    )
    with pytest.raises(errors.RequestTimeoutError):
        api.get("/v2/store")
    assert len(sleeps.calls) == 1


def test_connection_refused_is_retried_even_for_post_then_raises_connection_failed(sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = BigCommerceClient(
        store_hash=STORE_HASH, access_token="t0ken", api_url=f"http://127.0.0.1:{port}", sleep=sleeps, max_retries=2
    )
    with pytest.raises(errors.ConnectionFailedError):
        api.post("/v2/orders", json={})
    assert len(sleeps.calls) == 2


def test_http_errors_map_to_typed_exceptions(client, sandbox):
    with pytest.raises(errors.NotFoundError) as not_found:
        client.get("/v3/catalog/products/999999")
    assert not_found.value.status == 404
    assert not_found.value.path == "/v3/catalog/products/999999"

    with pytest.raises(errors.ValidationError) as invalid:
        client.post("/v3/catalog/products", json={"name": "No price"})
    assert invalid.value.status == 422
    assert set(invalid.value.errors) == {"type", "weight", "price"}

    with pytest.raises(errors.PayloadTooLargeError):
        client.get("/v3/catalog/products", params={"limit": 251})

    with pytest.raises(errors.ValidationError) as v2_invalid:
        client.post("/v2/orders", json={"products": []})
    assert v2_invalid.value.status == 400


def test_wrong_token_raises_authentication_error_and_missing_scope_forbidden(sandbox):
    api = BigCommerceClient(store_hash=STORE_HASH, access_token="not-a-token", api_url=sandbox.base_url)
    with pytest.raises(errors.AuthenticationError):
        api.get("/v3/catalog/products")
    read_only = sandbox.issue_token(STORE_HASH, ["store_v2_products_read_only"])
    api = BigCommerceClient(store_hash=STORE_HASH, access_token=read_only, api_url=sandbox.base_url)
    assert api.get("/v3/catalog/products", params={"limit": 1})["data"]
    with pytest.raises(errors.ForbiddenScopeError):
        api.put("/v3/catalog/products/111", json={"name": "Renamed"})
    with pytest.raises(errors.ForbiddenScopeError):
        api.get("/v2/orders")


def test_access_token_never_appears_in_logs_repr_or_exceptions(sandbox, access_token, sleeps, caplog):
    caplog.set_level(logging.DEBUG)
    sandbox.set_faults(STORE_HASH, status_5xx=1, status_429=1)
    api = BigCommerceClient(store_hash=STORE_HASH, access_token=access_token, api_url=sandbox.base_url, sleep=sleeps)
    api.get("/v2/store")
    with pytest.raises(errors.NotFoundError) as caught:
        api.get("/v3/catalog/products/424242")
    assert access_token not in caplog.text
    assert access_token not in repr(api)
    assert access_token not in str(caught.value) and access_token not in repr(caught.value)
    assert "[masked]" in repr(api)


def test_get_data_unwraps_a_v3_single_resource(client):
    product = client.get_data("/v3/catalog/products/111", params={"include": "variants"})
    assert product["id"] == 111
    assert "variants" in product


def test_batches_split_items_by_the_documented_limits():
    chunks = list(batches(range(23), PRODUCT_BATCH_LIMIT))
    assert [len(c) for c in chunks] == [10, 10, 3]
    with pytest.raises(ValueError):
        list(batches([1], 0))


def test_client_without_django_settings_defaults_to_the_public_api_host(monkeypatch):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    api = BigCommerceClient(store_hash="h1", access_token="x")
    assert api.api_url.startswith("http")
    assert api.base_url == f"{api.api_url}/stores/h1"
