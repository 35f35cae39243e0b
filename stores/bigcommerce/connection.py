"""A store's BigCommerce connection: its API client, and what the app registers on the store."""

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings

from stores.bigcommerce import errors
from stores.bigcommerce.client import BigCommerceClient
from stores.bigcommerce.webhooks import SECRET_HEADER
from stores.models import Store

logger = logging.getLogger(__name__)

# The events the app listens to (ARCHITECTURE.md, data flow).
WEBHOOK_SCOPES = [
    "store/order/created",
    "store/order/updated",
    "store/order/statusUpdated",
    "store/order/archived",
    "store/order/refund/created",
    "store/shipment/created",
    "store/shipment/updated",
    "store/shipment/deleted",
    "store/product/created",
    "store/product/updated",
    "store/product/deleted",
    "store/sku/created",
    "store/sku/updated",
    "store/sku/deleted",
    "store/product/inventory/updated",
    "store/product/inventory/order/updated",
    "store/sku/inventory/updated",
    "store/sku/inventory/order/updated",
    "store/app/uninstalled",
]
SCRIPT_NAME = "Backorder widget"

_on_connected: list[Callable[[Store], None]] = []


def register_on_connected(step: Callable[[Store], None]) -> Callable[[Store], None]:
    """Domain apps register what happens once a store is connected (e.g. the first catalog sync)."""
    if step not in _on_connected:
        _on_connected.append(step)
    return step


def connected_steps() -> list[Callable[[Store], None]]:
    return list(_on_connected)


_on_reconcile: list[Callable[[Store], object]] = []


def register_on_reconcile(step: Callable[[Store], object]) -> Callable[[Store], object]:
    """Domain apps register what the periodic reconciliation should check (runs inside the store schema)."""
    if step not in _on_reconcile:
        _on_reconcile.append(step)
    return step


def reconcile_steps() -> list[Callable[[Store], object]]:
    return list(_on_reconcile)


def client_for(store: Store) -> BigCommerceClient:
    if not store.bigcommerce_store_hash or not store.access_token:
        raise errors.AuthenticationError("This store is not connected to BigCommerce.", status=401)
    return BigCommerceClient(store_hash=store.bigcommerce_store_hash, access_token=store.access_token)


def webhook_destination() -> str:
    return f"{settings.APP_BASE_URL}/bigcommerce/webhooks"


def widget_src(store: Store) -> str:
    return f"{settings.APP_BASE_URL}/storefront/{store.public_key}/widget.js"


def webhooks_register(*, store: Store, client: BigCommerceClient) -> dict:
    """Every scope we need has exactly one active hook to us, carrying the store's current secret."""
    destination = webhook_destination()
    headers = {SECRET_HEADER: store.webhook_secret}
    existing: dict[str, list[dict]] = {}
    for hook in client.iter_v3("/v3/hooks"):
        if hook.get("destination") == destination:
            existing.setdefault(hook["scope"], []).append(hook)
    created = updated = 0
    for scope in WEBHOOK_SCOPES:
        hooks = existing.pop(scope, [])
        for extra in hooks[1:]:
            client.delete(f"/v3/hooks/{extra['id']}")
        if not hooks:
            client.post(
                "/v3/hooks", json={"scope": scope, "destination": destination, "is_active": True, "headers": headers}
            )
            created += 1
        elif not hooks[0].get("is_active") or (hooks[0].get("headers") or {}) != headers:
            client.put(f"/v3/hooks/{hooks[0]['id']}", json={"is_active": True, "headers": headers})
            updated += 1
    for hooks in existing.values():  # scopes we no longer listen to
        for hook in hooks:
            client.delete(f"/v3/hooks/{hook['id']}")
    return {"created": created, "updated": updated}


def storefront_channels(*, client: BigCommerceClient) -> list[dict]:
    """The store's storefront channels with their site URL (channel 1 is the default storefront)."""
    channels = []
    for channel in client.iter_v3("/v3/channels"):
        if channel.get("type") not in (None, "storefront") or channel.get("status") in ("deleted", "archived"):
            continue
        url = ""
        try:
            site = client.get_data(f"/v3/channels/{channel['id']}/site")
            url = (site or {}).get("url") or ""
        except errors.NotFoundError:
            pass
        channels.append({"id": channel["id"], "name": channel.get("name", ""), "url": url})
    return channels


def scripts_install(*, store: Store, client: BigCommerceClient, channels: list[dict]) -> dict:
    """One widget script per storefront channel, deferred in the footer, removed when the app is uninstalled."""
    src = widget_src(store)
    ours = [s for s in client.iter_v3("/v3/content/scripts") if s.get("name") == SCRIPT_NAME]
    by_channel: dict[int, list[dict]] = {}
    for script in ours:
        by_channel.setdefault(script.get("channel_id") or 1, []).append(script)
    wanted = {
        "name": SCRIPT_NAME,
        "description": "Backorder and pre-order dates, labels and notices on product and cart pages.",
        "kind": "src",
        "src": src,
        "load_method": "defer",
        "location": "footer",
        "visibility": "storefront",
        "consent_category": "essential",
        "auto_uninstall": True,
        "enabled": True,
    }
    created = 0
    channel_ids = {channel["id"] for channel in channels}
    for channel_id in channel_ids:
        scripts = by_channel.pop(channel_id, [])
        for extra in scripts[1:]:
            client.delete(f"/v3/content/scripts/{extra['uuid']}")
        if not scripts:
            client.post("/v3/content/scripts", json={**wanted, "channel_id": channel_id})
            created += 1
        elif any(scripts[0].get(k) != v for k, v in wanted.items()):
            client.put(f"/v3/content/scripts/{scripts[0]['uuid']}", json=wanted)
    for scripts in by_channel.values():  # channels that no longer exist
        for script in scripts:
            client.delete(f"/v3/content/scripts/{script['uuid']}")
    return {"created": created}


def storefront_origins(channels: list[dict]) -> list[str]:
    origins = []
    for channel in channels:
        parts = urlsplit(channel.get("url") or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))
