"""Store A's people never reach store B: not with their session, not with their password."""

import pytest
from django.test import Client

from tests.conftest import PASSWORD, store_client


@pytest.mark.django_db
def test_a_member_can_use_their_own_store_api(make_store):
    store = make_store()
    response = store_client(store, signed_in_as=store.owner).get("/api/v1/store/")
    assert response.status_code == 200
    assert response.json()["your_role"] == "owner"


@pytest.mark.django_db
def test_store_a_session_cookie_replayed_on_store_b_host_gets_nothing(make_store):
    store_a, store_b = make_store(), make_store()
    browser_a = store_client(store_a, signed_in_as=store_a.owner)
    cookie = browser_a.cookies["sessionid"].value

    thief = Client(HTTP_HOST=store_b.host)
    thief.cookies["sessionid"] = cookie
    api = thief.get("/api/v1/store/")
    page = thief.get("/")

    assert api.status_code == 403
    assert store_b.name not in api.content.decode()
    assert page.status_code == 302 and "/login/" in page["Location"]


@pytest.mark.django_db
def test_store_a_owner_cannot_sign_in_on_store_b_host(make_store):
    store_a, store_b = make_store(), make_store()
    response = Client(HTTP_HOST=store_b.host).post("/login/", {"username": store_a.owner.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "no access to this store" in response.content.decode()


@pytest.mark.django_db
def test_the_store_api_refuses_anonymous_callers(make_store):
    store = make_store()
    response = Client(HTTP_HOST=store.host).get("/api/v1/store/")
    assert response.status_code == 403
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.django_db
def test_a_session_cookie_is_host_only(make_store):
    store = make_store()
    browser = store_client(store, signed_in_as=store.owner)
    assert browser.cookies["sessionid"]["domain"] == ""
