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


# -- the widget's two scripts: the widget (footer) and the head script that keeps its room -------------------


def sandbox_scripts(server) -> list[dict]:
    with server.state.lock:
        return [dict(s) for s in server.state.store(STORE_HASH).scripts.values()]


def install_scripts(store) -> dict:
    client = BigCommerceClient(store_hash=STORE_HASH, access_token=store.access_token)
    channels = bc_connection.storefront_channels(client=client)
    return bc_connection.scripts_install(store=store, client=client, channels=channels)


def placed(server) -> dict[str, list[int]]:
    """Channel ids carrying each of our scripts, by where they load."""
    where: dict[str, list[int]] = {}
    for script in sandbox_scripts(server):
        where.setdefault(script["location"], []).append(script["channel_id"])
    return {location: sorted(ids) for location, ids in where.items()}


def test_the_head_script_is_one_small_inline_script_that_steps_aside_for_a_theme_slot():
    html = bc_connection.head_script_html()
    assert html.startswith("<script>") and html.endswith("</script>")
    assert html.count("<script") == 1 and html.count("</") == 1  # nothing inside can close it early
    assert len(html) < 1500
    assert ":not(:has([data-backorder-slot]))" in html and "form[data-cart-item-add]" in html


@pytest.mark.django_db
def test_install_registers_the_head_script_with_the_widget_and_a_check_counts_both(connected, sandbox):  # noqa: F811
    assert install_scripts(connected) == {"created": 2, "updated": 0, "deleted": 0}
    scripts = {s["location"]: s for s in sandbox_scripts(sandbox)}
    head = scripts["head"]
    assert (head["kind"], head["html"], head["src"]) == ("script_tag", bc_connection.head_script_html(), "")
    assert (head["visibility"], head["consent_category"], head["auto_uninstall"]) == ("storefront", "essential", True)
    assert scripts["footer"]["kind"] == "src" and scripts["footer"]["load_method"] == "defer"
    assert install_scripts(connected) == {"created": 0, "updated": 0, "deleted": 0}  # nothing to do twice

    health = check(store_client(connected, signed_in_as=connected.owner))
    assert health["scripts"] == {"channels": 1, "installed": 1, "missing_channels": [],
                                 "space": {"expected": 1, "installed": 1}}  # fmt: skip


@pytest.mark.django_db
def test_a_deleted_or_outdated_head_script_is_reported_and_repair_puts_it_back(connected, sandbox):  # noqa: F811
    install_scripts(connected)
    api = store_client(connected, signed_in_as=connected.owner)
    with sandbox.state.lock:  # the merchant deleted it in Script Manager
        scripts = sandbox.state.store(STORE_HASH).scripts
        head = next(uuid for uuid, s in scripts.items() if s["location"] == "head")
        del scripts[head]

    health = check(api)["scripts"]
    assert health["installed"] == 0 and health["space"] == {"expected": 1, "installed": 0}
    assert [(c["id"], c["missing"]) for c in health["missing_channels"]] == [(1, ["space"])]
    assert api.post("/api/v1/connection/repair/").status_code == 202
    assert placed(sandbox) == {"footer": [1], "head": [1]}
    assert Store.objects.get(pk=connected.pk).connection_health["scripts"]["space"] == {"expected": 1, "installed": 1}

    with sandbox.state.lock:  # an older release's head script
        next(s for s in sandbox.state.store(STORE_HASH).scripts.values() if s["location"] == "head")["html"] = (
            "<script>window.old = 1;</script>"
        )
    assert check(api)["scripts"]["missing_channels"][0]["missing"] == ["space"]
    assert install_scripts(connected) == {"created": 0, "updated": 1, "deleted": 0}
    assert check(api)["scripts"]["installed"] == 1


@pytest.mark.django_db
def test_ten_scripts_per_app_the_widget_on_every_channel_and_head_scripts_where_room_is_left(
    connected,
    sandbox,  # noqa: F811
):
    with sandbox.state.lock:
        shop = sandbox.state.store(STORE_HASH)
        for n in range(2, 7):
            sandbox.state.add_channel(shop, name=f"Shop {n}")
    install_scripts(connected)
    assert placed(sandbox) == {"footer": [1, 2, 3, 4, 5, 6], "head": [1, 2, 3, 4]}  # 10: BigCommerce's limit
    health = check(store_client(connected, signed_in_as=connected.owner))["scripts"]
    assert (health["channels"], health["installed"], health["space"]) == (6, 6, {"expected": 4, "installed": 4})

    with sandbox.state.lock:
        sandbox.state.add_channel(shop, name="Shop 7")
    install_scripts(connected)  # a head script goes first, so that the 7th widget fits (an 11th is refused)
    assert placed(sandbox) == {"footer": [1, 2, 3, 4, 5, 6, 7], "head": [1, 2, 3]}

    with sandbox.state.lock:
        for channel_id in range(3, 8):
            del shop.channels[channel_id]
    assert install_scripts(connected) == {"created": 0, "updated": 0, "deleted": 6}
    assert placed(sandbox) == {"footer": [1, 2], "head": [1, 2]}
