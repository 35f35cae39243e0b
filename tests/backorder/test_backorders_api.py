"""The merchant API for backorders: the contract list, detail with timeline, actions, summary."""

from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from backorder.models import Backorder
from backorder.services.availability import store_today
from tests.backorder.conftest import backorder_make, variant_make
from tests.conftest import store_client


@pytest.fixture
def api(store):
    return store_client(store, signed_in_as=store.owner)


@pytest.mark.django_db
def test_the_list_is_paginated_and_has_the_contract_fields(api):
    variant = variant_make(on_hand=0)
    for _ in range(3):
        backorder_make(variant, 2)
    response = api.get("/api/v1/backorders/", {"status": "waiting", "page_size": 2})
    body = response.json()
    assert response.status_code == 200
    assert (body["count"], len(body["results"])) == (3, 2) and body["next"]
    assert set(body["results"][0]) >= {
        "id", "order_id", "product_id", "variant_id", "quantity", "quantity_allocated", "status",
        "expected_ship_date", "customer_email",
    }  # fmt: skip


@pytest.mark.django_db
def test_the_list_filters_by_status_and_searches_by_email_or_order(api):
    variant = variant_make(on_hand=0)
    ada = backorder_make(variant, 1, customer_email="ada@example.com")
    backorder_make(variant, 1, customer_email="bob@example.com")
    assert [r["id"] for r in api.get("/api/v1/backorders/", {"q": "ada@"}).json()["results"]] == [ada.pk]
    assert [r["id"] for r in api.get("/api/v1/backorders/", {"q": str(ada.order_id)}).json()["results"]] == [ada.pk]
    assert api.get("/api/v1/backorders/", {"status": "shipped"}).json()["count"] == 0
    assert api.get("/api/v1/backorders/", {"status": "lost"}).status_code == 400


@pytest.mark.django_db
def test_changing_the_date_is_on_the_timeline_and_shows_in_the_detail(api):
    backorder = backorder_make(variant_make(on_hand=0), 1, expected_ship_date=store_today())
    later = (store_today() + timedelta(days=9)).isoformat()
    response = api.post(
        f"/api/v1/backorders/{backorder.pk}/actions/",
        {"action": "change_date", "expected_ship_date": later},
        content_type="application/json",
    )
    assert response.json() == {"done": [backorder.pk], "refused": {}}
    detail = api.get(f"/api/v1/backorders/{backorder.pk}/").json()
    assert detail["expected_ship_date"] == later
    assert detail["timeline"][-1]["kind"] == "delayed" and detail["timeline"][-1]["actor"] == "merchant"


@pytest.mark.django_db
def test_bulk_mark_shipped_reports_what_was_done_and_what_was_refused(api):
    variant = variant_make(on_hand=0)
    waiting = backorder_make(variant, 1)
    shipped = backorder_make(variant, 1, status=Backorder.Status.SHIPPED)
    response = api.post("/api/v1/backorders/actions/", {"action": "mark_shipped", "ids": [waiting.pk, shipped.pk, 0]},
                        content_type="application/json")  # fmt: skip
    body = response.json()
    assert body["done"] == [waiting.pk]
    assert "cannot become shipped" in body["refused"][str(shipped.pk)]
    assert body["refused"]["0"] == "No such backorder."


@pytest.mark.django_db
def test_the_summary_counts_open_units_value_and_late_ones(api):
    variant = variant_make(on_hand=0)
    backorder_make(variant, 2, unit_price=10, promised_ship_date=store_today(),
                   expected_ship_date=store_today() + timedelta(days=3))  # fmt: skip
    backorder_make(variant, 1, unit_price=5, status=Backorder.Status.CANCELLED)
    body = api.get("/api/v1/backorders/summary/").json()
    assert (body["open_backorders"], body["open_units"], body["late"], body["cancelled"]) == (1, 2, 1, 1)
    assert float(body["open_value"]) == 20.0
    assert body["cancellation_rate"] == 0.5


@pytest.mark.django_db
def test_store_b_cannot_read_or_act_on_store_a_backorders(api, make_store):
    backorder = backorder_make(variant_make(on_hand=0), 1)
    with schema_context("public"):
        other = make_store()
    intruder = store_client(other, signed_in_as=other.owner)
    assert intruder.get(f"/api/v1/backorders/{backorder.pk}/").status_code == 404
    assert intruder.get("/api/v1/backorders/").json()["count"] == 0
