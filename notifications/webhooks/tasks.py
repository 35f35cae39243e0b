"""django-q2 entry point of the webhook sender (takes `schema_name`; safe to run twice, or twice at once)."""

from __future__ import annotations

from django.db import connection
from django_q.tasks import async_task

from stores.tasks import store_task


@store_task
def webhook_deliveries_send(*, helper: bool = False) -> dict:
    """One sender pass; with a backlog it starts one helper beside it (helpers start no more)."""
    from notifications.webhooks.delivery import webhook_deliveries_send as send

    def helper_start() -> None:
        async_task("notifications.webhooks.tasks.webhook_deliveries_send", schema_name=connection.schema_name,
                   helper=True)  # fmt: skip

    return dict(send(on_backlog=None if helper else helper_start))
