"""`Authorization: Bearer <token>` for a store's integrations (per-store API tokens, stores.api_tokens)."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from stores import api_tokens

if TYPE_CHECKING:
    from stores.models import ApiToken


@dataclass(frozen=True, eq=False)
class ApiClient:
    """The caller behind an API token: the store's integration, not a person.

    It stands in for `request.user`; stores.permissions lets it act on its own store only.
    """

    token: "ApiToken"

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    @property
    def store_id(self) -> int:
        return self.token.store_id

    def __str__(self) -> str:
        return f"API token {self.token.prefix}… ({self.token.name})"


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """A live token of the store this host serves; a token of any other store is refused (never its data)."""

    keyword = "bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the header as 'Authorization: Bearer <token>'.")
        try:
            plaintext = parts[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("This API token is not valid.") from exc
        token = api_tokens.api_token_for(token=plaintext)
        tenant = getattr(request._request, "tenant", None)
        # The same answer for unknown, revoked and other stores' tokens: it says nothing about other stores.
        if token is None or tenant is None or token.store_id != tenant.pk or not token.store.is_active:
            raise exceptions.AuthenticationFailed("This API token is not valid for this store (or was revoked).")
        api_tokens.api_token_mark_used(token=token)
        return ApiClient(token=token), token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "stores.authentication.BearerTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A per-store API token (made in the store's settings), for integrations.",
        }
