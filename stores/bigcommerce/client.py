"""HTTP client for BigCommerce's REST APIs (v2 and v3) and the login host.

`BigCommerceClient.request()` returns BigCommerce's parsed JSON exactly as sent: v3 bodies keep their
`{"data", "meta"}` envelope, v2 bodies are bare objects or arrays, and 204 gives None. `get_data()`
unwraps a v3 single resource; `iter_v3()` / `iter_v2()` walk every page of a collection.

Retries (see `_retryable`):
- GET/PUT/DELETE are retried on connection errors, timeouts and 5xx with exponential backoff + jitter.
- POST is not idempotent on BigCommerce (orders, relative inventory adjustments), so it is retried only
  when the request provably never left this process (connection refused / connect timeout).
- 429 is retried for every method (BigCommerce rejected it without acting) after waiting
  `X-Rate-Limit-Time-Reset-Ms`, else `X-Retry-After`, else the backoff delay.
- When `X-Rate-Limit-Requests-Left` drops to `min_requests_left`, the client sleeps until the window resets
  so that it never causes a 429 on purpose (the quota is shared by every app on the store).

The access token travels only in the `X-Auth-Token` header: it is never logged, never part of an exception
message and masked in `repr()`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from stores.bigcommerce import errors

logger = logging.getLogger("stores.bigcommerce.client")

DEFAULT_API_URL = "https://api.bigcommerce.com"
DEFAULT_LOGIN_URL = "https://login.bigcommerce.com"

# Documented per-request limits (research/bigcommerce.md §4.1, §5.1, §11.6).
PRODUCT_BATCH_LIMIT = 10
VARIANT_BATCH_LIMIT = 50
INVENTORY_BATCH_LIMIT = 2000
CATALOG_PAGE_LIMIT = 250
INVENTORY_PAGE_LIMIT = 1000
V2_PAGE_LIMIT = 250

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
MASK = "[masked]"


def _setting(name: str, default: str) -> str:
    """Read a Django setting when Django is configured; the client also works without Django."""
    try:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured
    except ImportError:
        return default
    try:
        return getattr(settings, name, None) or default
    except ImproperlyConfigured:
        return default


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Split `items` into lists of at most `size` (e.g. PRODUCT_BATCH_LIMIT) for batch endpoints."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class RateLimitStatus:
    """The four X-Rate-Limit-* headers of the last response (None when absent)."""

    requests_left: int | None
    requests_quota: int | None
    time_reset_ms: int | None
    time_window_ms: int | None

    @classmethod
    def from_headers(cls, headers: Any) -> RateLimitStatus:
        def as_int(name: str) -> int | None:
            value = headers.get(name)
            try:
                return int(value) if value is not None else None
            except ValueError:
                return None

        return cls(
            requests_left=as_int("X-Rate-Limit-Requests-Left"),
            requests_quota=as_int("X-Rate-Limit-Requests-Quota"),
            time_reset_ms=as_int("X-Rate-Limit-Time-Reset-Ms"),
            time_window_ms=as_int("X-Rate-Limit-Time-Window-Ms"),
        )


class BigCommerceClient:
    """One store's REST API (`{api_url}/stores/{store_hash}` + `/v2/...` or `/v3/...` paths)."""

    def __init__(
        self,
        *,
        store_hash: str,
        access_token: str,
        api_url: str | None = None,
        timeout: float | tuple[float, float] = (3.05, 20),
        max_retries: int = 4,
        rate_limit_retries: int = 10,
        min_requests_left: int = 2,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        if not store_hash or not access_token:
            raise ValueError("store_hash and access_token are required")
        self.store_hash = store_hash
        self._access_token = access_token
        self.api_url = (api_url or _setting("BIGCOMMERCE_API_URL", DEFAULT_API_URL)).rstrip("/")
        self.base_url = f"{self.api_url}/stores/{store_hash}"
        self.timeout = timeout
        self.max_retries = max_retries
        self.rate_limit_retries = rate_limit_retries
        self.min_requests_left = min_requests_left
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.sleep = sleep
        self.last_rate_limit: RateLimitStatus | None = None
        self.requests_made = 0  # every HTTP request sent, retries included (for sync reports)
        self.session = session or requests.Session()
        self.session.headers.update(
            {
                "X-Auth-Token": access_token,
                "Accept": "application/json",
                "Content-Type": "application/json",
            }
        )

    def __repr__(self) -> str:
        return f"BigCommerceClient(store_hash={self.store_hash!r}, api_url={self.api_url!r}, access_token={MASK!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> BigCommerceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- public API ------------------------------------------------------------------------------------

    def get(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, *, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        return self.request("POST", path, params=params, json=json)

    def put(self, path: str, *, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        return self.request("PUT", path, params=params, json=json)

    def delete(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        return self.request("DELETE", path, params=params)

    def get_data(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        """GET a v3 resource and return its `data` member."""
        body = self.get(path, params=params)
        return body.get("data") if isinstance(body, dict) else body

    def iter_v3(self, path: str, params: dict[str, Any] | None = None, *, limit: int = 250) -> Iterator[Any]:
        """Yield every item of a v3 collection, following `meta.pagination` to the last page."""
        query = dict(params or {})
        query["limit"] = limit
        page = 1
        while True:
            query["page"] = page
            body = self.get(path, params=query)
            if not isinstance(body, dict):
                return
            yield from body.get("data") or []
            pagination = (body.get("meta") or {}).get("pagination") or {}
            total_pages = pagination.get("total_pages") or 0
            current = pagination.get("current_page") or page
            if current >= total_pages:
                return
            page = current + 1

    def iter_v2(self, path: str, params: dict[str, Any] | None = None, *, limit: int = 250) -> Iterator[Any]:
        """Yield every item of a v2 list; BigCommerce answers 204 (no body) past the last page."""
        query = dict(params or {})
        query["limit"] = limit
        page = 1
        while True:
            query["page"] = page
            rows = self.get(path, params=query)
            if not rows:
                return
            yield from rows
            if len(rows) < limit:
                return
            page += 1

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        """Send one call (with retries) and return the parsed JSON body, or None for an empty body."""
        method = method.upper()
        if not path.startswith("/"):
            path = "/" + path
        url = self.base_url + path
        failures = 0
        rate_limited = 0
        while True:
            started = time.monotonic()
            self.requests_made += 1
            try:
                response = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
            except requests.RequestException as exc:
                elapsed_ms = (time.monotonic() - started) * 1000
                if failures < self.max_retries and self._retryable_exception(method, exc):
                    failures += 1
                    delay = self._backoff(failures)
                    logger.warning(
                        "bigcommerce %s %s failed (%s) after %.0fms; retry %d in %.2fs",
                        method,
                        path,
                        type(exc).__name__,
                        elapsed_ms,
                        failures,
                        delay,
                        extra={"store_hash": self.store_hash},
                    )
                    self.sleep(delay)
                    continue
                raise self._connection_error(method, path, exc) from None
            elapsed_ms = (time.monotonic() - started) * 1000
            status = response.status_code
            self.last_rate_limit = RateLimitStatus.from_headers(response.headers)
            logger.info(
                "bigcommerce %s %s -> %s in %.0fms (rate-limit left %s)",
                method,
                path,
                status,
                elapsed_ms,
                self.last_rate_limit.requests_left,
                extra={"store_hash": self.store_hash},
            )

            if status == 429:
                if rate_limited < self.rate_limit_retries:
                    rate_limited += 1
                    delay = self._rate_limit_wait(response, rate_limited)
                    logger.warning(
                        "bigcommerce %s %s rate limited; waiting %.2fs (wait %d)",
                        method,
                        path,
                        delay,
                        rate_limited,
                        extra={"store_hash": self.store_hash},
                    )
                    self.sleep(delay)
                    continue
                raise self._http_error(method, path, response)
            if status >= 500:
                if failures < self.max_retries and method in IDEMPOTENT_METHODS:
                    failures += 1
                    delay = self._backoff(failures)
                    logger.warning(
                        "bigcommerce %s %s -> %s; retry %d in %.2fs",
                        method,
                        path,
                        status,
                        failures,
                        delay,
                        extra={"store_hash": self.store_hash},
                    )
                    self.sleep(delay)
                    continue
                raise self._http_error(method, path, response)
            if status >= 400:
                raise self._http_error(method, path, response)

            self._respect_quota(method, path)
            return _parse_body(response)

    # -- internals -------------------------------------------------------------------------------------

    def _retryable_exception(self, method: str, exc: requests.RequestException) -> bool:
        if not isinstance(exc, requests.ConnectionError | requests.Timeout):
            return False
        return method in IDEMPOTENT_METHODS or _never_sent(exc)

    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        # Jitter spreads the retries of many workers hitting the same store at once.
        return delay * (0.5 + random.random() / 2)

    def _rate_limit_wait(self, response: requests.Response, attempt: int) -> float:
        reset_ms = response.headers.get("X-Rate-Limit-Time-Reset-Ms")
        retry_after = response.headers.get("X-Retry-After")
        try:
            if reset_ms is not None:
                return max(0.0, int(reset_ms) / 1000)
            if retry_after is not None:
                return max(0.0, float(retry_after))
        except ValueError:
            pass
        # A 429 without headers means platform overload rather than our quota: back off.
        return self._backoff(attempt)

    def _respect_quota(self, method: str, path: str) -> None:
        status = self.last_rate_limit
        if not status or status.requests_left is None or not status.time_reset_ms:
            return
        if status.requests_left <= self.min_requests_left:
            delay = status.time_reset_ms / 1000
            logger.info(
                "bigcommerce quota nearly used (%s left); sleeping %.2fs after %s %s",
                status.requests_left,
                delay,
                method,
                path,
                extra={"store_hash": self.store_hash},
            )
            self.sleep(delay)

    def _scrub(self, text: str) -> str:
        return text.replace(self._access_token, MASK) if text else text

    def _http_error(self, method: str, path: str, response: requests.Response) -> errors.BigCommerceError:
        message, details = _error_message_and_details(response)
        cls = errors.error_class_for_status(response.status_code)
        kwargs: dict[str, Any] = {
            "status": response.status_code,
            "details": details,
            "method": method,
            "path": path,
        }
        if cls is errors.RateLimitedError:
            status = RateLimitStatus.from_headers(response.headers)
            kwargs["retry_after"] = status.time_reset_ms / 1000 if status.time_reset_ms is not None else None
        return cls(self._scrub(message), **kwargs)

    def _connection_error(self, method: str, path: str, exc: Exception) -> errors.BigCommerceError:
        cls = errors.RequestTimeoutError if isinstance(exc, requests.Timeout) else errors.ConnectionFailedError
        return cls(self._scrub(f"{type(exc).__name__}: {exc}"), method=method, path=path)


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached BigCommerce, so even a POST may be retried."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _parse_body(response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _error_message_and_details(response: requests.Response) -> tuple[str, Any]:
    """Normalise v3 problem JSON, v2 error arrays and OAuth error bodies."""
    try:
        body = response.json()
    except ValueError:
        return (response.text[:200] or response.reason or "error"), {}
    if isinstance(body, list) and body and isinstance(body[0], dict):
        first = body[0]
        return str(first.get("message") or response.reason), first.get("details") or {}
    if isinstance(body, dict):
        message = body.get("title") or body.get("message") or body.get("error_description") or body.get("error")
        details = {k: body[k] for k in ("errors", "batch_errors", "error", "type") if k in body}
        if isinstance(body.get("details"), dict):
            details.update(body["details"])
        return str(message or response.reason), details
    return (response.reason or "error"), {}


# -- login host -----------------------------------------------------------------------------------------


def exchange_auth_code(
    *,
    code: str,
    scope: str,
    context: str,
    redirect_uri: str,
    client_id: str | None = None,
    client_secret: str | None = None,
    login_url: str | None = None,
    timeout: float | tuple[float, float] = (3.05, 20),
    session: requests.Session | None = None,
) -> dict[str, Any]:
    """Exchange the auth callback's one-time `code` for a permanent token (`POST /oauth2/token`).

    Returns BigCommerce's JSON (`access_token`, `scope`, `user`, `owner`, `context`, `account_uuid`;
    the last two may be missing on older stores). Not retried: a code is single-use.
    """
    client_id = client_id or _setting("BIGCOMMERCE_CLIENT_ID", "")
    client_secret = client_secret or _setting("BIGCOMMERCE_CLIENT_SECRET", "")
    login_url = (login_url or _setting("BIGCOMMERCE_LOGIN_URL", DEFAULT_LOGIN_URL)).rstrip("/")
    payload = {
        "client_id": client_id,
        "client_secret": client_secret,
        "code": code,
        "context": context,
        "scope": scope,
        "grant_type": "authorization_code",
        "redirect_uri": redirect_uri,
    }
    http = session or requests
    path = "/oauth2/token"
    started = time.monotonic()
    try:
        response = http.post(login_url + path, json=payload, timeout=timeout, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        cls = errors.RequestTimeoutError if isinstance(exc, requests.Timeout) else errors.ConnectionFailedError
        raise cls(f"{type(exc).__name__} during token exchange", method="POST", path=path) from None
    logger.info(
        "bigcommerce POST %s -> %s in %.0fms (context %s)",
        path,
        response.status_code,
        (time.monotonic() - started) * 1000,
        context,
    )
    if response.status_code != 200:
        message, details = _error_message_and_details(response)
        message = message.replace(client_secret, MASK) if client_secret else message
        raise errors.TokenExchangeError(
            message,
            error=details.get("error") if isinstance(details, dict) else None,
            status=response.status_code,
            details=details,
            method="POST",
            path=path,
        )
    try:
        body = response.json()
    except ValueError:
        raise errors.TokenExchangeError(
            "token endpoint returned invalid JSON", status=200, method="POST", path=path
        ) from None
    if not isinstance(body, dict) or not body.get("access_token"):
        raise errors.TokenExchangeError("token response has no access_token", status=200, method="POST", path=path)
    return body


def notify_external_install(
    result: str,
    *,
    client_id: str | None = None,
    login_url: str | None = None,
    timeout: float | tuple[float, float] = (3.05, 10),
    session: requests.Session | None = None,
) -> int:
    """Tell the login host how an install started from its marketplace page ended; returns the status."""
    if result not in ("succeeded", "failed"):
        raise ValueError("result must be 'succeeded' or 'failed'")
    client_id = client_id or _setting("BIGCOMMERCE_CLIENT_ID", "")
    login_url = (login_url or _setting("BIGCOMMERCE_LOGIN_URL", DEFAULT_LOGIN_URL)).rstrip("/")
    path = f"/app/{client_id}/install/{result}"
    http = session or requests
    try:
        response = http.get(login_url + path, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        cls = errors.RequestTimeoutError if isinstance(exc, requests.Timeout) else errors.ConnectionFailedError
        raise cls(f"{type(exc).__name__} notifying install result", method="GET", path=path) from None
    logger.info("bigcommerce GET %s -> %s", path, response.status_code)
    return response.status_code
