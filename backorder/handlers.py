"""What the backorder app does with BigCommerce's webhooks and its connection events."""

from backorder import sync
from backorder.models import CatalogSync
from stores.bigcommerce.connection import client_for, register_on_connected
from stores.bigcommerce.webhooks import register_webhook_handler
from stores.models import Store
from stores.tasks import enqueue_for_store


@register_on_connected
def catalog_sync_after_install(store: Store) -> None:
    """A newly connected store gets its catalog copied."""
    catalog = sync.catalog_sync_start()
    if catalog.status == CatalogSync.Status.RUNNING:
        enqueue_for_store("backorder.tasks.catalog_sync", sync_id=catalog.pk, schema_name=store.schema_name)


@register_webhook_handler("store/product/*")
@register_webhook_handler("store/sku/*")
def catalog_changed(store: Store, payloads: list[dict]) -> None:
    """Products and stock changed in BigCommerce: re-read each product once per batch of events."""
    product_ids = sync.product_ids_in(payloads)
    if product_ids:
        sync.products_refresh(client=client_for(store), product_ids=product_ids)
