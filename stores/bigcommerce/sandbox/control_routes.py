"""HTTP control API under `/_sandbox/` (JSON in, JSON out) mapping onto `ControlMixin` methods.

All paths are below `/_sandbox`; `{hash}` is a store hash.

    GET  /health                                      {"ok": true, "base_url"}
    GET  /stores        POST /stores                  {store_hash?, name?, owner_email?, seed?, products?,
                                                       backorders_enabled?} -> store summary
    GET  /stores/{hash}                               store summary
    POST /stores/{hash}/seed                          {seed?, products?}
    POST /stores/{hash}/token                         {scopes?, client_id?} -> {"access_token"} (no OAuth dance)
    POST /stores/{hash}/users | /channels             {email} | {name}
    POST /stores/{hash}/install                       {scopes?, user_id?, external?, perform?=true}
    POST /stores/{hash}/load                          {user_id?, url?, channel_id?, perform?=true}
    POST /stores/{hash}/uninstall | /remove-user      {client_id?} | {user_id}
    POST /stores/{hash}/orders                        {products, email?, status_id?, customer_id?, channel_id?}
    GET  /stores/{hash}/orders/{id}                   the order with its `lines`
    POST /stores/{hash}/orders/{id}/ship | /status    {items?, tracking_number?} | {status_id}
    POST /stores/{hash}/customer-groups | /customers  {name} | {email, first_name?, last_name?, customer_group_id?}
    POST /stores/{hash}/restock                       {variant_id | product_id | sku, quantity, relative?, location_id?}
    GET  /stores/{hash}/inventory                     ?variant_id= | product_id= | sku= [&location_id=]
    POST /stores/{hash}/backorder-limit               {variant_id | product_id | sku, limit, location_id?}
    POST /stores/{hash}/locations                     {label, code?, enabled?, ...} -> the location
    PUT|DELETE /stores/{hash}/locations/{id}          {enabled?, label?, ...} | -
    PUT  /stores/{hash}/rate-limit | /faults | /settings   see the ControlMixin methods
    GET  /webhooks                                    ?store_hash=&scope= -> deliveries with their attempts
    POST /webhooks/flush | /advance-clock             {timeout?} | {seconds}
    POST /webhooks/{id}/redeliver | /duplicate        {} | {count?}
    GET  /install-results                             results reported to /app/{client_id}/install/...
    POST|GET|PUT|DELETE /receivers/{name}             a webhook receiver: record | list | configure | reset
                                                      (receivers.py; `fail_times`, `fail_status`, `delay_ms`)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from stores.bigcommerce.sandbox.framework import ApiError, Reply

if TYPE_CHECKING:
    from stores.bigcommerce.sandbox.server import SandboxServer

IDENTITY = ("variant_id", "product_id", "sku")
Operation = Callable[..., Any]
_routes: list[tuple[str, re.Pattern[str], Operation]] = []


def route(method: str, template: str) -> Callable[[Operation], Operation]:
    regex = re.compile("^/_sandbox" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")

    def register(operation: Operation) -> Operation:
        _routes.append((method, regex, operation))
        return operation

    return register


def handle(sandbox: SandboxServer, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> Reply:
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return Reply(400, {"status": 400, "title": "Body is not JSON"})
    params = {k: v[-1] for k, v in query.items()}
    for route_method, regex, operation in _routes:
        found = regex.match(path)
        if found and route_method == method:
            try:
                result = operation(sandbox, body if isinstance(body, dict) else {}, params, **found.groupdict())
            except ApiError as error:
                return Reply(error.status, error.body("v3"))
            except KeyError as error:
                return Reply(404, {"status": 404, "title": f"Not found: {error}"})
            except (TypeError, ValueError) as error:
                return Reply(400, {"status": 400, "title": str(error)})
            return result if isinstance(result, Reply) else Reply(200, result)
    return Reply(404, {"status": 404, "title": f"No control route for {method} {path}"})


def _pick(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: body[k] for k in names if k in body}


@route("GET", "/health")
def health(sb: SandboxServer, body: dict, params: dict) -> Any:
    return {"ok": True, "base_url": sb.base_url}


@route("GET", "/stores")
def list_stores(sb: SandboxServer, body: dict, params: dict) -> Any:
    return [sb.store_summary(h) for h in list(sb.state.stores)]


@route("POST", "/stores")
def create_store(sb: SandboxServer, body: dict, params: dict) -> Any:
    kwargs = _pick(body, "name", "owner_email", "seed", "products", "backorders_enabled")
    return Reply(201, sb.create_store(body.get("store_hash"), **kwargs))


@route("GET", "/stores/{store_hash}")
def get_store(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return sb.store_summary(store_hash)


@route("POST", "/stores/{store_hash}/seed")
def seed_store(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return sb.seed_store(store_hash, **_pick(body, "seed", "products"))


@route("POST", "/stores/{store_hash}/token")
def issue_token(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return {"access_token": sb.issue_token(store_hash, **_pick(body, "scopes", "client_id", "user_id"))}


@route("POST", "/stores/{store_hash}/users")
def add_user(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return Reply(201, sb.add_user(store_hash, body["email"]))


@route("POST", "/stores/{store_hash}/channels")
def add_channel(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return Reply(201, sb.add_channel(store_hash, body["name"]))


@route("POST", "/stores/{store_hash}/install")
def install(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    kwargs = _pick(body, "scopes", "user_id", "external", "client_id")
    if body.get("perform", True):
        return sb.install(store_hash, **kwargs)
    return {"auth_url": sb.begin_install(store_hash, **kwargs)}


@route("POST", "/stores/{store_hash}/load")
def load(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    kwargs = _pick(body, "user_id", "url", "channel_id", "client_id")
    if body.get("perform", True):
        return sb.load(store_hash, **kwargs)
    return {"url": sb.callback_url(store_hash, "load", **kwargs)}


@route("POST", "/stores/{store_hash}/uninstall")
def uninstall(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return sb.uninstall(store_hash, **_pick(body, "client_id"))


@route("POST", "/stores/{store_hash}/remove-user")
def remove_user(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return sb.remove_user(store_hash, int(body["user_id"]), **_pick(body, "client_id"))


@route("POST", "/stores/{store_hash}/orders")
def place_order(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    kwargs = _pick(body, "email", "customer_id", "status_id", "channel_id", "pickup_location_id")
    return Reply(201, sb.place_order(store_hash, body["products"], **kwargs))


@route("GET", "/stores/{store_hash}/orders/{order_id}")
def get_order(sb: SandboxServer, body: dict, params: dict, store_hash: str, order_id: str) -> Any:
    return sb.get_order(store_hash, int(order_id))


@route("POST", "/stores/{store_hash}/orders/{order_id}/ship")
def ship_order(sb: SandboxServer, body: dict, params: dict, store_hash: str, order_id: str) -> Any:
    return Reply(201, sb.ship_order(store_hash, int(order_id), body.get("items"), **_pick(body, "tracking_number")))


@route("POST", "/stores/{store_hash}/orders/{order_id}/status")
def set_status(sb: SandboxServer, body: dict, params: dict, store_hash: str, order_id: str) -> Any:
    return sb.set_order_status(store_hash, int(order_id), int(body["status_id"]))


@route("POST", "/stores/{store_hash}/customer-groups")
def add_customer_group(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return Reply(201, sb.add_customer_group(store_hash, str(body["name"])))


@route("POST", "/stores/{store_hash}/customers")
def add_customer(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    kwargs = _pick(body, "first_name", "last_name")
    if body.get("customer_group_id") is not None:
        kwargs["customer_group_id"] = int(body["customer_group_id"])
    return Reply(201, sb.add_customer(store_hash, str(body["email"]), **kwargs))


def _identity(source: dict[str, Any]) -> dict[str, Any]:
    return {k: (source[k] if k == "sku" else int(source[k])) for k in IDENTITY if source.get(k) not in (None, "")}


@route("POST", "/stores/{store_hash}/restock")
def restock(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return sb.restock(
        store_hash, quantity=int(body["quantity"]), relative=bool(body.get("relative")),
        location_id=int(body.get("location_id") or 1), **_identity(body),
    )  # fmt: skip


@route("GET", "/stores/{store_hash}/inventory")
def get_inventory(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return sb.inventory_item(store_hash, location_id=int(params.get("location_id") or 1), **_identity(params))


@route("POST", "/stores/{store_hash}/backorder-limit")
def set_backorder_limit(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return sb.set_backorder_limit(
        store_hash, body.get("limit"), location_id=int(body.get("location_id") or 1), **_identity(body)
    )


@route("POST", "/stores/{store_hash}/locations")
def add_location(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return Reply(201, sb.add_location(store_hash, str(body.pop("label")), **body))


@route("PUT", "/stores/{store_hash}/locations/{location_id}")
def update_location(sb: SandboxServer, body: dict, params: dict, store_hash: str, location_id: str) -> Any:
    return sb.update_location(store_hash, int(location_id), **body)


@route("DELETE", "/stores/{store_hash}/locations/{location_id}")
def delete_location(sb: SandboxServer, body: dict, params: dict, store_hash: str, location_id: str) -> Any:
    sb.delete_location(store_hash, int(location_id))
    return Reply(204)


@route("PUT", "/stores/{store_hash}/rate-limit")
def set_rate_limit(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    sb.set_rate_limit(store_hash, quota=int(body["quota"]), window_ms=int(body["window_ms"]))
    return sb.store_summary(store_hash)["rate_limit"]


@route("PUT", "/stores/{store_hash}/faults")
def set_faults(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return sb.set_faults(store_hash, **body)


@route("PUT", "/stores/{store_hash}/settings")
def set_settings(sb: SandboxServer, body: dict, params: dict, store_hash: str) -> Any:
    return sb.set_store_settings(
        store_hash, **_pick(body, "backorders_enabled", "inventory_settings", "online_locations")
    )


@route("GET", "/webhooks")
def deliveries(sb: SandboxServer, body: dict, params: dict) -> Any:
    return sb.webhook_deliveries(params.get("store_hash"), params.get("scope"))


@route("POST", "/webhooks/flush")
def flush(sb: SandboxServer, body: dict, params: dict) -> Any:
    return {"flushed": sb.flush_webhooks(float(body.get("timeout", 5)))}


@route("POST", "/webhooks/advance-clock")
def advance_clock(sb: SandboxServer, body: dict, params: dict) -> Any:
    return {"queued": sb.advance_webhook_clock(float(body["seconds"]))}


@route("POST", "/webhooks/{message_id}/redeliver")
def redeliver(sb: SandboxServer, body: dict, params: dict, message_id: str) -> Any:
    sb.redeliver_webhook(message_id)
    return {"queued": [message_id]}


@route("POST", "/webhooks/{message_id}/duplicate")
def duplicate(sb: SandboxServer, body: dict, params: dict, message_id: str) -> Any:
    return {"queued": sb.duplicate_webhook(message_id, int(body.get("count", 1)))}


@route("GET", "/install-results")
def install_results(sb: SandboxServer, body: dict, params: dict) -> Any:
    with sb.state.lock:
        return list(sb.state.external_install_results)
