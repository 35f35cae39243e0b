"""Running work for a store in the background (django-q2, ORM broker).

Every task function takes `schema_name` and runs inside that store's schema. The queue row is written
in the caller's transaction (the ORM broker lives in this database), so work is queued if and only if
the change that asked for it commits.
"""

import functools
from collections.abc import Callable

from django.db import connection
from django_q.tasks import async_task
from django_tenants.utils import schema_context


def store_task(func: Callable) -> Callable:
    """Mark a task function that runs inside the schema named by its `schema_name` keyword."""

    @functools.wraps(func)
    def run(*args, schema_name: str, **kwargs):
        with schema_context(schema_name):
            return func(*args, **kwargs)

    run.store_task = True
    return run


def enqueue_for_store(task: Callable | str, *args, schema_name: str | None = None, **kwargs) -> str:
    """Queue `task` for a store (the current schema's store when `schema_name` is not given)."""
    schema_name = schema_name or connection.schema_name
    if schema_name == "public":
        raise ValueError("enqueue_for_store needs a store's schema; none is active.")
    path = task if isinstance(task, str) else f"{task.__module__}.{task.__qualname__}"
    return async_task(path, *args, schema_name=schema_name, **kwargs)


def enqueue_for_connected_stores(task: str) -> int:
    """Queue `task` once for every active store connected to BigCommerce (the hourly sweeps); returns how
    many were queued."""
    from stores.models import Store

    stores = Store.objects.merchants().filter(status=Store.Status.ACTIVE, connection=Store.Connection.CONNECTED)
    count = 0
    for schema_name in stores.values_list("schema_name", flat=True):
        async_task(task, schema_name=schema_name)
        count += 1
    return count
