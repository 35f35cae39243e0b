"""The storefront answer through HTTP, state by state, with the shape ARCHITECTURE.md fixes; unknown keys
are 404s; a warm request and a 304 stay inside the query budget."""

from datetime import timedelta

import pytest

from backorder.models import Policy
from backorder.services.availability import availability_refresh, store_today
from backorder.services.policies import policy_create
from tests.backorder.conftest import variant_make

CONTRACT_KEYS = {
    "product_id", "variant_id", "state", "on_hand", "backorder_available", "requested_quantity", "ready_to_ship",
    "backordered", "button_label", "message", "expected_ship_date",
}  # fmt: skip


def store_policy(**fields) -> None:
    Policy.objects.filter(scope="store").update(**fields)


def ask(client, store, variant, **query):
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    url = f"/api/storefront/v1/{store.public_key}/products/{variant.product.bigcommerce_id}"
    response = client.get(url, {"variant_id": variant.bigcommerce_id, **query})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= CONTRACT_KEYS
    assert (body["product_id"], body["variant_id"]) == (variant.product.bigcommerce_id, variant.bigcommerce_id)
    return body


@pytest.mark.django_db
def test_in_stock_within_on_hand(store, public_client):
    body = ask(public_client, store, variant_make(on_hand=5), quantity=2)
    assert {k: body[k] for k in ("state", "on_hand", "requested_quantity", "ready_to_ship", "backordered")} == {
        "state": "in_stock", "on_hand": 5, "requested_quantity": 2, "ready_to_ship": 2, "backordered": 0,
    }  # fmt: skip
    assert (body["button_label"], body["message"], body["expected_ship_date"]) == ("Add to cart", "", None)


@pytest.mark.django_db
def test_untracked_stock_is_in_stock_with_on_hand_null(store, public_client):
    body = ask(public_client, store, variant_make(on_hand=None, tracking="none"), quantity=50)
    assert (body["state"], body["on_hand"], body["backorder_available"]) == ("in_stock", None, None)


@pytest.mark.django_db
def test_backorder_splits_what_is_on_hand_from_what_ships_later(store, public_client):
    store_policy(enabled=True, lead_time_days=12, max_units=25)
    body = ask(public_client, store, variant_make(on_hand=2), quantity=5)
    ships = store_today() + timedelta(days=12)
    assert {k: body[k] for k in ("state", "on_hand", "backorder_available", "ready_to_ship", "backordered")} == {
        "state": "backorder", "on_hand": 2, "backorder_available": 25, "ready_to_ship": 2, "backordered": 3,
    }  # fmt: skip
    assert body["button_label"] == "Backorder"
    assert body["expected_ship_date"] == ships.isoformat()
    assert body["message"].startswith("Ships by ")


@pytest.mark.django_db
def test_preorder_inside_its_window(store, public_client):
    release = store_today() + timedelta(days=30)
    store_policy(enabled=True, mode="preorder", preorder_starts_on=store_today() - timedelta(days=1),
                 fixed_ship_date=release, lead_time_days=None)  # fmt: skip
    body = ask(public_client, store, variant_make(on_hand=0), quantity=1, locale="fr")
    assert (body["state"], body["button_label"], body["expected_ship_date"]) == (
        "preorder", "Précommander", release.isoformat()
    )  # fmt: skip
    assert body["message"].startswith("Précommande")


@pytest.mark.django_db
def test_unavailable_when_the_variants_own_policy_switches_backorders_off(store, public_client):
    store_policy(enabled=True, lead_time_days=12)
    variant = variant_make(on_hand=1)
    policy_create(data={"scope": "variant", "bigcommerce_id": variant.bigcommerce_id, "enabled": False})
    body = ask(public_client, store, variant, quantity=2, locale="de")
    assert {k: body[k] for k in ("state", "ready_to_ship", "backordered", "backorder_available")} == {
        "state": "unavailable", "ready_to_ship": 0, "backordered": 0, "backorder_available": 0,
    }  # fmt: skip
    assert (body["button_label"], body["message"]) == ("Ausverkauft", "Nicht vorrätig")


@pytest.mark.django_db
def test_an_unknown_public_key_is_a_json_404_for_every_storefront_url(store, public_client):
    for url in (
        "/api/storefront/v1/no-such-key/products/1",
        "/api/storefront/v1/no-such-key/config",
        "/api/storefront/v1/no-such-key/notify-me",
        "/storefront/no-such-key/widget.js",
    ):
        response = public_client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"] == "unknown_store"


@pytest.mark.django_db
def test_a_revalidation_costs_one_select_and_answers_304(store, public_client, django_assert_max_num_queries):
    variant = variant_make(on_hand=3)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    url = f"/api/storefront/v1/{store.public_key}/products/{variant.product.bigcommerce_id}"
    first = public_client.get(url)  # also warms the store lookup
    # one SELECT of the precomputed row, plus the schema switch django-tenants makes
    with django_assert_max_num_queries(2):
        again = public_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    with django_assert_max_num_queries(2):
        assert public_client.get(url, {"quantity": 2}).status_code == 200
