"""Shared fixtures: stores made the way merchants make them, clients on the right hosts."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import set_script_prefix

from stores import services, tenancy
from stores.models import Store

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Stores are rolled back after each test; so must be what we cached about them."""
    tenancy.forget_everything_local()
    cache.clear()
    yield
    tenancy.forget_everything_local()
    cache.clear()
    connection.set_schema_to_public()
    # The store admin's middleware sets the URL prefix (/admin/store/<id>/) per request; real servers reset it
    # for every request, the test client does not, so it would leak into the next test's URLs.
    set_script_prefix("/")


@pytest.fixture
def make_store(db):
    """Sign up a merchant the way the web UI does; returns the Store (its owner is `store.owner`)."""
    made = 0

    def make(name: str | None = None, email: str | None = None) -> Store:
        nonlocal made
        made += 1
        name = name or f"Test Shop {made}"
        email = email or f"owner{made}@{name.lower().replace(' ', '-')}.example"
        result = services.store_sign_up(email=email, password=PASSWORD, store_name=name)
        result.store.owner = result.user
        return result.store

    return make


@pytest.fixture
def public_client() -> Client:
    return Client(HTTP_HOST=settings.PUBLIC_HOST)


def store_client(store: Store, *, signed_in_as=None) -> Client:
    """A browser on the store's host, optionally signed in there (through the real hand-over link)."""
    client = Client(HTTP_HOST=store.host)
    if signed_in_as is not None:
        url = services.one_time_login_create(user=signed_in_as, store=store)
        response = client.get(urlsplit(url).path)
        assert response.status_code == 302, response.content
    return client
