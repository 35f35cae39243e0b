"""The availability engine: what a shopper can buy now, and an honest date for the rest."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backorder.models import Policy, StockAdjustment, VariantAvailability
from backorder.services.availability import (
    add_days,
    availability_answer,
    availability_refresh,
    backorder_limit_for,
    backorders_reschedule,
    ship_date_for_new_backorder,
)
from backorder.services.purchase_orders import LineInput, purchase_order_create
from tests.backorder.conftest import backorder_make, variant_make

TODAY = date(2026, 12, 1)  # a Tuesday


def store_policy(**fields) -> Policy:
    policy = Policy.objects.get(scope="store")
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.save()
    return policy


def answer(variant, quantity=1, language="en", today=TODAY):
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    rows = list(VariantAvailability.objects.filter(product_id=variant.product.bigcommerce_id))
    return availability_answer(
        rows=rows, product_id=variant.product.bigcommerce_id, variant_id=variant.bigcommerce_id,
        quantity=quantity, language=language, today=today,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_request_within_stock_is_in_stock(store):
    variant = variant_make(on_hand=5)
    result = answer(variant, quantity=3)
    assert (result["state"], result["on_hand"], result["ready_to_ship"], result["backordered"]) == (
        "in_stock", 5, 3, 0
    )  # fmt: skip
    assert result["expected_ship_date"] is None


@pytest.mark.django_db
def test_untracked_stock_is_always_in_stock_with_on_hand_null(store):
    variant = variant_make(on_hand=None, tracking="none")
    result = answer(variant, quantity=500)
    assert (result["state"], result["on_hand"]) == ("in_stock", None)


@pytest.mark.django_db
def test_with_backorders_off_beyond_stock_is_unavailable(store):
    variant = variant_make(on_hand=2)
    result = answer(variant, quantity=3)
    assert (result["state"], result["backorder_available"], result["button_label"]) == ("unavailable", 0, "Sold out")


@pytest.mark.django_db
def test_partly_backordered_splits_ready_and_backordered_and_dates_the_rest_by_lead_time(store):
    store_policy(enabled=True, lead_time_days=10)
    variant = variant_make(on_hand=2)
    result = answer(variant, quantity=5)
    assert result["state"] == "backorder"
    assert (result["ready_to_ship"], result["backordered"], result["requested_quantity"]) == (2, 3, 5)
    assert result["expected_ship_date"] == (TODAY + timedelta(days=10)).isoformat()
    assert result["message"] == "Ships by Dec 11" and result["button_label"] == "Backorder"
    assert result["backorder_available"] is None  # unlimited


@pytest.mark.django_db
def test_lead_time_in_business_days_skips_weekends():
    assert add_days(date(2026, 12, 4), 1, business_days=True) == date(2026, 12, 7)  # Friday + 1 = Monday
    assert add_days(date(2026, 12, 4), 1, business_days=False) == date(2026, 12, 5)


@pytest.mark.django_db
def test_dates_follow_purchase_orders_in_expected_date_order_after_the_queue(store):
    store_policy(enabled=True, lead_time_days=30)
    variant = variant_make(on_hand=0)
    backorder_make(variant, 4)  # four units are already waiting
    purchase_order_create(
        lines=[LineInput(variant.bigcommerce_id, 5, TODAY + timedelta(days=20))], supplier="B", today=TODAY
    )
    purchase_order_create(
        lines=[LineInput(variant.bigcommerce_id, 3, TODAY + timedelta(days=7))], supplier="A", today=TODAY
    )
    # supply: 3 on day 7, 5 on day 20; the 4 waiting take 3 (day 7) + 1 (day 20)
    assert answer(variant, quantity=4)["expected_ship_date"] == (TODAY + timedelta(days=20)).isoformat()
    assert answer(variant, quantity=5)["expected_ship_date"] == (TODAY + timedelta(days=30)).isoformat()


@pytest.mark.django_db
def test_waiting_backorders_are_rescheduled_in_fifo_order(store):
    store_policy(enabled=True, lead_time_days=30)
    variant = variant_make(on_hand=0)
    first, second = backorder_make(variant, 2), backorder_make(variant, 2)
    purchase_order_create(
        lines=[LineInput(variant.bigcommerce_id, 2, TODAY + timedelta(days=5))], supplier="A", today=TODAY
    )
    backorders_reschedule(variant_ids=[variant.bigcommerce_id], today=TODAY)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.expected_ship_date == TODAY + timedelta(days=5)
    assert second.expected_ship_date == TODAY + timedelta(days=30)
    assert first.events.filter(kind="date_changed").exists()


@pytest.mark.django_db
def test_the_unit_cap_and_per_order_cap_make_larger_requests_unavailable(store):
    store_policy(enabled=True, max_units=10, max_per_order=4)
    variant = variant_make(on_hand=0)
    backorder_make(variant, 7)
    assert answer(variant, quantity=3)["state"] == "backorder"
    assert answer(variant, quantity=3)["backorder_available"] == 3
    assert answer(variant, quantity=4)["state"] == "unavailable"  # only 3 left under the cap
    store_policy(enabled=True, max_units=None, max_per_order=4)
    assert answer(variant, quantity=5)["state"] == "unavailable"  # more than 4 per order


@pytest.mark.django_db
def test_a_preorder_sells_only_inside_its_window_and_uses_the_fixed_date(store):
    release = TODAY + timedelta(days=40)
    store_policy(
        enabled=True, mode="preorder", preorder_starts_on=TODAY - timedelta(days=1),
        preorder_ends_on=TODAY + timedelta(days=10), fixed_ship_date=release, lead_time_days=None,
    )  # fmt: skip
    variant = variant_make(on_hand=0)
    inside = answer(variant, quantity=1)
    assert (inside["state"], inside["expected_ship_date"], inside["button_label"]) == (
        "preorder", release.isoformat(), "Pre-order"
    )  # fmt: skip
    assert answer(variant, quantity=1, today=TODAY + timedelta(days=11))["state"] == "unavailable"


@pytest.mark.django_db
def test_without_a_lead_time_or_date_the_date_is_unknown_not_made_up(store):
    store_policy(enabled=True, lead_time_days=None, fixed_ship_date=None)
    result = answer(variant_make(on_hand=0), quantity=1)
    assert (result["state"], result["expected_ship_date"]) == ("backorder", None)
    assert result["message"] == "Ships as soon as it is back in stock"


@pytest.mark.django_db
def test_texts_come_in_the_requested_language_and_merchant_templates_are_filled(store):
    store_policy(enabled=True, lead_time_days=10)
    variant = variant_make(on_hand=0)
    german = answer(variant, quantity=2, language="de")
    assert (german["button_label"], german["message"]) == ("Nachbestellen", "Versand bis 11. Dez.")
    store_policy(enabled=True, lead_time_days=10, product_message="{quantity} on order, ships in {days} days")
    assert answer(variant, quantity=2)["message"] == "2 on order, ships in 10 days"


@pytest.mark.django_db
def test_units_owed_to_bigcommerce_are_not_offered_again(store):
    variant = variant_make(on_hand=5)
    StockAdjustment.objects.create(
        variant_id=variant.bigcommerce_id, product_id=variant.product.bigcommerce_id, on_hand_delta=-3,
        qty_backordered_delta=-3, reason="restock",
    )  # fmt: skip
    assert answer(variant, quantity=3)["on_hand"] == 2


@pytest.mark.django_db
def test_a_decrement_of_unknown_outcome_is_not_offered_again_and_an_increment_is_not_offered_yet(store):
    """The storefront counts free units as allocation does: an unknown decrement as done, an unknown
    increment as not done, until the merchant resolves them."""
    variant = variant_make(on_hand=5)
    for delta in (-3, +4):
        StockAdjustment.objects.create(
            variant_id=variant.bigcommerce_id, product_id=variant.product.bigcommerce_id, on_hand_delta=delta,
            qty_backordered_delta=delta, reason="restock", status=StockAdjustment.Status.UNKNOWN,
        )  # fmt: skip
    assert answer(variant, quantity=3)["on_hand"] == 2


@pytest.mark.django_db
def test_a_product_with_options_answers_with_the_best_variant(store):
    store_policy(enabled=True, lead_time_days=10)
    sold_out = variant_make(on_hand=0)
    in_stock = variant_make(on_hand=3, product=sold_out.product)
    availability_refresh(variant_ids=[sold_out.bigcommerce_id, in_stock.bigcommerce_id])
    rows = list(VariantAvailability.objects.filter(product_id=sold_out.product.bigcommerce_id))
    result = availability_answer(
        rows=rows, product_id=sold_out.product.bigcommerce_id, variant_id=None, quantity=1, language="en", today=TODAY
    )
    assert (result["state"], result["variant_id"]) == ("in_stock", None)


@pytest.mark.django_db
def test_the_cap_pushed_to_bigcommerce_follows_the_policy(store):
    variant = variant_make(on_hand=0)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    row = VariantAvailability.objects.get(variant_id=variant.bigcommerce_id)
    assert backorder_limit_for(row) == 0
    store_policy(enabled=True, max_units=10)
    backorder_make(variant, 4)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    row.refresh_from_db()
    assert backorder_limit_for(row) == 10  # BigCommerce subtracts the 4 it has backordered itself
    store_policy(enabled=True, max_units=None)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    row.refresh_from_db()
    assert backorder_limit_for(row) is None


@pytest.mark.django_db
def test_a_new_backorder_is_promised_the_date_its_own_units_arrive(store):
    store_policy(enabled=True, lead_time_days=30)
    variant = variant_make(on_hand=0)
    purchase_order_create(
        lines=[LineInput(variant.bigcommerce_id, 5, TODAY + timedelta(days=7))], supplier="A", today=TODAY
    )
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    assert ship_date_for_new_backorder(variant_id=variant.bigcommerce_id, quantity=5, queue_ahead=0, today=TODAY) == (
        TODAY + timedelta(days=7)
    )  # fmt: skip
    assert ship_date_for_new_backorder(variant_id=variant.bigcommerce_id, quantity=1, queue_ahead=5, today=TODAY) == (
        TODAY + timedelta(days=30)
    )  # fmt: skip


@pytest.mark.django_db
def test_the_storefront_endpoint_answers_with_the_contract_json_in_one_select(store, public_client):
    store_policy(enabled=True, lead_time_days=10)
    variant = variant_make(on_hand=1)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    url = f"/api/storefront/v1/{store.public_key}/products/{variant.product.bigcommerce_id}"
    public_client.get(url)  # warm the store lookup
    with CaptureQueriesContext(connection) as captured:
        response = public_client.get(url, {"variant_id": variant.bigcommerce_id, "quantity": 3})
    selects = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]
    assert response.status_code == 200 and len(selects) == 1, selects
    body = response.json()
    assert set(body) >= {
        "product_id", "variant_id", "state", "on_hand", "backorder_available", "requested_quantity",
        "ready_to_ship", "backordered", "button_label", "message", "expected_ship_date",
    }  # fmt: skip
    assert (body["state"], body["ready_to_ship"], body["backordered"]) == ("backorder", 1, 2)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "status"),
    [({"quantity": "x"}, 400), ({"quantity": "0"}, 400), ({"variant_id": "1.5"}, 400), ({"locale": "<script>"}, 400)],
)
def test_the_storefront_endpoint_refuses_bad_parameters_with_json(store, public_client, query, status):
    variant = variant_make(on_hand=1)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    url = f"/api/storefront/v1/{store.public_key}/products/{variant.product.bigcommerce_id}/"
    response = public_client.get(url, query)
    assert response.status_code == status and response.json()["error"] == "invalid"


@pytest.mark.django_db
def test_an_unknown_product_is_a_json_404(store, public_client):
    response = public_client.get(f"/api/storefront/v1/{store.public_key}/products/999999")
    assert response.status_code == 404 and "999999" in response.json()["message"]


@pytest.mark.django_db
def test_the_effective_cap_is_pushed_to_bigcommerce_so_checkout_enforces_it(
    connected_store, sandbox, django_capture_on_commit_callbacks
):
    from backorder.models import Variant
    from backorder.services.policies import policy_update
    from tests.backorder.conftest import SANDBOX_STORE

    variant = Variant.objects.filter(product__inventory_tracking="variant").first()

    def limit_in_bigcommerce():
        return sandbox.inventory_item(SANDBOX_STORE, variant_id=variant.bigcommerce_id)["settings"]["backorder_limit"]

    def change(**data):
        with django_capture_on_commit_callbacks(execute=True):  # the push happens after the commit
            policy_update(policy=Policy.objects.get(scope="store"), data=data)

    change(enabled=True, max_units=7, lead_time_days=10)
    assert limit_in_bigcommerce() == 7
    change(max_units=None)
    assert limit_in_bigcommerce() is None
    change(enabled=False)
    assert limit_in_bigcommerce() == 0
