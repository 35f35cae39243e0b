"""Is the store's BigCommerce connection healthy: its token accepted, our webhooks active, the widget's
scripts on every storefront (the widget, and the head script that keeps its room where the 10-script limit
leaves space for it), BigCommerce's events arriving and being processed.

What the app last found is kept on the store (`Store.connection_health`), written whenever it registers
hooks and scripts (install, reconciliation) and when the merchant asks for a check, so pages read it
without calling BigCommerce.
"""

import logging
from datetime import timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone

from stores.bigcommerce import errors
from stores.bigcommerce.client import BigCommerceClient
from stores.bigcommerce.connection import (
    WEBHOOK_SCOPES,
    client_for,
    script_role,
    scripts_plan,
    storefront_channels,
    wanted_scripts,
    webhook_destination,
)
from stores.models import Store, WebhookEvent

logger = logging.getLogger(__name__)

# A merchant-initiated check answers quickly or says BigCommerce did not answer.
CHECK_TIMEOUT = (3.05, 8)


def connection_health_record(*, store: Store, webhooks_active: int, channels: int, scripts_installed: int) -> dict:
    """Remember what the app found (or just made sure of) on BigCommerce: the token worked, how many of
    our webhook scopes are active, how many storefront channels carry the widget's scripts, and the head
    scripts the plan (`scripts_plan`) has room for, made sure of with them."""
    space = sum("space" in roles for roles in scripts_plan(range(1, channels + 1)).values())
    health = {
        "checked_at": timezone.now().isoformat(),
        "token": "ok",
        "webhooks": {"expected": len(WEBHOOK_SCOPES), "active": webhooks_active},
        "scripts": {
            "channels": channels,
            "installed": scripts_installed,
            "space": {"expected": space, "installed": space},
        },
    }
    store.connection_health = health
    store.save(update_fields=["connection_health"])  # a save, so the tenant cache forgets the old value
    return health


def connection_health_check(*, store: Store, client: BigCommerceClient | None = None) -> dict:
    """Ask BigCommerce now: is the token accepted, which of our webhook scopes are missing or inactive,
    which storefront channels lack the widget's script. The answer is kept on the store and returned."""
    health: dict = {"checked_at": timezone.now().isoformat()}
    try:
        client = client or client_for(store)
        client.timeout = CHECK_TIMEOUT
        client.max_retries = 0
        client.get("/v2/store")
    except errors.AuthenticationError:
        health |= {"token": "refused", "webhooks": None, "scripts": None}
    except errors.BigCommerceError as exc:
        health |= {"token": "unknown", "error": f"BigCommerce did not answer: {exc.message}"[:300],
                   "webhooks": None, "scripts": None}  # fmt: skip
    else:
        health["token"] = "ok"
        try:
            health["webhooks"] = _webhooks(client)
            health["scripts"] = _scripts(store, client)
        except errors.BigCommerceError as exc:
            health["error"] = f"BigCommerce did not answer: {exc.message}"[:300]
    fields = ["connection_health"]
    if health["token"] == "refused" and store.connection == Store.Connection.CONNECTED:
        store.connection = Store.Connection.NEEDS_RECONNECTING
        fields.append("connection")
    store.connection_health = health
    store.save(update_fields=fields)
    return health


def _webhooks(client: BigCommerceClient) -> dict:
    destination = webhook_destination()
    active = {
        hook["scope"]
        for hook in client.iter_v3("/v3/hooks")
        if hook.get("destination") == destination and hook.get("is_active")
    }
    missing = [scope for scope in WEBHOOK_SCOPES if scope not in active]
    return {"expected": len(WEBHOOK_SCOPES), "active": len(WEBHOOK_SCOPES) - len(missing), "missing": missing}


def _scripts(store: Store, client: BigCommerceClient) -> dict:
    """Per storefront channel, are the scripts the plan gives it there, enabled and current (the widget's
    address; the head script's code)? A channel counts as installed when nothing it should carry is
    missing; `space` counts the head scripts on their own."""
    channels = storefront_channels(client=client)
    plan = scripts_plan(channel["id"] for channel in channels)
    wanted = wanted_scripts(store)
    present: set[tuple[int, str]] = set()
    for script in client.iter_v3("/v3/content/scripts"):
        role = script_role(script)
        if role in wanted and script.get("enabled", True) and _current(script, wanted[role]):
            present.add((script.get("channel_id") or 1, role))
    missing = []
    for channel in channels:
        lacking = [role for role in plan.get(channel["id"], ["widget"]) if (channel["id"], role) not in present]
        if lacking:
            missing.append({"id": channel["id"], "name": channel["name"], "missing": lacking})
    expected_space = [channel_id for channel_id, roles in plan.items() if "space" in roles]
    return {
        "channels": len(channels),
        "installed": len(channels) - len(missing),
        "missing_channels": missing,
        "space": {
            "expected": len(expected_space),
            "installed": sum((channel_id, "space") in present for channel_id in expected_space),
        },
    }


def _current(script: dict, wanted: dict) -> bool:
    """The script does what ours should: same kind, place and code (widget address or inline html)."""
    fields = ("kind", "location", "src") if wanted["kind"] == "src" else ("kind", "location", "html")
    return all(script.get(field) == wanted[field] for field in fields)


def webhook_inbox_summary(*, store: Store, now=None) -> dict:
    """BigCommerce's events for this store: when the last one arrived, how many arrived in the last day,
    and how many wait, are being retried, or gave up (dead letters support can re-drive)."""
    now = now or timezone.now()
    figures = WebhookEvent.objects.filter(store_id=store.pk).aggregate(
        last_received_at=Max("received_at"),
        last_day=Count("id", filter=Q(received_at__gte=now - timedelta(days=1))),
        pending=Count("id", filter=Q(status=WebhookEvent.Status.PENDING)),
        retrying=Count("id", filter=Q(status=WebhookEvent.Status.FAILED)),
        dead=Count("id", filter=Q(status=WebhookEvent.Status.DEAD)),
    )
    return figures


def connection_health_read(*, store: Store) -> dict:
    """Everything the settings page shows about the connection, without calling BigCommerce."""
    return {
        "connection": store.connection,
        "store_hash": store.bigcommerce_store_hash or "",
        "connected_at": store.connected_at,
        "reconciled_at": store.reconciled_at,
        "scopes": sorted(s for s in (store.scopes or "").split() if s),
        "native_backorders": store.native_backorders,
        "last_check": store.connection_health or None,
        "events": webhook_inbox_summary(store=store),
    }
