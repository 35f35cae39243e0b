"""Several inventory locations, end to end against the sandbox (docs/engine.md, "Locations"): a store with
three locations, the default one and a shop that sell online and a back-office warehouse that does not.

What BigCommerce keeps per location (stock, limits, backordered units) the app mirrors per location; the
storefront counts the locations that sell online, an answer about one location counts that location; stock
arriving at a location fills, oldest first, the backorders that location can fulfil; purchase orders arrive
at the location they name; a location disabled while backorders wait stops counting and giving stock. A store
with one location is covered by every other test of the engine, unchanged."""

import email.utils
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backorder import handlers, sync
from backorder.models import Allocation, Backorder, Location, LocationStock, Policy, StockAdjustment, Variant
from backorder.services import capture
from backorder.services.allocation import stock_adjustments_send
from backorder.services.availability import backorder_limits_push, store_today
from backorder.services.locations import location_update, locations_sync
from backorder.services.purchase_orders import LineInput, purchase_order_create, purchase_order_receive
from tests.backorder.conftest import SANDBOX_STORE
from tests.backorder.test_allocation import client_of
from tests.backorder.test_policies import openapi  # noqa: F401  (fixture)
from tests.backorder.test_stock_mirror import Interleaved

pytestmark = pytest.mark.django_db

SHOP_STOCK, WAREHOUSE_STOCK = 3, 50


@pytest.fixture
def three_locations(connected_store, sandbox, django_capture_on_commit_callbacks):
    """The default location and a shop sell online (aggregated stock); the warehouse does not. The app
    copies the locations, the merchant says the shop sells online, and a full sync reads every location."""
    shop = sandbox.add_location(SANDBOX_STORE, "Harbour Street shop", code="SHOP")["id"]
    warehouse = sandbox.add_location(SANDBOX_STORE, "Back-office warehouse", code="WAREHOUSE")["id"]
    sandbox.set_store_settings(SANDBOX_STORE, online_locations=[1, shop])
    client = client_of(connected_store)
    locations_sync(client=client, follow_up=False)
    location_update(location=Location.objects.get(bigcommerce_id=shop), sells_online=True)
    sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)
    return 1, shop, warehouse


@pytest.fixture
def shirt(connected_store, sandbox, three_locations):
    """A variant with 0 units at the default location, 3 at the shop and 50 at the warehouse; backorders on,
    10 units per location, 4 at the warehouse (the policy names it)."""
    _, shop, warehouse = three_locations
    variant = Variant.objects.filter(product__inventory_tracking="variant", is_deleted=False).order_by("id").first()
    for location_id, units in ((1, 0), (shop, SHOP_STOCK), (warehouse, WAREHOUSE_STOCK)):
        sandbox.restock(SANDBOX_STORE, quantity=units, variant_id=variant.bigcommerce_id, location_id=location_id)
    policy = Policy.objects.get(scope="store", customer_group_ids=[])
    policy.enabled, policy.max_units, policy.lead_time_days = True, 10, 10
    policy.location_limits = {str(warehouse): 4}
    policy.save()
    refresh(connected_store, variant)
    backorder_limits_push(client=client_of(connected_store), variant_ids=[variant.bigcommerce_id])
    return Variant.objects.select_related("product").get(pk=variant.pk)


def refresh(store, variant) -> None:
    """What a product webhook does (re-read the product at every location, allocate what is free)."""
    handlers.catalog_changed(store, [{"data": {"type": "product", "id": variant.product.bigcommerce_id}}])


def at(sandbox, variant, location_id: int) -> tuple[int, int]:
    item = sandbox.inventory_item(SANDBOX_STORE, variant_id=variant.bigcommerce_id, location_id=location_id)
    return item["total_inventory_onhand"], item["qty_backordered"]


def mirrored(variant, location_id: int) -> tuple[int, int]:
    if location_id == 1:
        row = Variant.objects.get(pk=variant.pk)
        return row.on_hand, row.qty_backordered
    row = LocationStock.objects.get(variant_id=variant.bigcommerce_id, location_id=location_id)
    return row.on_hand, row.qty_backordered


def order(store, sandbox, variant, quantity: int, *, pickup_at: int | None = None) -> Backorder:
    """A shopper checks out in BigCommerce (to collect at `pickup_at`, or shipped); capture records it."""
    placed = sandbox.place_order(
        SANDBOX_STORE, [{"variant_id": variant.bigcommerce_id, "quantity": quantity}], pickup_location_id=pickup_at
    )
    capture.order_sync(client=client_of(store), order_id=placed["id"])
    return Backorder.objects.get(order_id=placed["id"])


def storefront(public_client, store, variant, **params) -> dict:
    url = f"/api/storefront/v1/{store.public_key}/products/{variant.product.bigcommerce_id}"
    response = public_client.get(url, {"variant_id": variant.bigcommerce_id, **params})
    return response.status_code, response.json()


def test_the_storefront_counts_the_locations_that_sell_online_and_one_location_when_asked(
    connected_store, sandbox, three_locations, shirt, public_client
):
    _, shop, warehouse = three_locations
    public_client.get(f"/api/storefront/v1/{connected_store.public_key}/products/1")  # warm the store lookup
    with CaptureQueriesContext(connection) as captured:
        status, online = storefront(public_client, connected_store, shirt, quantity=5)
    assert [q for q in captured.captured_queries if not q["sql"].startswith("SET")].__len__() == 1
    # The shop's 3 units, not the warehouse's 50: 3 ready, 2 backordered at the default location (cap 10).
    assert (status, online["state"], online["on_hand"], online["ready_to_ship"], online["backordered"]) == (
        200, "backorder", SHOP_STOCK, 3, 2,
    )  # fmt: skip
    assert online["backorder_available"] == 10
    assert online["expected_ship_date"] == (store_today() + timedelta(days=10)).isoformat()

    with CaptureQueriesContext(connection) as captured:  # one location's answer: the same one SELECT
        status, there = storefront(public_client, connected_store, shirt, quantity=5, location_id=warehouse)
    assert [q for q in captured.captured_queries if not q["sql"].startswith("SET")].__len__() == 1
    assert (status, there["state"], there["on_hand"], there["backorder_available"]) == (
        200, "in_stock", WAREHOUSE_STOCK, 4,
    )  # fmt: skip
    status, shop_answer = storefront(public_client, connected_store, shirt, quantity=8, location_id=shop)
    assert (shop_answer["state"], shop_answer["ready_to_ship"], shop_answer["backordered"]) == ("backorder", 3, 5)
    assert storefront(public_client, connected_store, shirt, location_id=99)[0] == 404
    assert storefront(public_client, connected_store, shirt, location_id="x")[0] == 400

    # BigCommerce enforces each location's own cap.
    assert [sandbox.inventory_item(SANDBOX_STORE, variant_id=shirt.bigcommerce_id, location_id=location_id)
            ["settings"]["backorder_limit"] for location_id in (1, shop, warehouse)] == [10, 10, 4]  # fmt: skip


def test_warm_answers_are_kept_per_location(connected_store, sandbox, three_locations, shirt, public_client, settings):
    settings.STOREFRONT_ANSWER_CACHE = True
    _, _, warehouse = three_locations
    online = storefront(public_client, connected_store, shirt)[1]
    there = storefront(public_client, connected_store, shirt, location_id=warehouse)[1]
    with CaptureQueriesContext(connection) as captured:  # both warm now: no query, each its own answer
        assert storefront(public_client, connected_store, shirt)[1] == online
        assert storefront(public_client, connected_store, shirt, location_id=warehouse)[1] == there
    assert [q for q in captured.captured_queries if not q["sql"].startswith("SET")] == []
    assert (online["on_hand"], there["on_hand"]) == (SHOP_STOCK, WAREHOUSE_STOCK)


def test_a_restock_at_the_shop_fills_the_backorders_it_can_oldest_first(
    connected_store, sandbox, three_locations, shirt, django_capture_on_commit_callbacks
):
    _, shop, warehouse = three_locations
    sandbox.restock(SANDBOX_STORE, quantity=0, variant_id=shirt.bigcommerce_id, location_id=shop)
    sandbox.restock(SANDBOX_STORE, quantity=0, variant_id=shirt.bigcommerce_id, location_id=warehouse)
    refresh(connected_store, shirt)
    shipped_first = order(connected_store, sandbox, shirt, 2)
    collect_at_warehouse = order(connected_store, sandbox, shirt, 3, pickup_at=warehouse)
    collect_at_shop = order(connected_store, sandbox, shirt, 1, pickup_at=shop)
    shipped_last = order(connected_store, sandbox, shirt, 2)
    queue = (shipped_first, collect_at_warehouse, collect_at_shop, shipped_last)
    assert [(b.location_id, b.pickup, b.quantity) for b in queue] == [
        (1, False, 2), (warehouse, True, 3), (shop, True, 1), (1, False, 2)
    ]  # fmt: skip
    assert [at(sandbox, shirt, location_id) for location_id in (1, shop, warehouse)] == [(0, 4), (0, 1), (0, 3)]

    sandbox.restock(SANDBOX_STORE, quantity=4, variant_id=shirt.bigcommerce_id, location_id=shop, relative=True)
    with django_capture_on_commit_callbacks(execute=True):
        refresh(connected_store, shirt)

    # The shop sells online: it fills the backorders to ship and its own, oldest first; not the warehouse's.
    queue = (shipped_first, collect_at_warehouse, collect_at_shop, shipped_last)
    assert [Backorder.objects.get(pk=b.pk).quantity_allocated for b in queue] == [2, 0, 1, 1]
    assert set(Allocation.objects.values_list("location_id", flat=True)) == {shop}
    # The units left the shop's on-hand, and qty_backordered where each backorder was booked.
    assert [at(sandbox, shirt, location_id) for location_id in (1, shop, warehouse)] == [(0, 1), (0, 0), (0, 3)]
    assert not StockAdjustment.objects.exclude(status="applied").exists()
    assert {row.location_id for row in StockAdjustment.objects.all()} == {1, shop}
    for location_id in (1, shop, warehouse):
        assert mirrored(shirt, location_id) == at(sandbox, shirt, location_id)

    sandbox.restock(SANDBOX_STORE, quantity=5, variant_id=shirt.bigcommerce_id, location_id=warehouse, relative=True)
    with django_capture_on_commit_callbacks(execute=True):
        refresh(connected_store, shirt)
    # The warehouse does not sell online: it fills its own pickups only; the last order to ship still waits.
    assert Backorder.objects.get(pk=collect_at_warehouse.pk).status == "allocated"
    assert Backorder.objects.get(pk=shipped_last.pk).quantity_allocated == 1
    assert at(sandbox, shirt, warehouse) == mirrored(shirt, warehouse) == (2, 0)
    # Nothing is counted twice: another webhook finds nothing more to allocate.
    with django_capture_on_commit_callbacks(execute=True):
        refresh(connected_store, shirt)
    assert sum(Allocation.objects.values_list("quantity", flat=True)) == 4 + 3


def test_a_reading_of_a_location_taken_while_our_adjustment_there_is_in_flight_is_set_aside(
    connected_store, sandbox, three_locations, shirt, django_capture_on_commit_callbacks
):
    _, shop, _ = three_locations
    sandbox.restock(SANDBOX_STORE, quantity=0, variant_id=shirt.bigcommerce_id, location_id=shop)
    refresh(connected_store, shirt)
    waiting = order(connected_store, sandbox, shirt, 3)
    sandbox.restock(SANDBOX_STORE, quantity=2, variant_id=shirt.bigcommerce_id, location_id=shop, relative=True)
    refresh(connected_store, shirt)  # allocates 2 at the shop: the adjustment is written, not sent
    assert Backorder.objects.get(pk=waiting.pk).quantity_allocated == 2
    seen = []

    def webhook_lands():  # BigCommerce has applied the shop's -2 (and the default location's -2 backordered)
        with django_capture_on_commit_callbacks():
            sync.products_refresh(client=client_of(connected_store), product_ids=[shirt.product.bigcommerce_id])
        seen.append(mirrored(shirt, shop))

    client = Interleaved(client_of(connected_store), after_adjustment=webhook_lands)
    assert stock_adjustments_send(variant_id=shirt.bigcommerce_id, client=client) == {"applied": 2}

    assert seen == [(2, 0)]  # the reading (0 on hand) was set aside: the mirror kept the 2 units it owed
    assert [mirrored(shirt, location_id) for location_id in (1, shop)] == [(0, 1), (0, 0)]
    assert [at(sandbox, shirt, location_id) for location_id in (1, shop)] == [(0, 1), (0, 0)]


def test_a_purchase_order_received_at_the_warehouse_goes_to_the_warehouses_backorders(
    connected_store, sandbox, three_locations, shirt, public_client, django_capture_on_commit_callbacks
):
    _, shop, warehouse = three_locations
    sandbox.restock(SANDBOX_STORE, quantity=0, variant_id=shirt.bigcommerce_id, location_id=warehouse)
    sandbox.restock(SANDBOX_STORE, quantity=0, variant_id=shirt.bigcommerce_id, location_id=shop)
    refresh(connected_store, shirt)
    collect = order(connected_store, sandbox, shirt, 2, pickup_at=warehouse)
    to_ship = order(connected_store, sandbox, shirt, 1)
    today = store_today()
    with pytest.raises(ValidationError):
        purchase_order_create(lines=[LineInput(shirt.bigcommerce_id, 3, today)], today=today, location_id=99)
    purchase = purchase_order_create(
        lines=[LineInput(shirt.bigcommerce_id, 3, today + timedelta(days=4))], today=today, location_id=warehouse
    )
    assert purchase.location_id == warehouse
    # Its units are incoming at the warehouse: that location's answer counts them, the storefront's does not.
    there = storefront(public_client, connected_store, shirt, quantity=1, location_id=warehouse)[1]
    online = storefront(public_client, connected_store, shirt, quantity=1)[1]
    assert there["expected_ship_date"] == (today + timedelta(days=4)).isoformat()
    assert online["expected_ship_date"] == (today + timedelta(days=10)).isoformat()  # the lead time
    assert Backorder.objects.get(pk=collect.pk).expected_ship_date == today + timedelta(days=4)

    with django_capture_on_commit_callbacks(execute=True):
        purchase_order_receive(order=purchase)

    assert Backorder.objects.get(pk=collect.pk).status == "allocated"
    assert Backorder.objects.get(pk=to_ship.pk).quantity_allocated == 0  # the warehouse does not ship online
    assert set(Allocation.objects.values_list("location_id", flat=True)) == {warehouse}
    receipt = StockAdjustment.objects.get(reason=f"purchase_order:{purchase.pk}")
    assert (receipt.location_id, receipt.on_hand_delta, receipt.status) == (warehouse, 3, "applied")
    assert at(sandbox, shirt, warehouse) == mirrored(shirt, warehouse) == (1, 0)


def test_a_location_disabled_while_backorders_wait_stops_counting_and_keeps_them_waiting(
    connected_store, sandbox, three_locations, shirt, public_client, django_capture_on_commit_callbacks
):
    _, shop, warehouse = three_locations
    sandbox.restock(SANDBOX_STORE, quantity=0, variant_id=shirt.bigcommerce_id, location_id=shop)
    refresh(connected_store, shirt)
    collect_at_shop = order(connected_store, sandbox, shirt, 2, pickup_at=shop)
    to_ship = order(connected_store, sandbox, shirt, 1)
    today = store_today()
    for_the_shop = purchase_order_create(
        lines=[LineInput(shirt.bigcommerce_id, 2, today)], today=today, location_id=shop
    )
    sandbox.restock(SANDBOX_STORE, quantity=SHOP_STOCK, variant_id=shirt.bigcommerce_id, location_id=shop)
    sandbox.update_location(SANDBOX_STORE, shop, enabled=False)  # before the stock webhook is handled
    with django_capture_on_commit_callbacks(execute=True):
        handlers.locations_changed(connected_store, [{"data": {"location_id": shop}}])
        refresh(connected_store, shirt)

    assert not Location.objects.get(bigcommerce_id=shop).counts_online
    # The shop's units neither sell online nor fill anything: BigCommerce refuses to change its stock.
    assert storefront(public_client, connected_store, shirt)[1]["on_hand"] == 0
    assert storefront(public_client, connected_store, shirt, location_id=shop)[1]["state"] == "unavailable"
    assert Backorder.objects.get(pk=collect_at_shop.pk).quantity_allocated == 0
    assert Backorder.objects.get(pk=to_ship.pk).quantity_allocated == 0
    # A purchase order for the shop cannot be received there while it is disabled: a 400, nothing sent.
    with pytest.raises(ValidationError) as refused:
        purchase_order_receive(order=for_the_shop)
    assert "disabled in BigCommerce" in str(refused.value.message_dict["location_id"])
    assert not StockAdjustment.objects.filter(reason=f"purchase_order:{for_the_shop.pk}").exists()

    # Stock at the default location fills the order to ship; the pickup at the shop keeps waiting there.
    sandbox.restock(SANDBOX_STORE, quantity=5, variant_id=shirt.bigcommerce_id, location_id=1, relative=True)
    with django_capture_on_commit_callbacks(execute=True):
        refresh(connected_store, shirt)
    assert Backorder.objects.get(pk=to_ship.pk).status == "allocated"
    assert Backorder.objects.get(pk=collect_at_shop.pk).quantity_allocated == 0

    # Enabled again: the shop's units fill its pickup.
    sandbox.update_location(SANDBOX_STORE, shop, enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        handlers.locations_changed(connected_store, [{"data": {"location_id": shop}}])
    assert Backorder.objects.get(pk=collect_at_shop.pk).status == "allocated"
    assert at(sandbox, shirt, shop) == mirrored(shirt, shop) == (1, 0)


def test_a_location_removed_in_bigcommerce_leaves_the_mirror_and_the_store_listens_per_location(
    connected_store, sandbox, three_locations, shirt
):
    _, shop, warehouse = three_locations
    from stores.bigcommerce.connection import webhook_scopes

    assert "store/channel/*/inventory/product/stock_changed" in webhook_scopes(connected_store)
    sandbox.delete_location(SANDBOX_STORE, warehouse)
    change = locations_sync(client=client_of(connected_store), follow_up=False)
    assert change.removed == [warehouse]
    assert not LocationStock.objects.filter(location_id=warehouse).exists()
    assert Location.objects.get(bigcommerce_id=warehouse).is_removed
    sandbox.delete_location(SANDBOX_STORE, shop)
    locations_sync(client=client_of(connected_store), follow_up=False)
    assert "store/channel/*/inventory/product/stock_changed" not in webhook_scopes(connected_store)


def test_capture_reads_the_pickup_location_only_for_an_order_to_collect(
    connected_store, sandbox, three_locations, shirt
):
    _, shop, _ = three_locations
    placed = sandbox.place_order(SANDBOX_STORE, [{"variant_id": shirt.bigcommerce_id, "quantity": 1}])
    lines = client_of(connected_store).get(f"/v2/orders/{placed['id']}/products")
    assert capture._pickup_locations(client=None, order_id=placed["id"], lines=lines) == {}  # no request
    collected = sandbox.place_order(SANDBOX_STORE, [{"variant_id": shirt.bigcommerce_id, "quantity": 1}],
                                    pickup_location_id=shop)  # fmt: skip
    lines = client_of(connected_store).get(f"/v2/orders/{collected['id']}/products")
    assert capture._pickup_locations(client=client_of(connected_store), order_id=collected["id"], lines=lines) == {
        lines[0]["id"]: shop
    }
    assert email.utils.parsedate_to_datetime(collected["date_created"])


# -- a store with one location: the location answer is the storefront's ------------------------------------


def test_a_store_with_one_location_answers_for_its_default_location_and_refuses_any_other(store, public_client):
    from backorder.services.availability import availability_refresh
    from tests.backorder.conftest import backorder_make, variant_make

    Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=7, max_units=20)
    variant = variant_make(on_hand=2)
    backorder_make(variant, 1)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    assert not Location.objects.exists() and not LocationStock.objects.exists()
    public_client.get(f"/api/storefront/v1/{store.public_key}/products/1")  # warm the store lookup

    with CaptureQueriesContext(connection) as captured:
        status, default = storefront(public_client, store, variant, quantity=3, location_id=1)
    assert [q for q in captured.captured_queries if not q["sql"].startswith("SET")].__len__() == 1
    assert (status, default) == (200, storefront(public_client, store, variant, quantity=3)[1])
    assert (default["state"], default["ready_to_ship"], default["backordered"]) == ("backorder", 2, 1)

    status, unknown = storefront(public_client, store, variant, location_id=2)
    assert (status, unknown["error"]) == (404, "not_found") and "location 2" in unknown["message"]
    status, bad = storefront(public_client, store, variant, location_id="shop")
    assert status == 400 and "location_id" in bad["message"]


# -- the merchant's side: caps per location, the products page, purchase orders, the locations -------------


@pytest.fixture
def merchant(connected_store):
    from tests.conftest import store_client

    return store_client(connected_store, signed_in_as=connected_store.owner)


def test_a_policy_caps_backorders_per_location_and_bigcommerce_gets_each_locations_cap(
    connected_store, sandbox, three_locations, shirt, merchant, django_capture_on_commit_callbacks
):
    _, shop, warehouse = three_locations
    policy = Policy.objects.get(scope="store", customer_group_ids=[])
    url = f"/api/v1/policies/{policy.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = merchant.patch(url, {"location_limits": {str(shop): 2, str(warehouse): None}},
                                  content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["location_limits"] == {str(shop): 2, str(warehouse): None}
    backorder_limits_push(client=client_of(connected_store), variant_ids=[shirt.bigcommerce_id])
    limits = [sandbox.inventory_item(SANDBOX_STORE, variant_id=shirt.bigcommerce_id, location_id=location_id)
              ["settings"]["backorder_limit"] for location_id in (1, shop, warehouse)]  # fmt: skip
    assert limits == [10, 2, None]  # the default location keeps max_units; the warehouse has no cap

    refused = merchant.patch(url, {"location_limits": {"99": 3}}, content_type="application/json")
    assert refused.status_code == 400 and "99" in str(refused.json()["fields"]["location_limits"])
    negative = merchant.patch(url, {"location_limits": {str(shop): -1}}, content_type="application/json")
    assert negative.status_code == 400
    # Cleared: the policy reads as it did before locations (no key), max_units again everywhere.
    with django_capture_on_commit_callbacks(execute=True):
        cleared = merchant.patch(url, {"location_limits": {}}, content_type="application/json").json()
    assert "location_limits" not in cleared
    backorder_limits_push(client=client_of(connected_store), variant_ids=[shirt.bigcommerce_id])
    shop_item = sandbox.inventory_item(SANDBOX_STORE, variant_id=shirt.bigcommerce_id, location_id=shop)
    assert shop_item["settings"]["backorder_limit"] == 10


def test_the_products_page_shows_stock_and_waiting_units_per_location(
    connected_store, sandbox, three_locations, shirt, merchant, django_capture_on_commit_callbacks
):
    _, shop, warehouse = three_locations
    sandbox.restock(SANDBOX_STORE, quantity=0, variant_id=shirt.bigcommerce_id, location_id=shop)
    sandbox.restock(SANDBOX_STORE, quantity=0, variant_id=shirt.bigcommerce_id, location_id=warehouse)
    refresh(connected_store, shirt)
    with django_capture_on_commit_callbacks(execute=True):
        order(connected_store, sandbox, shirt, 2)
        order(connected_store, sandbox, shirt, 1, pickup_at=warehouse)
    sandbox.restock(SANDBOX_STORE, quantity=5, variant_id=shirt.bigcommerce_id, location_id=warehouse, relative=True)
    with django_capture_on_commit_callbacks(execute=True):
        refresh(connected_store, shirt)  # the warehouse's 5 units fill its pickup (it does not ship online): 4 left

    locations = merchant.get("/api/v1/locations/").json()
    assert [(row["location_id"], row["is_default"], row["sells_online"], row["enabled"]) for row in locations] == [
        (1, True, True, True), (shop, False, True, True), (warehouse, False, False, True)
    ]  # fmt: skip
    body = merchant.get("/api/v1/products/", {"q": shirt.sku}).json()
    [row] = [row for row in body["results"] if row["variant_id"] == shirt.bigcommerce_id]
    by_location = {at["location_id"]: at for at in row["locations"]}
    assert [(by_location[i]["on_hand"], by_location[i]["units_waiting"]) for i in (1, shop, warehouse)] == [
        (0, 2), (0, 0), (4, 0)
    ]  # fmt: skip
    assert [by_location[i]["backorders_left"] for i in (1, shop, warehouse)] == [8, 10, 4]
    assert [by_location[i]["sells_online"] for i in (1, shop, warehouse)] == [True, True, False]

    patched = merchant.patch(f"/api/v1/locations/{warehouse}/", {"sells_online": True}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["sells_online"] is True
    unknown = merchant.patch("/api/v1/locations/99/", {"sells_online": True}, content_type="application/json")
    assert unknown.status_code == 404
    bad = merchant.patch(f"/api/v1/locations/{shop}/", {"sells_online": "perhaps"}, content_type="application/json")
    assert bad.status_code == 400


def test_the_merchant_apis_answers_about_locations_are_what_the_openapi_schema_says(
    connected_store,
    sandbox,
    three_locations,
    shirt,
    merchant,
    openapi,  # noqa: F811  (the fixture)
):
    from tests.backorder.test_policies import assert_matches_schema

    _, shop, warehouse = three_locations
    assert_matches_schema(openapi, merchant.get("/api/v1/locations/"), "/api/v1/locations/", "get")
    patched = merchant.patch(f"/api/v1/locations/{shop}/", {"sells_online": False}, content_type="application/json")
    assert_matches_schema(openapi, patched, "/api/v1/locations/{location_id}/", "patch")
    products = merchant.get("/api/v1/products/", {"q": shirt.sku})
    assert products.json()["results"][0]["locations"]
    assert_matches_schema(openapi, products, "/api/v1/products/", "get")
    policy = Policy.objects.get(scope="store", customer_group_ids=[])
    capped = merchant.patch(f"/api/v1/policies/{policy.pk}/", {"location_limits": {str(warehouse): None}},
                            content_type="application/json")  # fmt: skip
    assert capped.json()["location_limits"] == {str(warehouse): None}
    assert_matches_schema(openapi, capped, "/api/v1/policies/{policy_id}/", "patch")
    line = {"variant_id": shirt.bigcommerce_id, "quantity": 4, "expected_date": str(store_today() + timedelta(days=3))}
    created = merchant.post("/api/v1/purchase-orders/", {"lines": [line], "location_id": warehouse},
                            content_type="application/json")  # fmt: skip
    assert_matches_schema(openapi, created, "/api/v1/purchase-orders/", "post")
    for row in merchant.get("/api/v1/backorders/").json()["results"]:
        assert {"location_id", "pickup"} <= set(row)


def test_a_purchase_order_names_its_receiving_location_through_the_api(
    connected_store, sandbox, three_locations, shirt, merchant
):
    _, shop, warehouse = three_locations
    line = {"variant_id": shirt.bigcommerce_id, "quantity": 4, "expected_date": str(store_today() + timedelta(days=3))}
    created = merchant.post("/api/v1/purchase-orders/", {"lines": [line], "location_id": warehouse},
                            content_type="application/json")  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["location_id"] == warehouse
    default = merchant.post("/api/v1/purchase-orders/", {"lines": [line]}, content_type="application/json")
    assert default.json()["location_id"] == 1
    unknown = merchant.post("/api/v1/purchase-orders/", {"lines": [line], "location_id": 99},
                            content_type="application/json")  # fmt: skip
    assert unknown.status_code == 400 and "Location 99" in str(unknown.json()["fields"]["location_id"])
    sandbox.update_location(SANDBOX_STORE, shop, enabled=False)
    handlers.locations_changed(connected_store, [{"data": {"location_id": shop}}])
    disabled = merchant.post("/api/v1/purchase-orders/", {"lines": [line], "location_id": shop},
                             content_type="application/json")  # fmt: skip
    assert disabled.status_code == 400


def test_a_location_added_in_bigcommerce_is_copied_and_its_stock_read(
    connected_store, sandbox, three_locations, shirt, django_capture_on_commit_callbacks
):
    outlet = sandbox.add_location(SANDBOX_STORE, "Outlet", code="OUTLET")["id"]
    sandbox.restock(SANDBOX_STORE, quantity=6, variant_id=shirt.bigcommerce_id, location_id=outlet)
    with django_capture_on_commit_callbacks(execute=True):
        handlers.locations_changed(connected_store, [{"data": {"location_id": outlet}}])
    added = Location.objects.get(bigcommerce_id=outlet)
    assert (added.label, added.enabled, added.sells_online) == ("Outlet", True, False)  # not online until told
    assert mirrored(shirt, outlet) == (6, 0)


def test_a_purchase_order_received_at_a_location_not_read_yet_is_allocated_there(
    connected_store, sandbox, django_capture_on_commit_callbacks
):
    """A second location whose stock the mirror has not read yet (its full sync still to come): the receipt's
    units are counted at that location, not at the default one."""
    variant = Variant.objects.filter(product__inventory_tracking="variant", is_deleted=False).order_by("id").first()
    sandbox.restock(SANDBOX_STORE, quantity=0, variant_id=variant.bigcommerce_id, location_id=1)
    policy = Policy.objects.get(scope="store", customer_group_ids=[])
    policy.enabled, policy.max_units, policy.lead_time_days = True, 10, 10
    policy.save()
    refresh(connected_store, variant)
    backorder_limits_push(client=client_of(connected_store), variant_ids=[variant.bigcommerce_id])
    waiting = order(connected_store, sandbox, Variant.objects.select_related("product").get(pk=variant.pk), 2)
    outlet = sandbox.add_location(SANDBOX_STORE, "Outlet", code="OUTLET")["id"]
    sandbox.restock(SANDBOX_STORE, quantity=0, variant_id=variant.bigcommerce_id, location_id=outlet)
    locations_sync(client=client_of(connected_store), follow_up=False)
    location_update(location=Location.objects.get(bigcommerce_id=outlet), sells_online=True)
    assert not LocationStock.objects.filter(variant_id=variant.bigcommerce_id).exists()

    today = store_today()
    line = LineInput(variant.bigcommerce_id, 2, today)
    purchase = purchase_order_create(lines=[line], today=today, location_id=outlet)
    with django_capture_on_commit_callbacks(execute=True):
        purchase_order_receive(order=purchase)

    assert Backorder.objects.get(pk=waiting.pk).status == "allocated"
    assert set(Allocation.objects.values_list("location_id", flat=True)) == {outlet}
    assert not StockAdjustment.objects.exclude(status="applied").exists()
    assert at(sandbox, variant, outlet) == mirrored(variant, outlet) == (0, 0)
    assert at(sandbox, variant, 1) == mirrored(variant, 1) == (0, 0)


def test_a_cancelled_backorder_gives_its_units_back_where_they_came_from_and_the_next_in_line_gets_them(
    connected_store, sandbox, three_locations, shirt, django_capture_on_commit_callbacks
):
    from backorder.services.cancellation import backorder_cancel

    _, shop, warehouse = three_locations
    for location_id in (shop, warehouse):
        sandbox.restock(SANDBOX_STORE, quantity=0, variant_id=shirt.bigcommerce_id, location_id=location_id)
    refresh(connected_store, shirt)
    first, second = order(connected_store, sandbox, shirt, 3), order(connected_store, sandbox, shirt, 2)
    sandbox.restock(SANDBOX_STORE, quantity=3, variant_id=shirt.bigcommerce_id, location_id=shop, relative=True)
    with django_capture_on_commit_callbacks(execute=True):
        refresh(connected_store, shirt)
    assert [Backorder.objects.get(pk=b.pk).quantity_allocated for b in (first, second)] == [3, 0]
    assert [at(sandbox, shirt, location_id) for location_id in (1, shop)] == [(0, 2), (0, 0)]

    with django_capture_on_commit_callbacks(execute=True):
        backorder_cancel(backorder=first, actor="merchant", reason="customer asked")

    # The shop's 3 units went back to the shop; 2 of them to the next in line; the refund in BigCommerce
    # released the cancelled line's backordered units at the default location, where they were booked.
    assert [Backorder.objects.get(pk=b.pk).quantity_allocated for b in (first, second)] == [0, 2]
    assert Backorder.objects.get(pk=second.pk).allocations.get().location_id == shop
    assert [at(sandbox, shirt, location_id) for location_id in (1, shop, warehouse)] == [(0, 0), (1, 0), (0, 0)]
    assert not StockAdjustment.objects.exclude(status="applied").exists()
    refresh(connected_store, shirt)
    for location_id in (1, shop, warehouse):
        assert mirrored(shirt, location_id) == at(sandbox, shirt, location_id)


def test_a_partial_refund_of_a_pickup_gives_its_units_to_the_next_pickup_at_that_location(
    connected_store, sandbox, three_locations, shirt, django_capture_on_commit_callbacks
):
    _, _, warehouse = three_locations
    sandbox.restock(SANDBOX_STORE, quantity=0, variant_id=shirt.bigcommerce_id, location_id=warehouse)
    refresh(connected_store, shirt)
    first = order(connected_store, sandbox, shirt, 2, pickup_at=warehouse)
    second = order(connected_store, sandbox, shirt, 2, pickup_at=warehouse)  # the warehouse's cap: 4
    sandbox.restock(SANDBOX_STORE, quantity=2, variant_id=shirt.bigcommerce_id, location_id=warehouse, relative=True)
    with django_capture_on_commit_callbacks(execute=True):
        refresh(connected_store, shirt)
    assert at(sandbox, shirt, warehouse) == (0, 2)

    client = client_of(connected_store)  # the merchant refunds 1 of the first pickup's units in BigCommerce
    item = {"item_type": "PRODUCT", "item_id": first.order_line_id, "quantity": 1}
    quote = client.post(f"/v3/orders/{first.order_id}/payment_actions/refund_quotes", json={"items": [item]})["data"]
    payment = {"provider_id": "storecredit", "amount": quote["total_refund_amount"], "offline": False}
    client.post(f"/v3/orders/{first.order_id}/payment_actions/refunds", json={"items": [item], "payments": [payment]})
    with django_capture_on_commit_callbacks(execute=True):
        handlers.order_changed(connected_store, [{"scope": "store/order/refund/created",
                                                  "data": {"type": "order", "id": first.order_id}}])  # fmt: skip

    reduced, served = Backorder.objects.get(pk=first.pk), Backorder.objects.get(pk=second.pk)
    assert (reduced.quantity, reduced.quantity_allocated, served.quantity_allocated) == (1, 1, 1)
    assert set(Allocation.objects.values_list("location_id", flat=True)) == {warehouse}
    # 2 units arrived at the warehouse: 1 for each pickup; the second still waits for 1, booked there.
    assert at(sandbox, shirt, warehouse) == (0, 1)
    assert at(sandbox, shirt, 1) == (0, 0)
    assert not StockAdjustment.objects.exclude(status="applied").exists()


def test_a_token_without_the_locations_scope_leaves_a_store_with_one_location_as_it_was(connected_store, sandbox):
    from stores.bigcommerce import errors

    class WithoutLocationsScope:
        def __init__(self, client):
            self.client = client

        def __getattr__(self, name):
            return getattr(self.client, name)

        def iter_v3(self, path, *args, **kwargs):
            if path.startswith("/v3/inventory/locations"):
                raise errors.ForbiddenScopeError("missing scope", status=403, path=path)
            return self.client.iter_v3(path, *args, **kwargs)

    client = WithoutLocationsScope(client_of(connected_store))
    before = Location.objects.count()
    assert not locations_sync(client=client).matters
    finished = sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)  # the full sync goes on
    assert finished.status == "done" and Location.objects.count() == before
