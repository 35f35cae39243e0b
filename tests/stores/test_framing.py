"""The app may be framed by the store's own BigCommerce control panel, and by nothing else."""

import pytest
from django.test import Client, override_settings

from tests.conftest import store_client


@pytest.mark.django_db
def test_a_connected_store_allows_framing_by_its_control_panel_only(make_store):
    store = make_store()
    store.bigcommerce_store_hash = "abc123"
    store.save()
    response = store_client(store, signed_in_as=store.owner).get("/")
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://store-abc123.mybigcommerce.com https://login.bigcommerce.com" in policy
    assert "X-Frame-Options" not in response


@pytest.mark.django_db
def test_a_store_without_bigcommerce_and_the_public_site_allow_only_themselves(make_store, public_client):
    store = make_store()
    # (pages also carry the app's script policy, tests/hardening/test_security.py; framing is its last directive)
    assert Client(HTTP_HOST=store.host).get("/login/")["Content-Security-Policy"].endswith("; frame-ancestors 'self'")
    assert public_client.get("/login/")["Content-Security-Policy"].endswith("; frame-ancestors 'self'")


@pytest.mark.django_db
@override_settings(SESSION_COOKIE_SAMESITE="None", SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SAMESITE="None")
def test_in_production_the_session_cookie_is_partitioned_for_the_iframe(make_store):
    store = make_store()
    browser = store_client(store, signed_in_as=store.owner)
    cookie = browser.cookies["sessionid"].OutputString()
    assert "SameSite=None; Partitioned" in cookie and "Secure" in cookie


@pytest.mark.django_db
def test_no_store_page_or_api_answer_allows_another_stores_control_panel(make_store):
    store_a, store_b = make_store(), make_store()
    for store, store_hash in ((store_a, "aaa111"), (store_b, "bbb222")):
        store.bigcommerce_store_hash = store_hash
        store.save()
    browser = store_client(store_a, signed_in_as=store_a.owner)
    for response in (browser.get("/"), browser.get("/api/v1/store/"), Client(HTTP_HOST=store_a.host).get("/login/")):
        policy = response["Content-Security-Policy"]
        ancestors = policy.split("frame-ancestors", 1)[1].split(";")[0].split()
        assert ancestors == ["'self'", "https://store-aaa111.mybigcommerce.com", "https://login.bigcommerce.com"]
        assert "X-Frame-Options" not in response
