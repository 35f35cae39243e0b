"""What the storefront widget looks like in a store, and the shoppers waiting to hear about sold-out items."""

from django.db import models
from django.db.models import Q

SUPPORTED_LANGUAGES = ("en", "de", "fr", "es")


def all_languages() -> list[str]:
    return list(SUPPORTED_LANGUAGES)


class WidgetAppearance(models.Model):
    """The store's colours, texts and options for the storefront widget (one row per store, id 1).

    A store that never saved its appearance uses the defaults (an unsaved instance): reading it never writes.
    Rules (hex colours, readable contrast, known languages) live in backorder.services.widget_appearance.
    """

    accent_color = models.CharField(max_length=7, default="#1D4ED8", help_text="Buttons and highlights.")
    text_color = models.CharField(max_length=7, default="#1F2937")
    background_color = models.CharField(max_length=7, default="#F3F4F6", help_text="Behind the widget's messages.")
    label_backorder = models.CharField(max_length=40, blank=True, help_text="Empty: the built-in label.")
    label_preorder = models.CharField(max_length=40, blank=True, help_text="Empty: the built-in label.")
    label_unavailable = models.CharField(max_length=40, blank=True, help_text="Empty: the built-in label.")
    show_split = models.BooleanField(default=True, help_text='"2 ready to ship, 3 backordered".')
    show_notify_me = models.BooleanField(default=True, help_text="Offer an e-mail alert for sold-out items.")
    show_alternatives = models.BooleanField(default=True, help_text="Offer in-stock products of the same category.")
    languages = models.JSONField(default=all_languages, help_text="Languages the widget speaks on the storefront.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="one_widget_appearance_per_store")]

    def __str__(self) -> str:
        return "Widget appearance"


class StockAlertSubscription(models.Model):
    """A shopper asked to be e-mailed when a sold-out variant (or any variant of a product, when the shopper
    picked none) can be bought again. One row per address and item; the notifications app confirms the
    address (`confirmed_at`) and sends the alert (`notified_at`)."""

    email = models.EmailField(max_length=254)
    product_id = models.BigIntegerField(db_index=True, help_text="BigCommerce product id.")
    variant_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="BigCommerce variant id; empty = any variant of the product."
    )
    locale = models.CharField(max_length=16, blank=True, help_text="The language the shopper saw the store in.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When the back-in-stock alert was sent.")
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email", "variant_id"], condition=Q(variant_id__isnull=False), name="one_alert_per_variant"
            ),
            models.UniqueConstraint(
                fields=["email", "product_id"], condition=Q(variant_id__isnull=True), name="one_alert_per_product"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email}: product {self.product_id}" + (f" variant {self.variant_id}" if self.variant_id else "")
