"""What the shopper chooses in the cart, kept until their order is captured (backorder.services.capture)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from backorder.models import CartChoice, Policy

# The choices a shopper can make; "let the shopper choose" is the merchant's setting, not an answer.
SHOPPER_CHOICES = (Policy.ShippingPreference.TOGETHER, Policy.ShippingPreference.AVAILABLE_FIRST)
CART_ID_MAX_LENGTH = CartChoice._meta.get_field("cart_id").max_length


@transaction.atomic
def cart_choice_record(*, cart_id: str, shipping_preference: str) -> CartChoice:
    """Remember how the shopper wants a cart with backordered items shipped ("together" or "available_first");
    the latest choice for a cart wins and is applied to the order made from that cart."""
    cart_id = (cart_id or "").strip()
    problems = {}
    if not cart_id:
        problems["cart_id"] = "A cart id is required."
    elif len(cart_id) > CART_ID_MAX_LENGTH:
        problems["cart_id"] = f"A cart id has at most {CART_ID_MAX_LENGTH} characters."
    if shipping_preference not in SHOPPER_CHOICES:
        allowed = ", ".join(f'"{choice}"' for choice in SHOPPER_CHOICES)
        problems["shipping_preference"] = f"Choose one of {allowed}."
    if problems:
        raise ValidationError(problems)
    choice, _ = CartChoice.objects.update_or_create(
        cart_id=cart_id, defaults={"shipping_preference": shipping_preference}
    )
    return choice
