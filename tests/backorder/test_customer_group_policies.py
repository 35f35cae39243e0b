"""Customer-group policies: a policy may be for some BigCommerce customer groups only (0 = guests and shoppers
in no group). The most specific level still wins; within a level, the policy naming the shopper's group beats the
one for everyone. Two policies of one level and target never name the same group (refused with a clear message,
also when two saves race). BigCommerce's checkout cannot tell groups apart, so its limit is the most generous
any group gets."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django_tenants.utils import schema_context

from backorder.models import Policy, VariantAvailability
from backorder.services import policies
from backorder.services.availability import availability_refresh, backorder_limits_wanted
from tests.backorder.conftest import variant_make
from tests.conftest import store_client

TRADE, KEY_ACCOUNTS, GUESTS = 5, 9, 0


def policy_make(scope: str, bigcommerce_id: int | None = None, **fields) -> Policy:
    fields.setdefault("enabled", True)
    return policies.policy_create(data={"scope": scope, "bigcommerce_id": bigcommerce_id, **fields})


def effective_for(variant, group: int) -> Policy | None:
    return policies.policy_effective(variant_id=variant.bigcommerce_id, customer_group_id=group).policy


def everyones_store_policy() -> Policy:
    return Policy.objects.get(scope="store", customer_group_ids=[])


# -- which policy a shopper of a group gets ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_policy_for_the_shoppers_group_beats_the_one_for_everyone_at_the_same_level(store):
    variant = variant_make()
    trade = policy_make("store", customer_group_ids=[TRADE], lead_time_days=30)
    assert effective_for(variant, TRADE) == trade
    assert effective_for(variant, GUESTS) == everyones_store_policy()
    assert effective_for(variant, KEY_ACCOUNTS) == everyones_store_policy()  # a group no policy names
    why = policies.policy_effective(variant_id=variant.bigcommerce_id, customer_group_id=TRADE).why
    assert f"policy {trade.pk}, for customer group {TRADE}" in why


@pytest.mark.django_db
def test_the_most_specific_level_still_wins_over_a_group_policy_above_it(store):
    variant = variant_make()
    policy_make("store", customer_group_ids=[TRADE])
    own = policy_make("product", variant.product.bigcommerce_id, enabled=False)  # for everyone
    assert effective_for(variant, TRADE) == own


@pytest.mark.django_db
def test_a_policy_for_other_groups_does_not_exist_for_this_shopper(store):
    variant = variant_make()
    key_accounts = policy_make("variant", variant.bigcommerce_id, customer_group_ids=[KEY_ACCOUNTS])
    assert effective_for(variant, TRADE) == everyones_store_policy()
    assert effective_for(variant, KEY_ACCOUNTS) == key_accounts


@pytest.mark.django_db
def test_guests_are_group_0_and_the_precomputed_rows_are_theirs(store):
    variant = variant_make(on_hand=0)
    guests_only = policy_make("product", variant.product.bigcommerce_id, customer_group_ids=[GUESTS])
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    assert effective_for(variant, GUESTS) == guests_only
    assert effective_for(variant, TRADE) == everyones_store_policy()
    assert VariantAvailability.objects.get(variant_id=variant.bigcommerce_id).policy_id == guests_only.pk


@pytest.mark.django_db
def test_the_effective_policy_api_answers_for_a_group(store):
    variant = variant_make()
    trade = policy_make("store", customer_group_ids=[TRADE])
    api = store_client(store, signed_in_as=store.owner)
    url = "/api/v1/policies/effective/"
    for_trade = api.get(url, {"variant_id": variant.bigcommerce_id, "customer_group_id": TRADE}).json()
    assert (for_trade["policy"]["id"], for_trade["customer_group_id"]) == (trade.pk, TRADE)
    assert for_trade["candidates"][0]["customer_group_ids"] == [TRADE]
    for_guests = api.get(url, {"variant_id": variant.bigcommerce_id}).json()
    assert for_guests["policy"]["customer_group_ids"] == [] and for_guests["customer_group_id"] == GUESTS


# -- what may be saved ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_target_may_have_a_policy_for_everyone_and_one_per_group(store):
    variant = variant_make()
    product = variant.product.bigcommerce_id
    policy_make("product", product)
    trade = policy_make("product", product, customer_group_ids=[TRADE, TRADE, GUESTS])
    policy_make("product", product, customer_group_ids=[KEY_ACCOUNTS])
    assert trade.customer_group_ids == [GUESTS, TRADE]  # distinct, in order


@pytest.mark.django_db
def test_two_policies_of_one_target_may_not_name_the_same_group(store):
    variant = variant_make()
    product = variant.product.bigcommerce_id
    first = policy_make("product", product, customer_group_ids=[TRADE, KEY_ACCOUNTS])
    with pytest.raises(ValidationError) as refused:
        policy_make("product", product, customer_group_ids=[KEY_ACCOUNTS, 12])
    (message,) = refused.value.message_dict["customer_group_ids"]
    assert f"customer group {KEY_ACCOUNTS}" in message and f"policy {first.pk}" in message
    # the same rule for a change that would make two overlap
    other = policy_make("product", product, customer_group_ids=[12])
    with pytest.raises(ValidationError) as refused:
        policies.policy_update(policy=other, data={"customer_group_ids": [12, TRADE]})
    assert "customer_group_ids" in refused.value.message_dict


@pytest.mark.django_db
def test_the_store_policy_for_everyone_stays_for_everyone_and_cannot_be_deleted(store):
    with pytest.raises(ValidationError) as refused:
        policies.policy_update(policy=everyones_store_policy(), data={"customer_group_ids": [TRADE]})
    assert "stays for every shopper" in refused.value.message_dict["customer_group_ids"][0]
    with pytest.raises(policies.StorePolicyRequired):
        policies.policy_delete(policy=everyones_store_policy())
    trade = policy_make("store", customer_group_ids=[TRADE])
    policies.policy_delete(policy=trade)  # a store-wide policy for some groups can go
    assert not Policy.objects.filter(pk=trade.pk).exists()


@pytest.mark.parametrize("groups", [[-1], ["trade"], [True], "5", [2**31]])
@pytest.mark.django_db
def test_a_group_id_is_a_whole_number_from_0(store, groups):
    with pytest.raises(ValidationError) as refused:
        policy_make("store", customer_group_ids=groups)
    assert "customer_group_ids" in refused.value.message_dict


@pytest.mark.django_db
def test_the_merchant_api_takes_and_shows_groups_and_refuses_an_overlap_with_a_400(store):
    variant = variant_make()
    api = store_client(store, signed_in_as=store.owner)
    body = {"scope": "product", "bigcommerce_id": variant.product.bigcommerce_id, "enabled": True,
            "lead_time_days": 5, "customer_group_ids": [TRADE]}  # fmt: skip
    created = api.post("/api/v1/policies/", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["customer_group_ids"] == [TRADE]
    again = api.post("/api/v1/policies/", body, content_type="application/json")
    assert again.status_code == 400
    assert f"customer group {TRADE}" in again.json()["fields"]["customer_group_ids"][0]
    negative = api.post("/api/v1/policies/", {**body, "customer_group_ids": [-3]}, content_type="application/json")
    assert negative.status_code == 400 and "customer_group_ids" in negative.json()["fields"]


@pytest.mark.django_db(transaction=True)
def test_two_saves_racing_for_the_same_group_cannot_both_pass(make_store):
    """The second save waits for the first one's lock on the target, then sees its policy and is refused."""
    store = make_store()
    try:
        with schema_context(store.schema_name):
            product = variant_make().product.bigcommerce_id
        first_saved, second_started = threading.Event(), threading.Event()
        outcome: dict[str, object] = {}

        def save(name: str, hold: bool) -> None:
            try:
                with schema_context(store.schema_name), transaction.atomic():
                    policy_make("product", product, customer_group_ids=[TRADE])
                    if hold:  # keep the transaction (and its lock) open until the other save is waiting
                        first_saved.set()
                        second_started.wait(5)
                outcome[name] = "saved"
            except ValidationError as error:
                outcome[name] = error.message_dict
            finally:
                connection.close()

        first = threading.Thread(target=save, args=("first", True))
        first.start()
        assert first_saved.wait(10)
        second = threading.Thread(target=save, args=("second", False))
        second.start()
        second.join(0.5)
        assert second.is_alive()  # waiting for the first save's lock
        second_started.set()
        first.join(10)
        second.join(10)
        assert outcome["first"] == "saved"
        assert "customer_group_ids" in outcome["second"]
        with schema_context(store.schema_name):
            assert Policy.objects.filter(customer_group_ids__contains=[TRADE]).count() == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{store.schema_name}" CASCADE')


# -- what BigCommerce's checkout enforces ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_limit_stays_open_as_long_as_any_group_may_backorder(store):
    variant = variant_make(on_hand=0)
    availability_refresh(variant_ids=[variant.bigcommerce_id])

    def limit():
        row = VariantAvailability.objects.get(variant_id=variant.bigcommerce_id)
        return backorder_limits_wanted([row])[variant.bigcommerce_id]

    assert limit() == 0  # a new store sells nothing on backorder
    trade = policy_make("store", customer_group_ids=[TRADE], max_units=10)
    assert limit() == 10  # only trade buyers may, but checkout cannot tell them apart
    policies.policy_update(policy=everyones_store_policy(), data={"enabled": True, "max_units": 4})
    assert limit() == 10  # the most generous cap
    policies.policy_update(policy=trade, data={"max_units": None})
    assert limit() is None  # someone may backorder without a cap
    policies.policy_update(policy=trade, data={"enabled": False})
    assert limit() == 4


@pytest.mark.django_db
def test_saving_a_group_policy_pushes_the_limit_even_though_the_guests_rows_stay(
    connected_store, sandbox, django_capture_on_commit_callbacks
):
    from backorder.models import Variant
    from tests.backorder.conftest import SANDBOX_STORE

    variant = Variant.objects.filter(product__inventory_tracking="variant").first()

    def limit_in_bigcommerce():
        return sandbox.inventory_item(SANDBOX_STORE, variant_id=variant.bigcommerce_id)["settings"]["backorder_limit"]

    version = VariantAvailability.objects.get(variant_id=variant.bigcommerce_id).version
    with django_capture_on_commit_callbacks(execute=True):
        trade = policy_make("variant", variant.bigcommerce_id, customer_group_ids=[TRADE], max_units=6)
    assert VariantAvailability.objects.get(variant_id=variant.bigcommerce_id).version == version  # guests' row
    assert limit_in_bigcommerce() == 6
    with django_capture_on_commit_callbacks(execute=True):
        policies.policy_delete(policy=trade)
    assert limit_in_bigcommerce() == 0
