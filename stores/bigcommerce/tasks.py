"""Background work of the BigCommerce adapter (django-q2 entry points; each safe to run twice)."""

import logging
import time
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from stores.bigcommerce import connection as bc_connection
from stores.bigcommerce import errors
from stores.bigcommerce.webhooks import handlers_for
from stores.leases import Lease, leased
from stores.models import Store, WebhookDrainQueued, WebhookEvent
from stores.tasks import enqueue_for_connected_stores, store_task

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BATCH_SIZE = 100


def retry_delay(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min, ~2 h between tries; after MAX_ATTEMPTS an event is a dead letter."""
    return timedelta(seconds=min(30 * 4 ** (attempts - 1), 6 * 3600))


@store_task
def store_connection_set_up() -> dict:
    """After an install: webhooks, the storefront scripts (per storefront channel: the widget and its head
    script "Backorder widget space", as far as the 10-script limit leaves room, see `scripts_plan`), CORS
    origins, then the domain apps' first steps (catalog sync)."""
    store = Store.objects.get(schema_name=connection.schema_name)
    client = bc_connection.client_for(store)
    hooks = bc_connection.webhooks_register(store=store, client=client)
    channels = bc_connection.storefront_channels(client=client)
    scripts = bc_connection.scripts_install(store=store, client=client, channels=channels)
    _health_record(store, channels)
    origins = bc_connection.storefront_origins(channels)
    if origins != store.storefront_origins:
        store.storefront_origins = origins
        store.save(update_fields=["storefront_origins"])
    for step in bc_connection.connected_steps():
        step(store)
    return {"hooks": hooks, "scripts": scripts, "origins": origins}


def _health_record(store: Store, channels: list[dict]) -> None:
    """Hooks and scripts were just made sure of: every scope active, and every storefront channel carrying
    the scripts the plan gives it (the widget, and the head script where there is room)."""
    from stores.bigcommerce.connection_health import connection_health_record

    connection_health_record(store=store, webhooks_active=len(bc_connection.WEBHOOK_SCOPES),
                             channels=len(channels), scripts_installed=len(channels))  # fmt: skip


DRAIN_SECONDS = 60  # a run stops after this and queues the next one, well inside Q_CLUSTER's timeout
DRAIN_LEASE = timedelta(seconds=45)  # renewed before each batch; a killed run's lease is free this much later
DRAIN_LEASE_WAIT = 20  # seconds a run waits for the one before it to finish


@store_task
def webhook_events_process(*, store_id: int) -> int:
    """Process the store's due events in arrival order, in batches; each handler sees its scopes' events
    of a batch at once. A failing handler's events are retried later, then parked as dead letters.

    One run per store at a time (a lease, stores.leases; a second run waits a while for the first): two runs
    of one store on two workers deadlocked in the handlers' upserts of the same products (found by the
    webhook storm, tests/hardening). A run that finds the lease kept (the first run is long, or died holding
    it) leaves the events to the minute sweep. A run stops after DRAIN_SECONDS and queues the next, so that a
    deep backlog never meets the task timeout."""
    started = time.monotonic()
    with leased(f"webhook-drain:{store_id}", ttl=DRAIN_LEASE, wait=DRAIN_LEASE_WAIT) as lease:
        if lease is None:
            logger.info("Inbox of store %s is being processed by another run; the sweep comes back", store_id)
            return 0
        return _webhook_events_drain(store_id, lease=lease, started=started)


def _webhook_events_drain(store_id: int, *, lease: Lease, started: float) -> int:
    # Started: events that arrive from now on queue a new run (see webhooks.event_store).
    WebhookDrainQueued.objects.filter(store_id=store_id).delete()
    processed = 0
    while True:
        if not lease.renew():  # it expired (a stall longer than the lease): another run may be at work
            logger.warning("Inbox lease of store %s lost after %s events; stopping this run", store_id, processed)
            return processed
        if time.monotonic() - started > DRAIN_SECONDS:
            _, queued = WebhookDrainQueued.objects.get_or_create(store_id=store_id)
            if queued:
                async_task("stores.bigcommerce.tasks.webhook_events_process", store_id=store_id,
                           schema_name=connection.schema_name)  # fmt: skip
            return processed
        with transaction.atomic():
            events = list(
                WebhookEvent.objects.select_for_update(skip_locked=True)
                .filter(store_id=store_id, status__in=[WebhookEvent.Status.PENDING, WebhookEvent.Status.FAILED])
                .filter(next_attempt_at__lte=timezone.now())
                .order_by("received_at", "id")[:BATCH_SIZE]
            )
            if not events:
                return processed
            store = Store.objects.get(pk=store_id)
            _process_batch(store, events)
            processed += len(events)


def _process_batch(store: Store, events: list[WebhookEvent]) -> None:
    by_handler: dict = {}
    for event in events:
        for handler in handlers_for(event.scope):
            by_handler.setdefault(handler, []).append(event)
    failed: dict[int, str] = {}
    for handler, handled in by_handler.items():
        try:
            with transaction.atomic():
                handler(store, [event.payload for event in handled])
        except errors.AuthenticationError:
            bc_connection.store_needs_reconnecting(store)
            failed.update({e.pk: "BigCommerce refused the store's token" for e in handled})
        except Exception as exc:  # a handler's failure must not lose the event: record it and retry
            logger.exception("Webhook handler %s failed for store %s", handler.__qualname__, store.slug)
            failed.update({e.pk: f"{type(exc).__name__}: {exc}"[:2000] for e in handled})
    now = timezone.now()
    for event in events:
        event.attempts += 1
        if event.pk in failed:
            event.last_error = failed[event.pk]
            dead = event.attempts >= MAX_ATTEMPTS
            event.status = WebhookEvent.Status.DEAD if dead else WebhookEvent.Status.FAILED
            event.next_attempt_at = now + retry_delay(event.attempts)
        else:
            event.status = WebhookEvent.Status.DONE
            event.processed_at = now
            event.last_error = ""
    WebhookEvent.objects.bulk_update(events, ["attempts", "status", "next_attempt_at", "processed_at", "last_error"])


def webhook_events_sweep() -> int:
    """Every minute: queue processing for stores with due events (retries, or a missed wake-up)."""
    due = (
        WebhookEvent.objects.filter(
            Q(status=WebhookEvent.Status.PENDING) | Q(status=WebhookEvent.Status.FAILED),
            next_attempt_at__lte=timezone.now(),
        )
        .values_list("store_id", "store__schema_name")
        .distinct()
    )
    count = 0
    for store_id, schema_name in due:
        async_task("stores.bigcommerce.tasks.webhook_events_process", store_id=store_id, schema_name=schema_name)
        count += 1
    return count


def webhook_events_redrive(*, event_ids: list[int]) -> int:
    """Staff re-drive dead letters: they become pending again and are processed at once."""
    events = WebhookEvent.objects.filter(pk__in=event_ids, status=WebhookEvent.Status.DEAD)
    stores = set(events.values_list("store_id", "store__schema_name"))
    updated = events.update(status=WebhookEvent.Status.PENDING, attempts=0, next_attempt_at=timezone.now())
    for store_id, schema_name in stores:
        async_task("stores.bigcommerce.tasks.webhook_events_process", store_id=store_id, schema_name=schema_name)
    return updated


# -- reconciliation --------------------------------------------------------------------------------------

RECONCILE_OVERLAP = timedelta(minutes=10)


def reconcile_all() -> int:
    """Hourly: queue reconciliation for every connected store."""
    return enqueue_for_connected_stores("stores.bigcommerce.tasks.store_reconcile")


@store_task
def store_reconcile() -> dict:
    """Put back what BigCommerce lost and replay what we missed: re-enable or recreate our webhooks,
    restore missing storefront scripts (the widget and its head script), and feed orders and products
    changed since the last pass through the inbox as if their webhooks had arrived. A refused token marks
    the store "needs reconnecting"."""
    store = Store.objects.get(schema_name=connection.schema_name)
    started = timezone.now()
    try:
        client = bc_connection.client_for(store)
        client.get("/v2/store")
    except errors.AuthenticationError:
        bc_connection.store_needs_reconnecting(store)
        return {"status": "needs_reconnecting"}
    hooks = bc_connection.webhooks_register(store=store, client=client)
    channels = bc_connection.storefront_channels(client=client)
    scripts = bc_connection.scripts_install(store=store, client=client, channels=channels)
    _health_record(store, channels)
    since = (store.reconciled_at or store.connected_at or started) - RECONCILE_OVERLAP
    replayed = _replay_changes(store=store, client=client, since=since)
    steps = {step.__qualname__: step(store) for step in bc_connection.reconcile_steps()}
    Store.objects.filter(pk=store.pk).update(reconciled_at=started)
    return {"hooks": hooks, "scripts": scripts, "replayed": replayed, "steps": steps}


def _replay_changes(*, store: Store, client, since) -> int:
    from stores.bigcommerce.webhooks import event_store

    stamp = since.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    replayed = 0
    for order in client.iter_v2("/v2/orders", {"min_date_modified": stamp, "sort": "date_modified:asc"}):
        payload = _synthetic("store/order/updated", store, {"type": "order", "id": order["id"]})
        key = f"reconcile:order:{order['id']}:{order.get('date_modified', '')}"
        replayed += event_store(store=store, scope=payload["scope"], payload=payload, key=key[:200])
    for product in client.iter_v3("/v3/catalog/products", {"date_modified:min": stamp, "include_fields": "id"}):
        payload = _synthetic("store/product/updated", store, {"type": "product", "id": product["id"]})
        key = f"reconcile:product:{product['id']}:{product.get('date_modified', stamp)}"
        replayed += event_store(store=store, scope=payload["scope"], payload=payload, key=key[:200])
    return replayed


def _synthetic(scope: str, store: Store, data: dict) -> dict:
    return {
        "scope": scope,
        "store_id": store.bigcommerce_store_id,
        "data": data,
        "hash": "",
        "created_at": int(timezone.now().timestamp()),
        "producer": f"stores/{store.bigcommerce_store_hash}",
        "replayed_by": "reconciliation",
    }


def housekeeping() -> dict:
    """Daily: forget used callback tokens past their expiry, old processed events, old sign-in links."""
    from stores.models import CallbackTokenUse, OneTimeLogin

    now = timezone.now()
    tokens, _ = CallbackTokenUse.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    events, _ = WebhookEvent.objects.filter(
        status=WebhookEvent.Status.DONE, received_at__lt=now - timedelta(days=14)
    ).delete()
    links, _ = OneTimeLogin.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return {"callback_tokens": tokens, "webhook_events": events, "sign_in_links": links}
