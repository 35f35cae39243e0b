"""Attacks on the merchant API and the public pages: mass assignment, missing CSRF, floods and password
guessing, and what a production deployment sends in its security headers."""

import json
import subprocess
import sys
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from backorder.models import Backorder, Policy, PurchaseOrder, PurchaseOrderLine
from backorder.storefront_api import StorefrontThrottle
from stores.models import ApiToken, Store
from tests.conftest import store_client
from tests.hardening.servers import ROOT
from tests.hardening.shops import PASSWORD, shop_make

pytestmark = pytest.mark.django_db

# Fields no client may set: where a row belongs, its identity, and what only the engine decides.
FORBIDDEN = {
    "id": 987654, "pk": 987654, "store": 1, "store_id": 1, "tenant": 1, "schema_name": "public",
    "created_at": "2001-01-01T00:00:00Z", "updated_at": "2001-01-01T00:00:00Z",
    "quantity_allocated": 2, "quantity_received": 5, "quantity_shipped": 2, "status": "allocated",
}  # fmt: skip


def bearer(shop, **kwargs) -> Client:
    return Client(HTTP_HOST=shop.store.host, HTTP_AUTHORIZATION=f"Bearer {shop.token}", **kwargs)


def send(client: Client, method: str, path: str, body: dict):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


# -- mass assignment ------------------------------------------------------------------------------------


def test_store_details_accept_name_time_zone_and_language_and_nothing_else():
    shop, other = shop_make(), shop_make()
    owner = store_client(shop.store, signed_in_as=shop.owner)
    before = Store.objects.get(pk=shop.store.pk)

    response = send(owner, "patch", "/api/v1/store/", {
        "name": "Renamed Shop", **FORBIDDEN, "slug": "hijacked", "plan": "pro", "status": "suspended",
        "public_key": other.store.public_key, "bigcommerce_store_hash": "evil01", "connection": "connected",
        "access_token": "stolen", "webhook_secret": "guessed", "native_backorders": False,
    })  # fmt: skip

    assert response.status_code == 200, response.content
    after = Store.objects.get(pk=shop.store.pk)
    assert after.name == "Renamed Shop"
    for field in ("id", "slug", "plan", "status", "public_key", "bigcommerce_store_hash", "connection",
                  "access_token", "webhook_secret", "native_backorders", "schema_name", "created_at"):  # fmt: skip
        assert getattr(after, field) == getattr(before, field), field


def test_policy_writes_cannot_choose_ids_stores_or_timestamps():
    shop, other = shop_make(), shop_make()
    client = bearer(shop)
    created = send(client, "post", "/api/v1/policies/", {
        "scope": "product", "bigcommerce_id": shop.product_ids[1], "enabled": True, "mode": "backorder", **FORBIDDEN,
        "store": other.store.pk, "store_id": other.store.pk,
    })  # fmt: skip
    assert created.status_code == 201, created.content
    policy_id = created.json()["id"]
    assert policy_id != FORBIDDEN["id"]
    changed = send(client, "patch", f"/api/v1/policies/{policy_id}/", {"lead_time_days": 4, **FORBIDDEN})
    assert changed.status_code == 200, changed.content

    with schema_context(shop.store.schema_name):
        policy = Policy.objects.get(pk=policy_id)
        assert (policy.lead_time_days, policy.created_at.year) == (4, policy.updated_at.year)
        assert policy.created_at.year > 2001
        assert not Policy.objects.filter(pk=FORBIDDEN["id"]).exists()
    with schema_context(other.store.schema_name):
        assert not Policy.objects.filter(scope="product").exists()  # nothing reached the other store


def test_purchase_orders_cannot_be_created_received_or_given_received_units():
    shop = shop_make()
    client = bearer(shop)
    line = {"variant_id": shop.variant_ids[3], "quantity": 4, "expected_date": str(date.today() + timedelta(9))}
    created = send(client, "post", "/api/v1/purchase-orders/", {
        "supplier": "Acme", **FORBIDDEN, "status": "received", "lines": [{**line, **FORBIDDEN}],
    })  # fmt: skip
    assert created.status_code == 201, created.content
    order_id = created.json()["id"]
    send(client, "patch", f"/api/v1/purchase-orders/{order_id}/", {"notes": "ok", **FORBIDDEN, "status": "received"})

    with schema_context(shop.store.schema_name):
        order = PurchaseOrder.objects.get(pk=order_id)
        assert order.pk != FORBIDDEN["id"] and order.status == PurchaseOrder.Status.OPEN
        assert list(
            PurchaseOrderLine.objects.filter(purchase_order=order).values_list("quantity_received", flat=True)
        ) == [0]
        assert not Backorder.objects.filter(
            quantity_allocated__gt=0
        ).exists()  # nothing was received, so nothing allocated


def test_backorder_actions_cannot_write_quantities_or_statuses():
    shop = shop_make()
    client = bearer(shop)
    backorder_id = shop.backorder_ids[0]
    with schema_context(shop.store.schema_name):
        before = Backorder.objects.get(pk=backorder_id)

    for body in (
        {"action": "change_date", "expected_ship_date": str(date.today() + timedelta(30)), **FORBIDDEN,
         "quantity": 99, "order_id": 1, "variant_id": 1, "customer_email": "thief@example.com"},
        {**FORBIDDEN, "quantity": 99},
    ):  # fmt: skip
        send(client, "post", f"/api/v1/backorders/{backorder_id}/actions/", body)
        send(client, "post", "/api/v1/backorders/actions/", {**body, "ids": [backorder_id]})

    with schema_context(shop.store.schema_name):
        after = Backorder.objects.get(pk=backorder_id)
    for field in ("quantity", "quantity_allocated", "quantity_shipped", "status", "order_id", "variant_id",
                  "customer_email", "created_at"):  # fmt: skip
        assert getattr(after, field) == getattr(before, field), field


def test_an_api_token_cannot_be_made_for_another_store_or_pre_revoked_or_with_a_chosen_secret():
    shop, other = shop_make(), shop_make()
    owner = store_client(shop.store, signed_in_as=shop.owner)
    made = send(owner, "post", "/api/v1/api-tokens/", {
        "name": "ERP 2", **FORBIDDEN, "store": other.store.pk, "token_hash": "0" * 64, "prefix": "bo_evil",
        "revoked_at": "2001-01-01T00:00:00Z", "token": "bo_chosen-by-the-attacker",
    })  # fmt: skip
    assert made.status_code == 201, made.content
    token = ApiToken.objects.get(pk=made.json()["id"])
    assert token.store_id == shop.store.pk and token.revoked_at is None
    assert token.token_hash != "0" * 64 and made.json()["token"] != "bo_chosen-by-the-attacker"


# -- CSRF -------------------------------------------------------------------------------------------------


def test_the_merchant_api_refuses_a_session_write_without_the_csrf_token():
    shop = shop_make()
    browser = store_client(shop.store, signed_in_as=shop.owner)
    browser.handler.enforce_csrf_checks = True
    policy_id = shop.policy_ids[0]

    refused = send(browser, "patch", f"/api/v1/policies/{policy_id}/", {"max_units": 7})
    refused_post = send(browser, "post", "/api/v1/api-tokens/", {"name": "sneaky"})
    assert refused.status_code == refused_post.status_code == 403
    assert "CSRF" in refused.json()["message"]

    browser.get("/")  # the app's page sets the CSRF cookie
    csrf = browser.cookies[settings.CSRF_COOKIE_NAME].value
    allowed = browser.patch(f"/api/v1/policies/{policy_id}/", json.dumps({"max_units": 7}),
                            content_type="application/json", HTTP_X_CSRFTOKEN=csrf)  # fmt: skip
    assert allowed.status_code == 200, allowed.content
    assert not ApiToken.objects.filter(name="sneaky").exists()


# -- rate limits ------------------------------------------------------------------------------------------


def test_the_storefront_api_is_throttled_per_store_and_client(monkeypatch):
    monkeypatch.setattr(StorefrontThrottle, "THROTTLE_RATES", {"storefront": "5/min"})
    shop, other = shop_make(), shop_make()
    public = Client(HTTP_HOST=settings.PUBLIC_HOST)
    path = f"/api/storefront/v1/{shop.store.public_key}/config/"

    statuses = [public.get(path).status_code for _ in range(7)]

    assert statuses == [200] * 5 + [429] * 2
    throttled = public.get(path)
    assert throttled.json()["error"] == "throttled" and throttled.json()["retry_after_seconds"] > 0
    assert public.get(f"/api/storefront/v1/{other.store.public_key}/config/").status_code == 200  # per store


@pytest.mark.parametrize("host", ["public", "store"])
def test_password_guessing_is_stopped_after_5_failures_even_with_the_right_password_then(host):
    shop = shop_make()
    browser = Client(HTTP_HOST=settings.PUBLIC_HOST if host == "public" else shop.store.host)
    guesses = [browser.post("/login/", {"username": shop.owner.email, "password": f"guess-{n}"}) for n in range(5)]
    assert [r.status_code for r in guesses] == [400] * 5

    right = browser.post("/login/", {"username": shop.owner.email, "password": PASSWORD})

    assert right.status_code == 429
    assert "Too many failed sign-in attempts" in right.content.decode()
    assert "_auth_user_id" not in browser.session


def test_one_client_address_guessing_many_accounts_is_stopped_too():
    public = Client(HTTP_HOST=settings.PUBLIC_HOST)
    statuses = [
        public.post("/login/", {"username": f"victim{n}@example.com", "password": "guess"}).status_code
        for n in range(21)
    ]
    assert statuses[:20] == [400] * 20 and statuses[20] == 429


def test_a_successful_sign_in_clears_the_count_of_its_email():
    shop = shop_make()
    browser = Client(HTTP_HOST=settings.PUBLIC_HOST)
    for n in range(4):
        browser.post("/login/", {"username": shop.owner.email, "password": f"guess-{n}"})
    assert browser.post("/login/", {"username": shop.owner.email, "password": PASSWORD}).status_code == 302
    assert browser.post("/login/", {"username": shop.owner.email, "password": "typo"}).status_code == 400


def test_sign_ups_from_one_client_address_are_limited():
    public = Client(HTTP_HOST=settings.PUBLIC_HOST)
    statuses = [
        public.post("/signup/", {"email": f"m{n}@shops.example", "password": "x", "store_name": f"S{n}"}).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429


# -- security headers ---------------------------------------------------------------------------------------


def test_app_pages_carry_a_content_security_policy_and_the_usual_headers():
    shop = shop_make()
    shop.store.bigcommerce_store_hash = "abc123"
    shop.store.save()
    pages = [
        store_client(shop.store, signed_in_as=shop.owner).get("/"),
        Client(HTTP_HOST=shop.store.host).get("/login/"),
        Client(HTTP_HOST=settings.PUBLIC_HOST).get("/signup/"),
    ]
    for page in pages:
        policy = page["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy and "object-src 'none'" in policy
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'self'" in policy
        assert page["X-Content-Type-Options"] == "nosniff"
        assert page["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "https://store-abc123.mybigcommerce.com" in pages[0]["Content-Security-Policy"]
    api = bearer(shop).get("/api/v1/store/")
    assert api["Content-Security-Policy"].startswith("frame-ancestors")  # JSON: framing only
    assert api["X-Content-Type-Options"] == "nosniff"


PRODUCTION_PROBE = """
import django, os
django.setup()
from django.conf import settings
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.test import RequestFactory
request = RequestFactory().get("/", HTTP_HOST="app.example.com", HTTP_X_FORWARDED_PROTO="https")
response = SecurityMiddleware(lambda r: HttpResponse())(request)
print(response.get("Strict-Transport-Security"), settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,
      settings.SESSION_COOKIE_SAMESITE, settings.DEBUG)
"""


def test_production_settings_send_hsts_and_secure_cookies():
    env = {
        "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0",
        "APP_BASE_URL": "https://app.example.com", "APP_DOMAIN": "app.example.com",
        "SECRET_KEY": "production-like-secret-key-" + "x" * 30, "ENCRYPTION_KEYS": "production-like-key",
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    }  # fmt: skip
    out = subprocess.run([sys.executable, "-c", PRODUCTION_PROBE], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["max-age=31536000;", "includeSubDomains", "True", "True", "None", "False"]
