"""Fixtures for the backorder engine: a store's schema, a small mirrored catalog, and (when a test talks
to BigCommerce) a sandbox store connected to it over loopback HTTP."""

import itertools
from datetime import UTC, datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from backorder import sync
from backorder.models import Backorder, Product, Variant
from stores.bigcommerce.client import BigCommerceClient
from stores.bigcommerce.sandbox import SandboxServer

_ids = itertools.count(1000)


@pytest.fixture
def store(make_store):
    """A merchant store whose schema is active for the whole test (rolled back afterwards)."""
    store = make_store()
    with schema_context(store.schema_name):
        yield store


def variant_make(*, on_hand: int | None = 0, product: Product | None = None, tracking: str = "variant",
                 category_ids: list[int] | None = None, backorder_limit: int | None = 0) -> Variant:  # fmt: skip
    """A mirrored BigCommerce variant (and its product when none is given)."""
    now = timezone.now()
    if product is None:
        product = Product.objects.create(
            bigcommerce_id=next(_ids), name=f"Product {next(_ids)}", inventory_tracking=tracking,
            category_ids=category_ids or [], synced_at=now,
        )  # fmt: skip
    return Variant.objects.create(
        bigcommerce_id=next(_ids), product=product, sku=f"SKU-{next(_ids)}", on_hand=on_hand,
        backorder_limit=backorder_limit, synced_at=now,
    )  # fmt: skip


_order_ids = itertools.count(5000)


def backorder_make(variant: Variant, quantity: int, *, ordered_at: datetime | None = None, **fields) -> Backorder:
    """A waiting backorder of `quantity` units, as capture would record it."""
    order_id = fields.pop("order_id", next(_order_ids))
    return Backorder.objects.create(
        order_id=order_id,
        order_line_id=fields.pop("order_line_id", next(_order_ids)),
        order_created_at=ordered_at or datetime(2026, 11, 1, tzinfo=UTC) + timezone.timedelta(minutes=order_id),
        product_id=variant.product.bigcommerce_id,
        variant_id=variant.bigcommerce_id,
        quantity=quantity,
        customer_email=fields.pop("customer_email", f"shopper{order_id}@example.com"),
        **fields,
    )


SANDBOX_STORE = "engine01"


@pytest.fixture
def sandbox(settings):
    """A sandbox BigCommerce (API and login host) that the app's client talks to."""
    server = SandboxServer(
        client_id=settings.BIGCOMMERCE_CLIENT_ID,
        client_secret=settings.BIGCOMMERCE_CLIENT_SECRET,
        app_base_url="http://127.0.0.1:9",  # no app server: these tests do not receive webhooks
    )
    server.start()
    settings.BIGCOMMERCE_API_URL = settings.BIGCOMMERCE_LOGIN_URL = server.base_url
    yield server
    server.stop()


@pytest.fixture
def connected_store(make_store, sandbox):
    """A store connected to a seeded sandbox store, with its catalog mirrored; its schema is active."""
    store = make_store()
    sandbox.create_store(SANDBOX_STORE, name="Engine Shop", seed=11, products=30)
    store.bigcommerce_store_hash = SANDBOX_STORE
    store.access_token = sandbox.issue_token(SANDBOX_STORE)
    store.connection = store.Connection.CONNECTED
    store.save()
    with schema_context(store.schema_name):
        client = BigCommerceClient(store_hash=SANDBOX_STORE, access_token=store.access_token)
        sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)
        yield store
