"""Purchase orders: incoming stock, its dates, and receiving it (merchant API contract)."""

from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from backorder.models import PurchaseOrder, StockAdjustment
from backorder.services.availability import store_today
from tests.backorder.conftest import backorder_make, variant_make
from tests.conftest import store_client


@pytest.fixture
def api(store):
    return store_client(store, signed_in_as=store.owner)


def create(api, lines, **extra):
    return api.post("/api/v1/purchase-orders/", {"lines": lines, **extra}, content_type="application/json")


@pytest.mark.django_db
def test_a_purchase_order_is_created_with_lines_of_variant_quantity_and_date(api):
    variant = variant_make(on_hand=0)
    expected = (store_today() + timedelta(days=10)).isoformat()
    response = create(api, [{"variant_id": variant.bigcommerce_id, "quantity": 12, "expected_date": expected}],
                      supplier="Acme", reference="PO-77")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["supplier"], body["reference"], body["status"]) == ("Acme", "PO-77", "open")
    assert body["lines"][0] | {"id": 0} == {
        "id": 0, "variant_id": variant.bigcommerce_id, "product_id": variant.product.bigcommerce_id, "quantity": 12,
        "quantity_received": 0, "expected_date": expected,
    }  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("line", "field_text"),
    [
        ({"variant_id": 424242, "quantity": 1}, "not in this store's catalog"),
        ({"quantity": 0}, "greater than or equal to 1"),
        ({"expected_date": "2020-01-01"}, "already passed"),
    ],
)
def test_bad_lines_are_refused_with_a_message_per_line(api, line, field_text):
    variant = variant_make(on_hand=0)
    base = {"variant_id": variant.bigcommerce_id, "quantity": 1,
            "expected_date": (store_today() + timedelta(days=3)).isoformat()}  # fmt: skip
    response = create(api, [base | line])
    assert response.status_code == 400
    assert field_text in str(response.json()["fields"])
    assert not PurchaseOrder.objects.exists()


@pytest.mark.django_db
def test_receiving_everything_outstanding_adds_stock_for_bigcommerce_and_closes_the_order(api):
    variant = variant_make(on_hand=0)
    order = create(api, [{"variant_id": variant.bigcommerce_id, "quantity": 6,
                          "expected_date": (store_today() + timedelta(days=3)).isoformat()}]).json()  # fmt: skip
    response = api.post(f"/api/v1/purchase-orders/{order['id']}/receive/", {}, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "received"
    assert response.json()["lines"][0]["quantity_received"] == 6
    adjustment = StockAdjustment.objects.get(variant_id=variant.bigcommerce_id, reason=f"purchase_order:{order['id']}")
    assert adjustment.on_hand_delta == 6


@pytest.mark.django_db
def test_a_partial_receipt_leaves_the_rest_outstanding_and_more_than_ordered_is_refused(api):
    variant = variant_make(on_hand=0)
    order = create(api, [{"variant_id": variant.bigcommerce_id, "quantity": 6,
                          "expected_date": (store_today() + timedelta(days=3)).isoformat()}]).json()  # fmt: skip
    url = f"/api/v1/purchase-orders/{order['id']}/receive/"
    partial = api.post(url, {"lines": [{"variant_id": variant.bigcommerce_id, "quantity": 4}]},
                       content_type="application/json")  # fmt: skip
    assert partial.json()["status"] == "partly_received"
    too_many = api.post(url, {"lines": [{"variant_id": variant.bigcommerce_id, "quantity": 3}]},
                        content_type="application/json")  # fmt: skip
    assert too_many.status_code == 400
    assert "Only 2 unit(s)" in str(too_many.json()["fields"])


@pytest.mark.django_db
def test_moving_a_line_date_moves_the_waiting_backorders_dates(api):
    variant = variant_make(on_hand=0)
    from backorder.models import Policy

    Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=60)
    waiting = backorder_make(variant, 2)
    first = (store_today() + timedelta(days=5)).isoformat()
    order = create(api, [{"variant_id": variant.bigcommerce_id, "quantity": 2, "expected_date": first}]).json()
    waiting.refresh_from_db()
    assert waiting.expected_ship_date.isoformat() == first
    later = (store_today() + timedelta(days=15)).isoformat()
    response = api.patch(f"/api/v1/purchase-orders/{order['id']}/lines/{order['lines'][0]['id']}/",
                         {"expected_date": later}, content_type="application/json")  # fmt: skip
    assert response.status_code == 200
    waiting.refresh_from_db()
    assert waiting.expected_ship_date.isoformat() == later
    assert waiting.events.filter(kind="delayed").exists()


@pytest.mark.django_db
def test_another_store_cannot_see_or_receive_this_stores_purchase_orders(api, make_store):
    variant = variant_make(on_hand=0)
    order = create(api, [{"variant_id": variant.bigcommerce_id, "quantity": 1,
                          "expected_date": (store_today() + timedelta(days=3)).isoformat()}]).json()  # fmt: skip
    with schema_context("public"):
        other = make_store()
    intruder = store_client(other, signed_in_as=other.owner)
    assert intruder.get(f"/api/v1/purchase-orders/{order['id']}/").status_code == 404
    assert intruder.post(f"/api/v1/purchase-orders/{order['id']}/receive/").status_code == 404


@pytest.mark.django_db
def test_a_purchase_order_can_be_renamed_and_cancelled_and_then_no_longer_counts(api):
    from backorder.models import VariantAvailability

    variant = variant_make(on_hand=0)
    order = create(api, [{"variant_id": variant.bigcommerce_id, "quantity": 4,
                          "expected_date": (store_today() + timedelta(days=3)).isoformat()}]).json()  # fmt: skip
    assert VariantAvailability.objects.get(variant_id=variant.bigcommerce_id).supply[0][0] == 4
    response = api.patch(f"/api/v1/purchase-orders/{order['id']}/", {"reference": "PO-9", "status": "cancelled"},
                         content_type="application/json")  # fmt: skip
    assert (response.json()["reference"], response.json()["status"]) == ("PO-9", "cancelled")
    assert VariantAvailability.objects.get(variant_id=variant.bigcommerce_id).supply == []
    again = api.post(f"/api/v1/purchase-orders/{order['id']}/receive/", {}, content_type="application/json")
    assert again.status_code == 400


@pytest.mark.django_db
def test_receiving_adds_the_units_in_bigcommerce_and_fills_the_oldest_backorders_first(connected_store, sandbox):
    from backorder.models import Backorder, Policy, Variant
    from tests.backorder.conftest import SANDBOX_STORE

    Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=20)
    variant = Variant.objects.filter(product__inventory_tracking="variant").first()
    sandbox.restock(SANDBOX_STORE, variant_id=variant.bigcommerce_id, quantity=0)
    Variant.objects.filter(pk=variant.pk).update(on_hand=0)
    old, new = backorder_make(variant, 3), backorder_make(variant, 3)
    api = store_client(connected_store, signed_in_as=connected_store.owner)
    order = create(api, [{"variant_id": variant.bigcommerce_id, "quantity": 4,
                          "expected_date": (store_today() + timedelta(days=3)).isoformat()}]).json()  # fmt: skip

    response = api.post(f"/api/v1/purchase-orders/{order['id']}/receive/", {}, content_type="application/json")

    assert response.status_code == 200
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, old.quantity_allocated) == (Backorder.Status.ALLOCATED, 3)
    assert (new.status, new.quantity_allocated) == (Backorder.Status.WAITING, 1)
    # +4 received, -4 allocated: nothing left on hand for anyone else in BigCommerce
    assert sandbox.inventory_item(SANDBOX_STORE, variant_id=variant.bigcommerce_id)["total_inventory_onhand"] == 0
