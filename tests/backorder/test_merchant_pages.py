"""The merchant's pages on the store host: each one renders for members with a strict content security
policy (no inline scripts anywhere), sends everybody else to sign in, and keeps the old addresses working."""

import re

import pytest
from django.test import Client

from tests.conftest import store_client

PAGES = [
    "/", "/backorders/", "/backorders/1/", "/products/", "/policies/", "/policies/new/", "/policies/1/",
    "/purchase-orders/", "/purchase-orders/new/", "/purchase-orders/1/", "/notifications/", "/notifications/log/",
    "/notifications/recipients/", "/settings/", "/settings/widget/", "/settings/catalog/", "/settings/connection/",
    "/settings/team/", "/settings/api-tokens/",
]  # fmt: skip


@pytest.mark.django_db
def test_every_page_renders_for_the_owner_with_scripts_from_this_app_only(make_store):
    store = make_store()
    store.bigcommerce_store_hash = "abc123"
    store.save()
    browser = store_client(store, signed_in_as=store.owner)
    for path in PAGES:
        response = browser.get(path)
        html = response.content.decode()
        policy = response["Content-Security-Policy"]
        assert response.status_code == 200, path
        assert "script-src 'self'" in policy and "object-src 'none'" in policy, path
        assert "frame-ancestors 'self' https://store-abc123.mybigcommerce.com" in policy, path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {path}"
        assert 'href="#main"' in html and 'aria-current="page"' in html, path


@pytest.mark.django_db
def test_strangers_are_sent_to_sign_in_and_unknown_sections_are_not_found(make_store):
    store = make_store()
    stranger = Client(HTTP_HOST=store.host)
    for path in PAGES:
        response = stranger.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), path
    owner = store_client(store, signed_in_as=store.owner)
    assert owner.get("/settings/billing/").status_code == 404
    assert owner.get("/notifications/everything/").status_code == 404


@pytest.mark.django_db
def test_the_old_dashboard_address_leads_to_the_dashboard(make_store):
    store = make_store()
    response = store_client(store, signed_in_as=store.owner).get("/dashboard/")
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.django_db
def test_a_new_store_is_offered_to_connect_and_staff_cannot_press_the_buttons(make_store, settings):
    from stores import services
    from stores.models import StoreMembership, User

    settings.BIGCOMMERCE_API_URL = "http://127.0.0.1:9"  # the sandbox is offered on loopback only
    store = make_store()
    page = store_client(store, signed_in_as=store.owner).get("/").content.decode()
    assert "Connect your BigCommerce store" in page and 'data-action="try-sandbox"' in page
    staff = User.objects.create_user("staff@shop.example", password="correct-horse-battery-staple")
    services.membership_grant(user=staff, store=store, role=StoreMembership.Role.STAFF)
    staff_page = store_client(store, signed_in_as=staff).get("/").content.decode()
    assert re.search(r'data-action="connect-bigcommerce"[^>]*disabled', staff_page)
    assert (
        "Only the store&#x27;s owner can connect it." in staff_page
        or "Only the store's owner can connect it." in staff_page
    )
