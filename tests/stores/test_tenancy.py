"""Routing requests to the right store, cheaply, and never to the wrong one."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from stores import tenancy
from stores.models import Domain
from tests.conftest import store_client


def sql_without_search_path(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]


@pytest.mark.django_db
def test_a_warm_request_on_a_store_host_pays_no_query_for_finding_the_store(make_store):
    store = make_store()
    browser = Client(HTTP_HOST=store.host)
    assert browser.get("/livez").status_code == 200  # cold: looks the host up once

    with CaptureQueriesContext(connection) as captured:
        response = browser.get("/livez")

    assert response.status_code == 200
    assert sql_without_search_path(captured) == []


@pytest.mark.django_db
def test_a_warm_storefront_request_pays_no_query_for_finding_the_store_by_public_key(make_store, public_client):
    store = make_store()
    url = f"/api/storefront/v1/{store.public_key}/config"
    assert public_client.get(url).status_code == 200

    with CaptureQueriesContext(connection) as captured:
        response = public_client.get(url)

    assert response.status_code == 200
    assert response.json()["store_name"] == store.name
    assert sql_without_search_path(captured) == []


@pytest.mark.django_db
def test_the_store_lookup_survives_a_cold_process_through_the_shared_cache(make_store):
    store = make_store()
    Client(HTTP_HOST=store.host).get("/livez")
    tenancy.forget_everything_local()  # a second web process: nothing local, the shared cache is warm

    with CaptureQueriesContext(connection) as captured:
        Client(HTTP_HOST=store.host).get("/livez")

    assert sql_without_search_path(captured) == []


@pytest.mark.django_db
def test_a_changed_domain_is_seen_at_once(make_store):
    store = make_store()
    assert Client(HTTP_HOST=store.host).get("/livez").status_code == 200

    domain = Domain.objects.get(tenant=store)
    domain.domain = "renamed.localhost"
    domain.save()

    assert Client(HTTP_HOST="renamed.localhost").get("/livez").status_code == 200
    assert Client(HTTP_HOST=store.host).get("/livez").status_code == 404


@pytest.mark.django_db
def test_unknown_hosts_and_public_keys_get_404(public_client):
    assert Client(HTTP_HOST="nobody.localhost").get("/livez").status_code == 404
    response = public_client.get("/api/storefront/v1/pk_unknown/config")
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_store"


@pytest.mark.django_db
def test_a_deactivated_store_no_longer_answers_on_its_public_key(make_store, public_client):
    store = make_store()
    store.status = store.Status.DEACTIVATED
    store.save()
    assert public_client.get(f"/api/storefront/v1/{store.public_key}/config").status_code == 404


@pytest.mark.django_db
def test_each_request_runs_in_its_own_store_schema(make_store):
    first, second = make_store(), make_store()
    for store in (first, second, first):
        response = store_client(store, signed_in_as=store.owner).get("/api/v1/store/")
        assert response.json()["slug"] == store.slug
