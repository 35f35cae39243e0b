"""Locations followed through BigCommerce's own events, end to end over loopback HTTP (the app on a live
server, the sandbox delivering its webhooks): a location added, stock changed there, the location disabled."""

import pytest
from django_tenants.utils import schema_context

from backorder.models import Location, LocationStock, Variant
from tests.integration.conftest import STORE_HASH, install, installed_store

pytestmark = pytest.mark.django_db(transaction=True)

PER_LOCATION_STOCK = "store/channel/*/inventory/product/stock_changed"


@pytest.fixture
def store(bigcommerce):
    install(bigcommerce)
    bigcommerce.flush_webhooks()
    return installed_store()


def hook_scopes(bigcommerce) -> set[str]:
    with bigcommerce.state.lock:
        return {hook["scope"] for hook in bigcommerce.state.store(STORE_HASH).hooks.values()}


def test_a_location_added_stocked_and_disabled_in_bigcommerce_reaches_the_app_through_its_webhooks(store, bigcommerce):
    assert "store/inventory/location/created" in hook_scopes(bigcommerce)
    assert PER_LOCATION_STOCK not in hook_scopes(bigcommerce)  # one location: the SKU events say it all
    with schema_context(store.schema_name):
        assert list(Location.objects.values_list("bigcommerce_id", flat=True)) == [1]
        variant = Variant.objects.filter(on_hand__isnull=False, product__inventory_tracking="variant").first()

    shop = bigcommerce.add_location(STORE_HASH, "Harbour Street shop", code="SHOP")["id"]
    assert bigcommerce.flush_webhooks(10)
    with schema_context(store.schema_name):  # copied, and a full sync read its stock
        assert Location.objects.get(bigcommerce_id=shop).label == "Harbour Street shop"
        assert LocationStock.objects.filter(location_id=shop, variant_id=variant.bigcommerce_id).exists()
    assert PER_LOCATION_STOCK in hook_scopes(bigcommerce)  # two locations: the store listens per location

    bigcommerce.restock(STORE_HASH, variant_id=variant.bigcommerce_id, quantity=17, location_id=shop)
    assert bigcommerce.flush_webhooks(10)
    with schema_context(store.schema_name):
        assert LocationStock.objects.get(location_id=shop, variant_id=variant.bigcommerce_id).on_hand == 17

    bigcommerce.update_location(STORE_HASH, shop, enabled=False)
    assert bigcommerce.flush_webhooks(10)
    with schema_context(store.schema_name):
        assert not Location.objects.get(bigcommerce_id=shop).enabled
