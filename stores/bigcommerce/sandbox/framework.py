"""Routing, request context, errors, scopes and pagination shared by the sandbox route modules."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stores.bigcommerce.sandbox.state import Install, SandboxState, Store

PROBLEM_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"

# Route family -> (full scope, read-only scope). A route lists one or more families; any one suffices.
FAMILY_SCOPES: dict[str, tuple[str, str]] = {
    "products": ("store_v2_products", "store_v2_products_read_only"),
    "inventory": ("store_inventory", "store_inventory_read_only"),
    "locations": ("store_locations", "store_locations_read_only"),
    "orders": ("store_v2_orders", "store_v2_orders_read_only"),
    "transactions": ("store_v2_transactions", "store_v2_transactions_read_only"),
    "customers": ("store_v2_customers", "store_v2_customers_read_only"),
    "marketing": ("store_v2_marketing", "store_v2_marketing_read_only"),
    "content": ("store_v2_content", "store_v2_content_read_only"),
    "information": ("store_v2_information", "store_v2_information_read_only"),
    "channels": ("store_channel_settings", "store_channel_settings_read_only"),
}


class ApiError(Exception):
    """An error answer; rendered as v3 problem JSON or a v2 error array depending on the path."""

    def __init__(
        self,
        status: int,
        title: str,
        *,
        errors: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.errors = errors
        self.details = details
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self, version: str) -> Any:
        if version == "v2":
            item: dict[str, Any] = {"status": self.status, "message": self.title}
            if self.details is not None:
                item["details"] = self.details
            elif self.errors:
                item["details"] = {"errors": self.errors}
            return [item]
        body = {"status": self.status, "title": self.title, "type": PROBLEM_TYPE, "errors": self.errors or {}}
        if self.details is not None:
            body["details"] = self.details
        body.update(self.extra)
        return body


def not_found(what: str = "The requested resource was not found.") -> ApiError:
    return ApiError(404, what)


def invalid(title: str, **errors: Any) -> ApiError:
    return ApiError(422, title, errors=errors)


def too_large(max_items: int) -> ApiError:
    return ApiError(413, f"The request payload is too large. The maximum items allowed in the array is {max_items}.")


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    """One API request as seen by a route handler (which runs holding the state lock)."""

    state: SandboxState
    store: Store
    install: Install
    method: str
    version: str
    path: str
    query: dict[str, list[str]]
    body: Any
    args: dict[str, Any]
    base_url: str

    @property
    def client_id(self) -> str:
        return self.install.client_id

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_param(self, name: str, default: int | None = None) -> int | None:
        value = self.param(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise invalid(f"The filter '{name}' must be an integer.", **{name: "must be an integer"}) from None

    def list_param(self, name: str) -> list[str] | None:
        value = self.param(name)
        if value is None:
            return None
        return [part.strip() for part in value.split(",") if part.strip()]

    def int_list(self, name: str) -> list[int] | None:
        values = self.list_param(name)
        if values is None:
            return None
        try:
            return [int(v) for v in values]
        except ValueError:
            raise invalid(f"The filter '{name}' must be a list of integers.") from None

    def bool_param(self, name: str) -> bool | None:
        value = self.param(name)
        if value is None:
            return None
        return value.lower() in ("1", "true", "yes")

    def page_and_limit(self, default_limit: int, max_limit: int) -> tuple[int, int]:
        page = self.int_param("page", 1) or 1
        limit = self.int_param("limit", default_limit) or default_limit
        if page < 1 or limit < 1:
            raise invalid("page and limit must be positive integers.")
        # Sandbox policy (unconfirmed upstream): a limit above the endpoint maximum is refused, not clamped.
        if limit > max_limit:
            raise ApiError(413, f"The limit parameter cannot be greater than {max_limit}.")
        return page, limit

    def json_object(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise ApiError(422 if self.version == "v3" else 400, "JSON data is missing or invalid")
        return self.body

    def json_list(self) -> list[Any]:
        if not isinstance(self.body, list):
            raise ApiError(422 if self.version == "v3" else 400, "JSON data is missing or invalid")
        return self.body


def public(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop internal keys (prefixed '_') before rendering."""
    return {k: v for k, v in resource.items() if not k.startswith("_")}


def v3_single(data: Any) -> dict[str, Any]:
    return {"data": data, "meta": {}}


def v3_page(ctx: Ctx, items: list[Any], *, default_limit: int = 50, max_limit: int = 250) -> dict[str, Any]:
    page, limit = ctx.page_and_limit(default_limit, max_limit)
    total = len(items)
    total_pages = math.ceil(total / limit)
    chunk = items[(page - 1) * limit : page * limit]
    links = {"current": f"?page={page}&limit={limit}"}
    if page > 1:
        links["previous"] = f"?page={page - 1}&limit={limit}"
    if page < total_pages:
        links["next"] = f"?page={page + 1}&limit={limit}"
    pagination = {
        "total": total,
        "count": len(chunk),
        "per_page": limit,
        "current_page": page,
        "total_pages": total_pages,
        "links": links,
    }
    return {"data": chunk, "meta": {"pagination": pagination}}


def v2_page(ctx: Ctx, items: list[Any], *, default_limit: int = 50, max_limit: int = 250) -> Reply:
    page, limit = ctx.page_and_limit(default_limit, max_limit)
    chunk = items[(page - 1) * limit : page * limit]
    # BigCommerce v2 answers an empty page with 204 and no body.
    return Reply(200, chunk) if chunk else Reply(204, None)


Handler = Callable[[Ctx], Any]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    families: tuple[str, ...]
    write: bool


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, families: str | tuple[str, ...] = (), *, write: bool | None = None):
        """Decorator registering `handler` for `METHOD /v3/path/{name}` (`{name:int}` converts to int)."""

        def register(handler: Handler) -> Handler:
            regex = re.sub(r"\{(\w+):int\}", r"(?P<\1>\\d+)", template)
            regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
            fams = (families,) if isinstance(families, str) else tuple(families)
            self.routes.append(
                Route(
                    method,
                    re.compile(f"^{regex}$"),
                    handler,
                    fams,
                    method != "GET" if write is None else write,
                )
            )
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, Any], bool]:
        """Return (route, args, path_exists); path_exists tells 405 from 404."""
        path_exists = False
        for route in self.routes:
            found = route.pattern.match(path)
            if not found:
                continue
            path_exists = True
            if route.method == method:
                args = {
                    k: int(v) if v.isdigit() and f"(?P<{k}>\\d+)" in route.pattern.pattern else v
                    for k, v in found.groupdict().items()
                }
                return route, args, True
        return None, {}, path_exists


def scope_allows(route: Route, scopes: frozenset[str]) -> bool:
    if not route.families:
        return True
    for family in route.families:
        full, read_only = FAMILY_SCOPES[family]
        if full in scopes or (not route.write and read_only in scopes):
            return True
    return False
