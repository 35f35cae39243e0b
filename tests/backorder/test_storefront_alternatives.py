"""Alternatives for a sold-out product: in-stock products from the same categories."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backorder.services.availability import availability_refresh
from tests.backorder.conftest import variant_make


@pytest.mark.django_db
def test_alternatives_are_in_stock_products_of_the_same_category_and_never_itself(store, public_client):
    sold_out = variant_make(on_hand=0, category_ids=[7])
    same_in_stock = [variant_make(on_hand=3, category_ids=[7, 9]) for _ in range(5)]
    same_sold_out = variant_make(on_hand=0, category_ids=[7])
    other_category = variant_make(on_hand=3, category_ids=[8])
    everything = [sold_out, *same_in_stock, same_sold_out, other_category]
    availability_refresh(variant_ids=[v.bigcommerce_id for v in everything])
    url = f"/api/storefront/v1/{store.public_key}/products/{sold_out.product.bigcommerce_id}/alternatives"
    public_client.get(url)  # warm the store lookup

    with CaptureQueriesContext(connection) as captured:
        body = public_client.get(url).json()

    ids = [a["product_id"] for a in body["alternatives"]]
    assert len(ids) == 4
    assert set(ids) <= {v.product.bigcommerce_id for v in same_in_stock}
    assert len([q for q in captured.captured_queries if not q["sql"].startswith("SET")]) == 2
    assert public_client.get(url, {"limit": "9"}).status_code == 400
    assert public_client.get(url.replace(str(sold_out.product.bigcommerce_id), "424242")).status_code == 404
