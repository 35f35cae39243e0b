"""New stores are cloned from a template schema that must be current."""

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from backorder.models import Policy
from stores import provisioning, services
from stores.models import Store
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_migrate_keeps_the_template_current():
    assert provisioning.template_pending_migrations() == []


@pytest.mark.django_db
def test_a_clone_from_a_stale_template_is_refused(public_client):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tenant_template.django_migrations WHERE app = 'backorder'")
    assert "backorder.0001_initial" in provisioning.template_pending_migrations()

    with pytest.raises(provisioning.StaleTemplateError, match="run `python manage.py migrate`"):
        services.store_sign_up(email="a@shop.example", password=PASSWORD, store_name="Stale Shop")
    assert not Store.objects.filter(slug="stale-shop").exists()

    response = public_client.post(
        "/signup/", {"email": "b@shop.example", "password": PASSWORD, "store_name": "Stale Shop"}
    )
    assert response.status_code == 503
    assert "try again" in response.content.decode().lower()


@pytest.mark.django_db
def test_a_cloned_store_has_the_same_tables_as_a_migrated_one(make_store):
    cloned = make_store()
    migrated = Store(name="Migrated", slug="migrated", schema_name="store_migrated")
    migrated.save()
    provisioning.store_schema_create_by_migrations(store=migrated)

    def tables(schema: str) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2",
                [schema],
            )
            return cursor.fetchall()

    assert tables(cloned.schema_name) == tables(migrated.schema_name)
    with schema_context(migrated.schema_name):
        assert Policy.objects.count() == 1


@pytest.mark.django_db
def test_the_public_site_is_a_tenant_for_the_app_host():
    public = Store.objects.get(schema_name="public")
    assert [d.domain for d in public.domains.all()] == ["localhost"]
    assert Client(HTTP_HOST="localhost").get("/").status_code == 200
