"""Signing in on the public host hands over to the store's host through a single-use link."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from stores import services
from stores.models import OneTimeLogin, StoreMembership
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_sign_in_on_the_public_host_lands_signed_in_on_the_store_host(make_store, public_client):
    store = make_store()
    response = public_client.post("/login/", {"username": store.owner.email.upper(), "password": PASSWORD})

    assert response.status_code == 302
    link = urlsplit(response["Location"])
    assert link.hostname == store.host
    browser = Client(HTTP_HOST=store.host)
    assert browser.get(link.path).status_code == 302
    assert browser.get("/").status_code == 200
    assert "sessionid" not in public_client.cookies  # nothing to steal on the public host


@pytest.mark.django_db
def test_a_wrong_password_is_refused_with_a_message(make_store, public_client):
    store = make_store()
    response = public_client.post("/login/", {"username": store.owner.email, "password": "wrong-password-1"})
    assert response.status_code == 400
    assert "correct" in response.content.decode()


@pytest.mark.django_db
def test_a_sign_in_link_works_once(make_store):
    store = make_store()
    path = urlsplit(services.one_time_login_create(user=store.owner, store=store)).path
    browser = Client(HTTP_HOST=store.host)
    assert browser.get(path, follow=True).redirect_chain[-1][0] == "/"
    assert Client(HTTP_HOST=store.host).get(path)["Location"] == "/login/"


@pytest.mark.django_db
def test_a_browser_that_refuses_the_cookie_is_offered_the_app_in_a_new_tab(make_store):
    store = make_store()
    path = urlsplit(services.one_time_login_create(user=store.owner, store=store)).path
    check = Client(HTTP_HOST=store.host).get(path)["Location"]
    cookieless = Client(HTTP_HOST=store.host).get(check)  # the cookie set by the hand-over never came back
    assert cookieless.status_code == 200
    assert "Open Backorder in a new tab" in cookieless.content.decode()
    spare = cookieless.context["spare"]
    new_tab = Client(HTTP_HOST=store.host)
    assert new_tab.get(spare, follow=True).redirect_chain[-1][0] == "/"
    assert new_tab.get("/").status_code == 200


@pytest.mark.django_db
def test_a_sign_in_link_expires_and_only_works_on_its_own_store(make_store):
    store, other = make_store(), make_store()
    path = urlsplit(services.one_time_login_create(user=store.owner, store=store)).path
    assert Client(HTTP_HOST=other.host).get(path)["Location"] == "/login/"

    OneTimeLogin.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client(HTTP_HOST=store.host).get(path)["Location"] == "/login/"


@pytest.mark.django_db
def test_sign_out_and_back_in_on_the_store_host(make_store):
    store = make_store()
    browser = Client(HTTP_HOST=store.host)
    response = browser.post("/login/", {"username": store.owner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert browser.get("/").status_code == 200

    assert browser.post("/logout/").status_code == 302
    assert browser.get("/").status_code == 302

    browser.post("/login/", {"username": store.owner.email, "password": PASSWORD})
    assert browser.get("/").status_code == 200


@pytest.mark.django_db
def test_a_person_with_two_stores_chooses_one(make_store, public_client):
    first, second = make_store(), make_store()
    StoreMembership.objects.create(user=first.owner, store=second, role="staff")
    response = public_client.post("/login/", {"username": first.owner.email, "password": PASSWORD})
    assert response.status_code == 200
    page = response.content.decode()
    assert first.host in page and second.host in page


@pytest.mark.django_db
def test_password_reset_mails_a_link_that_sets_a_new_password(make_store, public_client):
    store = make_store()
    response = public_client.post("/password-reset/", {"email": store.owner.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)
    form = public_client.get(urlsplit(link).path, follow=True)
    assert form.status_code == 200
    new_password = "a-brand-new-passphrase"
    done = public_client.post(
        form.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}
    )
    assert done.status_code == 302
    login = public_client.post("/login/", {"username": store.owner.email, "password": new_password})
    assert login.status_code == 302
