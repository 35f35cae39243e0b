"""Business rules of backorders. Each function states its rule in its docstring."""

from backorder.models import Policy
from stores.models import Store


def policy_create_store_default(store: Store) -> Policy:
    """A new store starts with one store-wide policy, disabled: nothing sells on backorder until the merchant
    says so."""
    policy, _ = Policy.objects.get_or_create(scope=Policy.Scope.STORE, defaults={"enabled": False})
    return policy
