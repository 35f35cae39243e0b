"""The merchant web app in Chromium, from a fresh sign-up to a backorder filled by a purchase order.

The app runs on a live server and the sandbox plays BigCommerce (API, login host, webhooks to the app), as
when a merchant tries the app: sign up → connect the sandbox store → the catalog is copied, with progress
shown → switch the store policy on and watch the storefront preview change → a shopper orders beyond
stock in the sandbox → the backorder appears on the dashboard → a purchase order is received → the
backorder shows as allocated, with its e-mails in the log. On the way the merchant sends themselves a test
e-mail from the dashboard's first steps and from the template editor. Each page is saved as a screenshot in
artifacts/screenshots/.
"""

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from backorder.models import Backorder, Variant
from backorder.services.availability import store_today
from stores import provisioning, tenancy
from stores.bigcommerce.connection import WEBHOOK_SCOPES
from stores.bigcommerce.sandbox import SandboxServer
from stores.models import Store
from tests.fixtures.bigcommerce import drop_store_schemas

try:
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # a loaded 2-core machine: the app, the sandbox and Chromium share it
except ImportError:  # the `browser` fixture says so: a skip on a laptop, a failure in CI
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def bigcommerce(live_server, settings):
    """The sandbox BigCommerce, knowing the app on the live server; the app pointed at it."""
    settings.APP_BASE_URL = live_server.url
    sandbox = SandboxServer(client_id=settings.BIGCOMMERCE_CLIENT_ID, client_secret=settings.BIGCOMMERCE_CLIENT_SECRET,
                            app_base_url=live_server.url, webhook_timeout=30)  # fmt: skip
    sandbox.start()
    settings.BIGCOMMERCE_API_URL = settings.BIGCOMMERCE_LOGIN_URL = sandbox.base_url
    drop_store_schemas()
    provisioning.public_tenant_ensure()
    tenancy.forget_everything_local()
    yield sandbox
    sandbox.stop()
    drop_store_schemas()


@pytest.fixture
def screenshot(request):
    """Save the page as artifacts/screenshots/<test>-<n>-<name>.png (full page, once the page has settled)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = "merchant-phone" if "phone" in request.node.name else "merchant"
    taken = []

    def take(page, name: str, settled: bool = True) -> None:
        if settled:
            page.wait_for_load_state("networkidle")
        path = SCREENSHOTS / f"{prefix}-{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)

    return take


@pytest.fixture
def console_errors_expected(console_errors_expected):
    console_errors_expected.append(r"favicon\.ico")  # the sign-up pages have no icon; the browser asks anyway
    # The harness's init script (tests/browser/conftest.py) is refused in the e-mail preview's sandboxed frame,
    # which allows no scripts at all: the refusal is the point of the sandbox.
    console_errors_expected.append(r"Blocked script execution in 'about:srcdoc'")
    return console_errors_expected


def nav(page, name: str) -> None:
    """Follow a link of the app's main navigation."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def settings_nav(page, name: str) -> None:
    page.get_by_role("navigation", name="Settings").get_by_role("link", name=name, exact=True).click()


def pick_variant(page, field, variant) -> None:
    """Type a variant's id into a variant chooser and pick it from the list."""
    field.fill(str(variant.bigcommerce_id))
    page.get_by_role("option", name=re.compile(rf"variant {variant.bigcommerce_id}\b")).click()


def wait_until(condition, timeout: float = 30, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"Timed out waiting for {what}")


NEEDS_A_VARIANT = "A variant policy needs the BigCommerce id"


def new_policy_form_shows_errors_only_once_a_field_is_left_or_saving_is_tried(page, variant, errors_expected) -> None:
    """A new (variant) policy starts without a variant: the live preview is refused, but nothing is a mistake
    until the merchant leaves the chooser empty or tries to save; choosing a variant clears it."""
    errors_expected.append(r"status of 400 .*/api/v1/policies/(preview/)?\)")  # the refusals, on purpose
    nav(page, "Policies")
    page.get_by_role("link", name="Add a policy").click()
    chooser, errors = page.locator("#target-search"), page.locator(".field-error, .form-errors")
    expect(page.locator("[data-preview] .alert")).to_be_visible()  # the preview was asked, and refused
    expect(errors).to_have_count(0)
    expect(page.locator("[aria-invalid=true]")).to_have_count(0)
    expect(chooser).not_to_be_focused()
    expect(page.locator("[data-preview]")).to_have_text("The preview appears once the form is complete.")
    page.get_by_label("Lead time (days)").fill("12")  # typing elsewhere, the preview asked again: still nothing
    page.get_by_label("Lead time (days)").press("Tab")
    expect(page.get_by_text("The preview appears once the form is complete.")).to_be_visible()
    expect(errors).to_have_count(0)

    chooser.focus()
    chooser.press("Tab")  # left empty: now it is a mistake, shown beside it, and focus went on
    expect(page.locator("#target-search-error")).to_contain_text(NEEDS_A_VARIANT)
    expect(chooser).to_have_attribute("aria-invalid", "true")
    expect(chooser).not_to_be_focused()
    expect(page.get_by_text("Fix the highlighted fields to see the preview.")).to_be_visible()

    pick_variant(page, chooser, variant)
    expect(page.locator(".widget-mock")).to_have_count(2)
    expect(errors).to_have_count(0)

    page.reload()  # a fresh form: saving it as it is shows what is missing at once
    expect(page.get_by_text("The preview appears once the form is complete.")).to_be_visible()
    expect(errors).to_have_count(0)
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator(".field-error")).to_contain_text(NEEDS_A_VARIANT)
    expect(chooser).to_be_focused()


def a_policy_for_a_customer_group_previews_for_that_group(page, variant, screenshot) -> None:
    """The editor offers the store's BigCommerce customer groups (Trade); a policy ticked for Trade previews for a
    trade buyer by default, and for guests (whom it does not concern) when the merchant picks them; the list says
    whom each policy is for."""
    nav(page, "Policies")
    page.get_by_role("link", name="Add a policy").click()
    pick_variant(page, page.locator("#target-search"), variant)
    after = page.locator(".widget-mock").nth(1)
    expect(after).to_contain_text("After saving, for guests")  # the preview is drawn: the form has stopped moving
    page.get_by_label("Trade").check()
    page.get_by_text("Sell when out of stock").click()  # trade buyers may not backorder this one
    expect(page.get_by_label("Shopper", exact=True)).to_have_value(re.compile(r"^[1-9]\d*$"))  # Trade's id
    expect(after).to_contain_text("After saving, for trade")
    expect(after.locator(".widget-mock-button")).to_have_text("Sold out")
    page.get_by_label("Shopper", exact=True).select_option(label="Guests and shoppers in no group")
    expect(after).to_contain_text("After saving, for guests and shoppers in no group")
    expect(after.locator(".widget-mock-button")).to_have_text("Backorder")  # the store-wide policy still
    expect(page.locator(".why")).to_contain_text("This policy would not apply to this variant")
    screenshot(page, "policy-for-a-customer-group")
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_text("Policy saved.").first).to_be_visible(timeout=60_000)
    nav(page, "Policies")
    expect(page.locator("tbody tr").filter(has_text=f"id {variant.bigcommerce_id}")).to_contain_text("for Trade")


def test_from_sign_up_to_a_backorder_filled_by_a_purchase_order(page, bigcommerce, live_server, screenshot,
                                                               console_errors_expected):  # fmt: skip
    # -- sign up, and land on the new store's dashboard ---------------------------------------------------
    page.goto(f"{live_server.url}/signup/")
    page.get_by_label("Work e-mail").fill("ada@lamps.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Store name").fill("Ada Lamps")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Connect your BigCommerce store to start taking backorders")).to_be_visible()
    expect(page.locator("[data-onboarding-steps] li")).to_have_count(5)
    expect(page.locator("body")).to_have_attribute("data-notifications", "1")  # the notifications app is part of it
    screenshot(page, "dashboard-new-store")

    # keyboard users skip the navigation
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()

    # -- connect the sandbox store: the catalog is copied during the install ----------------------------
    page.get_by_role("button", name="Try it with the sandbox store").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=60_000)
    store = Store.objects.get(slug="ada-lamps")
    assert store.connection == Store.Connection.CONNECTED and store.bigcommerce_store_hash
    expect(page.locator("[data-onboarding-progress]")).to_have_text("3 of 5 done")  # no policy, no test e-mail yet
    screenshot(page, "dashboard-connected")

    # -- send yourself a test e-mail from the first steps --------------------------------------------------
    page.locator("#onboarding").get_by_role("button", name="Send a test e-mail").click()
    expect(page.locator("[data-test-email-status]")).to_have_text(
        "Test e-mail sent to ada@lamps.example. It is in the message log."
    )
    expect(page.locator("[data-onboarding-progress]")).to_have_text("4 of 5 done")
    expect(page.locator("[data-onboarding-steps] li.done")).to_contain_text(["Send yourself a test e-mail"])
    screenshot(page, "dashboard-test-email-sent")

    # -- copy the catalog again, slowly, and watch its progress ------------------------------------------
    bigcommerce.set_faults(store.bigcommerce_store_hash, delay_ms=900, delay_requests=6)
    nav(page, "Settings")
    settings_nav(page, "Catalog sync")
    expect(page.locator("[data-sync-state=done]")).to_be_visible()
    page.get_by_role("button", name="Sync now").click()
    page.wait_for_function(
        "() => { const bar = document.querySelector('progress'); return bar && bar.value > 0 && bar.value < 100; }"
    )
    expect(page.locator("[data-sync-state=running]")).to_be_visible()
    screenshot(page, "settings-catalog-sync-running", settled=False)  # while the sync's request runs
    expect(page.locator("[data-sync-state=done]")).to_be_visible(timeout=60_000)
    expect(page.locator("progress")).to_have_attribute("value", "100")
    screenshot(page, "settings-catalog-sync-done")

    bigcommerce.add_customer_group(store.bigcommerce_store_hash, "Trade")  # BigCommerce's; the editor offers it

    # -- switch the store policy on and watch the preview change before saving ---------------------------
    with schema_context(store.schema_name):
        sold_out = (
            Variant.objects.filter(on_hand=0, is_deleted=False, product__inventory_tracking="variant")
            .select_related("product")
            .order_by("bigcommerce_id")
            .first()
        )
    assert sold_out is not None, "the sandbox's seeded catalog has sold-out variants"
    nav(page, "Policies")
    page.get_by_role("link", name=re.compile("Edit the store-wide policy")).click()
    expect(page.locator(".widget-mock").first).to_be_visible()  # the editor has loaded and suggested a variant
    pick_variant(page, page.locator("#preview-variant"), sold_out)
    after = page.locator(".widget-mock").nth(1)
    expect(after.locator(".widget-mock-button")).to_have_text("Sold out")
    page.get_by_text("Sell when out of stock").click()
    page.get_by_label("Lead time (days)").fill("10")
    ships_by = store_today(store) + timedelta(days=10)
    expect(after.locator(".widget-mock-button")).to_have_text("Backorder")
    expect(after.locator(".widget-mock-message")).to_contain_text("Ships by")
    expect(page.locator(".widget-mock").nth(0).locator(".widget-mock-button")).to_have_text("Sold out")
    screenshot(page, "policy-preview")
    page.get_by_role("button", name="Save policy").click()
    # A store-wide change recomputes every variant of the sandbox's catalog, then tells BigCommerce the caps
    # (in tests the task runs inside the request): seconds on a busy 2-core machine.
    expect(page.get_by_text("Policy saved.").first).to_be_visible(timeout=120_000)
    new_policy_form_shows_errors_only_once_a_field_is_left_or_saving_is_tried(page, sold_out, console_errors_expected)
    a_policy_for_a_customer_group_previews_for_that_group(page, sold_out, screenshot)

    # -- a shopper orders more than the sandbox store has ------------------------------------------------
    line = {"variant_id": sold_out.bigcommerce_id, "quantity": 2}
    order = bigcommerce.place_order(store.bigcommerce_store_hash, [line], email="shopper@example.com")
    with schema_context(store.schema_name):
        backorder = wait_until(lambda: Backorder.objects.filter(order_id=order["id"]).first(), what="the backorder")
    assert backorder.expected_ship_date == ships_by
    nav(page, "Dashboard")
    expect(page.locator(".kpi").first).to_contain_text("1")
    expect(page.locator("[data-at-risk]")).to_contain_text("Nothing at risk")
    expect(page.locator("[data-top-variants] tbody tr")).to_have_count(1)
    screenshot(page, "dashboard-with-a-backorder")

    nav(page, "Backorders")
    row = page.locator("tbody tr").filter(has_text=f"#{order['id']}")
    expect(row).to_contain_text("Waiting")
    screenshot(page, "backorders")
    page.get_by_role("link", name=f"#{order['id']}", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(f"Order #{order['id']}"))).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("Backorder recorded from the order")
    screenshot(page, "backorder-waiting")

    nav(page, "Products")
    page.get_by_label("Search").fill(str(sold_out.bigcommerce_id))
    product_row = page.locator("tbody tr").filter(has_text=f"variant {sold_out.bigcommerce_id}")
    expect(product_row).to_contain_text("Backorders on")
    expect(product_row).to_contain_text("Backorder")
    screenshot(page, "products")

    # -- record and receive a purchase order: the backorder gets its units ----------------------------------
    nav(page, "Purchase orders")
    expect(page.get_by_text("No purchase orders yet")).to_be_visible()  # the empty state offers the same link
    page.get_by_role("link", name="New purchase order").first.click()
    page.get_by_label("Supplier").fill("Nordic Lights")
    page.get_by_label("Reference").fill("PO-1001")
    pick_variant(page, page.get_by_label("Line 1: variant"), sold_out)
    page.get_by_label("Line 1: quantity").fill("5")
    page.get_by_label("Line 1: expected date").fill((store_today(store) + timedelta(days=5)).isoformat())
    screenshot(page, "purchase-order-new")
    page.get_by_role("button", name="Create purchase order").click()
    expect(page.get_by_role("heading", name="Purchase order PO-1001")).to_be_visible()
    page.get_by_role("button", name="Receive everything outstanding").click()
    page.get_by_role("button", name="Receive 5 units").click()
    allocations = page.locator("section").filter(has_text="Backorders filled by this purchase order")
    expect(allocations.locator("tbody tr")).to_contain_text(f"Order #{order['id']}")
    expect(allocations.locator("tbody tr")).to_contain_text("Allocated")
    screenshot(page, "purchase-order-received")

    allocations.get_by_role("link", name=f"Order #{order['id']}").click()
    expect(page.locator("[data-lead] .badge")).to_have_text("Allocated")
    expect(page.locator(".timeline")).to_contain_text("Stock allocated: ready to ship")
    expect(page.locator(".timeline")).to_contain_text("E-mail:")
    screenshot(page, "backorder-allocated")

    # -- the e-mails in the log, and the remaining pages ----------------------------------------------------
    nav(page, "Notifications")
    expect(page.get_by_role("heading", name="Backorder confirmation")).to_be_visible()
    expect(page.locator("[data-preview-subject]")).not_to_be_empty()
    page.get_by_role("button", name="Send a test e-mail").click()  # the confirmation, as the editor shows it
    expect(page.locator("[data-test-email-status]")).to_contain_text("Test e-mail sent to ada@lamps.example")
    screenshot(page, "notifications-templates")
    page.get_by_role("navigation", name="Notifications").get_by_role("link", name="Message log").click()
    rows = page.locator("tbody tr")
    ready = rows.filter(has_text="shopper@example.com").filter(has_text="Ready to ship")
    expect(ready).to_have_count(1)
    expect(ready).to_contain_text("Sent")
    expect(ready).to_contain_text(f"#{order['id']}")
    tests = rows.filter(has_text="ada@lamps.example").filter(has_text="[Test] ")
    expect(tests).to_have_count(2)  # from the dashboard and from the template editor
    expect(tests.first).to_contain_text("Backorder confirmation")
    expect(tests.first).to_contain_text("Sent")
    screenshot(page, "notifications-log")
    page.get_by_label("Test e-mails").select_option("false")
    expect(rows.filter(has_text="[Test] ")).to_have_count(0)
    expect(ready).to_have_count(1)
    page.get_by_role("navigation", name="Notifications").get_by_role("link", name="Alert recipients").click()
    expect(page.get_by_text("Alerts go to:")).to_be_visible()
    screenshot(page, "notifications-recipients")

    nav(page, "Settings")
    expect(page.get_by_label("Store name")).to_have_value("Ada Lamps")
    screenshot(page, "settings-store")
    hooks = len(WEBHOOK_SCOPES)
    for section, ready in [
        ("Storefront widget", "[data-widget-form]:not([aria-busy])"),
        ("Connection", "[data-connection]:not([aria-busy])"),
        ("Team", "[data-team]:not([aria-busy])"),
    ]:
        settings_nav(page, section)
        expect(page.locator(ready)).to_be_visible()
        if section == "Connection":
            expect(page.locator("[data-connection]")).to_contain_text(f"{hooks} of {hooks} active")
        screenshot(page, f"settings-{section.lower().replace(' ', '-')}")

    settings_nav(page, "API tokens")
    page.get_by_label("What is it for?").fill("ERP")
    page.get_by_role("button", name="Make token").click()
    token = page.locator("[data-token-value]")
    expect(token).to_be_visible()
    assert len(token.inner_text()) > 20
    expect(page.locator("tbody tr").filter(has_text="ERP")).to_contain_text("Active")
    screenshot(page, "settings-api-tokens")
    page.reload()
    expect(page.locator("[data-token-value]")).to_have_count(0)  # shown once


def test_pages_fit_a_phone_screen(page, bigcommerce, live_server, screenshot):
    """The shell and the tables reflow on a 390 px wide screen: nothing forces sideways scrolling."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/signup/")
    page.get_by_label("Work e-mail").fill("kim@lamps.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Store name").fill("Kim Lamps")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=30_000)
    for path, name in [
        ("/", "dashboard"),
        ("/backorders/", "backorders"),
        ("/policies/new/", "policy"),
    ]:
        page.goto(f"{settings.APP_BASE_URL.replace('localhost', 'kim-lamps.localhost')}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
        screenshot(page, name)
