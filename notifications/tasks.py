"""Background work of the notifications app (django-q2 entry points; each safe to run twice).

- `notifications_send(schema_name)`: one store's sender run (woken after every commit that wrote a row).
- `notifications_sweep()`: every minute, queue a sender run for each store with due or stuck rows (a
  missed wake-up, a retry whose backoff ended, a sender that died). One query per 200 stores finds them.
- `notifications_hourly()`: every hour, per store: the daily digest once the store's morning has come
  (store time zone) and alerts about sync or webhook problems.
The same two schedules drive automations and outbound webhooks (notifications/automations/tasks.py): the sweep
queues stores' due rule runs and webhook deliveries, the hourly task records the scheduled triggers.
"""

from __future__ import annotations

from django.db import connection
from django_q.tasks import async_task

from notifications.models import Notification
from notifications.sending import SENDING_TIMEOUT
from stores.tasks import store_task

SWEEP_CHUNK = 200


@store_task
def notifications_send(*, helper: bool = False) -> dict:
    """One sender run; with a backlog it starts one helper run beside it (helpers start no more)."""
    from notifications.sending import notifications_send as send

    def helper_start() -> None:
        async_task("notifications.tasks.notifications_send", schema_name=connection.schema_name, helper=True)

    return dict(send(on_backlog=None if helper else helper_start))


def _active_schemas() -> list[str]:
    from stores.models import Store

    return list(Store.objects.merchants().filter(status=Store.Status.ACTIVE).values_list("schema_name", flat=True))


def stores_with_due_notifications(schema_names: list[str]) -> list[str]:
    """The stores (schemas) with e-mails due now or stuck `sending`, asked in one statement per chunk."""
    table = Notification._meta.db_table
    due = []
    seconds = int(SENDING_TIMEOUT.total_seconds())
    for start in range(0, len(schema_names), SWEEP_CHUNK):
        chunk = schema_names[start : start + SWEEP_CHUNK]
        parts = [
            f"SELECT %s WHERE EXISTS (SELECT 1 FROM {connection.ops.quote_name(name)}.{table} "
            f"WHERE (status = 'pending' AND next_attempt_at <= now()) "
            f"OR (status = 'sending' AND claimed_at < now() - make_interval(secs => {seconds})))"
            for name in chunk
        ]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), chunk)
            due += [name for (name,) in cursor.fetchall()]
    return due


def notifications_sweep() -> int:
    """Every minute: queue a sender run for every store that has something to send (e-mails, rule runs,
    webhook deliveries)."""
    from notifications.automations.tasks import automations_sweep

    count = 0
    schemas = _active_schemas()
    for schema_name in stores_with_due_notifications(schemas):
        async_task("notifications.tasks.notifications_send", schema_name=schema_name)
        count += 1
    return count + automations_sweep(schemas)


def notifications_hourly() -> int:
    """Every hour: queue each active store's digest and problem check."""
    count = 0
    for schema_name in _active_schemas():
        async_task("notifications.tasks.notifications_store_hourly", schema_name=schema_name)
        count += 1
    return count


@store_task
def notifications_store_hourly() -> dict:
    from notifications.alerts import current_store, digest_enqueue, sync_problems_alert
    from notifications.automations.tasks import automations_store_hourly

    store = current_store()
    return {
        "digest": len(digest_enqueue(store=store)),
        "problems": len(sync_problems_alert(store=store)),
        "automations": automations_store_hourly(),
    }
