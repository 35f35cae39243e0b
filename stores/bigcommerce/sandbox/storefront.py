"""The sandbox store's storefront: product, cart and checkout pages, with the apps' storefront scripts in them.

A store's storefront answers on its own host, `http://store-<hash>.localhost:<sandbox port>/` (browsers send
`*.localhost` to loopback), at Cornerstone's paths: `/` (products), a product's custom URL (e.g.
`/sunny-tee-001/`; `/products.php?product_id=N` redirects there), `/cart.php` (GET the cart, POST
`action=add|remove`), `POST /checkout` (places a real sandbox order, with the cart's id, so the order webhook
fires). The cart lives in the sandbox, one per browser (a cookie). The cart page updates itself as
Cornerstone's does (stencil-utils): `POST /remote/v1/cart/update` with `{"items": [{"id", "quantity"}]}`
(quantity 0 removes the line), then `GET /cart.php` with a `stencil-options` header
`{"render_with": "cart/content,cart/totals,cart/page-title"}` answers those templates as JSON, keyed by name,
which the theme's script (storefront_cart.js) puts in place of the old rows, totals and title.
Shoppers sign in at `/login.php` (an existing customer's e-mail, no password: a sandbox) and out at
`/login.php?action=logout`; a signed-in shopper's checkout places the order as that customer, and
`GET /customer/current.jwt?app_client_id=<client id>` answers BigCommerce's Current Customer token for them
(HS256 with that app's client secret, 15 minutes; 404 for a guest, as BigCommerce documents; an app the
sandbox does not know: 400, a guess).
`?lang=de` on any page sets the page's language; `?theme=plain` serves the product and cart pages (and the
cart's templates) as an unmodified Cornerstone theme would, without the space the app's install notes ask a
theme to reserve (`[data-backorder-slot]`, `[data-backorder-line]`), and keeps the flag through add-to-cart.
Scripts registered through the Scripts API (channel 1, enabled, storefront or all pages) are injected as
Stencil's `{{head.scripts}}` and `{{footer.scripts}}` do: `src` scripts as tags with their load method,
`script_tag` ones verbatim, in the head or at the end of the body.

Control: `POST /_sandbox/stores/{hash}/storefront` points the store's default channel site at this storefront
(so an app installed afterwards learns it as the storefront origin) and returns the storefront's URLs.
"""

from __future__ import annotations

import json
import re
import secrets
import weakref
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from stores.bigcommerce.sandbox import inventory, oauth, orders
from stores.bigcommerce.sandbox import storefront_pages as pages
from stores.bigcommerce.sandbox.control_routes import route
from stores.bigcommerce.sandbox.framework import ApiError, Reply
from stores.bigcommerce.sandbox.state import DEFAULT_CHANNEL_ID, ORDER_STATUSES, Store

if TYPE_CHECKING:
    from stores.bigcommerce.sandbox.server import SandboxServer

HOST = re.compile(r"^store-(?P<store_hash>[a-z0-9]+)\.localhost(?::\d+)?$", re.IGNORECASE)
LANG = re.compile(r"^[a-z]{2}(?:-[A-Za-z]{2})?$")
CART_COOKIE = "sandbox_cart_id"
CUSTOMER_COOKIE = "sandbox_customer_session"
MAX_QUANTITY = 1000
CART_TEMPLATES = ("cart/content", "cart/totals", "cart/page-title")

# Carts per store (dropped with the store); each cart: {"id", "lines": [{item_id, product_id, variant_id, quantity}]}.
_carts: weakref.WeakKeyDictionary[Store, dict[str, dict[str, Any]]] = weakref.WeakKeyDictionary()
# Signed-in shoppers per store: session cookie -> customer id.
_sessions: weakref.WeakKeyDictionary[Store, dict[str, int]] = weakref.WeakKeyDictionary()


def store_hash_for_host(host: str | None) -> str | None:
    """The store whose storefront host this is (`store-<hash>.localhost[:port]`), else None."""
    found = HOST.match((host or "").strip())
    return found["store_hash"].lower() if found else None


def site_url(sandbox: SandboxServer, store_hash: str) -> str:
    port = sandbox.base_url.rsplit(":", 1)[1]
    return f"http://store-{store_hash}.localhost:{port}"


def demo_product(store: Store) -> dict[str, Any] | None:
    """A product worth showing: options with some variants in stock and some sold out, else the first."""
    products = sorted(store.products.values(), key=lambda p: p["id"])
    for product in products:
        if product["inventory_tracking"] != "variant" or not product["is_visible"]:
            continue
        stock = [inventory.record(store, ("v", vid)).onhand for vid in product["_variant_ids"]]
        if len(stock) > 2 and any(stock) and 0 in stock:
            return product
    return products[0] if products else None


@route("POST", "/stores/{store_hash}/storefront")
def storefront_site(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    """Serve this store's storefront from the sandbox: its default channel's site URL becomes the storefront
    host, which is what an app reads (`/v3/channels/{id}/site`) to learn the storefront origin."""
    with sb.state.lock:
        store = sb.state.store(store_hash)
        url = site_url(sb, store_hash)
        store.channels[DEFAULT_CHANNEL_ID]["_site"]["url"] = url
        demo = demo_product(store)
        return {
            "site_url": url,
            "product_url": url + demo["custom_url"]["url"] if demo else None,
            "cart_url": url + "/cart.php",
        }


# -- requests on a storefront host -----------------------------------------------------------------------


def handle(sandbox: SandboxServer, method: str, path: str, query: dict[str, list[str]], raw: bytes,
           headers: Any) -> Reply:  # fmt: skip
    store_hash = store_hash_for_host(headers.get("Host"))
    lang = (query.get("lang") or ["en"])[-1]
    if not LANG.match(lang):
        lang = "en"
    plain = (query.get("theme") or [""])[-1] == "plain"
    with sandbox.state.lock:
        store = sandbox.state.stores.get(store_hash or "")
        if store is None:
            return Reply(404, f"<h1>No sandbox store {store_hash!r}</h1>")
        cart_id = _cookie(headers.get("Cookie") or "", CART_COOKIE)
        session = _cookie(headers.get("Cookie") or "", CUSTOMER_COOKIE)
        view = _View(store, cart_id, lang, plain, session)
        form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}
        if method == "GET" and path == "/":
            return view.home()
        if method == "GET" and path == "/customer/current.jwt":
            return view.current_customer(sandbox, (query.get("app_client_id") or [""])[-1])
        if path == "/login.php":
            action = (query.get("action") or [""])[-1]
            return view.sign_in(form) if method == "POST" else view.sign_out() if action == "logout" else view.login()
        if path == "/cart.php" and method == "POST":
            return view.cart_change(form)
        if path == "/cart.php":
            options = headers.get("stencil-options")
            return view.cart_templates(options) if options else view.cart()
        if method == "POST" and path == "/remote/v1/cart/update":
            return view.cart_update(raw)
        if method == "POST" and path == "/checkout":
            return view.checkout(form)
        if method == "GET" and path == "/checkout/order-confirmation":
            return view.confirmation((query.get("order_id") or [""])[-1])
        if method == "GET" and path == "/products.php":
            product = store.products.get(_int((query.get("product_id") or [""])[-1]) or 0)
            if product:
                return Reply(302, None, {"Location": product["custom_url"]["url"]})
        if method == "GET":
            product = next((p for p in store.products.values() if p["custom_url"]["url"] == path), None)
            if product is not None and product["is_visible"]:
                return view.product(product)
        return view.render(404, "Not found", pages.not_found_body(f"Nothing lives at {path} in this store."))


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and re.fullmatch(r"[A-Za-z0-9_-]{8,64}", value):
            return value
    return ""


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


class _View:
    """One storefront request (runs holding the sandbox lock)."""

    def __init__(self, store: Store, cart_id: str, lang: str, plain: bool = False, session: str = "") -> None:
        self.store, self.lang, self.plain = store, lang, plain
        self.cart_path = "/cart.php?theme=plain" if plain else "/cart.php"
        self.carts = _carts.setdefault(store, {})
        self.cart_data = self.carts.get(cart_id)
        self.sessions = _sessions.setdefault(store, {})
        self.session = session
        self.customer = store.customers.get(self.sessions.get(session, 0))

    def render(self, status: int, title: str, body: str, headers: dict[str, str] | None = None) -> Reply:
        scripts = [
            s for s in sorted(self.store.scripts.values(), key=lambda s: s["date_created"])
            if s["enabled"] and s["channel_id"] == DEFAULT_CHANNEL_ID and s["visibility"] in ("storefront", "all_pages")
        ]  # fmt: skip
        html = pages.page(
            store_name=self.store.name, title=title, body=body, lang=self.lang,
            cart_count=sum(line["quantity"] for line in (self.cart_data or {}).get("lines", [])),
            head_scripts=pages.scripts_html([s for s in scripts if s["location"] == "head"]),
            footer_scripts=pages.scripts_html([s for s in scripts if s["location"] != "head"]),
            note=f"{len(scripts)} app script(s) installed.",
            signed_in_as=self.customer["email"] if self.customer else "",
        )  # fmt: skip
        return Reply(status, html, {"Cache-Control": "no-store", **(headers or {})})

    def login(self, *, error: str = "", status: int = 200) -> Reply:
        return self.render(status, "Sign in", pages.login_body(error=error))

    def sign_in(self, form: dict[str, str]) -> Reply:
        """A sandbox sign-in: the e-mail of an existing customer, no password."""
        email = (form.get("email") or "").strip().lower()
        customer = next((c for c in self.store.customers.values() if c["email"].lower() == email), None)
        if customer is None:
            return self.login(error="No customer of this store has that e-mail address.", status=400)
        session = secrets.token_urlsafe(18)
        self.sessions[session] = customer["id"]
        cookie = f"{CUSTOMER_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax"
        return Reply(303, None, {"Location": "/", "Set-Cookie": cookie})

    def sign_out(self) -> Reply:
        self.sessions.pop(self.session, None)
        cookie = f"{CUSTOMER_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        return Reply(303, None, {"Location": "/", "Set-Cookie": cookie})

    def current_customer(self, sandbox: SandboxServer, client_id: str) -> Reply:
        """BigCommerce's Current Customer endpoint: the signed-in shopper as a JWT for the app asking."""
        app = sandbox.state.apps.get(client_id)
        if app is None:
            return Reply(400, {"status": 400, "title": "Unknown app_client_id."}, {"Cache-Control": "no-store"})
        if self.customer is None:
            return Reply(404, {"status": 404, "title": "No customer is signed in."}, {"Cache-Control": "no-store"})
        claims = oauth.current_customer_claims(client_id=app.client_id, store=self.store, customer=self.customer)
        token = oauth.mint_jwt(claims, app.client_secret)
        return Reply(200, token, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"})

    def home(self) -> Reply:
        products = sorted((p for p in self.store.products.values() if p["is_visible"]), key=lambda p: p["id"])
        demo = demo_product(self.store)
        return self.render(200, "Home", pages.home_body(products[:60], demo["id"] if demo else None))

    def product(self, product: dict[str, Any]) -> Reply:
        variants = [self.store.variants[vid] for vid in product["_variant_ids"] if vid in self.store.variants]
        category = next((self.store.categories[c]["name"] for c in product["categories"] if c in self.store.categories),
                        "Shop")  # fmt: skip
        body = pages.product_body(product=product, variants=variants, category=category, slots=not self.plain,
                                  cart_path=self.cart_path)  # fmt: skip
        return self.render(200, product["name"], body)

    def _rows(self) -> list[dict[str, Any]]:
        rows = []
        for line in (self.cart_data or {}).get("lines", []):
            product = self.store.products.get(line["product_id"])
            variant = self.store.variants.get(line["variant_id"])
            if product is None or variant is None:
                continue
            rows.append({
                **line, "name": product["name"], "url": product["custom_url"]["url"], "swatch": pages.swatch(product),
                "price": float(variant.get("calculated_price") or variant.get("price") or product["calculated_price"]),
                "options": [(v["option_display_name"], v["label"]) for v in variant["option_values"]],
            })  # fmt: skip
        return rows

    def cart(self, *, error: str = "", status: int = 200) -> Reply:
        body = pages.cart_body(cart_id=(self.cart_data or {}).get("id", ""), rows=self._rows(), error=error,
                               slots=not self.plain)  # fmt: skip
        return self.render(status, "Your Cart", body)

    def cart_templates(self, options: str) -> Reply:
        """The cart's templates named in `render_with` (stencil-utils' getContent), as JSON keyed by name."""
        try:
            names = [name for name in str(json.loads(options)["render_with"]).split(",") if name]
        except (ValueError, KeyError, TypeError):
            names = []
        if not names or any(name not in CART_TEMPLATES for name in names):
            return Reply(
                400, {"error": f'stencil-options must be {{"render_with": "..."}} naming {", ".join(CART_TEMPLATES)}.'}
            )
        rows = self._rows()
        rendered = {
            "cart/content": lambda: pages.cart_content(cart_id=(self.cart_data or {}).get("id", ""), rows=rows,
                                                       slots=not self.plain),
            "cart/totals": lambda: pages.cart_totals(rows),
            "cart/page-title": lambda: pages.cart_title(rows),
        }  # fmt: skip
        return Reply(200, {name: rendered[name]() for name in names}, {"Cache-Control": "no-store"})

    def cart_update(self, raw: bytes) -> Reply:
        """stencil-utils' itemUpdate / itemRemove: new quantities for cart lines (0 removes the line)."""
        try:
            items = json.loads(raw or b"{}")["items"]
            changes = {str(item["id"]): int(item["quantity"]) for item in items}
        except (ValueError, KeyError, TypeError):
            return Reply(400, {"data": {"status": "failed", "errors": ['Send {"items": [{"id", "quantity"}]}.']}})
        lines = {line["item_id"]: line for line in (self.cart_data or {}).get("lines", [])}
        problems = [f"No line {item_id} in this cart." for item_id in changes if item_id not in lines]
        problems += [
            f"A quantity runs from 0 to {MAX_QUANTITY:,}." for q in changes.values() if not 0 <= q <= MAX_QUANTITY
        ]
        if problems:
            return Reply(400, {"data": {"status": "failed", "errors": problems}})
        for item_id, quantity in changes.items():
            lines[item_id]["quantity"] = quantity
        self.cart_data["lines"] = [line for line in self.cart_data["lines"] if line["quantity"] > 0]
        count = sum(line["quantity"] for line in self.cart_data["lines"])
        return Reply(200, {"data": {"status": "succeed", "cart_id": self.cart_data["id"], "quantity": count}})

    def cart_change(self, form: dict[str, str]) -> Reply:
        if form.get("action") == "remove" and self.cart_data:
            self.cart_data["lines"] = [line for line in self.cart_data["lines"] if line["item_id"] != form.get("item")]
            return Reply(303, None, {"Location": self.cart_path})
        if form.get("action") != "add":
            return self.cart(error="Unknown cart action.", status=400)
        product = self.store.products.get(_int(form.get("product_id", "")) or 0)
        quantity = _int(form.get("qty[]", "1")) or 0
        if product is None or not 1 <= quantity <= MAX_QUANTITY:
            return self.cart(error="Choose a product and a quantity from 1 to 1,000.", status=400)
        chosen = {int(v) for k, v in form.items() if k.startswith("attribute[") and v.isdigit()}
        variant_id = next(
            (vid for vid in product["_variant_ids"]
             if {value["id"] for value in self.store.variants[vid]["option_values"]} == chosen),
            None,
        )  # fmt: skip
        if variant_id is None:
            return self.cart(error="Choose one value of every option.", status=400)
        headers = {}
        if self.cart_data is None:
            self.cart_data = {"id": secrets.token_urlsafe(18), "lines": []}
            self.carts[self.cart_data["id"]] = self.cart_data
            headers["Set-Cookie"] = f"{CART_COOKIE}={self.cart_data['id']}; Path=/; HttpOnly; SameSite=Lax"
        line = next((x for x in self.cart_data["lines"] if x["variant_id"] == variant_id), None)
        if line is None:
            self.cart_data["lines"].append({"item_id": secrets.token_hex(8), "product_id": product["id"],
                                            "variant_id": variant_id, "quantity": quantity})  # fmt: skip
        else:
            line["quantity"] = min(line["quantity"] + quantity, MAX_QUANTITY)
        return Reply(303, None, {"Location": self.cart_path, **headers})

    def checkout(self, form: dict[str, str]) -> Reply:
        """A storefront checkout: the cart becomes an order (with the cart's id, as BigCommerce records it)."""
        if not self.cart_data or not self.cart_data["lines"]:
            return Reply(303, None, {"Location": "/cart.php"})
        email = (form.get("email") or "").strip() or (self.customer["email"] if self.customer else "")
        if "@" not in email:
            return self.cart(error="Enter an e-mail address to check out.", status=400)
        body = {
            "cart_id": self.cart_data["id"], "status_id": 11, "channel_id": DEFAULT_CHANNEL_ID,
            "customer_id": self.customer["id"] if self.customer else 0,
            "customer_locale": self.lang,
            "products": [{"product_id": x["product_id"], "variant_id": x["variant_id"], "quantity": x["quantity"]}
                         for x in self.cart_data["lines"]],
            "billing_address": {"first_name": "Sandbox", "last_name": "Shopper", "email": email,
                                "street_1": "1 Loopback Way", "city": "Austin", "state": "Texas", "zip": "78701",
                                "country": "United States", "country_iso2": "US"},
        }  # fmt: skip
        try:
            order = orders.create_order(self.store, body)
        except ApiError as error:
            return self.cart(error=f"BigCommerce refused the order: {error.title}", status=error.status)
        self.store.emit("store/cart/converted", {"type": "cart", "id": order["cart_id"], "orderId": order["id"]})
        self.carts.pop(self.cart_data["id"], None)
        return Reply(303, None, {"Location": f"/checkout/order-confirmation?order_id={order['id']}"})

    def confirmation(self, order_id: str) -> Reply:
        order = self.store.orders.get(_int(order_id) or 0)
        if order is None:
            return self.render(404, "Not found", pages.not_found_body("No such order."))
        shown = {"id": order["id"], "status": ORDER_STATUSES[order["status_id"]]}
        return self.render(200, "Thank you", pages.confirmation_body(shown))
