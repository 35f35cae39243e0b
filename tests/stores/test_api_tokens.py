"""Per-store API tokens: an integration (an ERP) uses the merchant API with `Authorization: Bearer <token>`.

A token works on its own store's host only, is shown once, is stored as a digest, and is never logged.
"""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator

from stores import api_tokens
from stores.models import ApiToken, StoreMembership, User
from tests.conftest import store_client


def bearer(store, token: str, **client_options) -> Client:
    """An integration calling the store's host with its token (no session, no cookies)."""
    return Client(HTTP_HOST=store.host, HTTP_AUTHORIZATION=f"Bearer {token}", **client_options)


def token_for(store) -> str:
    _, plaintext = api_tokens.api_token_create(store=store, name="ERP", created_by=store.owner)
    return plaintext


@pytest.mark.django_db
def test_the_owner_makes_a_token_and_sees_it_only_once(make_store):
    store = make_store()
    owner = store_client(store, signed_in_as=store.owner)

    made = owner.post("/api/v1/api-tokens/", {"name": "ERP"}, content_type="application/json")
    listed = owner.get("/api/v1/api-tokens/").json()

    body = made.json()
    assert made.status_code == 201, body
    assert body["token"].startswith("bo_") and body["prefix"] == body["token"][:8]
    assert (body["name"], body["created_by"], body["revoked_at"]) == ("ERP", store.owner.email, None)
    assert listed["count"] == 1 and "token" not in listed["results"][0]
    assert body["token"] not in str(listed)
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.token_hash == api_tokens.api_token_digest(token=body["token"])
    assert body["token"] not in [getattr(stored, f.attname) for f in ApiToken._meta.concrete_fields]


@pytest.mark.django_db
def test_a_token_uses_its_own_stores_merchant_api(make_store):
    store = make_store(name="Token Shop")
    response = bearer(store, token_for(store)).get("/api/v1/policies/")
    assert response.status_code == 200
    assert response.json()["results"][0]["scope"] == "store"
    assert bearer(store, token_for(store)).get("/api/v1/store/").json()["name"] == "Token Shop"


@pytest.mark.django_db
def test_a_token_writes_without_csrf_because_it_is_not_a_cookie(make_store):
    store = make_store()
    integration = bearer(store, token_for(store), enforce_csrf_checks=True)
    with schema_context(store.schema_name):
        from backorder.models import Policy

        policy_id = Policy.objects.get(scope="store").pk
    response = integration.patch(f"/api/v1/policies/{policy_id}/", {"max_units": 9}, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["max_units"] == 9


@pytest.mark.django_db
def test_store_a_token_on_store_b_host_gets_nothing_of_b(make_store):
    store_a, store_b = make_store(name="Shop A"), make_store(name="Shop B")
    token_a = token_for(store_a)
    on_b = bearer(store_b, token_a)

    responses = [on_b.get("/api/v1/policies/"), on_b.get("/api/v1/store/"), on_b.get("/api/v1/api-tokens/")]

    assert all(r.status_code in (401, 403) for r in responses), [r.status_code for r in responses]
    assert all("Shop B" not in r.content.decode() and '"results"' not in r.content.decode() for r in responses)
    assert responses[0].json()["error"] == "authentication_failed"
    assert bearer(store_a, token_a).get("/api/v1/policies/").status_code == 200


@pytest.mark.django_db
def test_a_revoked_token_stops_working_at_once(make_store):
    store = make_store()
    owner = store_client(store, signed_in_as=store.owner)
    made = owner.post("/api/v1/api-tokens/", {"name": "ERP"}, content_type="application/json").json()

    assert owner.delete(f"/api/v1/api-tokens/{made['id']}/").status_code == 204
    assert owner.delete(f"/api/v1/api-tokens/{made['id']}/").status_code == 204  # revoking twice is harmless

    assert bearer(store, made["token"]).get("/api/v1/policies/").status_code in (401, 403)
    assert owner.get("/api/v1/api-tokens/").json()["results"][0]["revoked_at"] is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Bearer bo_not-a-real-token", "Bearer", "Bearer two parts", "Bearer " + "x" * 500],
    ids=["unknown", "empty", "spaces", "huge"],
)
def test_malformed_or_unknown_tokens_are_refused(make_store, header):
    store = make_store()
    response = Client(HTTP_HOST=store.host, HTTP_AUTHORIZATION=header).get("/api/v1/policies/")
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"error", "message"}


@pytest.mark.django_db
def test_only_the_owner_signed_in_as_a_person_manages_tokens(make_store):
    store = make_store()
    staff = User.objects.create_user("staff@example.com", password="another-long-password")
    StoreMembership.objects.create(user=staff, store=store, role=StoreMembership.Role.STAFF)
    as_staff = store_client(store, signed_in_as=staff)
    as_token = bearer(store, token_for(store))

    assert as_staff.get("/api/v1/api-tokens/").status_code == 403
    assert as_staff.post("/api/v1/api-tokens/", {"name": "x"}, content_type="application/json").status_code == 403
    assert as_token.get("/api/v1/api-tokens/").status_code == 403
    assert as_token.post("/api/v1/api-tokens/", {"name": "x"}, content_type="application/json").status_code == 403
    assert as_staff.get("/api/v1/policies/").status_code == 200


@pytest.mark.django_db
def test_another_stores_token_cannot_be_revoked_from_here(make_store):
    store_a, store_b = make_store(), make_store()
    token_b, _ = api_tokens.api_token_create(store=store_b, name="ERP", created_by=store_b.owner)
    owner_a = store_client(store_a, signed_in_as=store_a.owner)
    assert owner_a.delete(f"/api/v1/api-tokens/{token_b.pk}/").status_code == 404
    token_b.refresh_from_db()
    assert token_b.revoked_at is None


@pytest.mark.django_db
def test_last_used_is_written_at_most_once_a_minute(make_store):
    store = make_store()
    token, plaintext = api_tokens.api_token_create(store=store, name="ERP", created_by=None)
    integration = bearer(store, plaintext)

    def writes() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert integration.get("/api/v1/store/").status_code == 200
        return sum('UPDATE "stores_apitoken"' in q["sql"] for q in queries.captured_queries)

    assert [writes(), writes(), writes()] == [1, 0, 0]
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    assert writes() == 1
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < timedelta(seconds=30)


@pytest.mark.django_db
def test_tokens_never_reach_the_logs(make_store, caplog):
    store, elsewhere = make_store(), make_store()
    owner = store_client(store, signed_in_as=store.owner)
    with caplog.at_level(logging.DEBUG):
        made = owner.post("/api/v1/api-tokens/", {"name": "ERP"}, content_type="application/json").json()
        bearer(store, made["token"]).get("/api/v1/policies/")
        bearer(elsewhere, made["token"]).get("/api/v1/policies/")
    assert made["token"] not in caplog.text
    assert made["token"][8:] not in caplog.text


def test_the_schema_documents_bearer_tokens():
    schema = SchemaGenerator(urlconf="config.urls_tenant").get_schema(request=None, public=True)
    scheme = schema["components"]["securitySchemes"]["apiToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert {"apiToken": []} in schema["paths"]["/api/v1/policies/"]["get"]["security"]
    assert "token" in schema["components"]["schemas"]["ApiTokenCreated"]["properties"]
