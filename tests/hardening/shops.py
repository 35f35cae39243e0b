"""Shops with data worth stealing: each carries a marker that appears in its names, e-mails and suppliers,
so a response that leaks another store's data is recognised by that marker alone."""

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from backorder.models import Backorder, Policy, Product, PurchaseOrder, PurchaseOrderLine, Variant
from backorder.services.availability import availability_refresh
from stores import api_tokens, services
from stores.models import Store, User

PASSWORD = "correct-horse-battery-staple"
_id_ranges = itertools.count(1)


@dataclass
class Shop:
    store: Store
    owner: User
    token: str
    marker: str
    product_ids: list[int] = field(default_factory=list)
    variant_ids: list[int] = field(default_factory=list)
    backorder_ids: list[int] = field(default_factory=list)
    purchase_order_ids: list[int] = field(default_factory=list)
    purchase_order_line_ids: list[int] = field(default_factory=list)
    policy_ids: list[int] = field(default_factory=list)

    def ids_for(self, name: str) -> list[int]:
        """Known ids for a path parameter name of the merchant API (`id`, `policy_id`, `line_id`, ...)."""
        return {
            "policy_id": self.policy_ids,
            "line_id": self.purchase_order_line_ids,
            "product_id": self.product_ids,
            "variant_id": self.variant_ids,
        }.get(name, self.backorder_ids + self.purchase_order_ids)


def shop_make(*, products: int = 4, variants_per_product: int = 2) -> Shop:
    """Sign a merchant up and give the store a small mirrored catalog, an enabled store policy, waiting
    backorders, an open purchase order, and an API token. Ids do not overlap between shops."""
    marker = "mk" + secrets.token_hex(5)
    result = services.store_sign_up(email=f"owner@{marker}.example", password=PASSWORD, store_name=f"Shop {marker}")
    store, owner = result.store, result.user
    _token, plaintext = api_tokens.api_token_create(store=store, name=f"ERP {marker}", created_by=owner)
    shop = Shop(store=store, owner=owner, token=plaintext, marker=marker)
    first_id = next(_id_ranges) * 100_000
    now = timezone.now()
    with schema_context(store.schema_name):
        Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=10, max_units=50)
        shop.policy_ids = list(Policy.objects.values_list("pk", flat=True))
        for p in range(products):
            product = Product.objects.create(
                bigcommerce_id=first_id + p, name=f"{marker} lamp {p}", inventory_tracking="variant",
                category_ids=[], synced_at=now, url=f"/{marker}-lamp-{p}/",
            )  # fmt: skip
            shop.product_ids.append(product.bigcommerce_id)
            for v in range(variants_per_product):
                variant = Variant.objects.create(
                    bigcommerce_id=first_id + 1000 + p * 10 + v, product=product, sku=f"{marker}-{p}-{v}",
                    on_hand=v, backorder_limit=None, synced_at=now,
                )  # fmt: skip
                shop.variant_ids.append(variant.bigcommerce_id)
        for n, variant_id in enumerate(shop.variant_ids[:3]):
            backorder = Backorder.objects.create(
                order_id=first_id + 500 + n, order_line_id=first_id + 600 + n,
                order_created_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=n),
                product_id=Variant.objects.get(bigcommerce_id=variant_id).product.bigcommerce_id,
                variant_id=variant_id, quantity=2, sku=f"{marker}-sku", product_name=f"{marker} lamp",
                customer_email=f"shopper{n}@{marker}.example", customer_name=f"Shopper {marker}",
            )  # fmt: skip
            shop.backorder_ids.append(backorder.pk)
        order = PurchaseOrder.objects.create(supplier=f"{marker} Supplies", reference=f"PO-{marker}")
        line = PurchaseOrderLine.objects.create(
            purchase_order=order, variant_id=shop.variant_ids[0], product_id=shop.product_ids[0], quantity=5,
            expected_date=timezone.localdate() + timedelta(days=7),
        )  # fmt: skip
        shop.purchase_order_ids.append(order.pk)
        shop.purchase_order_line_ids.append(line.pk)
        availability_refresh(variant_ids=shop.variant_ids)
    return shop
