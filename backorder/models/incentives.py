"""Incentives: a single-use coupon a waiting shopper gets for their patience, created in BigCommerce."""

from django.db import models


class Incentive(models.Model):
    """One coupon for one backorder, never two (the unique backorder is the guard against a task run twice).

    The row is written first (`pending`, with its code chosen), the coupon is created in BigCommerce after the
    commit, then the row becomes `created` and the shopper is sent the code. A crash in between leaves a
    pending row that the schedule finds again; BigCommerce is asked for a coupon with that code before one is
    created, so there is never a second coupon.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Being created in BigCommerce"
        CREATED = "created", "Created and offered"
        FAILED = "failed", "Failed (see error)"

    backorder = models.OneToOneField("backorder.Backorder", on_delete=models.PROTECT, related_name="incentive")
    trigger = models.CharField(max_length=12, help_text="at_order, on_delay or after_days")
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    product_id = models.BigIntegerField(help_text="The BigCommerce product the coupon is limited to.")
    code = models.CharField(max_length=50, unique=True)
    expires_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    bigcommerce_coupon_id = models.BigIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    offered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="incentive_status_age")]

    def __str__(self) -> str:
        return f"{self.code} ({self.percent}% off product {self.product_id})"
