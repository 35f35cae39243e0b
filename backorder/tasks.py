"""django-q2 entry points of the backorder app (each takes `schema_name`; each safe to run twice)."""

from django.db import connection

from backorder import sync
from backorder.models import CatalogSync
from stores.bigcommerce.connection import client_for
from stores.models import Store
from stores.tasks import store_task


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
