"""A policy saved in a big catalog: the save answers at once whatever the catalog's size, the variants'
availability is brought up to date in the background with its progress shown, and meanwhile shoppers, the
cart and order capture go by the saved policy, never the old one."""

from datetime import timedelta

import pytest
from django.test import Client

from backorder.models import Policy, PolicyChangePending, VariantAvailability
from backorder.services import policies as policy_services
from backorder.services.availability import availability_refresh, ship_date_for_new_backorder, store_today
from backorder.services.policies import policy_update
from tests.backorder.conftest import variant_make
from tests.conftest import store_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_catalog(store, monkeypatch):
    """A catalog "big" for the test: more variants than a save refreshes at once (lowered to 5)."""
    monkeypatch.setattr(policy_services, "REFRESH_AT_ONCE", 5)
    Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=10)
    variants = [variant_make(on_hand=0) for _ in range(12)]
    availability_refresh(variant_ids=[v.bigcommerce_id for v in variants])
    return variants


def answer(store, variant) -> dict:
    url = f"/api/storefront/v1/{store.public_key}/products/{variant.product.bigcommerce_id}"
    response = Client(HTTP_HOST="localhost").get(url, {"variant_id": variant.bigcommerce_id, "quantity": 2})
    assert response.status_code == 200, response.content
    return response.json()


def test_saving_the_store_policy_applies_it_in_the_background_and_shoppers_see_it_at_once(
    store, big_catalog, django_capture_on_commit_callbacks
):
    variant = big_catalog[0]
    assert answer(store, variant)["expected_ship_date"] == (store_today() + timedelta(days=10)).isoformat()

    with django_capture_on_commit_callbacks(execute=False) as background:  # the task has not run yet
        policy_update(policy=Policy.objects.get(scope="store"), data={"lead_time_days": 30})

    new_date = (store_today() + timedelta(days=30)).isoformat()
    assert VariantAvailability.objects.get(variant_id=variant.bigcommerce_id).lead_time_days == 10  # row: old
    assert answer(store, variant)["expected_ship_date"] == new_date  # shoppers: the saved policy
    assert ship_date_for_new_backorder(variant_id=variant.bigcommerce_id, quantity=1, queue_ahead=0).isoformat() == (
        new_date
    )  # order capture too
    cart = Client(HTTP_HOST="localhost").get(
        f"/api/storefront/v1/{store.public_key}/cart",
        {"lines": f"{variant.product.bigcommerce_id}:{variant.bigcommerce_id}:1"},
    )
    assert cart.json()["ships_by"] == new_date
    assert policy_services.policy_changes_applying() == {"applying": True, "variants_total": 12, "variants_done": 0}

    for callback in background:
        callback()  # the background refresh

    assert not PolicyChangePending.objects.exists()
    assert set(VariantAvailability.objects.values_list("lead_time_days", flat=True)) == {30}
    assert answer(store, variant)["expected_ship_date"] == new_date
    assert policy_services.policy_changes_applying()["applying"] is False


def test_the_save_costs_the_same_queries_whatever_the_catalogs_size(store, big_catalog, django_assert_max_num_queries):
    policy = Policy.objects.get(scope="store")
    with django_assert_max_num_queries(12) as small:
        policy_update(policy=policy, data={"lead_time_days": 20})
    more = [variant_make(on_hand=0) for _ in range(40)]
    availability_refresh(variant_ids=[v.bigcommerce_id for v in more])
    with django_assert_max_num_queries(len(small.captured_queries)):
        policy_update(policy=policy, data={"lead_time_days": 21})


def test_a_small_change_is_applied_inside_the_save(store, big_catalog):
    variant = big_catalog[0]
    policy_services.policy_create(
        data={"scope": "variant", "bigcommerce_id": variant.bigcommerce_id, "enabled": True, "lead_time_days": 3}
    )
    assert not PolicyChangePending.objects.exists()
    assert VariantAvailability.objects.get(variant_id=variant.bigcommerce_id).lead_time_days == 3


def test_the_merchant_sees_how_far_a_change_got(store, big_catalog, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        policy_update(policy=Policy.objects.get(scope="store"), data={"enabled": False})
    client = store_client(store, signed_in_as=store.owner)
    response = client.get("/api/v1/policies/applying/")
    assert response.status_code == 200
    assert response.json() == {"applying": True, "variants_total": 12, "variants_done": 0}
