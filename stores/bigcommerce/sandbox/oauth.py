"""Login host: OAuth code exchange (§2.3) and signed_payload_jwt minting (§2.4).

Sandbox policy for unconfirmed details: codes are single-use and expire after `code_ttl` seconds; errors
are `{"error", "error_description"}` with 401 for client problems (unknown client, wrong secret) and 400
for grant problems (bad, used or expired code, context or redirect_uri mismatch).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from stores.bigcommerce.sandbox.state import AuthCode, SandboxState, Store


def issue_code(state: SandboxState, store: Store, *, client_id: str, scopes: tuple[str, ...], user_id: int) -> str:
    code = secrets.token_hex(8)
    state.codes[code] = AuthCode(
        code=code,
        store_hash=store.store_hash,
        client_id=client_id,
        scopes=scopes,
        user_id=user_id,
        expires_at=state.clock() + state.code_ttl,
    )
    return code


def _error(status: int, error: str, description: str) -> tuple[int, dict[str, str]]:
    return status, {"error": error, "error_description": description}


def parse_token_request(raw: bytes, content_type: str) -> dict[str, Any]:
    """Accept JSON (the documented form) and form bodies (what the official Python client posts)."""
    text = raw.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            body = json.loads(text or "{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))


def exchange_code(state: SandboxState, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """`POST /oauth2/token`; called holding the state lock."""
    app = state.apps.get(str(body.get("client_id") or ""))
    if app is None:
        return _error(401, "invalid_client", "Unknown client_id.")
    if not hmac.compare_digest(str(body.get("client_secret") or ""), app.client_secret):
        return _error(401, "invalid_client", "Invalid client credentials.")
    if body.get("grant_type") != "authorization_code":
        return _error(400, "unsupported_grant_type", "grant_type must be authorization_code.")
    code = state.codes.get(str(body.get("code") or ""))
    if code is None or code.client_id != app.client_id:
        return _error(400, "invalid_grant", "The authorization code is invalid.")
    if code.used:
        return _error(400, "invalid_grant", "The authorization code has already been used.")
    if state.clock() > code.expires_at:
        return _error(400, "invalid_grant", "The authorization code has expired.")
    if body.get("context") != f"stores/{code.store_hash}":
        return _error(400, "invalid_grant", "The context does not match the authorization code.")
    if body.get("redirect_uri") != app.auth_callback_url:
        return _error(400, "invalid_grant", "The redirect_uri does not match the registered callback URL.")
    code.used = True
    store = state.stores[code.store_hash]
    token = state.issue_token(store, client_id=app.client_id, scopes=code.scopes, user_id=code.user_id)
    user = store.users[code.user_id]
    owner = store.owner
    return 200, {
        "access_token": token,
        "scope": " ".join(code.scopes),
        "user": {"id": user["id"], "username": user["username"], "email": user["email"]},
        "owner": {"id": owner["id"], "username": owner["username"], "email": owner["email"]},
        "context": f"stores/{store.store_hash}",
        "account_uuid": app.account_uuid,
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_jwt(claims: dict[str, Any], secret: str) -> str:
    """HS256 JWS in compact form with the header {"typ":"JWT","alg":"HS256"} (stdlib only)."""
    header = _b64url(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


def jwt_claims(
    *,
    client_id: str,
    store: Store,
    user: dict[str, Any],
    iat: int | None = None,
    url: str = "/",
    channel_id: int | None = None,
    jti: str | None = None,
) -> dict[str, Any]:
    """Claims in BigCommerce's order: nbf = iat - 5 (as in their examples), exp = iat + 24 h."""
    iat = int(time.time()) if iat is None else iat
    owner = store.owner
    return {
        "aud": client_id,
        "iss": "bc",
        "iat": iat,
        "nbf": iat - 5,
        "exp": iat + 86400,
        "jti": jti or str(uuid.uuid4()),
        "sub": f"stores/{store.store_hash}",
        "user": {"id": user["id"], "email": user["email"], "locale": user.get("locale", "en-US")},
        "owner": {"id": owner["id"], "email": owner["email"]},
        "url": url,
        "channel_id": channel_id,
    }


CURRENT_CUSTOMER_SECONDS = 15 * 60  # "Current customer tokens are valid for 15 minutes" (current-customer.mdx)


def current_customer_claims(*, client_id: str, store: Store, customer: dict[str, Any], iat: int | None = None) -> dict:
    """Claims of a Current Customer token as BigCommerce's docs show them (`reference/current_customer.yml`):
    the customer's id, e-mail and group (`group_id` a string, "0" for no group), `iss` "bc/apps", `sub` and
    `store_hash` the store, `aud` the app's client id, valid 15 minutes."""
    iat = int(time.time()) if iat is None else iat
    return {
        "customer": {
            "id": customer["id"],
            "email": customer["email"],
            "group_id": str(customer.get("customer_group_id") or 0),
        },
        "iss": "bc/apps",
        "sub": store.store_hash,
        "iat": iat,
        "exp": iat + CURRENT_CUSTOMER_SECONDS,
        "version": 1,
        "aud": client_id,
        "application_id": client_id,
        "store_hash": store.store_hash,
        "operation": "current_customer",
    }
