"""The sandbox store's Cornerstone-shaped storefront: pages on the store's own host, apps' scripts injected as
BigCommerce injects them, a cart per browser, and a checkout that places a real sandbox order."""

from __future__ import annotations

import json
import re
from unittest.mock import ANY

import pytest
import requests

from tests.bigcommerce.conftest import STORE_HASH


class Shopper:
    """A browser on the store's storefront host (cookies kept), talking to the sandbox over loopback."""

    def __init__(self, sandbox) -> None:
        self.base = sandbox.base_url
        self.host = f"store-{STORE_HASH}.localhost:{sandbox.base_url.rsplit(':', 1)[1]}"
        self.session = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, headers={"Host": self.host}, allow_redirects=False, timeout=10)

    def post(self, path: str, form: dict) -> requests.Response:
        return self.session.post(self.base + path, data=form, headers={"Host": self.host}, allow_redirects=False,
                                 timeout=10)  # fmt: skip


@pytest.fixture
def site(sandbox) -> dict:
    return requests.post(f"{sandbox.base_url}/_sandbox/stores/{STORE_HASH}/storefront", timeout=10).json()


def product_form(page: str, choice: int = 0) -> dict:
    """What the add-to-cart form posts: the product, one value of each option, the quantity."""
    form = {"action": "add", "product_id": re.search(r'name="product_id" value="(\d+)"', page)[1], "qty[]": "2"}
    for select in re.finditer(r'<select [^>]*name="(attribute\[\d+\])"[^>]*>(.*?)</select>', page, re.S):
        form[select[1]] = re.findall(r'<option value="(\d+)"', select[2])[choice]
    return form


def test_the_storefront_becomes_the_channel_site_and_lists_products(sandbox, site):
    port = sandbox.base_url.rsplit(":", 1)[1]
    assert site["site_url"] == f"http://store-{STORE_HASH}.localhost:{port}"
    with sandbox.state.lock:
        assert sandbox.state.store(STORE_HASH).channels[1]["_site"]["url"] == site["site_url"]
    home = Shopper(sandbox).get("/")
    assert home.status_code == 200 and home.headers["Content-Type"].startswith("text/html")
    assert site["product_url"].removeprefix(site["site_url"]) in home.text


def test_a_product_page_has_cornerstones_form_and_the_apps_scripts_in_the_footer(sandbox, site, access_token):
    api = f"{sandbox.base_url}/stores/{STORE_HASH}/v3/content/scripts"
    script = {"name": "Widget", "kind": "src", "src": "http://localhost:9/w.js", "load_method": "defer",
              "location": "footer", "visibility": "storefront", "consent_category": "essential"}  # fmt: skip
    assert requests.post(api, json=script, headers={"X-Auth-Token": access_token}, timeout=10).status_code == 200
    shopper = Shopper(sandbox)
    page = shopper.get(site["product_url"].removeprefix(site["site_url"]) + "?lang=de").text
    assert '<html lang="de">' in page
    for marker in ("form[data-cart-item-add]", 'name="product_id"', 'name="qty[]"', 'id="form-action-addToCart"',
                   "data-product-option-change", "data-variant-id=", "data-backorder-slot"):  # fmt: skip
        assert marker.split("[")[-1].rstrip("]") in page, marker
    assert page.rstrip().endswith('<script defer src="http://localhost:9/w.js"></script>\n</body>\n</html>')
    assert shopper.get("/no-such-product/").status_code == 404


def test_add_to_cart_keeps_a_cart_per_browser_and_checkout_places_an_order_with_its_id(sandbox, site):
    shopper = Shopper(sandbox)
    page = shopper.get(site["product_url"].removeprefix(site["site_url"])).text
    added = shopper.post("/cart.php", product_form(page))
    assert (added.status_code, added.headers["Location"]) == (303, "/cart.php")
    cart = shopper.get("/cart.php").text
    row = re.search(r'<tr class="cart-item" data-item-row data-product-id="(\d+)" data-variant-id="(\d+)">', cart)
    assert row and 'value="2"' in cart
    cart_id = re.search(r'data-cart-id="([^"]+)"', cart)[1]
    assert "data-item-row" not in Shopper(sandbox).get("/cart.php").text  # another browser, another cart

    sandbox.restock(STORE_HASH, variant_id=int(row[2]), quantity=10)  # the demo product's first colour may be sold out
    placed = shopper.post("/checkout", {"email": "ada@example.com"})
    assert placed.status_code == 303
    order = sandbox.get_order(STORE_HASH, int(placed.headers["Location"].rsplit("=", 1)[1]))
    assert order["cart_id"] == cart_id
    assert [(line["variant_id"], line["quantity"]) for line in order["lines"]] == [(int(row[2]), 2)]
    assert "data-item-row" not in shopper.get("/cart.php").text


def test_an_incomplete_choice_of_options_is_refused(sandbox, site):
    shopper = Shopper(sandbox)
    page = shopper.get(site["product_url"].removeprefix(site["site_url"])).text
    form = {k: v for k, v in product_form(page).items() if not k.startswith("attribute[")}
    response = shopper.post("/cart.php", form)
    assert response.status_code == 400 and "Choose one value of every option" in response.text


def test_an_unknown_store_host_is_a_404(sandbox):
    response = requests.get(sandbox.base_url + "/", headers={"Host": "store-nosuch.localhost"}, timeout=10)
    assert response.status_code == 404


def test_head_scripts_are_rendered_in_the_head_and_inline_ones_verbatim(sandbox, site, access_token):
    api = f"{sandbox.base_url}/stores/{STORE_HASH}/v3/content/scripts"
    common = {"visibility": "storefront", "consent_category": "essential"}
    head = {"name": "Room", "kind": "script_tag", "location": "head", "html": "<script>window.room = 1;</script>"}
    footer = {"name": "Widget", "kind": "src", "src": "http://localhost:9/w.js", "load_method": "defer",
              "location": "footer"}  # fmt: skip
    for script in (head, footer):
        response = requests.post(api, json={**script, **common}, headers={"X-Auth-Token": access_token}, timeout=10)
        assert response.status_code == 200, response.text
    page = Shopper(sandbox).get(site["product_url"].removeprefix(site["site_url"])).text
    head_part, body_part = page.split("</head>")
    assert head_part.rstrip().endswith("<script>window.room = 1;</script>")  # after the theme's styles
    assert "window.room" not in body_part and "w.js" not in head_part
    assert body_part.rstrip().endswith('<script defer src="http://localhost:9/w.js"></script>\n</body>\n</html>')


@pytest.mark.parametrize(
    "script,problem",
    [
        ({"kind": "script_tag", "html": "<p>no script</p>"}, "html"),
        ({"kind": "script_tag", "html": "<script>unclosed()"}, "html"),
        ({"kind": "script_tag", "html": "<script></script>" * 6}, "html"),
        ({"kind": "script_tag", "html": "<script>" + "x" * 65536 + "</script>"}, "html"),
        ({"kind": "script_tag", "html": "<script></script>", "src": "http://localhost:9/w.js"}, "src"),
        ({"kind": "src", "src": "http://localhost:9/w.js", "html": "<script></script>"}, "html"),
    ],
    ids=["no-script", "unclosed", "six-tags", "too-long", "tag-with-src", "src-with-html"],
)
def test_the_scripts_api_refuses_what_bigcommerce_refuses(sandbox, access_token, script, problem):
    api = f"{sandbox.base_url}/stores/{STORE_HASH}/v3/content/scripts"
    body = {"name": "Odd", "location": "head", "visibility": "storefront", **script}
    response = requests.post(api, json=body, headers={"X-Auth-Token": access_token}, timeout=10)
    assert response.status_code == 422 and problem in response.json()["errors"], response.text


def test_the_plain_theme_reserves_no_space_and_keeps_the_flag_through_add_to_cart(sandbox, site):
    shopper = Shopper(sandbox)
    path = site["product_url"].removeprefix(site["site_url"])
    assert "<div data-backorder-slot>" in shopper.get(path).text
    page = shopper.get(path + "?theme=plain").text
    assert "<div data-backorder-slot>" not in page and 'action="/cart.php?theme=plain"' in page
    added = shopper.post("/cart.php?theme=plain", product_form(page))
    assert (added.status_code, added.headers["Location"]) == (303, "/cart.php?theme=plain")
    cart = shopper.get(added.headers["Location"]).text
    assert "data-item-row" in cart and 'class="cart-totals"' in cart
    assert "<div data-backorder-slot>" not in cart and "<div data-backorder-line>" not in cart
    themed = shopper.get("/cart.php").text
    assert "<div data-backorder-slot>" in themed and "<div data-backorder-line>" in themed


def test_the_cart_page_updates_a_line_and_redraws_its_templates_as_cornerstone_does(sandbox, site):
    shopper = Shopper(sandbox)
    page = shopper.get(site["product_url"].removeprefix(site["site_url"]) + "?theme=plain").text
    shopper.post("/cart.php", product_form(page, 0))
    shopper.post("/cart.php", product_form(page, 1))
    cart = shopper.get("/cart.php").text
    assert "data-cart-content" in cart and "data-cart-totals" in cart and "/remote/v1/cart/update" in cart
    first, second = re.findall(r'data-cart-itemid="([0-9a-f]+)" data-action="manualQtyChange"', cart)

    def update(items) -> requests.Response:
        return shopper.session.post(shopper.base + "/remote/v1/cart/update", json={"items": items},
                                    headers={"Host": shopper.host}, timeout=10)  # fmt: skip

    assert update([{"id": first, "quantity": 7}]).json()["data"] == {"status": "succeed", "cart_id": ANY, "quantity": 9}
    assert update([{"id": second, "quantity": 0}]).json()["data"]["quantity"] == 7  # 0 removes the line
    options = json.dumps({"render_with": "cart/content,cart/totals,cart/page-title"})
    plain = shopper.session.get(shopper.base + "/cart.php?theme=plain", timeout=10,
                                headers={"Host": shopper.host, "stencil-options": options}).json()  # fmt: skip
    assert set(plain) == {"cart/content", "cart/totals", "cart/page-title"}
    assert plain["cart/content"].count("data-item-row") == 1 and 'value="7"' in plain["cart/content"]
    assert "data-backorder-line" not in plain["cart/content"] and 'class="cart-totals"' in plain["cart/totals"]
    assert "Your Cart (7 items)" in plain["cart/page-title"]
    themed = shopper.session.get(shopper.base + "/cart.php", timeout=10,
                                 headers={"Host": shopper.host, "stencil-options": options}).json()  # fmt: skip
    assert "<div data-backorder-line></div>" in themed["cart/content"]

    refused = update([{"id": first, "quantity": 1001}])
    assert refused.status_code == 400 and refused.json()["data"]["errors"] == ["A quantity runs from 0 to 1,000."]
    assert update([{"id": "nope", "quantity": 1}]).status_code == 400
    assert update("not a list").status_code == 400
    odd = {"Host": shopper.host, "stencil-options": json.dumps({"render_with": "cart/secrets"})}
    assert shopper.session.get(shopper.base + "/cart.php", headers=odd, timeout=10).status_code == 400


def test_a_signed_in_shopper_gets_a_current_customer_token_and_checks_out_as_that_customer(sandbox, site):
    import jwt

    from tests.bigcommerce.conftest import CLIENT_ID, CLIENT_SECRET

    trade = sandbox.add_customer_group(STORE_HASH, "Trade")["id"]
    buyer = sandbox.add_customer(STORE_HASH, "buyer@trade.example", customer_group_id=trade)
    shopper = Shopper(sandbox)
    asked = f"/customer/current.jwt?app_client_id={CLIENT_ID}"
    assert shopper.get(asked).status_code == 404  # a guest, as BigCommerce answers
    assert shopper.post("/login.php", {"email": "nobody@example.com"}).status_code == 400
    signed_in = shopper.post("/login.php", {"email": "Buyer@trade.example"})
    assert (signed_in.status_code, signed_in.headers["Location"]) == (303, "/")
    assert "buyer@trade.example" in shopper.get("/").text

    answer = shopper.get(asked)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain")
    claims = jwt.decode(answer.text, CLIENT_SECRET, algorithms=["HS256"], audience=CLIENT_ID)
    assert claims["customer"] == {"id": buyer["id"], "email": "buyer@trade.example", "group_id": str(trade)}
    assert (claims["store_hash"], claims["operation"], claims["exp"] - claims["iat"]) == (
        STORE_HASH, "current_customer", 900
    )  # fmt: skip
    assert shopper.get("/customer/current.jwt?app_client_id=someone-else").status_code == 400

    page = shopper.get(site["product_url"].removeprefix(site["site_url"])).text
    shopper.post("/cart.php", product_form(page))
    variant = int(re.search(r'data-variant-id="(\d+)"', shopper.get("/cart.php").text)[1])
    sandbox.restock(STORE_HASH, variant_id=variant, quantity=10)
    placed = shopper.post("/checkout", {})
    order = sandbox.get_order(STORE_HASH, int(placed.headers["Location"].rsplit("=", 1)[1]))
    assert (order["customer_id"], order["billing_address"]["email"]) == (buyer["id"], "buyer@trade.example")

    shopper.get("/login.php?action=logout")
    assert shopper.get(asked).status_code == 404
