"""The cart: each line's state, the order's ships-by date, and the shopper's shipping choice."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backorder.models import CartChoice, Policy
from backorder.services.availability import availability_refresh, store_today
from tests.backorder.conftest import variant_make


@pytest.fixture
def cart(store):
    Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=12, shipping_preference="shopper_chooses")
    in_stock, sold_out = variant_make(on_hand=5), variant_make(on_hand=0)
    availability_refresh(variant_ids=[in_stock.bigcommerce_id, sold_out.bigcommerce_id])
    lines = ",".join(f"{v.product.bigcommerce_id}:{v.bigcommerce_id}:{q}" for v, q in ((in_stock, 2), (sold_out, 1)))
    return f"/api/storefront/v1/{store.public_key}/cart", lines


@pytest.mark.django_db
def test_the_cart_shows_each_line_and_ships_by_the_latest_date(public_client, cart):
    url, lines = cart
    public_client.get(url, {"lines": lines})  # warm the store lookup
    with CaptureQueriesContext(connection) as captured:
        body = public_client.get(url, {"lines": lines}).json()
    assert [q for q in captured.captured_queries if not q["sql"].startswith("SET")].__len__() == 1
    assert [line["state"] for line in body["lines"]] == ["in_stock", "backorder"]
    assert body["state"] == "backorder"
    assert body["ships_by"] == (store_today() + timedelta(days=12)).isoformat()
    assert body["shipping_choice_offered"] is True


@pytest.mark.django_db
def test_the_shoppers_shipping_choice_is_kept_by_cart_id_from_a_form_post(public_client, cart, store):
    url, lines = cart
    response = public_client.post(
        f"{url}/shipping-choice", {"cart_id": "c-123", "shipping_preference": "available_first"}
    )
    assert response.status_code == 200
    assert CartChoice.objects.get(cart_id="c-123").shipping_preference == "available_first"
    assert public_client.get(url, {"lines": lines, "cart_id": "c-123"}).json()["shipping_choice"] == "available_first"
    bad = public_client.post(f"{url}/shipping-choice", {"cart_id": "c-123", "shipping_preference": "by-pigeon"})
    assert bad.status_code == 400 and "together or available_first" in bad.json()["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("lines", ["", "1:2", "x:1:1", "1:2:0", ",".join(["1:2:1"] * 101)])
def test_malformed_cart_lines_get_a_400(public_client, cart, lines):
    url, _ = cart
    response = public_client.get(url, {"lines": lines})
    assert response.status_code == 400 and response.json()["error"] == "invalid"
