"""What the backorder app does with BigCommerce's webhooks and its connection events."""

from backorder import sync
from backorder.models import CatalogSync, Variant
from backorder.services import capture
from backorder.services.availability import store_today
from stores.bigcommerce.connection import (
    client_for,
    register_head_script,
    register_on_connected,
    register_on_reconcile,
    register_webhook_scopes,
)
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
    """Products and stock changed in BigCommerce: re-read each product once per batch of events; stock that
    arrived goes to the oldest waiting backorders (FIFO allocation)."""
    product_ids = sync.product_ids_in(payloads)
    if product_ids:
        sync.products_refresh(client=client_for(store), product_ids=product_ids)
        from backorder.services.allocation import allocation_for_variants

        variant_ids = Variant.objects.filter(product__bigcommerce_id__in=product_ids).values_list(
            "bigcommerce_id", flat=True
        )
        allocation_for_variants(variant_ids=list(variant_ids))


@register_webhook_handler("store/inventory/location/*")
def locations_changed(store: Store, payloads: list[dict]) -> None:
    """A location was created, changed, enabled or disabled in BigCommerce: copy the locations again."""
    from backorder.services.locations import locations_sync

    locations_sync(client=client_for(store))


@register_webhook_handler("store/channel/*/inventory/product/stock_changed")
def location_stock_changed(store: Store, payloads: list[dict]) -> None:
    """Stock changed at a location other than the default one: re-read those products (all their
    locations) and allocate what arrived (backorder.services.locations)."""
    from backorder.services.locations import product_ids_at_other_locations

    product_ids = product_ids_at_other_locations(payloads)
    if product_ids:
        catalog_changed(store, [{"data": {"type": "product", "id": product_id}} for product_id in product_ids])


@register_webhook_scopes
def location_scopes(store: Store) -> list[str]:
    """A store with several locations also listens to the per-location stock event."""
    from django_tenants.utils import schema_context

    from backorder.services.locations import webhook_scopes_for_locations

    with schema_context(store.schema_name):
        return webhook_scopes_for_locations()


@register_on_reconcile
def locations_follow(store: Store) -> int:
    """BigCommerce sends nothing when a location is deleted: reconciliation copies the locations again."""
    from backorder.services.locations import locations_sync

    return len(locations_sync(client=client_for(store)).removed)


@register_webhook_handler("store/order/*")
@register_webhook_handler("store/shipment/*")
def order_changed(store: Store, payloads: list[dict]) -> None:
    """Orders, refunds (`store/order/refund/created`) and shipments changed in BigCommerce (or reconciliation
    replayed a missed order): per order in the batch, once, capture / cancel / take refunded units off / ship
    its backorders, then write the state back to the order."""
    order_ids, archived = capture.order_ids_in(payloads)
    if not order_ids:
        return
    client = client_for(store)
    today = store_today(store)
    for order_id in order_ids:
        result = capture.order_sync(
            client=client,
            order_id=order_id,
            archived=order_id in archived,
            native_backorders=store.native_backorders,
        )
        if result.found:
            capture.order_state_write_back(client=client, order_id=order_id, order=result.order, today=today)


@register_on_reconcile
def cancellations_follow_up(store: Store) -> int:
    """Reconciliation re-queues cancellations whose BigCommerce follow-up (refund) was never done."""
    from backorder.services.cancellation import cancellations_follow_up_sweep

    return cancellations_follow_up_sweep()


@register_on_reconcile
def preorder_windows(store: Store) -> int:
    """Pre-order windows open and close with the calendar, not with an event: reconciliation re-checks the
    caps BigCommerce enforces for pre-order variants (compare-before-write, so usually nothing is sent)."""
    from backorder.models import VariantAvailability

    variant_ids = list(VariantAvailability.objects.filter(mode="preorder").values_list("variant_id", flat=True))
    if variant_ids:
        enqueue_for_store("backorder.tasks.backorder_limits_push", variant_ids=variant_ids)
    return len(variant_ids)


@register_head_script
def widget_space_script() -> str:
    """The storefront widget's head script, which keeps the widget's room before the first paint; the store
    connection registers it next to the widget on the channels the 10-script limit leaves room for."""
    from backorder.storefront_widget import space_script_html

    return space_script_html()
