"""Purchase orders: stock the merchant has ordered from suppliers, with expected dates."""

from django.db import models
from django.db.models import F, Q


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PARTLY_RECEIVED = "partly_received", "Partly received"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    supplier = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    location_id = models.BigIntegerField(default=1, db_default=1, help_text="The location that receives it.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"PO {self.reference or self.pk} ({self.get_status_display()})"


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    variant_id = models.BigIntegerField(help_text="BigCommerce variant id.")
    product_id = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    quantity_received = models.PositiveIntegerField(default=0)
    expected_date = models.DateField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity_received__lte=F("quantity")), name="never_over_received"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="po_line_has_units"),
        ]
        indexes = [models.Index(fields=["variant_id", "expected_date"], name="po_line_incoming")]

    def __str__(self) -> str:
        return f"{self.quantity} x variant {self.variant_id} by {self.expected_date}"

    @property
    def quantity_outstanding(self) -> int:
        return self.quantity - self.quantity_received


class PurchaseOrderReceipt(models.Model):
    """Units that arrived against a purchase order (one receipt may cover several lines)."""

    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="receipts")
    lines = models.JSONField(help_text='[{"variant_id": …, "quantity": …}]')
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Receipt {self.pk} for {self.purchase_order}"
