"""Notify-me sign-ups: shoppers who want an e-mail when a sold-out item can be bought again.

The app records who asked for what; the notifications app (listening to ``stock_alert.subscribed`` and
``variant.restocked``, see backorder/events.py) confirms the address and sends the alert.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from backorder import events
from backorder.models import Product, StockAlertSubscription, Variant

EMAIL_MAX_LENGTH = StockAlertSubscription._meta.get_field("email").max_length


class UnknownItem(LookupError):
    """The store sells no such product or variant (the API answers 404)."""


def _item_resolve(*, product_id: int | None, variant_id: int | None) -> tuple[int, int | None]:
    """(product id, variant id) of what the shopper wants; a product with one variant means that variant,
    a product with options and no variant chosen means any of its variants."""
    if variant_id is not None:
        variant = (
            Variant.objects.filter(bigcommerce_id=variant_id, is_deleted=False, product__is_deleted=False)
            .select_related("product")
            .only("bigcommerce_id", "product__bigcommerce_id")
            .first()
        )
        if variant is None or (product_id is not None and variant.product.bigcommerce_id != product_id):
            of_product = f" of product {product_id}" if product_id is not None else ""
            raise UnknownItem(f"This store has no variant {variant_id}{of_product}.")
        return variant.product.bigcommerce_id, variant_id
    product = Product.objects.filter(bigcommerce_id=product_id, is_deleted=False).only("pk").first()
    if product is None:
        raise UnknownItem(f"This store has no product {product_id}.")
    variants = list(
        Variant.objects.filter(product=product, is_deleted=False).values_list("bigcommerce_id", flat=True)[:2]
    )
    return product_id, variants[0] if len(variants) == 1 else None


@transaction.atomic
def stock_alert_subscribe(
    *, email: str, product_id: int | None = None, variant_id: int | None = None, locale: str = ""
) -> StockAlertSubscription:
    """Remember that `email` wants to hear when this variant (or product) is back; asking twice changes
    nothing, asking again after an alert was sent or after unsubscribing re-arms the alert. Publishes
    ``stock_alert.subscribed`` whenever the subscription is new or re-armed (so the address is confirmed
    once per sign-up, not once per click)."""
    email = (email or "").strip().lower()
    problems = {}
    try:
        validate_email(email)
        if len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError("too long")
    except ValidationError:
        problems["email"] = "Enter a valid e-mail address."
    if product_id is None and variant_id is None:
        problems["variant_id"] = "Send the variant_id or product_id of the sold-out item."
    if problems:
        raise ValidationError(problems)
    product_id, variant_id = _item_resolve(product_id=product_id, variant_id=variant_id)
    lookup = {"email": email, "variant_id": variant_id}
    if variant_id is None:
        lookup["product_id"] = product_id
    subscription, created = StockAlertSubscription.objects.select_for_update().get_or_create(
        **lookup, defaults={"product_id": product_id, "locale": locale[:16]}
    )
    if not created and not (subscription.notified_at or subscription.unsubscribed_at):
        return subscription
    if not created:
        subscription.notified_at = subscription.unsubscribed_at = None
        subscription.locale = locale[:16] or subscription.locale
        subscription.save(update_fields=["notified_at", "unsubscribed_at", "locale", "updated_at"])
    events.publish("stock_alert.subscribed", subscription=subscription)
    return subscription
