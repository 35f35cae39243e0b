"""Webhook subscriptions (/v3/hooks, §3.1) and storefront scripts (/v3/content/scripts, §7.1).

Both are scoped to the calling app (client_id): an app never sees another app's hooks or scripts.
Sandbox policy for unconfirmed limits: more than 10 hooks per scope, a second hook for the same scope and
destination, or an 11th script are refused with 422. Scripts follow the reference (scripts.v3.yml and the
Scripts API guide): `src` kinds carry no `html`; `script_tag` kinds carry no `src` and an `html` of at most
65,536 characters holding complete `<script>` tags, one to five ("up to five `<script>` tags in a single call").
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from stores.bigcommerce.sandbox.framework import ApiError, Ctx, Reply, Router, invalid, not_found, v3_page, v3_single
from stores.bigcommerce.sandbox.state import iso8601, utcnow

MAX_HOOKS_PER_SCOPE = 10
MAX_SCRIPTS_PER_APP = 10
MAX_SCRIPT_HTML = 65536
MAX_INLINE_SCRIPT_TAGS = 5

router = Router()


def _own_hooks(ctx: Ctx) -> list[dict[str, Any]]:
    return [h for h in ctx.store.hooks.values() if h["client_id"] == ctx.client_id]


def _validate_hook(ctx: Ctx, scope: Any, destination: Any, headers: Any, *, own_id: int | None = None) -> None:
    if not isinstance(scope, str) or not scope.startswith("store/"):
        raise invalid("JSON data is missing or invalid", scope="error.path.missing.")
    if not isinstance(destination, str) or not destination:
        raise invalid("JSON data is missing or invalid", destination="error.path.missing.")
    parts = urlsplit(destination)
    allowed = ("https",) if ctx.state.require_https_webhooks else ("https", "http")
    if parts.scheme not in allowed or not parts.hostname:
        raise invalid("JSON data is missing or invalid", destination="must be an https URL")
    if headers is not None and (not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values())):
        raise invalid("JSON data is missing or invalid", headers="must map header names to strings")
    same_scope = [h for h in _own_hooks(ctx) if h["scope"] == scope and h["id"] != own_id]
    if any(h["destination"] == destination for h in same_scope):
        raise invalid(
            "A webhook for this scope and destination already exists.",
            destination="duplicate scope and destination",
        )
    if len(same_scope) >= MAX_HOOKS_PER_SCOPE:
        raise invalid(f"The maximum of {MAX_HOOKS_PER_SCOPE} webhooks for scope {scope} has been reached.")


@router.add("POST", "/v3/hooks")
def create_hook(ctx: Ctx) -> Any:
    body = ctx.json_object()
    _validate_hook(ctx, body.get("scope"), body.get("destination"), body.get("headers"))
    now = int(time.time())
    hook = {
        "id": ctx.store.next_id("hook", 18048287),
        "client_id": ctx.client_id,
        "store_hash": ctx.store.store_hash,
        "scope": body["scope"],
        "destination": body["destination"],
        "is_active": bool(body.get("is_active", True)),
        "headers": body.get("headers"),
        "created_at": now,
        "updated_at": now,
    }
    ctx.store.hooks[hook["id"]] = hook
    return v3_single(hook)


@router.add("GET", "/v3/hooks")
def list_hooks(ctx: Ctx) -> Any:
    hooks = _own_hooks(ctx)
    if ctx.bool_param("is_active") is not None:
        hooks = [h for h in hooks if h["is_active"] == ctx.bool_param("is_active")]
    for name in ("scope", "destination"):
        if ctx.param(name):
            hooks = [h for h in hooks if h[name] == ctx.param(name)]
    return v3_page(ctx, hooks)


def _own_hook(ctx: Ctx) -> dict[str, Any]:
    hook = ctx.store.hooks.get(ctx.args["hook_id"])
    if hook is None or hook["client_id"] != ctx.client_id:
        raise not_found("Webhook not found.")
    return hook


@router.add("GET", "/v3/hooks/{hook_id:int}")
def get_hook(ctx: Ctx) -> Any:
    return v3_single(_own_hook(ctx))


@router.add("PUT", "/v3/hooks/{hook_id:int}")
def update_hook(ctx: Ctx) -> Any:
    hook = _own_hook(ctx)
    body = ctx.json_object()
    fields = {k: body[k] for k in ("scope", "destination", "is_active", "headers") if k in body}
    if not fields:
        raise invalid("At least one field must be updated", body="empty update")
    _validate_hook(
        ctx,
        fields.get("scope", hook["scope"]),
        fields.get("destination", hook["destination"]),
        fields.get("headers", hook["headers"]),
        own_id=hook["id"],
    )
    hook.update(fields)
    hook["updated_at"] = int(time.time())
    return v3_single(hook)


@router.add("DELETE", "/v3/hooks/{hook_id:int}")
def delete_hook(ctx: Ctx) -> Any:
    hook = _own_hook(ctx)
    del ctx.store.hooks[hook["id"]]
    return v3_single(hook)


# -- scripts ----------------------------------------------------------------------------------------------

SCRIPT_CHOICES = {
    "kind": ("src", "script_tag"),
    "load_method": ("default", "async", "defer"),
    "location": ("head", "footer"),
    "visibility": ("storefront", "all_pages", "checkout", "order_confirmation"),
    "consent_category": ("essential", "functional", "analytics", "targeting", "unknown"),
}
SCRIPT_FIELDS = (
    "name",
    "description",
    "html",
    "src",
    "auto_uninstall",
    "load_method",
    "location",
    "visibility",
    "kind",
    "consent_category",
    "enabled",
    "channel_id",
    "integrity_hashes",
)


def _validate_script(ctx: Ctx, script: dict[str, Any]) -> None:
    if not script.get("name"):
        raise invalid("JSON data is missing or invalid", name="error.path.missing.")
    for field, choices in SCRIPT_CHOICES.items():
        if script.get(field) not in choices:
            raise invalid("JSON data is missing or invalid", **{field: f"must be one of {', '.join(choices)}"})
    if script["kind"] == "src" and not script.get("src"):
        raise invalid("JSON data is missing or invalid", src="required when kind is src")
    if script["kind"] == "src" and script.get("html"):
        raise invalid("JSON data is missing or invalid", html="must be empty when kind is src")
    if script["kind"] == "script_tag":
        html = script.get("html") or ""
        opened = len(re.findall(r"<script\b", html, re.IGNORECASE))
        closed = len(re.findall(r"</script\s*>", html, re.IGNORECASE))
        if not 1 <= opened <= MAX_INLINE_SCRIPT_TAGS or closed != opened:
            raise invalid("JSON data is missing or invalid",
                          html=f"must hold one to {MAX_INLINE_SCRIPT_TAGS} complete <script> tags")  # fmt: skip
        if len(html) > MAX_SCRIPT_HTML:
            raise invalid("JSON data is missing or invalid", html=f"must be at most {MAX_SCRIPT_HTML} characters")
        if script.get("src"):
            raise invalid("JSON data is missing or invalid", src="must be empty when kind is script_tag")
    if script["channel_id"] not in ctx.store.channels:
        raise invalid("JSON data is missing or invalid", channel_id="unknown channel")
    if script["visibility"] in ("all_pages", "checkout") and "store_content_checkout" not in ctx.install.scopes:
        raise ApiError(403, "Scripts on checkout pages need the store_content_checkout scope.")


def _own_scripts(ctx: Ctx) -> list[dict[str, Any]]:
    return [s for s in ctx.store.scripts.values() if s["api_client_id"] == ctx.client_id]


@router.add("POST", "/v3/content/scripts", "content")
def create_script(ctx: Ctx) -> Any:
    body = ctx.json_object()
    if len(_own_scripts(ctx)) >= MAX_SCRIPTS_PER_APP:
        raise invalid(f"An app can create at most {MAX_SCRIPTS_PER_APP} scripts.")
    now = iso8601(utcnow())
    script = {
        "uuid": str(uuid.uuid4()),
        "name": "",
        "description": "",
        "html": "",
        "src": "",
        "auto_uninstall": False,
        "load_method": "default",
        "location": "footer",
        "visibility": "storefront",
        "kind": "src",
        "api_client_id": ctx.client_id,
        "consent_category": "unknown",
        "enabled": True,
        "channel_id": 1,
        "integrity_hashes": [],
        "date_created": now,
        "date_modified": now,
    }
    script.update({k: body[k] for k in SCRIPT_FIELDS if k in body})
    _validate_script(ctx, script)
    ctx.store.scripts[script["uuid"]] = script
    return v3_single(script)


@router.add("GET", "/v3/content/scripts", "content")
def list_scripts(ctx: Ctx) -> Any:
    scripts = _own_scripts(ctx)
    sort = ctx.param("sort")
    if sort in ("name", "description", "date_created", "date_modified"):
        scripts.sort(key=lambda s: s[sort], reverse=ctx.param("direction") == "desc")
    return v3_page(ctx, scripts)


def _own_script(ctx: Ctx) -> dict[str, Any]:
    script = ctx.store.scripts.get(ctx.args["uuid"])
    if script is None or script["api_client_id"] != ctx.client_id:
        raise not_found("Script not found.")
    return script


@router.add("GET", "/v3/content/scripts/{uuid}", "content")
def get_script(ctx: Ctx) -> Any:
    return v3_single(_own_script(ctx))


@router.add("PUT", "/v3/content/scripts/{uuid}", "content")
def update_script(ctx: Ctx) -> Any:
    script = _own_script(ctx)
    body = ctx.json_object()
    updated = dict(script, **{k: body[k] for k in SCRIPT_FIELDS if k in body})
    _validate_script(ctx, updated)
    updated["date_modified"] = iso8601(utcnow())
    script.update(updated)
    return v3_single(script)


@router.add("DELETE", "/v3/content/scripts/{uuid}", "content")
def delete_script(ctx: Ctx) -> Any:
    script = _own_script(ctx)
    del ctx.store.scripts[script["uuid"]]
    return Reply(204)
