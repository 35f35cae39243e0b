"""Driver operations of the sandbox, as Python methods (`ControlMixin`) for tests and demo tooling.

They play the merchant and the shopper: create stores, install/load/uninstall the app through its
callbacks, place orders like a checkout, ship, restock, change statuses, inject faults and drive
webhook delivery. `control_routes.py` exposes the same operations over HTTP under `/_sandbox/`.
Methods that call the app release the state lock first: the app calls back into the sandbox.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from stores.bigcommerce.sandbox import inventory, locations, oauth, orders
from stores.bigcommerce.sandbox import seed as seeding
from stores.bigcommerce.sandbox.framework import ApiError
from stores.bigcommerce.sandbox.state import ALL_SCOPES, App, SandboxState, Store

if TYPE_CHECKING:
    from stores.bigcommerce.sandbox.webhooks import Dispatcher


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def call_app(url: str, *, timeout: float = 30.0) -> dict[str, Any]:
    """GET an app callback like a browser/BigCommerce would, without following redirects."""
    try:
        with _opener.open(
            urllib.request.Request(url, headers={"Accept": "text/html,application/json"}), timeout=timeout
        ) as resp:
            return {
                "url": url,
                "status": resp.status,
                "location": resp.headers.get("Location"),
                "body": resp.read(4096).decode("utf-8", "replace"),
            }
    except urllib.error.HTTPError as exc:
        return {
            "url": url,
            "status": exc.code,
            "location": exc.headers.get("Location"),
            "body": exc.read(4096).decode("utf-8", "replace"),
        }
    except OSError as exc:
        return {"url": url, "status": None, "location": None, "body": "", "error": f"{type(exc).__name__}: {exc}"}


class ControlMixin:
    state: SandboxState
    dispatcher: Dispatcher
    default_client_id: str
    rate_limit_defaults: tuple[int, int]

    # -- apps, stores, users ------------------------------------------------------------------------------

    def register_app(self, client_id: str, client_secret: str, app_base_url: str) -> App:
        with self.state.lock:
            app = App(client_id, client_secret, app_base_url.rstrip("/"))
            self.state.apps[client_id] = app
            return app

    def _app(self, client_id: str | None) -> App:
        return self.state.apps[client_id or self.default_client_id]

    def _store(self, store_hash: str) -> Store:
        return self.state.store(store_hash)

    def create_store(
        self,
        store_hash: str | None = None,
        *,
        name: str | None = None,
        owner_email: str | None = None,
        seed: int | None = None,
        products: int = seeding.DEFAULT_PRODUCT_COUNT,
        backorders_enabled: bool = True,
    ) -> dict[str, Any]:
        with self.state.lock:
            store = self.state.create_store(store_hash, name=name, owner_email=owner_email)
            store.backorders_enabled = backorders_enabled
            store.rate_limit.quota, store.rate_limit.window_ms = self.rate_limit_defaults
            if seed is not None:
                self._seed(store, seed, products)
            return self.store_summary(store.store_hash)

    def seed_store(
        self, store_hash: str, *, seed: int = 42, products: int = seeding.DEFAULT_PRODUCT_COUNT
    ) -> dict[str, Any]:
        with self.state.lock:
            self._seed(self._store(store_hash), seed, products)
            return self.store_summary(store_hash)

    @staticmethod
    def _seed(store: Store, seed_value: int, products: int) -> None:
        seeding.seed_store(store, seed=seed_value, products=products)

    def store_summary(self, store_hash: str) -> dict[str, Any]:
        with self.state.lock:
            store = self._store(store_hash)
            return {
                "store_hash": store.store_hash,
                "store_id": store.store_id,
                "name": store.name,
                "owner": dict(store.owner),
                "users": [dict(u) for u in store.users.values()],
                "installs": {c: sorted(i.scopes) for c, i in store.installs.items()},
                "backorders_enabled": store.backorders_enabled,
                "online_locations": list(store.online_locations),
                "inventory_settings": dict(store.inventory_settings),
                "rate_limit": {"quota": store.rate_limit.quota, "window_ms": store.rate_limit.window_ms},
                "faults": store.faults.as_dict(),
                "counts": {
                    "categories": len(store.categories),
                    "products": len(store.products),
                    "variants": len(store.variants),
                    "orders": len(store.orders),
                    "customers": len(store.customers),
                    "hooks": len(store.hooks),
                    "scripts": len(store.scripts),
                },
                "channels": sorted(store.channels),
            }

    def add_user(self, store_hash: str, email: str) -> dict[str, Any]:
        with self.state.lock:
            store = self._store(store_hash)
            user = self.state.new_user(email)
            store.users[user["id"]] = user
            return dict(user)

    def add_channel(self, store_hash: str, name: str) -> dict[str, Any]:
        with self.state.lock:
            channel = self.state.add_channel(self._store(store_hash), name=name)
            return {k: v for k, v in channel.items() if not k.startswith("_")}

    def issue_token(
        self,
        store_hash: str,
        scopes: tuple[str, ...] | list[str] = ALL_SCOPES,
        *,
        client_id: str | None = None,
        user_id: int | None = None,
    ) -> str:
        """Install the app without the OAuth dance (for API tests); returns the new access token."""
        with self.state.lock:
            return self.state.issue_token(
                self._store(store_hash), client_id=self._app(client_id).client_id, scopes=tuple(scopes), user_id=user_id
            )

    # -- app callbacks ------------------------------------------------------------------------------------

    def begin_install(
        self,
        store_hash: str,
        *,
        scopes: tuple[str, ...] | list[str] = ALL_SCOPES,
        user_id: int | None = None,
        external: bool = False,
        client_id: str | None = None,
    ) -> str:
        """Mint a one-time code and return the browser URL of the app's auth callback."""
        with self.state.lock:
            store = self._store(store_hash)
            app = self._app(client_id)
            user_id = user_id or store.owner_id
            code = oauth.issue_code(self.state, store, client_id=app.client_id, scopes=tuple(scopes), user_id=user_id)
            query = {
                "code": code,
                "scope": " ".join(scopes),
                "context": f"stores/{store.store_hash}",
                "account_uuid": app.account_uuid,
            }
            if external:
                query["external_install"] = "1"
            return f"{app.auth_callback_url}?{urlencode(query)}"

    def install(self, store_hash: str, **kwargs: Any) -> dict[str, Any]:
        """Run the install like the control panel: GET the auth callback, which exchanges the code."""
        url = self.begin_install(store_hash, **kwargs)
        result = call_app(url)
        result["auth_url"] = url
        return result

    def signed_payload_jwt(
        self,
        store_hash: str,
        *,
        user_id: int | None = None,
        url: str = "/",
        channel_id: int | None = None,
        iat: int | None = None,
        jti: str | None = None,
        client_id: str | None = None,
    ) -> str:
        with self.state.lock:
            store = self._store(store_hash)
            app = self._app(client_id)
            user = store.users[user_id or store.owner_id]
            claims = oauth.jwt_claims(
                client_id=app.client_id, store=store, user=user, iat=iat, url=url, channel_id=channel_id, jti=jti
            )
            return oauth.mint_jwt(claims, app.client_secret)

    def current_customer_jwt(
        self, store_hash: str, customer_id: int, *, iat: int | None = None, client_id: str | None = None
    ) -> str:
        """What the storefront's `/customer/current.jwt?app_client_id=` answers while this customer is signed in."""
        with self.state.lock:
            store = self._store(store_hash)
            app = self._app(client_id)
            claims = oauth.current_customer_claims(
                client_id=app.client_id, store=store, customer=store.customers[customer_id], iat=iat
            )
            return oauth.mint_jwt(claims, app.client_secret)

    def callback_url(self, store_hash: str, callback: str, **jwt_kwargs: Any) -> str:
        """`{app}/bigcommerce/{load|uninstall|remove-user}?signed_payload_jwt=...`."""
        app = self._app(jwt_kwargs.get("client_id"))
        token = self.signed_payload_jwt(store_hash, **jwt_kwargs)
        return f"{app.app_base_url}/bigcommerce/{callback}?{urlencode({'signed_payload_jwt': token})}"

    def load(self, store_hash: str, **jwt_kwargs: Any) -> dict[str, Any]:
        """The merchant opens the app in the control panel (browser GET of the load callback)."""
        return call_app(self.callback_url(store_hash, "load", **jwt_kwargs))

    def uninstall(self, store_hash: str, *, client_id: str | None = None) -> dict[str, Any]:
        """Revoke the token, delete the app's hooks and auto_uninstall scripts, then call the app."""
        url = self.callback_url(store_hash, "uninstall", client_id=client_id)
        with self.state.lock:
            store = self._store(store_hash)
            app_id = self._app(client_id).client_id
            self.state.revoke(store, app_id)
            for hook_id in [h["id"] for h in store.hooks.values() if h["client_id"] == app_id]:
                del store.hooks[hook_id]
            for uuid in [
                s["uuid"] for s in store.scripts.values() if s["api_client_id"] == app_id and s["auto_uninstall"]
            ]:
                del store.scripts[uuid]
        return call_app(url)

    def remove_user(self, store_hash: str, user_id: int, *, client_id: str | None = None) -> dict[str, Any]:
        """The owner revokes a user's access to the app (server-to-server GET of remove-user)."""
        return call_app(self.callback_url(store_hash, "remove-user", user_id=user_id, client_id=client_id))

    # -- shopper and merchant actions ---------------------------------------------------------------------

    def place_order(
        self,
        store_hash: str,
        products: list[dict[str, Any]],
        *,
        email: str = "shopper@example.com",
        customer_id: int = 0,
        status_id: int = 11,
        channel_id: int = 1,
        pickup_location_id: int | None = None,
    ) -> dict[str, Any]:
        """Check out like a shopper (to collect at `pickup_location_id`, else shipped); raises ApiError(409) when
        stock + backorder limit cannot cover it."""
        with self.state.lock:
            store = self._store(store_hash)
            lines = []
            for item in products:
                line = dict(item)
                if line.get("product_id") is None and line.get("variant_id") in store.variants:
                    line["product_id"] = store.variants[line["variant_id"]]["product_id"]
                lines.append(line)
            order = orders.create_order(
                store,
                {
                    "products": lines,
                    "customer_id": customer_id,
                    "status_id": status_id,
                    "channel_id": channel_id,
                    **(
                        {"consignments": {"pickups": [{"location": {"id": pickup_location_id}}]}}
                        if pickup_location_id is not None
                        else {}
                    ),
                    "billing_address": {
                        "first_name": "Sandbox",
                        "last_name": "Shopper",
                        "email": email,
                        "street_1": "1 Loopback Way",
                        "city": "Austin",
                        "state": "Texas",
                        "zip": "78701",
                        "country": "United States",
                        "country_iso2": "US",
                    },
                },
            )
            # A storefront checkout converts the shopper's cart into the order.
            store.emit("store/cart/converted", {"type": "cart", "id": order["cart_id"], "orderId": order["id"]})
            return self._render_order(store, order)

    def _render_order(self, store: Store, order: dict[str, Any]) -> dict[str, Any]:
        rendered = orders.render_order(store, order, self.base_url)  # type: ignore[attr-defined]
        rendered["lines"] = [orders.render_line(line) for line in order["_lines"]]
        return rendered

    def get_order(self, store_hash: str, order_id: int) -> dict[str, Any]:
        with self.state.lock:
            store = self._store(store_hash)
            return self._render_order(store, orders.get_order(store, order_id))

    def ship_order(
        self, store_hash: str, order_id: int, items: list[dict[str, int]] | None = None, *, tracking_number: str = ""
    ) -> dict[str, Any]:
        """Ship the given `[{"order_product_id", "quantity"}]`, or everything still unshipped."""
        with self.state.lock:
            store = self._store(store_hash)
            order = orders.get_order(store, order_id)
            if items is None:
                items = [
                    {
                        "order_product_id": ln["id"],
                        "quantity": ln["quantity"] - ln["quantity_shipped"] - ln["quantity_refunded"],
                    }
                    for ln in order["_lines"]
                    if ln["quantity"] - ln["quantity_shipped"] - ln["quantity_refunded"] > 0
                ]
            body = {"order_address_id": order["_address"]["id"], "items": items, "tracking_number": tracking_number}
            return orders.create_shipment(store, order, body)

    def set_order_status(self, store_hash: str, order_id: int, status_id: int) -> dict[str, Any]:
        with self.state.lock:
            store = self._store(store_hash)
            order = orders.get_order(store, order_id)
            orders.set_status(store, order, status_id)
            return self._render_order(store, order)

    def add_customer_group(self, store_hash: str, name: str) -> dict[str, Any]:
        """A BigCommerce customer group (e.g. Wholesale)."""
        from stores.bigcommerce.sandbox.routes_marketing import add_customer_group

        with self.state.lock:
            return dict(add_customer_group(self._store(store_hash), name=name))

    def add_customer(
        self, store_hash: str, email: str, *, first_name: str = "Sandbox", last_name: str = "Shopper",
        customer_group_id: int = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """A shopper account (in a customer group, or in none: 0); orders placed with its `customer_id` are its."""
        from stores.bigcommerce.sandbox.routes_marketing import add_customer

        with self.state.lock:
            return dict(add_customer(self._store(store_hash), email=email, first_name=first_name,
                                     last_name=last_name, customer_group_id=customer_group_id))  # fmt: skip

    def customer(self, store_hash: str, customer_id: int) -> dict[str, Any]:
        with self.state.lock:
            return dict(self._store(store_hash).customers[customer_id])

    def receiver_url(self, name: str) -> str:
        """Where the app can send webhooks to be recorded by receiver `name` (receivers.py)."""
        return f"{self.base_url}/_sandbox/receivers/{name}"  # type: ignore[attr-defined]

    def receiver_configure(self, name: str, **settings: Any) -> dict[str, Any]:
        """`fail_times`, `fail_status`, `status`, `delay_ms` (see receivers.py)."""
        return self.receivers.configure(name, **settings)  # type: ignore[attr-defined]

    def receiver_requests(self, name: str) -> list[dict[str, Any]]:
        return self.receivers.requests(name)  # type: ignore[attr-defined]

    def restock(
        self,
        store_hash: str,
        *,
        quantity: int,
        variant_id: int | None = None,
        product_id: int | None = None,
        sku: str | None = None,
        relative: bool = False,
        location_id: int = 1,
    ) -> dict[str, Any]:
        """Change on-hand stock as the merchant would (fires the API-driven inventory webhooks)."""
        identity = {"variant_id": variant_id, "product_id": product_id, "sku": sku}
        with self.state.lock:
            store = self._store(store_hash)
            item = {
                "location_id": location_id,
                "quantity": quantity,
                **{k: v for k, v in identity.items() if v is not None},
            }
            inventory.adjust(store, [item], relative=relative)
            return inventory.location_item(store, inventory.resolve(store, identity), location_id)

    def inventory_item(self, store_hash: str, *, location_id: int = 1, **identity: Any) -> dict[str, Any]:
        with self.state.lock:
            store = self._store(store_hash)
            return inventory.location_item(store, inventory.resolve(store, identity), location_id)

    def set_backorder_limit(
        self, store_hash: str, limit: int | None, *, location_id: int = 1, **identity: Any
    ) -> dict[str, Any]:
        with self.state.lock:
            store = self._store(store_hash)
            inventory.update_settings(store, location_id, [{"identity": identity, "backorder_limit": limit}])
            return inventory.location_item(store, inventory.resolve(store, identity), location_id)

    def add_location(self, store_hash: str, label: str, *, code: str = "", **fields: Any) -> dict[str, Any]:
        """A new inventory location, as the merchant adds one (fires `store/inventory/location/created`)."""
        with self.state.lock:
            store = self._store(store_hash)
            code = code or f"LOCATION-{max(store.locations) + 1}"
            [location_id] = locations.locations_create(store, [{"label": label, "code": code, **fields}])
            return dict(store.locations[location_id])

    def update_location(self, store_hash: str, location_id: int, **fields: Any) -> dict[str, Any]:
        """Change a location (e.g. `enabled=False`; fires `store/inventory/location/updated`)."""
        with self.state.lock:
            store = self._store(store_hash)
            locations.locations_update(store, [{"id": location_id, **fields}])
            return dict(store.locations[location_id])

    def delete_location(self, store_hash: str, location_id: int) -> None:
        with self.state.lock:
            locations.locations_delete(self._store(store_hash), [location_id])

    # -- configuration and faults -------------------------------------------------------------------------

    def set_rate_limit(self, store_hash: str, *, quota: int, window_ms: int) -> None:
        with self.state.lock:
            limit = self._store(store_hash).rate_limit
            limit.quota, limit.window_ms, limit.used = quota, window_ms, 0
            limit.window_started = float("-inf")

    def set_faults(self, store_hash: str, **faults: int) -> dict[str, int]:
        """Fields: status_429, status_5xx, server_error_status, delay_ms, delay_requests (-1 = all), storm_reset_ms."""
        with self.state.lock:
            current = self._store(store_hash).faults
            for name, value in faults.items():
                if not hasattr(current, name):
                    raise ApiError(422, f"Unknown fault {name!r}")
                setattr(current, name, int(value))
            return current.as_dict()

    def set_store_settings(
        self,
        store_hash: str,
        *,
        backorders_enabled: bool | None = None,
        inventory_settings: dict[str, Any] | None = None,
        online_locations: list[int] | None = None,
    ) -> dict[str, Any]:
        """`online_locations`: the locations the storefront sells from (locations.py)."""
        with self.state.lock:
            store = self._store(store_hash)
            if backorders_enabled is not None:
                store.backorders_enabled = backorders_enabled
            if online_locations is not None:
                store.online_locations = [int(location_id) for location_id in online_locations]
            if inventory_settings:
                store.inventory_settings.update(inventory_settings)
            return self.store_summary(store_hash)

    # -- webhooks -----------------------------------------------------------------------------------------

    def flush_webhooks(self, timeout: float = 5.0) -> bool:
        return self.dispatcher.flush(timeout)

    def advance_webhook_clock(self, seconds: float) -> list[str]:
        return self.dispatcher.advance_clock(seconds)

    def webhook_deliveries(self, store_hash: str | None = None, scope: str | None = None) -> list[dict[str, Any]]:
        return self.dispatcher.list(store_hash=store_hash, scope=scope)

    def redeliver_webhook(self, message_id: str) -> None:
        self.dispatcher.redeliver(message_id)

    def duplicate_webhook(self, message_id: str, count: int = 1) -> list[str]:
        return self.dispatcher.duplicate(message_id, count)
