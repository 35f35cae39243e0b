"""Store A's credentials never reach store B's data, for every operation of both APIs.

Extends tests/stores/test_isolation.py (one endpoint) to all of them: the operations are read from the
OpenAPI schemas at run time, so endpoints added later are swept too. Path parameters are filled with store
B's real ids (the dangerous case), and store B's marker (in its names, e-mails, suppliers, product URLs)
must never appear in an answer. A control run with B's own token proves the requests reach B's data when
the credentials are right, so a "no marker" result means something.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from tests.conftest import store_client
from tests.hardening.shops import Shop, shop_make

pytestmark = pytest.mark.django_db
METHODS = ("get", "post", "put", "patch", "delete")
REFUSED = {401, 403, 404}


def operations(urlconf: str) -> list[tuple[str, str, dict]]:
    schema = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def filled(path: str, shop: Shop, extra: dict | None = None) -> str:
    values = {"public_key": shop.store.public_key, **(extra or {})}

    def value(match: re.Match) -> str:
        name = match[1]
        if name in values:
            return str(values[name])
        return str(shop.ids_for(name)[0])

    return re.sub(r"\{(\w+)\}", value, path)


def call(client: Client, method: str, path: str, **extra):
    if method == "GET":
        return client.get(path, **extra)
    return getattr(client, method.lower())(path, data={}, content_type="application/json", **extra)


def text(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


def thief_with_session_of(shop_a: Shop, host: str, client=Client) -> Client:
    """Store A's owner's session cookie, and a CSRF cookie and header that match (an attacker controls both),
    replayed on another host: only the session itself decides."""
    session = store_client(shop_a.store, signed_in_as=shop_a.owner).cookies["sessionid"].value
    thief = client(HTTP_HOST=host, HTTP_X_CSRFTOKEN="x" * 32)
    thief.cookies["sessionid"] = session
    thief.cookies[settings.CSRF_COOKIE_NAME] = "x" * 32
    return thief


def merchant_sweep(shop_a: Shop, shop_b: Shop, client=Client) -> tuple[list[str], dict, int, int]:
    """Every merchant operation on B's host with A's session and A's token; (leaks, statuses, operations,
    GET operations where B's own token does see B's marker). `client` makes a Django-test-client-like client
    (the in-process one, or one over HTTP to a real server)."""
    ops = operations("config.urls_tenant")
    thieves = {
        "session": thief_with_session_of(shop_a, shop_b.store.host, client=client),
        "token": client(HTTP_HOST=shop_b.store.host, HTTP_AUTHORIZATION=f"Bearer {shop_a.token}"),
    }
    control = client(HTTP_HOST=shop_b.store.host, HTTP_AUTHORIZATION=f"Bearer {shop_b.token}")

    leaks, statuses, reached_b = [], {}, 0
    for method, template, _operation in ops:
        path = filled(template, shop_b)
        for how, thief in thieves.items():
            response = call(thief, method, path)
            statuses[(how, response.status_code)] = statuses.get((how, response.status_code), 0) + 1
            if response.status_code not in REFUSED or shop_b.marker in text(response):
                leaks.append(f"{how}: {method} {path} -> {response.status_code} {response.content[:200]!r}")
        if method == "GET" and shop_b.marker in text(control.get(path)):
            reached_b += 1
    return leaks, statuses, len(ops), reached_b


def test_every_merchant_operation_refuses_store_a_credentials_on_store_b_host(capsys):
    leaks, statuses, swept, reached_b = merchant_sweep(shop_make(), shop_make())

    with capsys.disabled():
        print(f"\nisolation sweep: {swept} merchant operations x 2 credentials; statuses {statuses}")
        print(f"control: B's own token saw B's marker on {reached_b} GET operations")
    assert swept >= 20
    assert reached_b >= 5, "the sweep's requests do not reach store B's data even with B's own token"
    assert not leaks, "\n".join(leaks)


def storefront_sweep(shop_a: Shop, shop_b: Shop, client=Client) -> tuple[list[str], int]:
    """Every storefront operation asked with A's public key about B's ids; (leaks, operations swept). The same
    questions asked with B's key must reach B's data (asserted), so "no leak" means something."""
    public = client(HTTP_HOST=settings.PUBLIC_HOST)
    b_product, b_variant = shop_b.product_ids[0], shop_b.variant_ids[0]
    b_values = {
        "product_id": b_product,
        "variant_id": b_variant,
        "lines": f"{b_product}:{b_variant}:1",
        "email": f"spy@{shop_a.marker}.example",
        "quantity": 1,
    }
    leaks, swept = [], 0
    for method, template, operation in operations("config.urls_storefront"):
        path = filled(template, shop_a, extra={"product_id": b_product})
        query = {p["name"]: b_values[p["name"]] for p in operation.get("parameters", []) if p["name"] in b_values}
        response = public.get(path, query) if method == "GET" else public.post(path, {**query, **b_values})
        swept += 1
        body = text(response)
        about_b_product = "{product_id}" in template
        if shop_b.marker in body or (about_b_product and response.status_code != 404):
            leaks.append(f"{method} {path} {query} -> {response.status_code} {body[:200]}")
        own = filled(template, shop_b)
        if about_b_product and method == "GET":
            assert public.get(own, query).status_code == 200, own
    return leaks, swept


def test_store_a_public_key_never_reads_store_b_products(capsys):
    leaks, swept = storefront_sweep(shop_make(), shop_make())

    with capsys.disabled():
        print(f"\nstorefront sweep: {swept} operations asked with store A's key about store B's ids")
    assert swept >= 4
    assert not leaks, "\n".join(leaks)
