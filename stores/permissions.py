"""Who may use a store's merchant API."""

from rest_framework.permissions import BasePermission

from stores import selectors
from stores.authentication import ApiClient


class IsStoreMember(BasePermission):
    """The caller is signed in and is the owner or staff of the store this host serves, or is that store's
    integration (an API token of this store)."""

    message = "You are not a member of this store."

    def has_permission(self, request, view) -> bool:
        user = request.user
        tenant = getattr(request, "tenant", None)
        if not (user and user.is_authenticated) or tenant is None or tenant.is_public:
            return False
        if isinstance(user, ApiClient):
            return user.store_id == tenant.pk
        return selectors.membership_role(user=user, store=tenant) is not None


class IsStoreOwner(IsStoreMember):
    """The store's owner, signed in as a person (an integration's token is never the owner)."""

    message = "Only the store's owner may do this."

    def has_permission(self, request, view) -> bool:
        return (
            super().has_permission(request, view)
            and not isinstance(request.user, ApiClient)
            and selectors.membership_role(user=request.user, store=request.tenant) == "owner"
        )


class IsStoreOwnerToChange(IsStoreMember):
    """Every member may read; only the owner, signed in as a person, may change (team, store details,
    billing-like settings). Staff see these settings but cannot alter them."""

    message = "Only the store's owner may change this."

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return not isinstance(request.user, ApiClient) and (
            selectors.membership_role(user=request.user, store=request.tenant) == "owner"
        )
