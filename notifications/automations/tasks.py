"""Background work of automations and outbound webhooks (django-q2 entry points; each safe to run twice).

- `automation_runs_process(schema_name)`: one store's runner (woken after every commit that recorded runs).
- `automations_sweep()`: called by the notifications sweep every minute: queues the runner and the webhook
  sender of every store with due or stuck runs or deliveries (one statement per 200 stores finds them).
- `automations_store_hourly()`: called by the store's hourly notifications task: the scheduled triggers (late,
  at risk, purchase order overdue) and the log's housekeeping.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django_q.tasks import async_task

from notifications.automations.models import AutomationEvent, AutomationRun
from notifications.automations.runner import RUN_TIMEOUT
from notifications.webhooks.delivery import SENDING_TIMEOUT
from notifications.webhooks.models import WebhookDelivery
from stores.tasks import store_task

SWEEP_CHUNK = 200
KEEP_LOG = timedelta(days=90)  # events, with their runs and deliveries, are kept this long


@store_task
def automation_runs_process(*, helper: bool = False) -> dict:
    """One runner pass; with a backlog it starts one helper beside it (helpers start no more)."""
    from notifications.automations.runner import automation_runs_process as process

    def helper_start() -> None:
        async_task("notifications.automations.tasks.automation_runs_process", schema_name=connection.schema_name,
                   helper=True)  # fmt: skip

    return dict(process(on_backlog=None if helper else helper_start))


def stores_with_due_work(schema_names: list[str]) -> list[tuple[str, bool, bool]]:
    """(schema, runs due?, deliveries due?) for the stores with due or stuck runs or deliveries."""
    runs, deliveries = AutomationRun._meta.db_table, WebhookDelivery._meta.db_table
    run_secs, send_secs = int(RUN_TIMEOUT.total_seconds()), int(SENDING_TIMEOUT.total_seconds())
    found = []
    for start in range(0, len(schema_names), SWEEP_CHUNK):
        chunk = schema_names[start : start + SWEEP_CHUNK]
        parts = []
        for name in chunk:
            schema = connection.ops.quote_name(name)
            parts.append(
                f"SELECT %s, EXISTS (SELECT 1 FROM {schema}.{runs} WHERE (status = 'pending' AND next_attempt_at "
                f"<= now()) OR (status = 'running' AND claimed_at < now() - make_interval(secs => {run_secs}))), "
                f"EXISTS (SELECT 1 FROM {schema}.{deliveries} WHERE (status = 'pending' AND next_attempt_at <= "
                f"now()) OR (status = 'sending' AND claimed_at < now() - make_interval(secs => {send_secs})))"
            )
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), chunk)
            found += [(name, runs_due, sends_due) for name, runs_due, sends_due in cursor.fetchall()
                      if runs_due or sends_due]  # fmt: skip
    return found


def automations_sweep(schema_names: list[str]) -> int:
    """Queue the runner and the sender where something is due (a missed wake-up, a retry whose time came)."""
    count = 0
    for schema_name, runs_due, sends_due in stores_with_due_work(schema_names):
        if runs_due:
            async_task("notifications.automations.tasks.automation_runs_process", schema_name=schema_name)
        if sends_due:
            async_task("notifications.webhooks.tasks.webhook_deliveries_send", schema_name=schema_name)
        count += 1
    return count


def automations_store_hourly() -> dict:
    """Inside a store's schema: scheduled triggers, then the log's housekeeping."""
    from notifications.automations.scheduled import scheduled_events_record

    recorded = scheduled_events_record()
    pruned, _ = AutomationEvent.objects.filter(occurred_at__lt=timezone.now() - KEEP_LOG).delete()
    return {**recorded, "pruned": pruned}
