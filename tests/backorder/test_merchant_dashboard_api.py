"""The dashboard API: figures, backorders per day by status, the most backordered variants, the ones at risk,
and a new store's onboarding steps; a constant number of queries whatever the number of backorders."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from backorder import selectors_dashboard
from backorder.models import Backorder, CatalogSync, Policy, PurchaseOrder, PurchaseOrderLine
from backorder.services.availability import store_today
from tests.backorder.conftest import backorder_make, variant_make
from tests.conftest import store_client

W, A, S, C = (Backorder.Status.WAITING, Backorder.Status.ALLOCATED, Backorder.Status.SHIPPED,
              Backorder.Status.CANCELLED)  # fmt: skip


@pytest.fixture
def api(store):
    return store_client(store, signed_in_as=store.owner)


def _days_ago(days: int, hour: int = 12) -> datetime:
    now = timezone.now()
    return datetime(now.year, now.month, now.day, hour, tzinfo=UTC) - timedelta(days=days)


@pytest.mark.django_db
def test_backorders_placed_per_day_are_split_by_where_each_one_is_now(api):
    variant = variant_make()
    backorder_make(variant, 1, ordered_at=_days_ago(0))
    backorder_make(variant, 2, ordered_at=_days_ago(0), status=S)
    backorder_make(variant, 1, ordered_at=_days_ago(3), status=C)
    backorder_make(variant, 1, ordered_at=_days_ago(40))  # outside 30 days, inside 90

    body = api.get("/api/v1/dashboard/", {"days": 30}).json()
    chart = body["over_time"]

    assert chart["days"] == 30 and len(chart["dates"]) == 30 and chart["dates"][-1] == store_today().isoformat()
    assert chart["series"]["waiting"][-1] == 1 and chart["series"]["shipped"][-1] == 1
    assert chart["series"]["cancelled"][-4] == 1
    assert sum(sum(values) for values in chart["series"].values()) == 3
    ninety = api.get("/api/v1/dashboard/", {"days": 90}).json()["over_time"]
    assert sum(sum(values) for values in ninety["series"].values()) == 4


@pytest.mark.django_db
def test_the_dashboard_refuses_a_period_it_does_not_offer(api):
    response = api.get("/api/v1/dashboard/", {"days": 31})
    assert response.status_code == 400 and "days" in response.json()["fields"]


@pytest.mark.django_db
def test_the_figures_count_open_units_value_late_and_at_risk(api):
    today = store_today()
    variant = variant_make()
    backorder_make(
        variant,
        2,
        unit_price=10,
        expected_ship_date=today - timedelta(days=1),
        promised_ship_date=today - timedelta(days=1),
    )  # fmt: skip  (late, so at risk too)
    backorder_make(
        variant,
        1,
        unit_price=4,
        expected_ship_date=today + timedelta(days=2),
        promised_ship_date=today + timedelta(days=2),
    )  # fmt: skip  (due soon: at risk, not late)
    backorder_make(variant, 3, unit_price=1, status=A, quantity_allocated=3, expected_ship_date=today)
    backorder_make(variant, 1, unit_price=9, expected_ship_date=today + timedelta(days=20),
                   promised_ship_date=today + timedelta(days=20))  # fmt: skip
    backorder_make(variant, 5, status=C)

    summary = api.get("/api/v1/dashboard/").json()["summary"]

    assert (summary["open_backorders"], summary["open_units"], summary["open_value"]) == (4, 7, 36.0)
    assert (summary["late"], summary["at_risk"], summary["cancelled"]) == (1, 2, 1)
    assert summary["cancellation_rate"] == 0.2


@pytest.mark.django_db
def test_the_most_backordered_variants_rank_units_still_waiting_and_show_incoming_stock(api):
    busy, quiet = variant_make(), variant_make()
    backorder_make(busy, 4, sku="BUSY-1", product_name="Arc Lamp")
    backorder_make(busy, 3, sku="BUSY-1", product_name="Arc Lamp", quantity_allocated=2)
    backorder_make(quiet, 2)
    backorder_make(quiet, 9, status=S)  # shipped units wait for nothing
    order = PurchaseOrder.objects.create(supplier="Nordic")
    PurchaseOrderLine.objects.create(purchase_order=order, variant_id=busy.bigcommerce_id,
                                     product_id=busy.product.bigcommerce_id, quantity=12,
                                     expected_date=store_today() + timedelta(days=5))  # fmt: skip

    top = api.get("/api/v1/dashboard/").json()["top_variants"]

    assert [(row["variant_id"], row["units_waiting"], row["backorders"]) for row in top] == [
        (busy.bigcommerce_id, 5, 2), (quiet.bigcommerce_id, 2, 1)
    ]  # fmt: skip
    assert (top[0]["product_name"], top[0]["sku"], top[0]["units_incoming"]) == ("Arc Lamp", "BUSY-1", 12)
    assert top[1]["units_incoming"] == 0


@pytest.mark.django_db
def test_the_at_risk_list_puts_the_earliest_date_first_and_skips_those_on_track(api):
    today = store_today()
    variant = variant_make()
    soon = backorder_make(variant, 1, expected_ship_date=today + timedelta(days=1), promised_ship_date=today)
    past = backorder_make(variant, 1, expected_ship_date=today - timedelta(days=2),
                          promised_ship_date=today - timedelta(days=2))  # fmt: skip
    backorder_make(
        variant, 1, expected_ship_date=today + timedelta(days=30), promised_ship_date=today + timedelta(days=30)
    )  # fmt: skip  on track
    backorder_make(variant, 1, status=A, quantity_allocated=1, expected_ship_date=today - timedelta(days=5))

    at_risk = api.get("/api/v1/dashboard/").json()["at_risk"]

    assert at_risk["count"] == 2
    assert [row["id"] for row in at_risk["results"]] == [past.pk, soon.pk]


@pytest.mark.django_db
def test_the_dashboard_costs_the_same_queries_for_many_backorders(
    api, django_assert_max_num_queries, django_assert_num_queries
):
    variants = [variant_make() for _ in range(3)]
    for n in range(3):
        backorder_make(variants[n], 1)
    api.get("/api/v1/dashboard/")  # warm: the tenant lookup, the session
    with django_assert_max_num_queries(11) as few:
        api.get("/api/v1/dashboard/")
    for n in range(60):
        backorder_make(variants[n % 3], 1 + n % 3, status=[W, A, S, C][n % 4])
    with django_assert_num_queries(len(few.captured_queries)):
        assert api.get("/api/v1/dashboard/").status_code == 200


@pytest.mark.django_db
def test_a_new_store_sees_its_first_steps_and_they_tick_off(api, store, django_capture_on_commit_callbacks):
    body = api.get("/api/v1/dashboard/onboarding/").json()
    steps = {s["key"]: s["done"] for s in body["steps"]}
    assert steps == {"connect": False, "sync": False, "policy": False, "widget": False, "test_email": False}
    assert body["steps"][-1]["label"] == "Send yourself a test e-mail"

    store.bigcommerce_store_hash, store.connection = "abc123", store.Connection.CONNECTED
    store.connection_health = {"scripts": {"channels": 1, "installed": 1}, "token": "ok"}
    store.save()
    CatalogSync.objects.create(status=CatalogSync.Status.DONE, finished_at=timezone.now())
    Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=7)
    with django_capture_on_commit_callbacks(execute=True):  # the sender runs when the request commits
        assert api.post("/api/v1/notifications/test-email/", {}, content_type="application/json").status_code == 202

    body = api.get("/api/v1/dashboard/onboarding/").json()
    assert body["complete"] is True and all(step["done"] for step in body["steps"])


@pytest.mark.django_db
def test_the_first_steps_cost_one_query_however_many_there_are(store, django_assert_num_queries):
    selectors_dashboard.onboarding_steps(store=store)  # warm: the connection's search_path
    with django_assert_num_queries(1):
        steps = selectors_dashboard.onboarding_steps(store=store)
    assert len(steps) == 5


@pytest.mark.django_db
def test_the_widget_step_waits_until_every_storefront_has_the_script(api, store):
    store.bigcommerce_store_hash, store.connection = "abc123", store.Connection.CONNECTED
    store.connection_health = {"scripts": {"channels": 2, "installed": 1}}
    store.save()
    steps = {s["key"]: s["done"] for s in api.get("/api/v1/dashboard/onboarding/").json()["steps"]}
    assert steps["connect"] is True and steps["widget"] is False
