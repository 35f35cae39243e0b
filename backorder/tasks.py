"""django-q2 entry points of the backorder app (each takes `schema_name`; each safe to run twice)."""

import logging

from django.db import connection

from backorder import sync
from backorder.models import CatalogSync
from stores.bigcommerce.connection import client_for
from stores.models import Store
from stores.tasks import enqueue_for_connected_stores, enqueue_for_store, store_task

logger = logging.getLogger(__name__)


def _store() -> Store:
    return Store.objects.get(schema_name=connection.schema_name)


@store_task
def catalog_sync(*, sync_id: int) -> dict:
    """Run (or resume) a full catalog sync."""
    catalog = CatalogSync.objects.get(pk=sync_id)
    if catalog.status != CatalogSync.Status.RUNNING:
        return {"status": catalog.status}
    try:
        catalog = sync.catalog_sync_run(sync=catalog, client=client_for(_store()))
    except Exception as exc:
        CatalogSync.objects.filter(pk=sync_id).update(error=f"{type(exc).__name__}: {exc}"[:2000])
        raise  # django-q2 retries: the sync resumes from its cursor
    return {"status": catalog.status, "products": catalog.products_done, "variants": catalog.variants_done}


@store_task
def policy_changes_apply() -> int:
    """A saved policy change that governs many variants: their availability, brought up to date."""
    from backorder.services.policies import policy_changes_apply as apply

    return apply()


@store_task
def backorder_limits_push(*, variant_ids: list[int]) -> int:
    """Tell BigCommerce the caps its checkout must enforce (only those that changed)."""
    from backorder.services.availability import backorder_limits_push as push

    store = _store()
    if not store.native_backorders or store.connection != Store.Connection.CONNECTED:
        return 0
    return push(client=client_for(store), variant_ids=variant_ids)


@store_task
def locations_changed(*, refresh: bool = True, resync: bool = False) -> dict:
    """BigCommerce's locations changed (added, enabled, disabled, removed), or whether one sells online: the
    store's webhooks follow (a per-location stock event with several locations); with `refresh` every
    variant's availability and caps are computed again and stock now free is allocated; with `resync` (a new
    location) a full catalog sync reads every location's stock."""
    from backorder.models import Backorder
    from backorder.services.allocation import allocation_for_variants
    from backorder.services.availability import availability_refresh_all
    from stores.bigcommerce.connection import webhooks_register

    store = _store()
    done: dict = {}
    if store.connection == Store.Connection.CONNECTED:
        done["hooks"] = webhooks_register(store=store, client=client_for(store))
    if resync:
        catalog = sync.catalog_sync_start()
        if catalog.status == CatalogSync.Status.RUNNING:
            enqueue_for_store(catalog_sync, sync_id=catalog.pk)
        done["sync"] = catalog.pk
    elif refresh:
        availability_refresh_all()
        waiting = Backorder.objects.filter(status=Backorder.Status.WAITING).values_list("variant_id", flat=True)
        done["allocated"] = allocation_for_variants(variant_ids=set(waiting))
    return done


@store_task
def purchase_order_arrived(*, purchase_order_id: int, variant_ids: list[int]) -> dict:
    """Units received on a purchase order: allocate them FIFO (the receipt's pending increment counts as
    free stock), then send BigCommerce the increment and the decrement, oldest first."""
    from backorder.services.allocation import allocation_for_variants, stock_adjustments_send
    from stores.bigcommerce import errors

    allocated = allocation_for_variants(variant_ids=variant_ids, source=f"purchase_order:{purchase_order_id}")
    try:
        for variant_id in variant_ids:
            stock_adjustments_send(variant_id=variant_id)
    except errors.AuthenticationError:
        logger.warning("Store not connected to BigCommerce: stock adjustments stay pending")
    from backorder.services.availability import availability_refresh

    availability_refresh(variant_ids=variant_ids)
    return {"allocated": allocated}


@store_task
def allocation_for_variants(*, variant_ids: list[int]) -> int:
    """Arriving stock goes to the oldest waiting backorders (FIFO); safe to re-run (nothing more is given)."""
    from backorder.services.allocation import allocation_for_variants as allocate

    return allocate(variant_ids=variant_ids)


@store_task
def cancellation_to_bigcommerce(*, backorder_id: int, refund: bool) -> dict:
    """Tell BigCommerce about a cancelled backorder (stock, staff note, refund, order status); safe to re-run."""
    from backorder.services.cancellation import cancellation_to_bigcommerce as follow_up

    return follow_up(backorder_id=backorder_id, refund=refund)


@store_task
def incentive_coupon_create(*, incentive_id: int) -> str:
    """Create an incentive's coupon in BigCommerce and offer it; safe to run twice (one coupon, one offer)."""
    from backorder.services.incentives import incentive_coupon_create as create

    return create(incentive_id=incentive_id, client=client_for(_store()))


@store_task
def incentives_due() -> dict:
    """Hourly, per store: incentives that fire after N days of waiting, and pending ones whose task was lost."""
    from backorder.services.incentives import incentives_after_days_offer, incentives_pending_retry

    return {"offered": incentives_after_days_offer(), "retried": incentives_pending_retry()}


def incentives_due_all() -> int:
    """Hourly: queue `incentives_due` for every active store connected to BigCommerce."""
    return enqueue_for_connected_stores("backorder.tasks.incentives_due")


@store_task
def cancellations_follow_up_sweep() -> int:
    """Cancellation follow-ups owed too long: queued again, or settled when the store is not connected."""
    from backorder.services.cancellation import cancellations_follow_up_sweep as sweep

    return sweep()


def cancellations_follow_up_disconnected_all() -> int:
    """Hourly: active stores that were connected and no longer are (reconciliation skips them) settle their
    owed cancellation follow-ups, so their shoppers hear how they get their money."""
    stores = (
        Store.objects.merchants()
        .filter(status=Store.Status.ACTIVE)
        .exclude(connection=Store.Connection.CONNECTED)
        .exclude(bigcommerce_store_hash="")
    )
    count = 0
    for schema_name in stores.values_list("schema_name", flat=True):
        enqueue_for_store("backorder.tasks.cancellations_follow_up_sweep", schema_name=schema_name)
        count += 1
    return count
