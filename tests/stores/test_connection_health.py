"""Connection health: what the app finds on BigCommerce (token, webhooks, widget scripts), the events it
received, "check now" and "repair", all through the merchant API, with the sandbox playing BigCommerce."""

import pytest
from django.utils import timezone

from stores.bigcommerce import connection as bc_connection
from stores.bigcommerce.client import BigCommerceClient
from stores.models import Store, WebhookEvent
from tests.backorder.conftest import sandbox  # noqa: F401  (fixture)
from tests.conftest import store_client

STORE_HASH = "health01"


@pytest.fixture
def connected(make_store, sandbox):  # noqa: F811
    store = make_store()
    sandbox.create_store(STORE_HASH, name="Health Shop", seed=3, products=5)
    store.bigcommerce_store_hash = STORE_HASH
    store.access_token = sandbox.issue_token(STORE_HASH)
    store.connection = Store.Connection.CONNECTED
    store.scopes = "store_v2_orders store_v2_products"
    store.save()
    return store


def check(api) -> dict:
    response = api.post("/api/v1/connection/check/")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_a_check_finds_missing_webhooks_and_scripts_and_then_finds_them_in_place(connected):
    api = store_client(connected, signed_in_as=connected.owner)

    before = check(api)
    assert before["token"] == "ok"
    assert before["webhooks"]["active"] == 0 and len(before["webhooks"]["missing"]) == len(bc_connection.WEBHOOK_SCOPES)
    assert before["scripts"]["installed"] == 0 and before["scripts"]["channels"] >= 1

    client = BigCommerceClient(store_hash=STORE_HASH, access_token=connected.access_token)
    bc_connection.webhooks_register(store=connected, client=client)
    bc_connection.scripts_install(
        store=connected, client=client, channels=bc_connection.storefront_channels(client=client)
    )
    after = check(api)

    every = len(bc_connection.WEBHOOK_SCOPES)
    assert after["webhooks"] == {"expected": every, "active": every, "missing": []}
    assert after["scripts"]["installed"] == after["scripts"]["channels"]
    read = api.get("/api/v1/connection/").json()
    assert read["last_check"]["checked_at"] == after["checked_at"] and read["scopes"] == [
        "store_v2_orders",
        "store_v2_products",
    ]
    steps = {s["key"]: s["done"] for s in api.get("/api/v1/dashboard/onboarding/").json()["steps"]}
    assert steps["widget"] is True


@pytest.mark.django_db
def test_a_refused_token_is_reported_and_the_store_needs_reconnecting(connected):
    connected.access_token = "not-a-token"
    connected.save()
    api = store_client(connected, signed_in_as=connected.owner)

    assert check(api)["token"] == "refused"
    assert Store.objects.get(pk=connected.pk).connection == Store.Connection.NEEDS_RECONNECTING
    repair = api.post("/api/v1/connection/repair/")
    assert repair.status_code == 400 and "reconnect" in str(repair.json())


@pytest.mark.django_db
def test_repair_re_creates_hooks_and_scripts_and_records_what_it_did(connected):
    api = store_client(connected, signed_in_as=connected.owner)

    assert api.post("/api/v1/connection/repair/").status_code == 202  # the reconciliation runs at once in tests

    health = Store.objects.get(pk=connected.pk).connection_health
    assert health["webhooks"]["active"] == len(bc_connection.WEBHOOK_SCOPES)
    assert health["scripts"]["installed"] == health["scripts"]["channels"] >= 1


@pytest.mark.django_db
def test_the_connection_shows_the_events_received_and_those_that_gave_up(connected):
    now = timezone.now()
    for key, status in (("a", WebhookEvent.Status.DONE), ("b", WebhookEvent.Status.DEAD)):
        WebhookEvent.objects.create(
            store=connected, dedupe_key=key, scope="store/order/created", payload={}, received_at=now, status=status
        )
    events = store_client(connected, signed_in_as=connected.owner).get("/api/v1/connection/").json()["events"]
    assert (events["last_day"], events["dead"], events["pending"]) == (2, 1, 0)


@pytest.mark.django_db
def test_a_store_that_is_not_connected_has_nothing_to_check(make_store):
    store = make_store()
    api = store_client(store, signed_in_as=store.owner)
    assert api.get("/api/v1/connection/").json()["connection"] == "not_connected"
    assert api.post("/api/v1/connection/check/").status_code == 409
    assert api.post("/api/v1/connection/repair/").status_code == 409
