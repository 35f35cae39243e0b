"""The OpenAPI schemas (merchant API on store hosts, public API on the public host) are valid."""

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.mark.parametrize("urlconf", ["config.urls_tenant", "config.urls_storefront"])
def test_openapi_schema_generates_without_warnings_and_validates(urlconf, tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--urlconf", urlconf, "--file", str(out))
    assert "openapi: 3" in out.read_text()


@pytest.mark.django_db
def test_each_host_serves_its_own_schema_and_docs(make_store, public_client):
    store = make_store()
    public = public_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    merchant = Client(HTTP_HOST=store.host).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert public.status_code == merchant.status_code == 200
    assert any(p.startswith("/api/storefront/v1/") for p in public.json()["paths"])
    assert "/api/v1/store/" in merchant.json()["paths"]
    assert public_client.get("/api/docs/").status_code == 200
