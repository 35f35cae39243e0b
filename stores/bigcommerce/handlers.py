"""The adapter's own webhook handlers."""

from stores.bigcommerce import install
from stores.bigcommerce.webhooks import register_webhook_handler
from stores.models import Store


@register_webhook_handler("store/app/uninstalled")
def app_uninstalled(store: Store, payloads: list[dict]) -> None:
    """BigCommerce says the store cancelled or uninstalled: same as the uninstall callback."""
    install.store_uninstall(store_hash=store.bigcommerce_store_hash)
