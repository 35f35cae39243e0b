"""The merchant's backorder list (date range, risk, search, sorting, CSV export, query counts), the catalog
sync and category APIs, and purchase orders (line edits, the allocations a receipt made)."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from backorder.models import Backorder, CatalogSync, Category, PurchaseOrder
from backorder.services.availability import store_today
from tests.backorder.conftest import backorder_make, variant_make
from tests.conftest import store_client


@pytest.fixture
def api(store):
    return store_client(store, signed_in_as=store.owner)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_the_list_filters_by_the_days_orders_were_placed_in_the_stores_time_zone(api, store):
    store.timezone = "America/New_York"
    store.save()
    variant = variant_make()
    # 02:00 UTC on Nov 10 is still Nov 9 in New York
    late_evening = backorder_make(variant, 1, ordered_at=datetime(2026, 11, 10, 2, tzinfo=UTC))
    next_day = backorder_make(variant, 1, ordered_at=datetime(2026, 11, 10, 15, tzinfo=UTC))

    assert ids(api.get("/api/v1/backorders/", {"ordered_from": "2026-11-09", "ordered_to": "2026-11-09"})) == [
        late_evening.pk
    ]
    assert ids(api.get("/api/v1/backorders/", {"ordered_from": "2026-11-10"})) == [next_day.pk]
    backwards = api.get("/api/v1/backorders/", {"ordered_from": "2026-11-10", "ordered_to": "2026-11-01"})
    assert backwards.status_code == 400 and "ordered_to" in backwards.json()["fields"]


@pytest.mark.django_db
def test_the_list_shows_the_backorders_at_risk(api):
    today = store_today()
    variant = variant_make()
    due = backorder_make(
        variant, 1, expected_ship_date=today + timedelta(days=2), promised_ship_date=today + timedelta(days=2)
    )
    backorder_make(
        variant, 1, expected_ship_date=today + timedelta(days=9), promised_ship_date=today + timedelta(days=9)
    )
    assert ids(api.get("/api/v1/backorders/", {"at_risk": "true"})) == [due.pk]


@pytest.mark.django_db
def test_search_finds_e_mail_and_sku_by_their_start_product_names_anywhere_and_order_numbers(api):
    lamp = variant_make()
    lamp.product.name = "Brass Desk Lamp"
    lamp.product.save()
    ada = backorder_make(lamp, 1, customer_email="Ada@Example.com", sku="LMP-7")
    bob = backorder_make(variant_make(), 1, customer_email="bob@example.com", sku="TNT-2")

    assert ids(api.get("/api/v1/backorders/", {"q": "ada@"})) == [ada.pk]
    assert ids(api.get("/api/v1/backorders/", {"q": "tnt"})) == [bob.pk]
    assert ids(api.get("/api/v1/backorders/", {"q": "desk"})) == [ada.pk]
    assert ids(api.get("/api/v1/backorders/", {"q": str(bob.order_id)})) == [bob.pk]
    assert ids(api.get("/api/v1/backorders/", {"q": "example.com"})) == []  # not the start of an address


@pytest.mark.django_db
def test_newest_first_and_oldest_first_are_exact_reverses(api):
    variant = variant_make()
    made = [backorder_make(variant, 1, ordered_at=datetime(2026, 11, 1, tzinfo=UTC)) for _ in range(3)]
    newest = ids(api.get("/api/v1/backorders/", {"sort": "-age"}))
    oldest = ids(api.get("/api/v1/backorders/", {"sort": "age"}))
    assert newest == list(reversed(oldest)) and sorted(newest) == sorted(b.pk for b in made)


@pytest.mark.django_db
def test_a_page_of_the_list_costs_the_same_queries_for_few_or_many_backorders(
    api, django_assert_max_num_queries, django_assert_num_queries
):
    variant = variant_make()
    backorder_make(variant, 1)
    api.get("/api/v1/backorders/")
    with django_assert_max_num_queries(6) as few:
        api.get("/api/v1/backorders/", {"page_size": 25})
    for _ in range(40):
        backorder_make(variant, 1)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(ids(api.get("/api/v1/backorders/", {"page_size": 25}))) == 25


@pytest.mark.django_db
def test_the_csv_export_follows_the_filters_or_the_ids_and_defuses_formulas(api, store):
    variant = variant_make()
    evil = backorder_make(variant, 2, customer_email="eve@example.com", customer_name='=HYPERLINK("x")')
    backorder_make(variant, 1, status=Backorder.Status.SHIPPED)

    response = api.get("/api/v1/backorders/export/", {"status": "waiting"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert response["Content-Type"].startswith("text/csv")
    assert f"backorders-{store.slug}-" in response["Content-Disposition"]
    assert rows[0][:4] == ["Backorder", "Order", "Ordered at (UTC)", "Status"] and len(rows) == 2
    assert rows[1][0] == str(evil.pk) and rows[1][rows[0].index("Customer")] == '\'=HYPERLINK("x")'
    chosen = api.get("/api/v1/backorders/export/", {"ids": f"{evil.pk}"})
    assert len(list(csv.reader(io.StringIO(b"".join(chosen.streaming_content).decode("utf-8-sig"))))) == 2
    assert api.get("/api/v1/backorders/export/", {"ids": "1,x"}).status_code == 400


@pytest.mark.django_db
def test_the_backorder_detail_has_its_allocations_and_no_coupon_yet(api):
    backorder = backorder_make(variant_make(), 2)
    body = api.get(f"/api/v1/backorders/{backorder.pk}/").json()
    assert body["allocations"] == [] and body["incentive"] is None and body["timeline"] == []


# -- catalog ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_catalog_sync_status_shows_its_progress_through_the_phases(api):
    assert api.get("/api/v1/catalog/sync/").json() == {
        "sync": None,
        "percent": 0,
        "mirror": {"products": 0, "variants": 0},
    }
    sync = CatalogSync.objects.create(phase=CatalogSync.Phase.PRODUCTS, products_total=200, products_done=100)
    assert api.get("/api/v1/catalog/sync/").json()["percent"] == 42
    sync.phase, sync.variants_done, sync.stock_items_done = CatalogSync.Phase.INVENTORY, 400, 200
    sync.save()
    body = api.get("/api/v1/catalog/sync/").json()
    assert body["percent"] == 89 and body["sync"]["phase_label"] == "Stock"


@pytest.mark.django_db
def test_sync_now_needs_a_connected_store(api):
    response = api.post("/api/v1/catalog/sync/")
    assert response.status_code == 409 and response.json()["error"] == "not_connected"


@pytest.mark.django_db
def test_sync_now_copies_the_catalog_again(connected_store):
    api = store_client(connected_store, signed_in_as=connected_store.owner)
    before = CatalogSync.objects.count()
    response = api.post("/api/v1/catalog/sync/")
    assert response.status_code == 202
    assert CatalogSync.objects.count() == before + 1
    assert api.get("/api/v1/catalog/sync/").json()["sync"]["status"] == "done"  # tasks run at once in tests


@pytest.mark.django_db
def test_categories_come_with_their_paths(api):
    from django.utils import timezone

    Category.objects.create(bigcommerce_id=1, name="Lighting", path=[1], synced_at=timezone.now())
    Category.objects.create(
        bigcommerce_id=2, name="Desk", path=[1, 2], parent_bigcommerce_id=1, synced_at=timezone.now()
    )
    assert [c["path"] for c in api.get("/api/v1/catalog/categories/").json()] == ["Lighting", "Lighting › Desk"]


# -- purchase orders ------------------------------------------------------------------------------------------


def make_order(api, variant, quantity=10):
    expected = (store_today() + timedelta(days=5)).isoformat()
    line = {"variant_id": variant.bigcommerce_id, "quantity": quantity, "expected_date": expected}
    response = api.post(
        "/api/v1/purchase-orders/", {"supplier": "Nordic", "lines": [line]}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.django_db
def test_a_line_quantity_can_change_but_never_below_what_was_received(api):
    variant = variant_make(on_hand=0)
    order = make_order(api, variant)
    line = order["lines"][0]
    url = f"/api/v1/purchase-orders/{order['id']}/lines/{line['id']}/"

    four = {"lines": [{"variant_id": variant.bigcommerce_id, "quantity": 4}]}
    api.post(f"/api/v1/purchase-orders/{order['id']}/receive/", four, content_type="application/json")
    too_small = api.patch(url, {"quantity": 3}, content_type="application/json")
    assert too_small.status_code == 400 and "4 unit(s) were already received" in str(too_small.json())
    done = api.patch(url, {"quantity": 4}, content_type="application/json").json()
    assert done["status"] == PurchaseOrder.Status.RECEIVED and done["lines"][0]["quantity"] == 4
    assert api.patch(url, {}, content_type="application/json").status_code == 400


@pytest.mark.django_db
def test_receiving_shows_the_backorders_it_filled_oldest_first(api):
    variant = variant_make(on_hand=0)
    first = backorder_make(variant, 2, ordered_at=datetime(2026, 11, 1, tzinfo=UTC))
    second = backorder_make(variant, 3, ordered_at=datetime(2026, 11, 2, tzinfo=UTC))
    order = make_order(api, variant, quantity=4)

    body = api.post(f"/api/v1/purchase-orders/{order['id']}/receive/", content_type="application/json").json()

    assert [(a["backorder_id"], a["quantity"], a["backorder_status"]) for a in body["allocations"]] == [
        (first.pk, 2, "allocated"), (second.pk, 2, "waiting")
    ]  # fmt: skip
    assert body["receipts"][0]["lines"] == [{"variant_id": variant.bigcommerce_id, "quantity": 4}]
    assert body["lines"][0]["sku"] == variant.sku
