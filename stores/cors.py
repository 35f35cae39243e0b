"""CORS for the storefront API: only the store's own storefront origins (recorded at install) may read it."""

from corsheaders.signals import check_request_enabled
from django.dispatch import receiver

from stores.middleware import STOREFRONT_PATH


@receiver(check_request_enabled)
def storefront_origin_allowed(sender, request, **kwargs) -> bool:
    """A browser on one of the store's storefront domains may call that store's storefront API."""
    tenant = getattr(request, "tenant", None)
    origin = request.headers.get("Origin", "")
    if tenant is None or not origin or not STOREFRONT_PATH.match(request.path_info):
        return False
    return origin in (tenant.storefront_origins or [])
