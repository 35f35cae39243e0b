"""Backorders: the units a shopper bought that were not in stock, from order to shipment."""

from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper


class Backorder(models.Model):
    """One backordered line of a placed BigCommerce order.

    Lifecycle (backorder.services.lifecycle): waiting (possibly partly allocated) -> allocated (fully)
    -> shipped, or cancelled. FIFO order is the order's `date_created`, then order id, then line id.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        ALLOCATED = "allocated", "Allocated"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"

    order_id = models.BigIntegerField()
    order_line_id = models.BigIntegerField(help_text="BigCommerce order product id.")
    order_created_at = models.DateTimeField()
    cart_id = models.CharField(max_length=64, blank=True)
    channel_id = models.IntegerField(default=1)
    # Where BigCommerce booked its backordered units (qty_backordered): the default location for an order to
    # ship, the pickup location for one to collect. A pickup backorder takes stock of its location only.
    location_id = models.BigIntegerField(default=1, db_default=1, help_text="BigCommerce location id.")
    pickup = models.BooleanField(default=False, db_default=False, help_text="Collected at its location.")
    product_id = models.BigIntegerField()
    variant_id = models.BigIntegerField()
    sku = models.CharField(max_length=255, blank=True)
    product_name = models.CharField(max_length=255, blank=True)
    quantity = models.PositiveIntegerField()
    quantity_allocated = models.PositiveIntegerField(default=0)
    quantity_shipped = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    customer_id = models.BigIntegerField(default=0)
    customer_email = models.EmailField()
    customer_name = models.CharField(max_length=200, blank=True)
    customer_locale = models.CharField(max_length=10, blank=True)
    unit_price = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    currency = models.CharField(max_length=3, default="USD")
    promised_ship_date = models.DateField(null=True, blank=True, help_text="The date told at order time.")
    expected_ship_date = models.DateField(null=True, blank=True, help_text="Today's best date; empty = unknown.")
    shipping_preference = models.CharField(max_length=20, default="together")
    policy = models.JSONField(default=dict, blank=True, help_text="The policy that applied, as at order time.")
    delay_consent_due_on = models.DateField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    allocated_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order_id", "order_line_id"], name="one_backorder_per_order_line"),
            models.CheckConstraint(condition=Q(quantity_allocated__lte=F("quantity")), name="never_over_allocated"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="backorder_has_units"),
        ]
        indexes = [
            models.Index(
                fields=["variant_id", "order_created_at", "order_id", "order_line_id"],
                condition=Q(status="waiting"),
                name="backorder_fifo_queue",
            ),
            models.Index(fields=["status", "created_at"], name="backorder_status_age"),
            models.Index(fields=["order_id"], name="backorder_order"),
            # The merchant's lists and dashboard stay fast with 100,000 backorders (docs/performance.md):
            # newest or oldest first, per status, per variant; figures of the open ones from one covering
            # index (index-only scans); the waiting by date (late, at risk); e-mail and SKU searches by prefix.
            models.Index(fields=["order_created_at", "id"], include=["status"], name="backorder_placed"),
            models.Index(fields=["status", "order_created_at", "id"], name="backorder_status_placed"),
            models.Index(fields=["variant_id", "order_created_at"], name="backorder_by_variant"),
            models.Index(
                fields=["status"],
                include=[
                    "quantity",
                    "quantity_allocated",
                    "quantity_shipped",
                    "unit_price",
                    "order_created_at",
                    "expected_ship_date",
                    "promised_ship_date",
                    "variant_id",
                ],
                condition=Q(status__in=["waiting", "allocated"]),
                name="backorder_open_figures",
            ),
            models.Index(
                fields=["expected_ship_date", "id"], condition=Q(status="waiting"), name="backorder_waiting_by_date"
            ),
            models.Index(OpClass(Upper("customer_email"), name="text_pattern_ops"), name="backorder_email_prefix"),
            models.Index(OpClass(Upper("sku"), name="text_pattern_ops"), name="backorder_sku_prefix"),
        ]

    def __str__(self) -> str:
        return f"Order {self.order_id} line {self.order_line_id}: {self.quantity} x {self.sku or self.variant_id}"

    @property
    def quantity_waiting(self) -> int:
        return self.quantity - self.quantity_allocated


class BackorderEvent(models.Model):
    """The timeline: every transition and notable fact about a backorder, with who and why."""

    class Actor(models.TextChoices):
        SYSTEM = "system", "Backorder"
        MERCHANT = "merchant", "Merchant"
        SHOPPER = "shopper", "Shopper"
        STAFF = "staff", "Support staff"
        BIGCOMMERCE = "bigcommerce", "BigCommerce"

    backorder = models.ForeignKey(Backorder, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=40)
    actor = models.CharField(max_length=12, choices=Actor.choices, default=Actor.SYSTEM)
    actor_label = models.CharField(max_length=200, blank=True)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["backorder", "at"], name="backorder_event_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.actor})"


class Allocation(models.Model):
    """Units given to a backorder from arriving stock (a restock or a purchase-order receipt)."""

    backorder = models.ForeignKey(Backorder, on_delete=models.CASCADE, related_name="allocations")
    quantity = models.IntegerField(help_text="Negative when units were released again.")
    source = models.CharField(max_length=40, help_text="restock, purchase_order:<id>, release, …")
    adjustment = models.ForeignKey("StockAdjustment", on_delete=models.PROTECT, null=True, blank=True)
    location_id = models.BigIntegerField(default=1, db_default=1, help_text="The location the units came from.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.quantity} to {self.backorder_id} ({self.source})"


class StockAdjustment(models.Model):
    """A change to BigCommerce's on-hand (and qty_backordered) that the app owes BigCommerce.

    Written in the same transaction as the allocations it accounts for, sent afterwards (outbox). A row
    found `sending` after a crash is `unknown`: never resent blindly, reconciled against BigCommerce.
    `unknown_at`: when its outcome became unknown (the database clock), to compare with stock readings.
    `sending_until`: the sender's lease on a `sending` row (the database clock); a row still `sending` after
    it lost its sender.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "To send"
        SENDING = "sending", "Sending"
        APPLIED = "applied", "Applied"
        UNKNOWN = "unknown", "Outcome unknown"
        FAILED = "failed", "Failed"

    variant_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    location_id = models.BigIntegerField(default=1, db_default=1, help_text="The BigCommerce location it changes.")
    on_hand_delta = models.IntegerField()
    qty_backordered_delta = models.IntegerField(default=0)
    reason = models.CharField(max_length=60)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    bigcommerce_transaction_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    unknown_at = models.DateTimeField(null=True, blank=True)
    sending_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["variant_id"], condition=Q(status__in=["pending", "sending"]), name="stock_adjustment_owed"
            )
        ]

    def __str__(self) -> str:
        return f"variant {self.variant_id}: on-hand {self.on_hand_delta:+d} ({self.get_status_display()})"


class CartChoice(models.Model):
    """What the shopper chose in the cart (shipping preference), applied when their order is captured."""

    cart_id = models.CharField(max_length=64, unique=True)
    shipping_preference = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"cart {self.cart_id}: {self.shipping_preference}"


class MerchantTask(models.Model):
    """Something the merchant has to do by hand, e.g. refund a cancelled line the app could not refund."""

    class Kind(models.TextChoices):
        REFUND_DUE = "refund_due", "Refund due"
        CHECK_STOCK = "check_stock", "Check stock in BigCommerce"
        GROUP_NOT_ALLOWED = "group_not_allowed", "Backordered by a customer group its policy does not allow"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    backorder = models.ForeignKey(Backorder, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    order_id = models.BigIntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (order {self.order_id})"
