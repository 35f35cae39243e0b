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
    "store/inventory/location/created",
    "store/inventory/location/updated",
    "store/app/uninstalled",
]
SCRIPT_NAME = "Backorder widget"
SPACE_SCRIPT_NAME = "Backorder widget space"
# BigCommerce lets an app install 10 scripts on a store (Scripts API); both of ours are per channel.
SCRIPTS_PER_APP = 10

_on_connected: list[Callable[[Store], None]] = []
_scopes_for: list[Callable[[Store], list[str]]] = []


def register_webhook_scopes(step: Callable[[Store], list[str]]) -> Callable[[Store], list[str]]:
    """Domain apps add the scopes one store needs beyond WEBHOOK_SCOPES (e.g. per-location stock events for a
    store with several locations); `step(store)` runs in the store's schema."""
    if step not in _scopes_for:
        _scopes_for.append(step)
    return step


def webhook_scopes(store: Store) -> list[str]:
    """Every scope this store should have a hook for."""
    extra = [scope for step in _scopes_for for scope in step(store) if scope not in WEBHOOK_SCOPES]
    return [*WEBHOOK_SCOPES, *dict.fromkeys(extra)]


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


_head_script: list[Callable[[], str]] = []


def register_head_script(html: Callable[[], str]) -> Callable[[], str]:
    """The domain app gives the inline head script (exactly one `<script>`) that goes with its widget: it
    runs before the first paint and keeps the widget's room (backorder/assets/widget_space.js)."""
    _head_script[:] = [html]
    return html


def head_script_html() -> str | None:
    return _head_script[0]() if _head_script else None


def client_for(store: Store) -> BigCommerceClient:
    if not store.bigcommerce_store_hash or not store.access_token:
        raise errors.AuthenticationError("This store is not connected to BigCommerce.", status=401)
    return BigCommerceClient(store_hash=store.bigcommerce_store_hash, access_token=store.access_token)


def store_needs_reconnecting(store: Store) -> None:
    """BigCommerce refused the store's token (the app was uninstalled, or the token revoked): the store needs
    reconnecting. Saved (not a bare UPDATE), so the tenant lookup cache forgets the old state."""
    if store.connection == Store.Connection.CONNECTED:
        store.connection = Store.Connection.NEEDS_RECONNECTING
        store.save(update_fields=["connection", "updated_at"])


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
    for scope in webhook_scopes(store):
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


def scripts_plan(channel_ids) -> dict[int, list[str]]:
    """Which of our scripts each storefront channel carries ("widget", "space"), within the 10 scripts
    BigCommerce allows an app: the widget on every channel (the first 10 by id), the head script that keeps
    its room on as many channels as the rest leaves space for, default channel first: both on up to five
    channels; from six on, the channels beyond the head scripts' share have the widget only (their pages
    move once when the widget appears, unless the theme reserves the room)."""
    ids = sorted(set(channel_ids))[:SCRIPTS_PER_APP]
    room = SCRIPTS_PER_APP - len(ids) if head_script_html() is not None else 0
    return {channel_id: ["widget", "space"] if n < room else ["widget"] for n, channel_id in enumerate(ids)}


def wanted_scripts(store: Store) -> dict[str, dict]:
    """What each of our scripts should be on BigCommerce, by role (the channel comes with the plan)."""
    common = {"visibility": "storefront", "consent_category": "essential", "auto_uninstall": True, "enabled": True}
    wanted = {
        "widget": {
            "name": SCRIPT_NAME,
            "description": "Backorder and pre-order dates, labels and notices on product and cart pages.",
            "kind": "src",
            "src": widget_src(store),
            "load_method": "defer",
            "location": "footer",
            **common,
        }
    }
    html = head_script_html()
    if html is not None:
        wanted["space"] = {
            "name": SPACE_SCRIPT_NAME,
            "description": "Keeps room for the Backorder widget before the page is painted, so nothing moves.",
            "kind": "script_tag",
            "html": html,
            "load_method": "default",
            "location": "head",
            **common,
        }
    return wanted


def script_role(script: dict) -> str | None:
    return {SCRIPT_NAME: "widget", SPACE_SCRIPT_NAME: "space"}.get(script.get("name"))


def scripts_install(*, store: Store, client: BigCommerceClient, channels: list[dict]) -> dict:
    """Our scripts on every storefront channel (see `scripts_plan`): the widget, deferred in the footer, and
    the head script that keeps its room; removed when the app is uninstalled. Removes what is not planned
    first (extras, channels that no longer exist), so that creating never meets the 10-script limit."""
    plan = scripts_plan(channel["id"] for channel in channels)
    wanted = wanted_scripts(store)
    found: dict[tuple[int, str], list[dict]] = {}
    for script in client.iter_v3("/v3/content/scripts"):
        role = script_role(script)
        if role is not None:
            found.setdefault((script.get("channel_id") or 1, role), []).append(script)
    counts = {"created": 0, "updated": 0, "deleted": 0}
    keep: dict[tuple[int, str], dict] = {}
    for (channel_id, role), scripts in found.items():
        planned = role in plan.get(channel_id, [])
        for script in scripts[1:] if planned else scripts:
            client.delete(f"/v3/content/scripts/{script['uuid']}")
            counts["deleted"] += 1
        if planned:
            keep[(channel_id, role)] = scripts[0]
    for channel_id, roles in plan.items():
        for role in roles:
            script = keep.get((channel_id, role))
            if script is None:
                client.post("/v3/content/scripts", json={**wanted[role], "channel_id": channel_id})
                counts["created"] += 1
            elif any(script.get(k) != v for k, v in wanted[role].items()):
                client.put(f"/v3/content/scripts/{script['uuid']}", json=wanted[role])
                counts["updated"] += 1
    return counts


def storefront_origins(channels: list[dict]) -> list[str]:
    origins = []
    for channel in channels:
        parts = urlsplit(channel.get("url") or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))
