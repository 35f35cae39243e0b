"""In-memory model of the sandbox BigCommerce: apps, stores and everything a store holds.

API resources (products, orders, hooks, ...) are plain dicts shaped like BigCommerce's JSON, so the
route modules can render them with little translation; infrastructure (installs, codes, inventory
records, rate limits, faults) uses dataclasses. All mutation happens while holding `SandboxState.lock`.
"""

from __future__ import annotations

import email.utils
import itertools
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

# Every scope the sandbox knows; `issue_token()` grants all of them unless told otherwise.
ALL_SCOPES = (
    "store_v2_products",
    "store_inventory",
    "store_locations",
    "store_v2_orders",
    "store_v2_transactions",
    "store_v2_customers",
    "store_v2_marketing",
    "store_v2_content",
    "store_content_checkout",
    "store_v2_information",
    "store_channel_settings",
    "store_storefront_api",
)

ORDER_STATUSES = {
    0: "Incomplete",
    1: "Pending",
    2: "Shipped",
    3: "Partially Shipped",
    4: "Refunded",
    5: "Cancelled",
    6: "Declined",
    7: "Awaiting Payment",
    8: "Awaiting Pickup",
    9: "Awaiting Shipment",
    10: "Completed",
    11: "Awaiting Fulfillment",
    12: "Manual Verification Required",
    13: "Disputed",
    14: "Partially Refunded",
}

DEFAULT_LOCATION_ID = 1
DEFAULT_CHANNEL_ID = 1

DEFAULT_INVENTORY_SETTINGS = {
    "product_out_of_stock_behavior": "do_nothing",
    "option_out_of_stock_behavior": "do_nothing",
    "update_stock_behavior": "order_placed",
    "edit_order_stock_adjustment": True,
    "refund_order_stock_adjustment": True,
    "stock_level_display": "dont_show",
    "default_out_of_stock_message": "",
    "hide_in_product_filtering": False,
    "show_pre_order_stock_levels": False,
    "show_out_of_stock_message": False,
    "backorder_availability_prompt": "",
    "show_backorder_availability_prompt": False,
}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def rfc2822(dt: datetime | None) -> str:
    """v2 date format, e.g. 'Thu, 20 Jun 2019 16:07:08 +0000'."""
    return email.utils.format_datetime(dt) if dt else ""


def iso8601(dt: datetime | None) -> str | None:
    """v3 date format, e.g. '2018-08-24T14:41:00+00:00'."""
    return dt.isoformat() if dt else None


def parse_date(text: str) -> datetime | None:
    """Accept ISO-8601, RFC-2822 or a unix timestamp (the v2 filters take all three)."""
    text = (text or "").strip()
    if not text:
        return None
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def money(value: Any) -> str:
    """v2 money: a string with four decimals, e.g. '55.9900'."""
    return f"{Decimal(str(value)):.4f}"


def new_token(length: int = 31) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass
class App:
    client_id: str
    client_secret: str
    app_base_url: str
    account_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def auth_callback_url(self) -> str:
        return f"{self.app_base_url}/bigcommerce/auth"

    def __repr__(self) -> str:
        return f"App(client_id={self.client_id!r}, client_secret='[masked]', app_base_url={self.app_base_url!r})"


@dataclass
class Install:
    client_id: str
    access_token: str
    scopes: frozenset[str]
    user_id: int
    installed_at: datetime = field(default_factory=utcnow)

    def __repr__(self) -> str:
        return f"Install(client_id={self.client_id!r}, access_token='[masked]', scopes={sorted(self.scopes)!r})"


@dataclass
class AuthCode:
    code: str
    store_hash: str
    client_id: str
    scopes: tuple[str, ...]
    user_id: int
    expires_at: float
    used: bool = False


@dataclass
class RateLimit:
    """A fixed window refilled at once when it ends, which is how BigCommerce describes its quota."""

    quota: int = 150
    window_ms: int = 30000
    window_started: float = float("-inf")
    used: int = 0


@dataclass
class Faults:
    """Injected failures, consumed one request at a time (API host only)."""

    status_429: int = 0
    status_5xx: int = 0
    server_error_status: int = 500
    delay_ms: int = 0
    delay_requests: int = 0
    storm_reset_ms: int = 50

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class InventoryRecord:
    """Stock of one item at one location. `backorder_limit` None means unlimited backorders."""

    onhand: int = 0
    safety_stock: int = 0
    is_in_stock: bool = True
    warning_level: int = 0
    bin_picking_number: str = ""
    backorder_limit: int | None = 0
    backorder_message_id: int | None = None
    qty_backordered: int = 0
    # BigCommerce refuses relative adjustments until an absolute one has set the item (§5.1).
    absolutely_set: bool = False


# An inventory item is either a product (tracking "product") or a variant (tracking "variant").
ItemKey = tuple[str, int]


class Store:
    def __init__(self, store_hash: str, store_id: int, name: str, owner: dict[str, Any]) -> None:
        self.store_hash = store_hash
        self.store_id = store_id
        self.name = name
        self.owner_id = owner["id"]
        self.users: dict[int, dict[str, Any]] = {owner["id"]: owner}
        self.installs: dict[str, Install] = {}
        self.created_at = utcnow()
        self.backorders_enabled = True
        self.inventory_settings = dict(DEFAULT_INVENTORY_SETTINGS)
        self.rate_limit = RateLimit()
        self.faults = Faults()
        self.categories: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self.variants: dict[int, dict[str, Any]] = {}
        # Lower-cased product names and variant SKUs -> ids, for the uniqueness checks (catalog.py keeps them).
        self.product_names: dict[str, set[int]] = {}
        self.variant_skus: dict[str, set[int]] = {}
        self.inventory: dict[tuple[ItemKey, int], InventoryRecord] = {}
        self.locations: dict[int, dict[str, Any]] = {}
        # Where the storefront's stock comes from, and shipping orders draw from (locations.py): BigCommerce
        # counts the default location only, unless support switched on aggregated stock (every enabled one).
        self.online_locations: list[int] = [DEFAULT_LOCATION_ID]
        self.channels: dict[int, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.shipments: dict[int, dict[str, Any]] = {}
        self.order_metafields: dict[int, dict[str, Any]] = {}
        self.refunds: dict[int, dict[str, Any]] = {}
        self.customers: dict[int, dict[str, Any]] = {}
        self.customer_groups: dict[int, dict[str, Any]] = {}
        self.coupons: dict[int, dict[str, Any]] = {}
        self.promotions: dict[int, dict[str, Any]] = {}
        self.promotion_codes: dict[int, dict[str, Any]] = {}
        self.hooks: dict[int, dict[str, Any]] = {}
        self.scripts: dict[str, dict[str, Any]] = {}
        self._counters: dict[str, itertools.count] = {}
        # Seeding sets `muted` so that building a demo catalog fires no webhooks.
        self.muted = False
        self.emit: Callable[[str, dict[str, Any]], None] = lambda scope, data: None

    def next_id(self, kind: str, start: int = 1) -> int:
        if kind not in self._counters:
            self._counters[kind] = itertools.count(start)
        return next(self._counters[kind])

    @property
    def owner(self) -> dict[str, Any]:
        return self.users[self.owner_id]

    @property
    def domain(self) -> str:
        return f"store-{self.store_hash}.mybigcommerce.com"

    def channel_url(self, channel_id: int) -> str:
        if channel_id == DEFAULT_CHANNEL_ID:
            return f"https://{self.domain}"
        return f"https://store-{self.store_hash}-{channel_id}.mybigcommerce.com"

    def __repr__(self) -> str:
        return f"Store({self.store_hash!r}, products={len(self.products)}, orders={len(self.orders)})"


def _noop_emit(store: Store, scope: str, data: dict[str, Any]) -> None:
    return None


class SandboxState:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, code_ttl: float = 300.0) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.code_ttl = code_ttl
        self.apps: dict[str, App] = {}
        self.stores: dict[str, Store] = {}
        self.codes: dict[str, AuthCode] = {}
        self.tokens: dict[str, tuple[str, str]] = {}
        self.external_install_results: list[dict[str, Any]] = []
        # BigCommerce only delivers to https on 443; loopback tests need http, so that rule is opt-in.
        self.require_https_webhooks = False
        # Replaced by the webhook dispatcher; called (under the lock) on every mutation that fires a hook.
        self.emit: Callable[[Store, str, dict[str, Any]], None] = _noop_emit
        self._store_ids = itertools.count(1001234567)
        self._user_ids = itertools.count(9876543)

    def store(self, store_hash: str) -> Store:
        try:
            return self.stores[store_hash]
        except KeyError:
            raise KeyError(f"unknown store {store_hash!r}") from None

    def new_user(self, email: str, locale: str = "en-US") -> dict[str, Any]:
        return {"id": next(self._user_ids), "username": email, "email": email, "locale": locale}

    def create_store(
        self, store_hash: str | None = None, *, name: str | None = None, owner_email: str | None = None
    ) -> Store:
        store_hash = store_hash or new_token(10)
        if store_hash in self.stores:
            raise ValueError(f"store {store_hash!r} already exists")
        owner = self.new_user(owner_email or f"owner@{store_hash}.example.com")
        store = Store(store_hash, next(self._store_ids), name or f"Sandbox store {store_hash}", owner)
        now = utcnow()
        store.locations[DEFAULT_LOCATION_ID] = {
            "id": DEFAULT_LOCATION_ID,
            "code": "BC-LOCATION-1",
            "label": "Default location",
            "description": "",
            "managed_by_external_source": False,
            "type_id": "PHYSICAL",
            "enabled": True,
            "storefront_visibility": True,
            "time_zone": "Etc/UTC",
            "operating_hours": {},
            "special_hours": [],
            "address": None,
            "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "updated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self.add_channel(store, name=store.name, channel_id=DEFAULT_CHANNEL_ID)

        def emit(scope: str, data: dict[str, Any]) -> None:
            if not store.muted:
                self.emit(store, scope, data)

        store.emit = emit
        self.stores[store_hash] = store
        return store

    def add_channel(self, store: Store, *, name: str, channel_id: int | None = None) -> dict[str, Any]:
        channel_id = channel_id or max(store.channels, default=0) + 1
        now = iso8601(utcnow())
        channel = {
            "id": channel_id,
            "name": name,
            "type": "storefront",
            "platform": "bigcommerce",
            "status": "active",
            "is_listable_from_ui": True,
            "is_visible": True,
            "external_id": "",
            "config_meta": {},
            "date_created": now,
            "date_modified": now,
            "_site": {
                "id": 1000 + channel_id,
                "channel_id": channel_id,
                "url": store.channel_url(channel_id),
                "ssl_status": "dedicated",
                "created_at": now,
                "updated_at": now,
            },
        }
        store.channels[channel_id] = channel
        return channel

    def issue_token(
        self, store: Store, *, client_id: str, scopes: tuple[str, ...] | list[str], user_id: int | None = None
    ) -> str:
        """Install (or re-install) an app: a new token replaces and invalidates the previous one."""
        self.revoke(store, client_id)
        token = new_token()
        store.installs[client_id] = Install(client_id, token, frozenset(scopes), user_id or store.owner_id)
        self.tokens[token] = (store.store_hash, client_id)
        return token

    def revoke(self, store: Store, client_id: str) -> None:
        install = store.installs.pop(client_id, None)
        if install:
            self.tokens.pop(install.access_token, None)

    def authenticate(self, store_hash: str, token: str | None) -> Install | None:
        found = self.tokens.get(token or "")
        if not found or found[0] != store_hash:
            return None
        return self.stores[store_hash].installs.get(found[1])
