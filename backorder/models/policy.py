"""Backorder policies: whether, and how, out-of-stock items sell at one level of the catalog (and to whom)."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

GUESTS = 0  # the customer group id of guests and of signed-in shoppers in no group (BigCommerce's own 0)


class Policy(models.Model):
    """The rules for selling out-of-stock units at one level of the catalog.

    The most specific existing policy wins: variant > product > deepest category > store. A disabled
    policy therefore switches backorders off at its level. A policy may be for some BigCommerce customer
    groups only (`customer_group_ids`; empty = every shopper, 0 = guests and shoppers in no group): at one
    level, a policy naming the shopper's group beats the one for everyone (backorder.selectors).
    Validation lives in backorder.services.policies (field-level messages, and no two policies of one level
    and target for the same group); the database keeps the invariants it can state.
    """

    class Scope(models.TextChoices):
        STORE = "store", "Whole store"
        CATEGORY = "category", "Category"
        PRODUCT = "product", "Product"
        VARIANT = "variant", "Variant"

    class Mode(models.TextChoices):
        BACKORDER = "backorder", "Backorder"
        PREORDER = "preorder", "Pre-order"

    class ShippingPreference(models.TextChoices):
        TOGETHER = "together", "Ship everything together"
        AVAILABLE_FIRST = "available_first", "Ship available items first"
        SHOPPER_CHOOSES = "shopper_chooses", "Let the shopper choose"

    class Cancellation(models.TextChoices):
        UNTIL_ALLOCATED = "until_allocated", "Until stock is allocated"
        UNTIL_SHIPPED = "until_shipped", "Until shipped"
        NEVER = "never", "Not by the shopper"

    class IncentiveTrigger(models.TextChoices):
        AT_ORDER = "at_order", "When the backorder is placed"
        ON_DELAY = "on_delay", "When the date moves later"
        AFTER_DAYS = "after_days", "After N days of waiting"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    bigcommerce_id = models.BigIntegerField(null=True, blank=True, help_text="Empty for the store-wide policy.")
    customer_group_ids = ArrayField(
        models.BigIntegerField(), default=list, blank=True,
        help_text="BigCommerce customer group ids it is for (0 = guests); empty = every shopper.",
    )  # fmt: skip
    enabled = models.BooleanField(default=False)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.BACKORDER)
    preorder_starts_on = models.DateField(null=True, blank=True)
    preorder_ends_on = models.DateField(null=True, blank=True)
    max_units = models.PositiveIntegerField(null=True, blank=True, help_text="Per variant; empty = unlimited.")
    # A location's own cap instead of max_units ({"<location id>": units, or null = unlimited}).
    location_limits = models.JSONField(default=dict, blank=True, help_text="Per location: units or null.")
    max_per_order = models.PositiveIntegerField(null=True, blank=True, help_text="Empty = no limit.")
    lead_time_days = models.PositiveIntegerField(null=True, blank=True, default=14)
    lead_time_business_days = models.BooleanField(default=False)
    fixed_ship_date = models.DateField(null=True, blank=True)
    button_label = models.CharField(max_length=40, blank=True)
    product_message = models.CharField(max_length=300, blank=True)
    cart_message = models.CharField(max_length=300, blank=True)
    shipping_preference = models.CharField(
        max_length=20, choices=ShippingPreference.choices, default=ShippingPreference.TOGETHER
    )
    shopper_may_cancel = models.CharField(
        max_length=20, choices=Cancellation.choices, default=Cancellation.UNTIL_ALLOCATED
    )
    incentive_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    incentive_trigger = models.CharField(max_length=12, choices=IncentiveTrigger.choices, blank=True)
    incentive_after_days = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "policies"
        constraints = [
            # One policy for everyone per level and target; group policies' overlaps are refused under a lock
            # (services.policies._target_lock): an exclusion constraint on arrays needs extensions.
            models.UniqueConstraint(
                fields=["scope", "bigcommerce_id"],
                condition=Q(customer_group_ids=[]),
                name="one_policy_per_catalog_item",
            ),
            models.UniqueConstraint(
                fields=["scope"], condition=Q(scope="store", customer_group_ids=[]), name="one_store_policy"
            ),
            models.CheckConstraint(
                condition=(Q(scope="store") & Q(bigcommerce_id__isnull=True))
                | (~Q(scope="store") & Q(bigcommerce_id__isnull=False)),
                name="catalog_id_matches_scope",
            ),
        ]

    def __str__(self) -> str:
        target = "" if self.scope == self.Scope.STORE else f" {self.bigcommerce_id}"
        groups = f" (groups {', '.join(map(str, self.customer_group_ids))})" if self.customer_group_ids else ""
        return f"{self.get_scope_display()}{target}{groups}: {'on' if self.enabled else 'off'}"

    def is_for(self, customer_group_id: int) -> bool:
        """Whether this policy names the group (a policy for everyone names none)."""
        return customer_group_id in self.customer_group_ids


class PolicyChangePending(models.Model):
    """A saved policy change whose variants' availability rows are still being brought up to date in the
    background (a change that governs many variants: a store-wide or a large category policy).

    While one exists, the storefront answers for the variants it may govern from the live policies instead of
    their rows (backorder.services.availability), so no shopper sees the old policy after the save commits;
    the task deletes it once every variant it governs has been refreshed. `variants_done` of
    `variants_total` is the progress the merchant is shown."""

    scope = models.CharField(max_length=10, choices=Policy.Scope.choices)
    bigcommerce_id = models.BigIntegerField(null=True, blank=True)
    variants_total = models.PositiveIntegerField(default=0)
    variants_done = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        target = "" if self.scope == Policy.Scope.STORE else f" {self.bigcommerce_id}"
        return f"{self.scope}{target}: {self.variants_done} of {self.variants_total} variants"
