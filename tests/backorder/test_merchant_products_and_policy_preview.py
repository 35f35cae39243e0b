"""The Products API (stock, waiting and incoming units, the policy that applies and why) and the policy
preview (what the storefront would show with an unsaved edit; nothing is saved)."""

from datetime import timedelta
from types import SimpleNamespace

import pytest

from backorder.models import Policy, PurchaseOrder, PurchaseOrderLine, VariantAvailability
from backorder.services.availability import availability_refresh, store_today
from tests.backorder.conftest import backorder_make, variant_make
from tests.conftest import store_client


@pytest.fixture
def api(store):
    return store_client(store, signed_in_as=store.owner)


def store_policy_on(**fields) -> Policy:
    Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=14, **fields)
    return Policy.objects.get(scope="store")


@pytest.mark.django_db
def test_each_variant_shows_stock_waiting_incoming_the_policy_why_and_the_storefront(api):
    store_policy_on()
    variant = variant_make(on_hand=0)
    other = variant_make(on_hand=7)
    backorder_make(variant, 3)
    order = PurchaseOrder.objects.create()
    arrives = store_today() + timedelta(days=6)
    PurchaseOrderLine.objects.create(
        purchase_order=order,
        variant_id=variant.bigcommerce_id,
        product_id=variant.product.bigcommerce_id,
        quantity=10,
        expected_date=arrives,
    )
    availability_refresh(variant_ids=[variant.bigcommerce_id, other.bigcommerce_id])

    rows = {r["variant_id"]: r for r in api.get("/api/v1/products/", {"page_size": 50}).json()["results"]}
    row = rows[variant.bigcommerce_id]

    assert (row["on_hand"], row["units_waiting"], row["units_incoming"]) == (0, 3, 10)
    assert row["next_delivery"] == arrives.isoformat()
    assert row["policy"]["level"] == "store" and row["policy"]["enabled"] is True
    assert "store-wide policy" in row["policy"]["why"]
    assert row["storefront"]["state"] == "backorder"
    assert rows[other.bigcommerce_id]["storefront"]["state"] == "in_stock"


@pytest.mark.django_db
def test_products_filter_to_backordered_out_of_stock_or_incoming_and_search(api):
    waiting, empty, stocked = variant_make(on_hand=0), variant_make(on_hand=0), variant_make(on_hand=4)
    backorder_make(waiting, 1)
    availability_refresh(variant_ids=[waiting.bigcommerce_id, empty.bigcommerce_id, stocked.bigcommerce_id])

    def ids(**params):
        return {r["variant_id"] for r in api.get("/api/v1/products/", params).json()["results"]}

    assert ids(show="backordered") == {waiting.bigcommerce_id}
    assert ids(show="out_of_stock") == {waiting.bigcommerce_id, empty.bigcommerce_id}
    assert ids(q=stocked.sku) == {stocked.bigcommerce_id}
    assert ids(q=str(empty.bigcommerce_id)) == {empty.bigcommerce_id}
    assert api.get("/api/v1/products/", {"show": "everything"}).status_code == 400


@pytest.mark.django_db
def test_a_page_of_products_costs_the_same_queries_for_one_or_many_variants(
    api, django_assert_max_num_queries, django_assert_num_queries
):
    variant_make()
    api.get("/api/v1/products/")
    with django_assert_max_num_queries(12) as one:
        api.get("/api/v1/products/")
    for _ in range(20):
        variant_make(on_hand=0)
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(api.get("/api/v1/products/").json()["results"]) == 21


# -- policy preview ---------------------------------------------------------------------------------------


def preview(api, variant, policy: dict, policy_id=None, quantity=1):
    body = {"variant_id": variant.bigcommerce_id, "quantity": quantity, "policy": policy}
    if policy_id:
        body["policy_id"] = policy_id
    return api.post("/api/v1/policies/preview/", body, content_type="application/json")


@pytest.mark.django_db
def test_switching_the_store_policy_on_shows_the_backorder_button_before_saving(api):
    variant = variant_make(on_hand=0)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    store_policy = Policy.objects.get(scope="store")

    response = preview(api, variant, {"enabled": True, "lead_time_days": 10, "button_label": "Reserve"},
                       policy_id=store_policy.pk)  # fmt: skip
    body = response.json()

    assert response.status_code == 200
    assert body["current"]["state"] == "unavailable"
    assert body["preview"]["state"] == "backorder" and body["preview"]["button_label"] == "Reserve"
    assert body["preview"]["expected_ship_date"] == (store_today() + timedelta(days=10)).isoformat()
    assert body["applies"] is True and body["level"] == "store" and "with your changes" in body["why"]
    store_policy.refresh_from_db()
    assert store_policy.enabled is False  # nothing was saved
    assert VariantAvailability.objects.get(variant_id=variant.bigcommerce_id).enabled is False


@pytest.mark.django_db
def test_a_new_product_policy_previews_without_being_created(api):
    store_policy_on()
    variant = variant_make(on_hand=0)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    draft = {"scope": "product", "bigcommerce_id": variant.product.bigcommerce_id, "enabled": False}

    body = preview(api, variant, draft).json()

    assert (body["current"]["state"], body["preview"]["state"]) == ("backorder", "unavailable")
    assert body["level"] == "product" and body["current_level"] == "store"
    assert Policy.objects.count() == 1


@pytest.mark.django_db
def test_an_edit_above_a_variants_own_policy_changes_nothing_for_it(api):
    variant = variant_make(on_hand=0)
    Policy.objects.create(scope="variant", bigcommerce_id=variant.bigcommerce_id, enabled=True, lead_time_days=3)
    availability_refresh(variant_ids=[variant.bigcommerce_id])

    body = preview(api, variant, {"enabled": False}, policy_id=Policy.objects.get(scope="store").pk).json()

    assert body["applies"] is False and body["level"] == "variant"
    assert body["current"] == body["preview"]


@pytest.mark.django_db
def test_an_invalid_edit_gets_the_same_field_messages_as_a_save(api):
    variant = variant_make(on_hand=0)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    store_policy = Policy.objects.get(scope="store")

    response = preview(api, variant, {"enabled": True, "lead_time_days": None}, policy_id=store_policy.pk)
    assert response.status_code == 400
    assert "lead_time_days" in response.json()["fields"]
    unknown = preview(api, SimpleNamespace(bigcommerce_id=999_999), {"enabled": True}, policy_id=store_policy.pk)
    assert unknown.status_code == 400 and "variant_id" in unknown.json()["fields"]
