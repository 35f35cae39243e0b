"""Locations in the merchant web app, in Chromium against a live server and the sandbox (docs/engine.md,
"Locations"): a store with three BigCommerce locations. The Products page lists the locations, lets the
merchant say which ones the storefront sells from and shows each variant's stock and waiting units per
location; the policy editor takes a cap per location; a new purchase order chooses where it is received.
Screenshots go to artifacts/screenshots/locations-*.png."""

import re
from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from backorder import handlers, sync
from backorder.models import Backorder, Location, Policy, PurchaseOrder, Variant
from backorder.services import capture
from backorder.services.availability import store_today
from backorder.services.locations import locations_sync
from stores import provisioning, services, tenancy
from stores.bigcommerce.connection import client_for
from stores.bigcommerce.sandbox import SandboxServer
from tests.browser.conftest import screenshot_settled
from tests.fixtures.bigcommerce import drop_store_schemas

try:
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
except ImportError:
    expect = None

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
STORE_HASH = "locations1"


@pytest.fixture
def three_locations(live_server, settings, make_store):
    """A store connected to a sandbox store with a shop and a back-office warehouse beside its default location;
    one variant has 0 units at the default location, 3 at the shop and 50 at the warehouse."""
    settings.APP_BASE_URL = live_server.url
    sandbox = SandboxServer(client_id=settings.BIGCOMMERCE_CLIENT_ID, client_secret=settings.BIGCOMMERCE_CLIENT_SECRET,
                            app_base_url="http://127.0.0.1:9")  # fmt: skip
    sandbox.start()
    settings.BIGCOMMERCE_API_URL = settings.BIGCOMMERCE_LOGIN_URL = sandbox.base_url
    drop_store_schemas()
    provisioning.public_tenant_ensure()
    tenancy.forget_everything_local()
    store = make_store("Harbour Lamps")
    sandbox.create_store(STORE_HASH, name="Harbour Lamps", seed=11, products=20)
    shop = sandbox.add_location(STORE_HASH, "Harbour Street shop", code="SHOP")["id"]
    warehouse = sandbox.add_location(STORE_HASH, "Back-office warehouse", code="WAREHOUSE")["id"]
    store.bigcommerce_store_hash = STORE_HASH
    store.access_token = sandbox.issue_token(STORE_HASH)
    store.connection = store.Connection.CONNECTED
    store.save()
    with schema_context(store.schema_name):
        client = client_for(store)
        locations_sync(client=client, follow_up=False)
        sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)
        variant = (
            Variant.objects.filter(product__inventory_tracking="variant", is_deleted=False)
            .select_related("product")
            .order_by("id")
            .first()
        )
        for location_id, units in ((1, 0), (shop, 3), (warehouse, 50)):
            sandbox.restock(STORE_HASH, quantity=units, variant_id=variant.bigcommerce_id, location_id=location_id)
        Policy.objects.filter(scope="store").update(enabled=True, max_units=10, lead_time_days=10)
        handlers.catalog_changed(store, [{"data": {"type": "product", "id": variant.product.bigcommerce_id}}])
    yield store, variant, shop, warehouse, sandbox
    sandbox.stop()
    drop_store_schemas()


@pytest.fixture
def console_errors_expected(console_errors_expected):
    console_errors_expected.append(r"favicon\.ico")
    return console_errors_expected


def shot(page, name: str) -> None:
    screenshot_settled(page, f"locations-{name}")


def test_the_merchant_sees_and_sets_up_three_locations(page, three_locations):
    store, variant, shop, warehouse, bigcommerce = three_locations
    page.goto(services.one_time_login_create(user=store.owner, store=store, next_path=f"/products/?q={variant.sku}"))

    # -- Products: which locations the storefront sells from, and each variant's figures per location -----
    panel = page.locator("[data-locations]")
    expect(panel).to_be_visible()
    default_box = panel.get_by_label("Default location sells online")
    expect(default_box).to_be_checked()
    expect(default_box).to_be_disabled()  # BigCommerce's storefront always counts it
    shop_box = panel.get_by_label("Harbour Street shop sells online")
    expect(shop_box).not_to_be_checked()
    row = page.locator("tbody tr").filter(has_text=f"variant {variant.bigcommerce_id}")
    by_location = row.get_by_role("list", name="By location").first
    expect(by_location).to_contain_text("Harbour Street shop: 3")
    expect(by_location).to_contain_text("Back-office warehouse: 50")
    shop_box.check()
    expect(page.get_by_text("Harbour Street shop now sells online")).to_be_visible()
    with schema_context(store.schema_name):
        assert Location.objects.get(bigcommerce_id=shop).sells_online
        assert not Location.objects.get(bigcommerce_id=warehouse).sells_online
    shot(page, "01-products")

    # -- the policy editor: a cap per location ----------------------------------------------------------
    with schema_context(store.schema_name):
        policy = Policy.objects.get(scope="store", customer_group_ids=[])
    page.goto(f"{store.base_url}/policies/{policy.pk}/")
    caps = page.locator("[data-location-limits]")
    expect(caps).to_be_visible()
    caps.get_by_label(re.compile("^Back-office warehouse")).fill("4")
    shot(page, "02-policy-caps")
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_text("Policy saved.").first).to_be_visible(timeout=60_000)
    with schema_context(store.schema_name):
        assert Policy.objects.get(pk=policy.pk).location_limits == {str(warehouse): 4}
    page.reload()
    expect(caps.get_by_label(re.compile("^Back-office warehouse"))).to_have_value("4")
    expect(caps.get_by_label(re.compile("^Harbour Street shop"))).to_have_value("")

    # -- a purchase order received at the warehouse ---------------------------------------------------------
    page.goto(f"{store.base_url}/purchase-orders/new/?variant_id={variant.bigcommerce_id}")
    received_at = page.get_by_label("Received at")
    expect(received_at).to_be_visible()
    expect(received_at).to_have_value("1")  # the default location unless the merchant chooses
    received_at.select_option(label="Back-office warehouse")
    expect(page.get_by_label("Line 1: variant")).not_to_have_value("")
    shot(page, "03-purchase-order")
    page.get_by_role("button", name="Create purchase order").click()
    expect(page.locator("[data-lead]")).to_contain_text("received at Back-office warehouse")
    with schema_context(store.schema_name):
        created = PurchaseOrder.objects.get()
        assert created.location_id == warehouse
        assert created.lines.get().expected_date > store_today(store) + timedelta(days=1)

    # -- a backorder to collect at the shop, filled by stock that arrived there -----------------------------
    placed = bigcommerce.place_order(STORE_HASH, [{"variant_id": variant.bigcommerce_id, "quantity": 5}],
                                     pickup_location_id=shop)  # fmt: skip
    with schema_context(store.schema_name):
        capture.order_sync(client=client_for(store), order_id=placed["id"])
        backorder = Backorder.objects.get(order_id=placed["id"])
        assert (backorder.quantity, backorder.location_id, backorder.pickup) == (2, shop, True)
        bigcommerce.restock(STORE_HASH, quantity=2, variant_id=variant.bigcommerce_id, location_id=shop, relative=True)
        handlers.catalog_changed(store, [{"data": {"type": "product", "id": variant.product.bigcommerce_id}}])
        assert Backorder.objects.get(pk=backorder.pk).status == "allocated"
    page.goto(f"{store.base_url}/backorders/{backorder.pk}/")
    expect(page.locator("dd").filter(has_text="Harbour Street shop")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("at Harbour Street shop")
    shot(page, "04-backorder-to-collect")
