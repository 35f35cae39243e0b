"""HTML of the sandbox storefront, shaped like BigCommerce's Cornerstone theme (class names, data attributes,
form fields), so that a storefront script sees what it would see on a real store.

Additions a real theme would get from the app's install notes (docs/storefront-widget.md): the chosen
variant on `form[data-cart-item-add][data-variant-id]`, product and variant ids on cart rows, and reserved
space (`[data-backorder-slot]`, `[data-backorder-line]`) so the widget never moves the page. With
`slots=False` the pages have no reserved space, like an unmodified Cornerstone theme (the app's head script
then keeps the widget's room).
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

THEME_CSS = (Path(__file__).resolve().parent / "storefront_theme.css").read_text(encoding="utf-8")

# The theme's own product script, like Cornerstone's product-details.js: options pick a variant (the theme
# keeps its id on the form for apps), +/- buttons change the quantity without firing events.
PRODUCT_JS = (Path(__file__).resolve().parent / "storefront_theme.js").read_text(encoding="utf-8")

# The theme's cart script, like Cornerstone's cart.js: a quantity change or a removal updates the line, then
# the cart's content and totals are redrawn from the server's answer (new rows, new totals).
CART_JS = (Path(__file__).resolve().parent / "storefront_cart.js").read_text(encoding="utf-8")

PALETTE = ("#3B6E8F", "#8F5B3B", "#4F7A3A", "#6B4F8F", "#8F3B5B", "#3B8F7A")


def money(value: Any) -> str:
    return f"${float(value or 0):,.2f}"


def swatch(product: dict[str, Any]) -> str:
    return PALETTE[product["id"] % len(PALETTE)]


def initials(name: str) -> str:
    return "".join(word[0] for word in name.split()[:2]).upper()


def scripts_html(scripts: list[dict[str, Any]]) -> str:
    """Scripts as BigCommerce's Script Manager injects them: `src` kinds as tags with their load method,
    `script_tag` kinds verbatim."""
    out = []
    for script in scripts:
        if script["kind"] == "src":
            method = {"defer": " defer", "async": " async"}.get(script["load_method"], "")
            out.append(f'<script{method} src="{escape(script["src"])}"></script>')
        else:
            out.append(script["html"])
    return "\n".join(out)


def page(*, store_name: str, title: str, body: str, lang: str, cart_count: int, head_scripts: str = "",
         footer_scripts: str = "", note: str = "", signed_in_as: str = "") -> str:  # fmt: skip
    account = (
        f'<span class="navUser-item" data-signed-in>{escape(signed_in_as)}</span>'
        '<a class="navUser-action" href="/login.php?action=logout">Sign out</a>'
        if signed_in_as
        else '<a class="navUser-action" href="/login.php">Sign in</a>'
    )
    return f"""<!DOCTYPE html>
<html lang="{escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{escape(title)} - {escape(store_name)}</title>
<style>{THEME_CSS}</style>
{head_scripts}
</head>
<body>
<header class="header">
<a class="header-logo" href="/">{escape(store_name)}</a>
<nav class="navUser">{account}<a class="navUser-action navUser-item--cart" href="/cart.php">Cart<span class="countPill cart-quantity">{cart_count}</span></a></nav>
</header>
<main class="body" id="main-content">
<div class="container">
{body}
</div>
</main>
<footer class="footer">Sandbox storefront (Cornerstone-shaped) for a BigCommerce sandbox store. {escape(note)}</footer>
{footer_scripts}
</body>
</html>
"""  # noqa: E501


def login_body(*, error: str = "") -> str:
    """Cornerstone's sign-in form, without a password (the sandbox signs in any customer of the store)."""
    alert = f'<p class="alertBox alertBox--error" role="alert">{escape(error)}</p>' if error else ""
    return (
        f'<h1 class="page-heading">Sign in</h1>{alert}<form class="login-form form" action="/login.php" method="post">'
        '<div class="form-field"><label class="form-label" for="login_email">Email Address:</label>'
        '<input class="form-input" name="email" id="login_email" type="email" autocomplete="email" required></div>'
        '<div class="form-actions"><input type="submit" class="button button--primary" value="Sign in"></div></form>'
    )


def home_body(products: list[dict[str, Any]], demo_product_id: int | None) -> str:
    cards = []
    for product in products:
        badge = " <strong>(try this one)</strong>" if product["id"] == demo_product_id else ""
        cards.append(
            f'<li class="card"><div class="card-figure" style="background:{swatch(product)}"></div>'
            f'<h4 class="card-title"><a href="{escape(product["custom_url"]["url"])}">{escape(product["name"])}</a>'
            f'{badge}</h4><span class="price">{money(product["calculated_price"])}</span></li>'
        )
    return f'<h1 class="page-heading">All products</h1><ul class="productGrid">{"".join(cards)}</ul>'


def product_body(*, product: dict[str, Any], variants: list[dict[str, Any]], category: str, slots: bool = True,
                 cart_path: str = "/cart.php") -> str:  # fmt: skip
    """The product view: images, title, price, SKU, options (a select per option), quantity, add to cart."""
    first = variants[0] if variants else {"id": "", "sku": product["sku"], "option_values": []}
    chosen = {value["id"] for value in first["option_values"]}
    fields = []
    for option in product["_options"]:
        choices = "".join(
            f'<option value="{value["id"]}"{" selected" if value["id"] in chosen else ""}>{escape(value["label"])}'
            "</option>"
            for value in option["option_values"]
        )
        fields.append(
            f'<div class="form-field" data-product-attribute="set-select">'
            f'<label class="form-label form-label--alternate form-label--inlineSmall" '
            f'for="attribute_select_{option["id"]}">'
            f"{escape(option['display_name'])}: <small>Required</small></label>"
            f'<select class="form-select form-select--small" name="attribute[{option["id"]}]" '
            f'id="attribute_select_{option["id"]}" required>{choices}</select></div>'
        )
    lookup = {
        "-".join(sorted(str(value["id"]) for value in variant["option_values"])): {
            "id": variant["id"],
            "sku": variant["sku"],
            "price": money(variant.get("calculated_price") or product["calculated_price"]),
            "purchasable": not variant.get("purchasing_disabled"),
        }
        for variant in variants
    }
    variant_json = json.dumps(lookup).replace("<", "\\u003c")
    return f"""
<ul class="breadcrumbs"><li><a href="/">Home</a></li><li>{escape(category)}</li><li>{escape(product["name"])}</li></ul>
<div class="productView" data-product-id="{product["id"]}">
<section class="productView-images"><figure class="productView-image" style="background:{swatch(product)}" aria-hidden="true">{escape(initials(product["name"]))}</figure></section>
<section class="productView-details product-data">
<h1 class="productView-title">{escape(product["name"])}</h1>
<div class="productView-price"><span class="price price--withoutTax" data-product-price-without-tax>{money(first.get("calculated_price") or product["calculated_price"])}</span></div>
<dl class="productView-info"><dt class="productView-info-name">SKU:</dt><dd class="productView-info-value" data-product-sku>{escape(first["sku"])}</dd></dl>
<form class="form" method="post" action="{escape(cart_path)}" enctype="application/x-www-form-urlencoded" data-cart-item-add data-variant-id="{first["id"]}">
<input type="hidden" name="action" value="add">
<input type="hidden" name="product_id" value="{product["id"]}">
<div data-product-option-change>{"".join(fields)}</div>
<div class="form-field form-field--increments">
<label class="form-label form-label--alternate" for="qty[]">Quantity:</label>
<div class="form-increment" data-quantity-change>
<button class="button button--icon" data-action="dec" type="button" aria-label="Decrease quantity">&minus;</button>
<input class="form-input form-input--incrementTotal" id="qty[]" name="qty[]" type="number" value="1" min="1" max="1000" pattern="[0-9]*" aria-live="polite">
<button class="button button--icon" data-action="inc" type="button" aria-label="Increase quantity">+</button>
</div></div>
<div class="form-action"><input id="form-action-addToCart" data-wait-message="Adding to cart…" class="button button--primary" type="submit" value="Add to Cart"></div>
</form>
{"<div data-backorder-slot></div>" if slots else ""}
</section>
<article class="productView-description"><h2>Description</h2>{product["description"]}</article>
</div>
<script type="application/json" id="product-variants">{variant_json}</script>
<script>window.BCData={{"product_attributes":{{"sku":{json.dumps(first["sku"])},"v3_variant_id":{json.dumps(first["id"] or None)}}}}};</script>
<script>{PRODUCT_JS}</script>
"""  # noqa: E501


def cart_body(*, cart_id: str, rows: list[dict[str, Any]], error: str = "", slots: bool = True) -> str:
    """The cart, laid out like Cornerstone's cart page: the title, the content (one row per line with its
    product and variant ids) and the totals in the containers the theme's cart script redraws, a sandbox
    checkout, and that script (quantity +/-, typed quantities and "Remove" update the line, then redraw)."""
    if not rows:
        notice = f'<p class="alertBox" role="alert">{escape(error)}</p>' if error else ""
        return f'<h1 class="page-heading">Your Cart (0 items)</h1>{notice}<p>Your cart is empty. <a href="/">Keep shopping</a>.</p>'  # noqa: E501
    alert = f'<p class="alertBox" role="alert">{escape(error)}</p>' if error else ""
    slot = "<div data-backorder-slot></div>" if slots else "<div></div>"
    return f"""{cart_title(rows)}{alert}
<div data-cart>
<div data-cart-content data-template="cart/content">{cart_content(cart_id=cart_id, rows=rows, slots=slots)}</div>
<div class="cart-bottom">
{slot}
<div>
<div data-cart-totals data-template="cart/totals">{cart_totals(rows)}</div>
<form class="cart-actions" method="post" action="/checkout">
<div class="form-field"><label class="form-label" for="checkout-email">E-mail</label><input class="form-input" id="checkout-email" name="email" type="email" value="shopper@example.com" required></div>
<button class="button button--primary" type="submit">Check out</button></form>
</div></div></div>
<script>{CART_JS}</script>"""  # noqa: E501


def cart_title(rows: list[dict[str, Any]]) -> str:
    """Template `cart/page-title`."""
    return (
        f'<h1 class="page-heading" data-cart-page-title>Your Cart ({sum(row["quantity"] for row in rows)} items)</h1>'
    )


def cart_content(*, cart_id: str, rows: list[dict[str, Any]], slots: bool = True) -> str:
    """Template `cart/content`: the table of lines (what the theme's cart script replaces after a change)."""
    lines = []
    line_slot = "<div data-backorder-line></div>" if slots else ""
    for row in rows:
        item, name = row["item_id"], escape(row["name"])
        options = "".join(f"<dt>{escape(label)}:</dt> <dd>{escape(value)}</dd> " for label, value in row["options"])
        lines.append(f"""<tr class="cart-item" data-item-row data-product-id="{row["product_id"]}" data-variant-id="{row["variant_id"]}">
<td class="cart-item-block cart-item-figure"><div class="cart-item-image" style="background:{row["swatch"]}"></div></td>
<td class="cart-item-block cart-item-title"><h4 class="cart-item-name"><a href="{escape(row["url"])}">{name}</a></h4><dl class="definitionList">{options}</dl>{line_slot}</td>
<td class="cart-item-block cart-item-info"><span class="cart-item-value">{money(row["price"])}</span></td>
<td class="cart-item-block cart-item-info cart-item-quantity"><div class="form-increment">
<button class="button button--icon" data-cart-update data-cart-itemid="{item}" data-action="dec" type="button" aria-label="Decrease the quantity of {name}">&minus;</button>
<label class="is-srOnly" for="qty-{item}">Quantity of {name}</label><input class="form-input form-input--incrementTotal cart-item-qty-input" id="qty-{item}" name="qty-{item}" type="tel" value="{row["quantity"]}" data-cart-itemid="{item}" data-action="manualQtyChange" pattern="[0-9]*">
<button class="button button--icon" data-cart-update data-cart-itemid="{item}" data-action="inc" type="button" aria-label="Increase the quantity of {name}">+</button></div></td>
<td class="cart-item-block cart-item-info"><strong class="cart-item-value">{money(row["price"] * row["quantity"])}</strong>
<form method="post" action="/cart.php" data-cart-remove><input type="hidden" name="action" value="remove"><input type="hidden" name="item" value="{item}"><button class="cart-remove" type="submit" data-cart-itemid="{item}" aria-label="Remove {name}">Remove</button></form></td>
</tr>""")  # noqa: E501
    count = sum(row["quantity"] for row in rows)
    return f"""<table class="cart" data-cart-id="{escape(cart_id)}" data-cart-quantity="{count}">
<colgroup><col class="cart-col-figure"><col><col class="cart-col-price"><col class="cart-col-quantity"><col class="cart-col-total"></colgroup>
<thead class="cart-header"><tr><th class="cart-header-item" colspan="2">Item</th><th class="cart-header-item">Price</th><th class="cart-header-item">Quantity</th><th class="cart-header-item">Total</th></tr></thead>
<tbody class="cart-list">{"".join(lines)}</tbody>
</table>"""  # noqa: E501


def cart_totals(rows: list[dict[str, Any]]) -> str:
    """Template `cart/totals`."""
    total = money(sum(row["price"] * row["quantity"] for row in rows))
    return f"""<ul class="cart-totals"><li class="cart-total"><span>Subtotal:</span><span>{total}</span></li>
<li class="cart-total cart-total-grandTotal"><span>Grand total:</span><span>{total}</span></li></ul>"""


def confirmation_body(order: dict[str, Any]) -> str:
    return (
        f'<h1 class="page-heading">Thank you!</h1><p class="alertBox alertBox--success">Order #{order["id"]} is '
        f"placed ({escape(order['status'])}). Backordered lines reach the app through the order webhook.</p>"
        '<p><a href="/">Keep shopping</a></p>'
    )


def not_found_body(what: str) -> str:
    return f'<h1 class="page-heading">Not found</h1><p>{escape(what)}</p><p><a href="/">Home</a></p>'
