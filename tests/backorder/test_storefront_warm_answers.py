"""Warm storefront answers (backorder/storefront_answers.py): a warm answer costs no query, every kind of
change to an answer's input makes the next answer the new one, and no store's answer reaches another store.

The table below is the contract: each change is made the way the app makes it (a service, a stock reading
from BigCommerce, a settings save), between an answer that was served warm and the next request."""

from datetime import timedelta

import pytest
from django.test import Client

from backorder.models import Backorder, Policy, Product, PurchaseOrder, Variant
from backorder.services.allocation import allocation_run
from backorder.services.availability import availability_refresh, store_today
from backorder.services.cancellation import backorder_cancel
from backorder.services.policies import policy_update
from backorder.services.purchase_orders import LineInput, purchase_order_create, purchase_order_receive
from stores.models import Store
from tests.backorder.conftest import backorder_make, variant_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def answer_cache(settings):
    settings.STOREFRONT_ANSWER_CACHE = True  # the tests' cache is one process's: right for one test process


def ask(client: Client, store: Store, variant: Variant, **query) -> dict:
    url = f"/api/storefront/v1/{store.public_key}/products/{variant.product.bigcommerce_id}"
    response = client.get(url, {"variant_id": variant.bigcommerce_id, **query})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def selling(store):
    """A variant sold on backorder (10 days' lead time, 20 units cap) with 2 on hand and 3 units waiting."""
    Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=10, max_units=20)
    variant = variant_make(on_hand=2)
    backorder_make(variant, 3)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    return variant


def test_a_warm_answer_costs_no_query_and_is_the_same_answer(store, selling, public_client, django_assert_num_queries):
    cold = ask(public_client, store, selling, quantity=4)
    with django_assert_num_queries(0):
        warm = ask(public_client, store, selling, quantity=4)
    assert warm == cold
    with django_assert_num_queries(0):
        again = public_client.get(
            f"/api/storefront/v1/{store.public_key}/products/{selling.product.bigcommerce_id}",
            {"variant_id": selling.bigcommerce_id, "quantity": 4},
            HTTP_IF_NONE_MATCH=public_client.get(
                f"/api/storefront/v1/{store.public_key}/products/{selling.product.bigcommerce_id}",
                {"variant_id": selling.bigcommerce_id, "quantity": 4},
            )["ETag"],
        )
    assert again.status_code == 304


def test_each_question_is_its_own_answer(store, selling, public_client):
    assert ask(public_client, store, selling, quantity=1)["state"] == "in_stock"
    assert ask(public_client, store, selling, quantity=4)["state"] == "backorder"
    assert (
        ask(public_client, store, selling, quantity=4, locale="de")["message"]
        != ask(public_client, store, selling, quantity=4)["message"]
    )


def _stock_reading(variant: Variant) -> None:
    """BigCommerce says there are 9 on hand (what a webhook's product refresh writes, then recomputes)."""
    Variant.objects.filter(pk=variant.pk).update(on_hand=9)
    availability_refresh(variant_ids=[variant.bigcommerce_id])


def _restock_allocates(variant: Variant) -> None:
    Variant.objects.filter(pk=variant.pk).update(on_hand=5)
    allocation_run(variant_id=variant.bigcommerce_id)  # the waiting 3 get units; the outbox owes BigCommerce


def _policy_lead_time(variant: Variant) -> None:
    policy_update(policy=Policy.objects.get(scope="store"), data={"lead_time_days": 30})


def _policy_off(variant: Variant) -> None:
    policy_update(policy=Policy.objects.get(scope="store"), data={"enabled": False})


def _purchase_order(variant: Variant) -> None:
    purchase_order_create(
        lines=[LineInput(variant_id=variant.bigcommerce_id, quantity=50, expected_date=store_today() + timedelta(3))],
        today=store_today(),
    )


def _purchase_order_received(variant: Variant) -> None:
    _purchase_order(variant)
    purchase_order_receive(order=PurchaseOrder.objects.get())


def _new_backorder(variant: Variant) -> None:
    backorder_make(variant, 15)  # as order capture records it, then recomputes
    availability_refresh(variant_ids=[variant.bigcommerce_id])


def _backorder_cancelled(variant: Variant) -> None:
    backorder_cancel(backorder=Backorder.objects.get(), actor="merchant", reason="test", refund=False)


def _store_language(variant: Variant) -> None:
    store = Store.objects.get(schema_name__startswith="store_")
    store.language = "fr"
    store.save()


CHANGES = {
    "a stock reading": _stock_reading,
    "a restock allocating to the waiting backorders": _restock_allocates,
    "a policy's lead time": _policy_lead_time,
    "a policy switched off": _policy_off,
    "a purchase order": _purchase_order,
    "a purchase order received": _purchase_order_received,
    "a new backorder using the cap": _new_backorder,
    "a backorder cancelled": _backorder_cancelled,
    "the store's language": _store_language,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_kind_of_change_makes_the_next_answer_new(
    change, store, selling, public_client, settings, django_capture_on_commit_callbacks
):
    before = ask(public_client, store, selling, quantity=4)
    assert ask(public_client, store, selling, quantity=4) == before  # served warm

    with django_capture_on_commit_callbacks(execute=True):  # the test's transaction never commits: run them
        change(selling)

    after = ask(public_client, store, selling, quantity=4)
    settings.STOREFRONT_ANSWER_CACHE = False
    truth = ask(public_client, store, selling, quantity=4)
    assert after == truth  # what the database says now
    assert after != before, str(before)  # so the warm answer was not served


def test_no_store_is_answered_with_another_stores_answer(make_store, public_client):
    """Two stores with the same BigCommerce ids and different stock: each key gets its own store's answer,
    cold and warm."""
    from django.db import connection
    from django.utils import timezone

    answers = {}
    for on_hand in (1, 7):
        store = make_store()
        connection.set_tenant(store)
        Policy.objects.filter(scope="store").update(enabled=True)
        product = Product.objects.create(bigcommerce_id=7_000, name="Same ids", inventory_tracking="variant",
                                         synced_at=timezone.now())  # fmt: skip
        Variant.objects.create(bigcommerce_id=77, product=product, sku="same", on_hand=on_hand,
                               synced_at=timezone.now())  # fmt: skip
        availability_refresh(variant_ids=[77])
        answers[store.public_key] = on_hand
        connection.set_schema_to_public()
    for _ in range(2):  # cold, then warm
        for public_key, on_hand in answers.items():
            body = public_client.get(f"/api/storefront/v1/{public_key}/products/7000", {"variant_id": 77}).json()
            assert body["on_hand"] == on_hand
