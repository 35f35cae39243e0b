"""Typed errors raised by the BigCommerce API client.

Every error carries the HTTP `status` (None when no response arrived), a human `message` taken from
BigCommerce's body, the parsed `details`, and the `method`/`path` of the call. Secrets never appear in
them: the client scrubs the access token out of every message it builds.
"""

from __future__ import annotations

from typing import Any


class BigCommerceError(Exception):
    """Base class: a call to BigCommerce did not succeed."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        details: Any = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details if details is not None else {}
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f"{self.method} {self.path}" if self.method and self.path else "request"
        status = f" -> {self.status}" if self.status is not None else ""
        return f"BigCommerce {where}{status}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r}, path={self.path!r})"


class ClientError(BigCommerceError):
    """A 4xx answer that has no more specific class (405, 415, ...)."""


class AuthenticationError(ClientError):
    """401: the access token is missing, wrong or revoked (e.g. the app was uninstalled)."""


class ForbiddenScopeError(ClientError):
    """403: the token lacks the OAuth scope this endpoint needs."""


class NotFoundError(ClientError):
    """404: the resource (or the store) does not exist."""


class ConflictError(ClientError):
    """409: duplicate resource or, for orders, quantities beyond stock + backorder limit.

    `out_of_stock` lists BigCommerce's OutOfStock entries, each a dict with `variant_id`, `location_id`,
    `available_quantity`, `available_quantity_for_backorder` and `message`.
    """

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        errors = self.details.get("errors", []) if isinstance(self.details, dict) else []
        self.out_of_stock: list[dict[str, Any]] = [
            e for e in errors if isinstance(e, dict) and e.get("type") == "OutOfStock"
        ]


class PayloadTooLargeError(ClientError):
    """413: too many items in a batch, or a page `limit` above the endpoint's maximum."""


class ValidationError(ClientError):
    """400/422: BigCommerce rejected the body or the parameters.

    `errors` is the problem JSON's field map, `batch_errors` the per-item list of a batch endpoint.
    """

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        details = self.details if isinstance(self.details, dict) else {}
        self.errors: dict[str, Any] = details.get("errors") or {}
        self.batch_errors: list[Any] = details.get("batch_errors") or []


class RateLimitedError(ClientError):
    """429 that persisted after every permitted wait; `retry_after` is the last advised wait in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(BigCommerceError):
    """5xx after the retries permitted for the method."""


class ConnectionFailedError(BigCommerceError):
    """No HTTP answer: connection refused or reset, DNS failure, TLS error."""


class RequestTimeoutError(ConnectionFailedError):
    """The connect or read timeout elapsed (after retries, for idempotent methods)."""


class TokenExchangeError(BigCommerceError):
    """The login host refused an OAuth code exchange (bad or reused code, wrong secret, bad redirect)."""

    def __init__(self, message: str, *, error: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.error = error


def error_class_for_status(status: int) -> type[BigCommerceError]:
    if status >= 500:
        return ServerError
    return {
        400: ValidationError,
        401: AuthenticationError,
        403: ForbiddenScopeError,
        404: NotFoundError,
        409: ConflictError,
        413: PayloadTooLargeError,
        422: ValidationError,
        429: RateLimitedError,
    }.get(status, ClientError)
