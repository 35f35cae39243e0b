"""A store's own data (lives in the store's schema)."""

from django.db import models
from django.db.models import Q


class Policy(models.Model):
    """Whether, and how, out-of-stock items sell as backorders at one level of the catalog.

    The most specific existing policy wins: variant > product > deepest category > store.
    """

    class Scope(models.TextChoices):
        STORE = "store", "Whole store"
        CATEGORY = "category", "Category"
        PRODUCT = "product", "Product"
        VARIANT = "variant", "Variant"

    class Mode(models.TextChoices):
        BACKORDER = "backorder", "Backorder"
        PREORDER = "preorder", "Pre-order"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    bigcommerce_id = models.BigIntegerField(null=True, blank=True, help_text="Empty for the store-wide policy.")
    enabled = models.BooleanField(default=False)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.BACKORDER)
    lead_time_days = models.PositiveIntegerField(default=14)
    max_units = models.PositiveIntegerField(null=True, blank=True, help_text="Per variant; empty = unlimited.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["scope", "bigcommerce_id"], name="one_policy_per_catalog_item"),
            models.UniqueConstraint(fields=["scope"], condition=Q(scope="store"), name="one_store_policy"),
            models.CheckConstraint(
                condition=(Q(scope="store") & Q(bigcommerce_id__isnull=True))
                | (~Q(scope="store") & Q(bigcommerce_id__isnull=False)),
                name="catalog_id_matches_scope",
            ),
        ]

    def __str__(self) -> str:
        target = "" if self.scope == self.Scope.STORE else f" {self.bigcommerce_id}"
        return f"{self.get_scope_display()}{target}: {'on' if self.enabled else 'off'}"
