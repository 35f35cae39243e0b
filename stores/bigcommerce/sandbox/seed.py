"""Deterministic demo catalog: nested categories, simple and option products, some sold out, customers.

The same `seed` always yields the same catalog (ids, names, SKUs, prices, stock), so demos and tests can
refer to it. About a third of the products have size or colour variants (tracked by variant), most of
the rest are simple products tracked by product, and a few are not tracked at all. Seeding fires no
webhooks.
"""

from __future__ import annotations

import random

from stores.bigcommerce.sandbox import catalog
from stores.bigcommerce.sandbox.framework import ApiError
from stores.bigcommerce.sandbox.routes_marketing import add_customer
from stores.bigcommerce.sandbox.state import Store

DEFAULT_PRODUCT_COUNT = 240

CATEGORY_TREE = (
    ("Apparel", ("T-Shirts", "Hoodies")),
    ("Footwear", ()),
    ("Home & Kitchen", ("Mugs", "Candles")),
    ("Garden", ()),
    ("Toys", ()),
    ("Outdoor", ("Camping",)),
)
NOUNS = {
    "T-Shirts": ("Tee", "Crew Tee", "V-Neck"),
    "Hoodies": ("Hoodie", "Zip Hoodie", "Pullover"),
    "Footwear": ("Sneaker", "Trail Runner", "Canvas Shoe"),
    "Mugs": ("Mug", "Travel Mug", "Espresso Cup"),
    "Candles": ("Candle", "Tealight Set", "Soy Candle"),
    "Garden": ("Planter", "Trowel", "Seed Kit"),
    "Toys": ("Puzzle", "Wooden Train", "Kite"),
    "Camping": ("Tent", "Lantern", "Sleeping Bag"),
}
ADJECTIVES = ("Classic", "Sunny", "Harbor", "Alpine", "Cosy", "Urban", "Coastal", "Forest", "Vintage", "Bold")
SIZES = ("S", "M", "L", "XL")
SHOE_SIZES = ("38", "40", "42", "44")
COLOURS = ("Red", "Blue", "Green", "Black")
CUSTOMERS = (
    ("jane.smith@example.com", "Jane", "Smith"),
    ("john.doe@example.com", "John", "Doe"),
    ("ana.lima@example.com", "Ana", "Lima"),
)


def _stock(rng: random.Random, sold_out_share: float) -> int:
    return 0 if rng.random() < sold_out_share else rng.randint(1, 60)


def seed_store(store: Store, *, seed: int = 42, products: int = DEFAULT_PRODUCT_COUNT) -> None:
    if store.products:
        raise ApiError(409, "The store already has a catalog; seed an empty store.")
    rng = random.Random(seed)
    store.muted = True
    try:
        leaves: list[tuple[str, int]] = []
        for top, children in CATEGORY_TREE:
            parent = catalog.create_category(store, top)
            if not children:
                leaves.append((top, parent["id"]))
            for child in children:
                leaves.append((child, catalog.create_category(store, child, parent["id"])["id"]))
        for index in range(1, products + 1):
            _seed_product(store, rng, index, leaves)
        for email, first_name, last_name in CUSTOMERS:
            add_customer(store, email=email, first_name=first_name, last_name=last_name)
    finally:
        store.muted = False


def _seed_product(store: Store, rng: random.Random, index: int, leaves: list[tuple[str, int]]) -> None:
    leaf_name, leaf_id = rng.choice(leaves)
    parent_id = store.categories[leaf_id]["parent_id"]
    name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS[leaf_name])} {index:03d}"
    sku = f"SB-{index:04d}"
    body: dict = {
        "name": name,
        "type": "physical",
        "sku": sku,
        "weight": round(rng.uniform(0.1, 5.0), 2),
        "price": rng.randint(5, 120) + 0.95,
        "categories": [leaf_id] + ([parent_id] if parent_id else []),
        "inventory_warning_level": 3,
        "description": f"<p>{name}, a sandbox demo product.</p>",
    }
    roll = rng.random()
    if roll < 0.35:
        if leaf_name in ("T-Shirts", "Hoodies"):
            option, labels = "Size", SIZES
        elif leaf_name == "Footwear":
            option, labels = "Size", SHOE_SIZES
        else:
            option, labels = "Colour", COLOURS
        chosen = labels[: rng.randint(2, len(labels))]
        body["inventory_tracking"] = "variant"
        body["variants"] = [
            {
                "sku": f"{sku}-{label}",
                "option_values": [{"option_display_name": option, "label": label}],
                "inventory_level": _stock(rng, 0.25),
            }
            for label in chosen
        ]
    elif roll < 0.92:
        body["inventory_tracking"] = "product"
        body["inventory_level"] = _stock(rng, 0.2)
    else:
        body["inventory_tracking"] = "none"
    if rng.random() < 0.03:
        body["availability"] = "preorder"
        body["preorder_message"] = "Ships from %%DATE%%"
    catalog.create_product(store, body)
