"""Health check and background work for a store."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ
from django_q.tasks import result

from stores.models import Store
from stores.tasks import enqueue_for_connected_stores, enqueue_for_store, store_task


@pytest.mark.django_db
def test_healthz_reports_database_and_queue_ok(public_client):
    response = public_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["queue"] == {"status": "ok", "pending": 0, "oldest_pending_seconds": 0.0, "message": ""}


@pytest.mark.django_db
def test_healthz_is_unhealthy_when_tasks_wait_too_long(public_client):
    OrmQ.objects.create(key="backorder", payload="x", lock=timezone.now() - timedelta(minutes=30))
    response = public_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["queue"]["status"] == "stale"
    assert "qcluster" in response.json()["checks"]["queue"]["message"]


@pytest.mark.django_db
def test_healthz_answers_on_store_hosts_too(make_store):
    store = make_store()
    assert Client(HTTP_HOST=store.host).get("/healthz").status_code == 200


@store_task
def which_schema(label: str) -> str:
    return f"{label}:{connection.schema_name}"


@pytest.mark.django_db
def test_a_store_task_runs_inside_the_store_schema(make_store, settings):
    store = make_store()
    connection.set_schema(store.schema_name)
    task_id = enqueue_for_store("tests.stores.test_health_and_tasks.which_schema", "hello")
    connection.set_schema_to_public()
    assert result(task_id) == f"hello:{store.schema_name}"


def test_enqueue_for_store_refuses_the_public_schema():
    connection.set_schema_to_public()
    with pytest.raises(ValueError, match="store's schema"):
        enqueue_for_store(which_schema, "x")


schemas_swept: list[str] = []


@store_task
def note_schema() -> None:
    schemas_swept.append(connection.schema_name)


@pytest.mark.django_db
def test_an_hourly_sweep_queues_one_task_for_each_active_connected_store(make_store):
    connected, deactivated = make_store(), make_store()
    make_store()  # never connected to BigCommerce
    Store.objects.filter(pk__in=[connected.pk, deactivated.pk]).update(connection=Store.Connection.CONNECTED)
    Store.objects.filter(pk=deactivated.pk).update(status=Store.Status.DEACTIVATED)
    schemas_swept.clear()
    assert enqueue_for_connected_stores("tests.stores.test_health_and_tasks.note_schema") == 1
    assert schemas_swept == [connected.schema_name]
