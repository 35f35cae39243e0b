"""The self-service link every shopper e-mail carries."""

from django.conf import settings
from django.db import connection

from notifications.self_service.models import SelfServiceAccess
from notifications.self_service.tokens import link_token_make


def access_version(*, order_id: int, email: str) -> int:
    """The version new links of this order and address carry (0 until a link was first revoked)."""
    version = (
        SelfServiceAccess.objects.filter(order_id=order_id, email=email.strip().lower())
        .values_list("version", flat=True)
        .first()
    )
    return version or 0


def self_service_url(*, order_id: int, email: str) -> str:
    """The absolute URL of the shopper's self-service page for this order, on the public host.

    Call it inside the store's schema (an e-mail being rendered for that store). One query.
    """
    schema_name = connection.schema_name
    if schema_name == settings.PUBLIC_SCHEMA_NAME:
        raise RuntimeError("self_service_url needs a store's schema to be active.")
    token = link_token_make(
        schema_name=schema_name, order_id=order_id, email=email, version=access_version(order_id=order_id, email=email)
    )
    return f"{settings.APP_BASE_URL}/s/{token}/"
