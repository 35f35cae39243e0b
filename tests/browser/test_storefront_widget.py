"""The storefront widget, in Chromium, on the sandbox's Cornerstone-shaped storefront.

The app runs on a live server; the storefront is the sandbox store's own host (another origin), with the
widget script the app registered through the Scripts API, exactly as a shopper's browser would meet it.
The lamp has three colours: Red (5 in stock), Blue (sold out, backorders on, 10 days) and Green (sold out,
its own policy switches backorders off); two in-stock lamp parts share its category. A desk lamp without
options is sold out (backorders on), so its page opens on a backorder.

`?theme=plain` serves the pages as an unmodified Cornerstone theme would: no `[data-backorder-slot]`, no
`[data-backorder-line]`; the app's head script keeps the widget's room there.
"""

import re
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django_tenants.utils import schema_context

from backorder import texts
from backorder.models import CartChoice, Policy, StockAlertSubscription
from backorder.services.availability import store_today
from backorder.services.policies import policy_create, policy_update
from stores import provisioning, tenancy
from stores.bigcommerce.sandbox import SandboxServer, catalog
from stores.models import Store
from tests.browser.conftest import layout_shift, layout_shifts
from tests.fixtures.bigcommerce import drop_store_schemas

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says so: a skip on a laptop, a failure in CI
    expect = None

STORE_HASH = "widget01"
API_CALLS = re.compile(r".*/api/storefront/v1/.*")


@dataclass
class DemoStore:
    store: Store
    site: str
    lamp_url: str
    red: int
    blue: int
    green: int
    desk_path: str

    def ships_by(self, days: int = 10) -> str:
        return texts.date_text(store_today(self.store) + timedelta(days=days), "en")


def _lamp_shop(sandbox: SandboxServer) -> dict[str, int]:
    """The sandbox store's catalog: the lamp with its colours, and two lamp parts in stock."""
    with sandbox.state.lock:
        shop = sandbox.state.store(STORE_HASH)
        lamps = catalog.create_category(shop, "Lamps")["id"]
        lamp = catalog.create_product(shop, {
            "name": "Harbor Lamp", "type": "physical", "weight": 2, "price": 49.95, "sku": "HL", "categories": [lamps],
            "inventory_tracking": "variant", "description": "<p>A brass lamp for the reading corner.</p>",
            "variants": [{"sku": f"HL-{colour.upper()}", "inventory_level": stock,
                          "option_values": [{"option_display_name": "Colour", "label": colour}]}
                         for colour, stock in (("Red", 5), ("Blue", 0), ("Green", 0))],
        })  # fmt: skip
        for name, stock in (("Harbor Lamp Shade", 8), ("Harbor Bulb", 20)):
            catalog.create_product(shop, {"name": name, "type": "physical", "weight": 1, "price": 9.95,
                                          "categories": [lamps], "inventory_tracking": "product",
                                          "inventory_level": stock})  # fmt: skip
        desks = catalog.create_category(shop, "Desk")["id"]
        desk = catalog.create_product(shop, {"name": "Desk Lamp", "type": "physical", "weight": 1, "price": 29.95,
                                             "categories": [desks], "inventory_tracking": "product",
                                             "inventory_level": 0})  # fmt: skip
        red, blue, green = lamp["_variant_ids"]
        return {"red": red, "blue": blue, "green": green, "desk_path": desk["custom_url"]["url"]}


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Replaces pytest-django's helper of the same name, which would make every test using `live_server`
    transactional (a flush after each). This module shares one committed store instead (see `demo`) and
    flushes once at its end; its tests still run with the transactional ones, after all the others."""
    yield


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, live_server) -> DemoStore:
    """A sandbox store serving its storefront, with the app (on the live server) installed from its control
    panel; made once for the module (the tests only read it, or add rows no other test looks at)."""
    with django_db_blocker.unblock():  # for the live server's thread and this module's reads
        app = override_settings(APP_BASE_URL=live_server.url)
        app.enable()
        sandbox = SandboxServer(client_id=settings.BIGCOMMERCE_CLIENT_ID, app_base_url=live_server.url,
                                client_secret=settings.BIGCOMMERCE_CLIENT_SECRET)  # fmt: skip
        sandbox.start()
        bigcommerce = override_settings(BIGCOMMERCE_API_URL=sandbox.base_url, BIGCOMMERCE_LOGIN_URL=sandbox.base_url)
        bigcommerce.enable()
        try:
            drop_store_schemas()
            provisioning.public_tenant_ensure()
            tenancy.forget_everything_local()
            sandbox.create_store(STORE_HASH, name="Lamp Shop")
            ids = _lamp_shop(sandbox)
            site = requests.post(f"{sandbox.base_url}/_sandbox/stores/{STORE_HASH}/storefront", timeout=10).json()
            installed = requests.get(sandbox.begin_install(STORE_HASH), allow_redirects=False, timeout=60)
            assert installed.status_code == 302, installed.text
            store = Store.objects.get(bigcommerce_store_hash=STORE_HASH)
            assert store.storefront_origins == [site["site_url"]]
            with schema_context(store.schema_name):
                store_policy = Policy.objects.get(scope="store")
                policy_update(policy=store_policy, data={"enabled": True, "lead_time_days": 10,
                                                         "shipping_preference": "shopper_chooses"})  # fmt: skip
                policy_create(data={"scope": "variant", "bigcommerce_id": ids["green"], "enabled": False})
            yield DemoStore(store=store, site=site["site_url"], lamp_url=site["site_url"] + "/harbor-lamp/", **ids)
        finally:
            sandbox.stop()
            bigcommerce.disable()
            app.disable()
            drop_store_schemas()
            call_command("flush", verbosity=0, interactive=False)  # what a transactional test leaves behind


WIDGET_JS = re.compile(r".*/widget\.js$")


class AfterFirstPaint:
    """The widget's script arrives only once the page was painted, as on a real network: on loopback it
    would run before the first paint, where nothing it adds could count as a layout shift."""

    def __init__(self, page) -> None:
        self.page, self.held = page, []
        page.route(WIDGET_JS, self.hold)

    def hold(self, route) -> None:
        self.held.append(route)

    def release(self) -> None:
        self.page.wait_for_function("() => performance.getEntriesByType('paint').length > 0")
        for _ in range(100):
            if self.held:
                break
            self.page.wait_for_timeout(50)  # lets Playwright hand over the page's request for the script
        assert self.held, "the page asked for no widget"
        for route in self.held:
            route.continue_()
        self.page.unroute(WIDGET_JS, self.hold)


def open_painted(page, url: str) -> None:
    widget = AfterFirstPaint(page)
    page.goto(url, wait_until="commit")
    widget.release()


def choose(page, colour: str) -> None:
    page.select_option("[data-product-attribute] select", label=colour)


def open_lamp(page, demo: DemoStore, query: str = "") -> None:
    open_painted(page, demo.lamp_url + query)
    expect(page.locator(".bo-card")).to_be_visible()


def assert_nothing_moved(page) -> None:
    assert layout_shift(page) == 0, layout_shifts(page)


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 1400}], ids=["desktop", "phone"]
)  # on a phone the description sits right below the widget
def test_the_label_and_message_follow_the_chosen_variant_without_moving_the_page(page, demo, viewport):
    button, message = page.locator("#form-action-addToCart"), page.locator(".bo-msg")
    page.set_viewport_size(viewport)
    open_lamp(page, demo)
    expect(message).to_have_text("In stock")
    expect(button).to_have_value("Add to Cart")

    choose(page, "Blue")
    expect(button).to_have_value("Backorder")
    expect(message).to_have_text(f"Ships by {demo.ships_by()}")
    expect(message).to_have_attribute("aria-live", "polite")

    choose(page, "Green")
    expect(button).to_have_value("Sold out")
    expect(button).to_be_disabled()
    expect(message).to_have_text("Out of stock")
    expect(page.locator(".bo-alt a")).to_have_text(["Harbor Bulb", "Harbor Lamp Shade"])

    choose(page, "Red")
    expect(button).to_have_value("Add to Cart")
    expect(button).to_be_enabled()
    assert_nothing_moved(page)


def test_the_split_appears_when_the_quantity_exceeds_stock(page, demo):
    open_lamp(page, demo)
    page.fill("input[name='qty[]']", "7")
    expect(page.locator(".bo-sub")).to_have_text("5 ready to ship, 2 backordered")
    expect(page.locator("#form-action-addToCart")).to_have_value("Backorder")
    page.click("[data-action=inc]")  # Cornerstone's +/- buttons fire no change event
    expect(page.locator(".bo-sub")).to_have_text("5 ready to ship, 3 backordered")
    page.fill("input[name='qty[]']", "5")
    expect(page.locator(".bo-msg")).to_have_text("In stock")
    assert_nothing_moved(page)


def test_notify_me_signs_the_shopper_up_for_the_sold_out_colour(page, demo):
    open_lamp(page, demo)
    choose(page, "Green")
    email = page.get_by_label("Your e-mail address")
    email.fill("not an address")
    email.press("Enter")  # inside the page, Enter must not add the sold-out lamp to the cart
    expect(page.locator(".bo-msg")).to_have_text("Please enter a valid e-mail address.")
    expect(email).to_have_attribute("aria-invalid", "true")
    email.fill("ada@example.com")
    page.get_by_role("button", name="Notify me").click()
    expect(page.locator(".bo-msg")).to_have_text("Thanks! We will e-mail you when it is back in stock.")
    assert page.url == demo.lamp_url
    with schema_context(demo.store.schema_name):
        subscription = StockAlertSubscription.objects.get(email="ada@example.com")
    assert (subscription.email, subscription.variant_id, subscription.locale) == ("ada@example.com", demo.green, "en")
    assert_nothing_moved(page)


def test_the_cart_shows_each_lines_label_and_the_orders_ships_by_date(page, demo):
    open_lamp(page, demo)
    page.click("#form-action-addToCart")
    expect(page).to_have_url(demo.site + "/cart.php")
    open_lamp(page, demo)
    choose(page, "Blue")
    page.fill("input[name='qty[]']", "2")
    expect(page.locator("#form-action-addToCart")).to_have_value("Backorder")
    page.click("#form-action-addToCart")

    rows = page.locator("[data-item-row]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".bo-line")).to_have_text("In stock")
    expect(rows.nth(1).locator(".bo-line")).to_have_text(f"Backorder Ships by {demo.ships_by()}")
    expect(page.locator("[data-backorder-slot] .bo-msg")).to_have_text(f"Your order ships by {demo.ships_by()}")
    page.get_by_label("Available items first").check()
    cart_id = page.locator("[data-cart-id]").get_attribute("data-cart-id")
    with schema_context(demo.store.schema_name):
        assert _eventually(lambda: CartChoice.objects.filter(cart_id=cart_id, shipping_preference="available_first")
                           .exists())  # fmt: skip
    assert_nothing_moved(page)


WORDS_FILE = re.compile(r".*/storefront/[^/]+/widget-(\w+)\.json$")


def app_requests(page) -> list[str]:
    """The paths the page asks of the app (the widget, its words, the storefront API), as they happen."""
    asked = []
    page.on("request", lambda request: "/storefront/" in request.url and asked.append(request.url.split("?")[0]))
    return asked


def test_the_texts_follow_the_storefronts_language(page, demo):
    # An English store's page in German: the widget's German words come from their own file, asked for once.
    asked = app_requests(page)
    open_lamp(page, demo, "?lang=de")
    choose(page, "Blue")
    expect(page.locator("#form-action-addToCart")).to_have_value("Nachbestellen")
    expect(page.locator(".bo-msg")).to_contain_text("Versand bis")
    choose(page, "Green")
    expect(page.get_by_role("button", name="Benachrichtigen")).to_be_visible()
    expect(page.get_by_label("Ihre E-Mail-Adresse")).to_be_visible()
    expect(page.locator(".bo-alt")).to_contain_text("Jetzt vorrätig:")
    choose(page, "Red")
    expect(page.locator(".bo-msg")).to_have_text("Auf Lager")
    assert [WORDS_FILE.match(url)[1] for url in asked if WORDS_FILE.match(url)] == ["de"], asked


@pytest.fixture
def german_store(demo):
    """The demo store, set to German for one test."""
    demo.store.language = "de"
    demo.store.save()
    yield demo
    demo.store.language = "en"
    demo.store.save()


def test_a_german_stores_page_speaks_german_from_the_first_paint_without_another_request(page, german_store):
    asked = app_requests(page)
    open_painted(page, german_store.site + german_store.desk_path + "?lang=de")  # sold out: a backorder
    expect(page.locator("#form-action-addToCart")).to_have_value("Nachbestellen")
    open_lamp(page, german_store, "?lang=de")
    expect(page.locator(".bo-msg")).to_have_text("Auf Lager")  # the widget's own words, from the script itself
    choose(page, "Green")
    expect(page.get_by_role("button", name="Benachrichtigen")).to_be_visible()
    expect(page.locator(".bo-alt")).to_contain_text("Jetzt vorrätig:")
    assert not [url for url in asked if WORDS_FILE.match(url)], asked
    assert any(url.endswith("/widget.js") for url in asked)
    assert_nothing_moved(page)


def test_when_the_api_refuses_connections_the_store_still_sells(page, demo, console_errors_expected):
    console_errors_expected.append(r"net::ERR_CONNECTION_REFUSED")
    page.route(API_CALLS, lambda route: route.abort("connectionrefused"))
    page.goto(demo.lamp_url)
    choose(page, "Blue")
    page.wait_for_timeout(400)
    expect(page.locator("#form-action-addToCart")).to_have_value("Add to Cart")
    expect(page.locator(".bo-card")).to_be_hidden()
    page.click("#form-action-addToCart")
    expect(page.locator("[data-item-row]")).to_have_count(1)
    expect(page.locator(".bo-line")).to_have_count(0)
    assert_nothing_moved(page)


def test_when_the_api_hangs_the_widget_gives_up_after_1_5_s_without_a_trace(page, demo):
    held = []
    page.route(API_CALLS, lambda route: held.append(route))  # never answered
    page.goto(demo.lamp_url)
    choose(page, "Blue")
    started = time.monotonic()
    page.wait_for_function("() => performance.getEntriesByName('backorder:refresh').length >= 2")
    page.wait_for_timeout(1700)
    assert held, "the widget asked nothing"
    expect(page.locator("#form-action-addToCart")).to_have_value("Add to Cart")
    expect(page.locator(".bo-card")).to_be_hidden()
    page.click("#form-action-addToCart")
    expect(page.locator("[data-item-row]")).to_have_count(1)
    assert time.monotonic() - started < 8


# -- a theme that reserved no space (the head script keeps the widget's room) ---------------------------------

PLAIN = "?theme=plain"
SEVEN_REM = 7 * 16  # px: the room kept for the widget (the root font size is 16px)


def settled(page) -> None:
    """Two frames later: layout shifts of what was just shown are reported."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r))))")


def room(page, selector: str) -> dict:
    """The place's kept room (its ::after) and the widget's own box in it, if any."""
    return page.eval_on_selector(
        selector,
        """place => {
        const after = getComputedStyle(place, "::after"), own = place.querySelector(":scope > .bo-own");
        return {kept: after.content !== "none" ? parseFloat(after.minHeight) : 0,
                own: own ? own.getBoundingClientRect().height : null};
    }""",
    )


def test_the_head_script_is_in_the_head_and_does_nothing_where_the_theme_has_a_slot(page, demo):
    open_lamp(page, demo)
    assert page.evaluate("() => !!window.__backorderSpace && document.head.lastElementChild.tagName") == "STYLE"
    assert room(page, "form[data-cart-item-add]") == {"kept": 0, "own": None}
    expect(page.locator("[data-backorder-slot] .bo-card")).to_be_visible()
    assert_nothing_moved(page)


def test_without_a_slot_the_widget_takes_the_kept_room_and_nothing_moves(page, demo):
    button, message = page.locator("#form-action-addToCart"), page.locator(".bo-msg")
    open_painted(page, demo.site + demo.desk_path + PLAIN)  # sold out, backorders on: a backorder from the start
    expect(button).to_have_value("Backorder")
    expect(message).to_have_text(f"Ships by {demo.ships_by()}")
    assert page.locator("[data-backorder-slot]").count() == 0
    assert room(page, "form[data-cart-item-add]") == {"kept": 0, "own": SEVEN_REM}
    settled(page)
    assert_nothing_moved(page)

    open_painted(page, demo.lamp_url + PLAIN)  # Red: in stock
    expect(message).to_have_text("In stock")
    assert room(page, "form[data-cart-item-add]") == {"kept": 0, "own": SEVEN_REM}  # above the fold: kept
    choose(page, "Blue")
    expect(button).to_have_value("Backorder")
    choose(page, "Green")  # sold out: the notify-me row and the alternatives fit in the room too
    expect(page.locator(".bo-alt a")).to_have_text(["Harbor Bulb", "Harbor Lamp Shade"])
    email = page.get_by_label("Your e-mail address")
    email.press("Enter")  # the box sits in the add-to-cart form: the empty field must not block or submit it
    expect(message).to_have_text("Please enter a valid e-mail address.")
    assert page.url == demo.lamp_url + PLAIN
    settled(page)
    assert_nothing_moved(page)


def test_below_the_fold_the_room_nobody_saw_is_given_back_without_moving_anything(page, demo):
    page.set_viewport_size({"width": 1280, "height": 360})  # the end of the form is below the fold
    open_painted(page, demo.lamp_url + PLAIN)
    expect(page.locator(".bo-msg")).to_have_text("In stock")
    page.wait_for_function("() => document.querySelector('.bo-own').style.minHeight === '0px'")
    assert room(page, "form[data-cart-item-add]")["own"] < SEVEN_REM / 2
    settled(page)
    assert_nothing_moved(page)


def test_without_a_slot_the_cart_shows_its_labels_and_date_in_the_kept_room(page, demo):
    open_lamp(page, demo, PLAIN)
    widget = AfterFirstPaint(page)
    page.click("#form-action-addToCart")
    expect(page).to_have_url(demo.site + "/cart.php" + PLAIN)  # the flag stays through add-to-cart
    widget.release()
    expect(page.locator("[data-item-row] .cart-item-name .bo-line")).to_have_text("In stock")
    assert room(page, ".cart-totals") == {"kept": 0, "own": SEVEN_REM}  # an in-stock cart: the room stays, empty
    settled(page)
    assert_nothing_moved(page)

    open_lamp(page, demo, PLAIN)
    choose(page, "Blue")
    expect(page.locator("#form-action-addToCart")).to_have_value("Backorder")
    widget = AfterFirstPaint(page)
    page.click("#form-action-addToCart")
    expect(page).to_have_url(demo.site + "/cart.php" + PLAIN)
    widget.release()
    rows = page.locator("[data-item-row]")
    expect(rows).to_have_count(2)
    assert page.locator("[data-backorder-slot], [data-backorder-line]").count() == 0
    expect(rows.nth(1).locator(".cart-item-name .bo-line")).to_have_text(f"Backorder Ships by {demo.ships_by()}")
    expect(page.locator(".cart-totals > li.bo-own .bo-msg")).to_have_text(f"Your order ships by {demo.ships_by()}")
    expect(page.get_by_label("Available items first")).to_be_visible()
    assert room(page, ".cart-totals") == {"kept": 0, "own": SEVEN_REM}
    assert room(page, "[data-item-row] .cart-item-name")["kept"] == 0
    settled(page)
    assert_nothing_moved(page)


@pytest.mark.parametrize("height,kept", [(900, SEVEN_REM), (360, 0)], ids=["seen", "below-the-fold"])
def test_when_the_widget_never_comes_the_room_stays_only_where_it_was_seen(page, demo, console_errors_expected,
                                                                          height, kept):  # fmt: skip
    console_errors_expected.append(r"widget\.js|net::ERR_FAILED")
    page.set_viewport_size({"width": 1280, "height": height})
    page.route(WIDGET_JS, lambda route: route.abort())
    page.goto(demo.lamp_url + PLAIN, wait_until="load")
    settled(page)
    assert page.evaluate("() => !!window.__backorderSpace && !window.__backorderWidget")
    assert room(page, "form[data-cart-item-add]") == {"kept": kept, "own": None}
    assert_nothing_moved(page)


def _eventually(check, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


# -- the theme redraws the cart (Cornerstone's cart.js after a quantity change or a removal) -------------------

CART_SUMMARY = re.compile(r".*/api/storefront/v1/[^/]+/cart\?.*")


class CartSummaries:
    """Counts the widget's cart-summary requests; while `holding`, keeps them until `release()` (which must
    come well inside the widget's 1.5 s)."""

    def __init__(self, page) -> None:
        self.page, self.asked, self.held, self.holding = page, [], [], False
        page.on("request", lambda request: CART_SUMMARY.match(request.url) and self.asked.append(request.url))
        page.route(CART_SUMMARY, self.route)

    def route(self, route) -> None:
        if self.holding:
            self.held.append(route)
        else:
            route.continue_()

    def wait_held(self) -> None:
        for _ in range(200):
            if self.held:
                return
            self.page.wait_for_timeout(20)
        raise AssertionError("the widget asked nothing after the cart was redrawn")

    def release(self) -> None:
        self.holding = False
        for route in self.held:
            route.continue_()
        self.held = []


# Once the redraw is painted (two frames): the widget's labels on the page, and optionally forget the shifts.
AFTER_REDRAW = """forget => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => {
  if (forget) window.__layoutShifts = [];
  done(document.querySelectorAll(".bo-pill").length);
})))"""


def redrawn(page, summaries: CartSummaries, change, *, forget_shifts: bool = False) -> None:
    """Make a change the theme answers with a redraw, and check that the redraw dropped the widget's labels
    (the new rows are the theme's) before the widget's answer comes back."""
    summaries.holding = True
    change()
    summaries.wait_held()
    pills = page.evaluate(AFTER_REDRAW, forget_shifts)
    summaries.release()
    assert pills == 0, "the widget's labels were still there: the theme did not redraw the rows"


def fill_cart(page, demo: DemoStore, query: str) -> None:
    """A red lamp (in stock) and two blue ones (backordered) in a fresh cart."""
    open_lamp(page, demo, query)
    page.click("#form-action-addToCart")
    expect(page).to_have_url(demo.site + "/cart.php" + query)
    open_lamp(page, demo, query)
    choose(page, "Blue")
    page.fill("input[name='qty[]']", "2")
    expect(page.locator("#form-action-addToCart")).to_have_value("Backorder")
    page.click("#form-action-addToCart")
    expect(page).to_have_url(demo.site + "/cart.php" + query)


@pytest.mark.parametrize("query", ["", PLAIN], ids=["slots", "plain"])
def test_after_the_theme_redraws_the_cart_the_labels_and_date_are_back_for_the_new_quantities(page, demo, query):
    rows, order = page.locator("[data-item-row]"), page.locator(".bo-card")
    fill_cart(page, demo, query)
    expect(rows.nth(0).locator(".bo-line")).to_have_text("In stock")
    expect(rows.nth(1).locator(".bo-line")).to_have_text(f"Backorder Ships by {demo.ships_by()}")
    expect(order.locator(".bo-msg")).to_have_text(f"Your order ships by {demo.ships_by()}")
    summaries = CartSummaries(page)

    # The blue lamps go: the cart is in stock, the order's date goes with them.
    redrawn(page, summaries, lambda: rows.nth(1).get_by_role("button", name="Remove").click(), forget_shifts=True)
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator(".bo-line")).to_have_text("In stock")
    expect(order).to_be_hidden()
    settled(page)
    assert_nothing_moved(page)  # since the redraw (taking a row away moves the page: the theme's doing)
    assert len(summaries.asked) == 1

    # Six red lamps, five in stock: the line is backordered now, and the order has a date again.
    page.evaluate("() => { window.__layoutShifts = []; }")
    quantity = rows.nth(0).locator(".cart-item-qty-input")
    redrawn(page, summaries, lambda: (quantity.fill("6"), quantity.press("Tab")))
    expect(quantity).to_have_value("6")
    expect(rows.nth(0).locator(".bo-line")).to_have_text(f"Backorder Ships by {demo.ships_by()}")
    expect(order.locator(".bo-msg")).to_have_text(f"Your order ships by {demo.ships_by()}")
    assert len(summaries.asked) == 2

    # Back to five (Cornerstone's − button): in stock again.
    redrawn(page, summaries, lambda: rows.nth(0).get_by_role("button", name="Decrease the quantity").click())
    expect(quantity).to_have_value("5")
    expect(rows.nth(0).locator(".bo-line")).to_have_text("In stock")
    expect(order).to_be_hidden()
    if query == PLAIN:
        assert page.locator("[data-backorder-slot], [data-backorder-line]").count() == 0
        assert room(page, ".cart-totals") == {"kept": 0, "own": SEVEN_REM}
        assert room(page, "[data-item-row] .cart-item-name")["kept"] == 0
    settled(page)
    assert_nothing_moved(page)  # the quantity changes: neither the redraws nor the widget moved anything

    # Its own writes never wake the widget: no further look, no further question.
    looks = page.evaluate("() => performance.getEntriesByName('backorder:cart-look').length")
    page.wait_for_timeout(400)
    assert page.evaluate("() => performance.getEntriesByName('backorder:cart-look').length") == looks
    assert len(summaries.asked) == 3


# What Cornerstone's cart.js does after a coupon, a gift certificate or a shipping estimate: the same lines drawn again.
REDRAW_THE_SAME_CART = """async () => {
  const options = JSON.stringify({render_with: "cart/content,cart/totals"});
  const parts = await (await fetch(location.href, {headers: {"stencil-options": options}})).json();
  document.querySelector("[data-cart-content]").innerHTML = parts["cart/content"];
  document.querySelector("[data-cart-totals]").innerHTML = parts["cart/totals"];
}"""


@pytest.mark.parametrize("query", ["", PLAIN], ids=["slots", "plain"])
def test_a_redraw_of_the_same_lines_shows_the_last_answer_again_without_asking(page, demo, query):
    rows, lines = page.locator("[data-item-row]"), page.locator("[data-item-row] .bo-line")
    fill_cart(page, demo, query)
    expect(rows.nth(1).locator(".bo-line")).to_have_text(f"Backorder Ships by {demo.ships_by()}")
    summaries = CartSummaries(page)
    page.evaluate("() => { window.__layoutShifts = []; }")
    page.evaluate("() => document.querySelectorAll('[data-item-row]').forEach(row => { row.dataset.old = 1; })")
    page.evaluate(REDRAW_THE_SAME_CART)
    assert page.locator("[data-item-row][data-old]").count() == 0  # new rows
    expect(lines).to_have_text(["In stock", f"Backorder Ships by {demo.ships_by()}"])
    expect(page.locator(".bo-card .bo-msg")).to_have_text(f"Your order ships by {demo.ships_by()}")
    expect(page.get_by_label("Available items first")).to_be_visible()
    settled(page)
    assert summaries.asked == []
    assert_nothing_moved(page)

    # A shopper's choice made after the answer survives the next redraw.
    page.get_by_label("Available items first").check()
    page.evaluate(REDRAW_THE_SAME_CART)
    expect(lines).to_have_count(2)
    expect(page.get_by_label("Available items first")).to_be_checked()
    assert summaries.asked == []


def test_a_refused_quantity_changes_nothing_the_widget_shows(page, demo, console_errors_expected):
    console_errors_expected.append(r"status of 400 .*/remote/v1/cart/update")  # the sandbox refuses it
    rows = page.locator("[data-item-row]")
    fill_cart(page, demo, PLAIN)
    expect(rows.nth(1).locator(".bo-line")).to_have_text(f"Backorder Ships by {demo.ships_by()}")
    summaries = CartSummaries(page)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    quantity = rows.nth(1).locator(".cart-item-qty-input")
    with page.expect_response(re.compile(r".*/remote/v1/cart/update$")) as refused:
        quantity.fill("5000")
        quantity.press("Tab")
    assert refused.value.status == 400
    expect(quantity).to_have_value("2")
    page.wait_for_timeout(300)
    assert dialogs == ["A quantity runs from 0 to 1,000."]
    expect(rows.nth(1).locator(".bo-line")).to_have_text(f"Backorder Ships by {demo.ships_by()}")
    assert summaries.asked == []


# -- customer groups (BigCommerce's Current Customer token) ---------------------------------------------------


@pytest.fixture
def trade_buyers(demo, console_errors_expected):
    """Trade buyers (a BigCommerce customer group) may backorder the green lamp (25 days); nobody else may.
    A guest's Current Customer request is BigCommerce's 404, which the browser reports."""
    console_errors_expected.append(r"status of 404 .*current\.jwt")
    control = f"{settings.BIGCOMMERCE_API_URL}/_sandbox/stores/{STORE_HASH}"
    group = requests.post(f"{control}/customer-groups", json={"name": "Trade"}, timeout=10).json()["id"]
    requests.post(f"{control}/customers", json={"email": "buyer@trade.example", "customer_group_id": group},
                  timeout=10).raise_for_status()  # fmt: skip
    with schema_context(demo.store.schema_name):
        policy = policy_create(data={"scope": "variant", "bigcommerce_id": demo.green, "customer_group_ids": [group],
                                     "enabled": True, "lead_time_days": 25})  # fmt: skip
    yield group
    with schema_context(demo.store.schema_name):
        from backorder.services.policies import policy_delete

        policy_delete(policy=policy)


def test_a_signed_in_trade_buyer_is_offered_the_backorder_a_guest_is_not(page, demo, trade_buyers):
    answers = []
    page.on("response", lambda response: API_CALLS.match(response.url) and answers.append(response))
    open_lamp(page, demo)
    choose(page, "Green")
    expect(page.locator("#form-action-addToCart")).to_have_value("Sold out")
    assert all("customer_jwt" not in response.url for response in answers)  # a guest: no token, the guests' answer

    page.goto(demo.site + "/login.php")
    page.fill("input[name=email]", "buyer@trade.example")
    page.click("input[type=submit]")
    open_lamp(page, demo)
    choose(page, "Green")
    expect(page.locator("#form-action-addToCart")).to_have_value("Backorder")
    expect(page.locator(".bo-msg")).to_have_text(f"Ships by {demo.ships_by(25)}")
    mine = [response for response in answers if "customer_jwt=" in response.url]
    assert mine and all(response.headers["cache-control"] == "private, max-age=30" for response in mine)
    assert_nothing_moved(page)
