"""What the storefront shows for a variant, kept precomputed so a product page costs one SELECT."""

from django.db import models


class VariantAvailability(models.Model):
    """Everything the availability answer needs for one variant, refreshed whenever stock, policies,
    purchase orders or backorders change (backorder.services.availability.availability_refresh).

    `supply` lists, oldest first, the future units a new order can still get and the date each arrives:
    `[[units, "YYYY-MM-DD"], …]` after the open backorders have taken their share; units beyond it get
    `fallback_date` (lead time or fixed date; null = unknown).

    With several locations the row answers for the storefront (the locations that sell online), and
    `locations` holds each location's own figures for answers about one location (empty with one location;
    backorder.services.locations).
    """

    variant_id = models.BigIntegerField(unique=True)
    product_id = models.BigIntegerField(db_index=True)
    purchasable = models.BooleanField(default=True)
    tracked = models.BooleanField(default=True)
    on_hand = models.IntegerField(null=True, blank=True, help_text="Units free to sell now (null: not tracked).")
    policy_id = models.BigIntegerField(null=True, blank=True)
    policy_scope = models.CharField(max_length=10, blank=True)
    enabled = models.BooleanField(default=False)
    mode = models.CharField(max_length=10, default="backorder")
    window_opens_on = models.DateField(null=True, blank=True)
    window_closes_on = models.DateField(null=True, blank=True)
    backorder_units_left = models.IntegerField(null=True, blank=True, help_text="Null = unlimited.")
    max_per_order = models.IntegerField(null=True, blank=True)
    supply = models.JSONField(default=list, blank=True)
    fallback_date = models.DateField(null=True, blank=True)
    button_label = models.CharField(max_length=40, blank=True)
    product_message = models.CharField(max_length=300, blank=True)
    cart_message = models.CharField(max_length=300, blank=True)
    shipping_preference = models.CharField(max_length=20, default="together")
    lead_time_days = models.IntegerField(null=True, blank=True)
    lead_time_business_days = models.BooleanField(default=False)
    waiting_units = models.IntegerField(default=0, help_text="Units of open backorders not yet allocated.")
    locations = models.JSONField(default=dict, blank=True, help_text='{"<location id>": its figures}.')
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every change (ETag).")
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"variant {self.variant_id}"
