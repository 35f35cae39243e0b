"""The catalog mirror: BigCommerce's categories, products, variants and stock, and its sync."""

from django.contrib.postgres.fields import ArrayField
from django.db import models


class Category(models.Model):
    """A BigCommerce category (mirror). `path` lists the ids from the top category down to this one."""

    bigcommerce_id = models.BigIntegerField(unique=True)
    parent_bigcommerce_id = models.BigIntegerField(null=True, blank=True)
    name = models.CharField(max_length=255)
    path = ArrayField(models.BigIntegerField(), default=list, blank=True)
    is_visible = models.BooleanField(default=True)
    synced_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return len(self.path)


class Product(models.Model):
    """A BigCommerce product (mirror)."""

    class Tracking(models.TextChoices):
        NONE = "none", "Not tracked"
        PRODUCT = "product", "By product"
        VARIANT = "variant", "By variant"

    bigcommerce_id = models.BigIntegerField(unique=True)
    name = models.CharField(max_length=255)
    sku = models.CharField(max_length=255, blank=True)
    inventory_tracking = models.CharField(max_length=10, choices=Tracking.choices, default=Tracking.NONE)
    availability = models.CharField(max_length=20, default="available")
    is_visible = models.BooleanField(default=True)
    category_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    base_variant_id = models.BigIntegerField(null=True, blank=True)
    url = models.CharField(max_length=255, blank=True, help_text="The product page path on the storefront.")
    price = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    date_modified = models.DateTimeField(null=True, blank=True)
    is_deleted = models.BooleanField(default=False)
    synced_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    """A purchasable variant and its stock as BigCommerce counts it (default location).

    `on_hand` is None when stock is not tracked. `backorder_limit` is BigCommerce's native limit (None =
    unlimited); `qty_backordered` the units BigCommerce has sold beyond on-hand. `stock_read_at`: when the
    stock counts were last written from a reading of BigCommerce (the database clock just before the read).
    """

    bigcommerce_id = models.BigIntegerField(unique=True)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=255, blank=True)
    option_label = models.CharField(max_length=255, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    on_hand = models.IntegerField(null=True, blank=True)
    backorder_limit = models.IntegerField(null=True, blank=True)
    qty_backordered = models.IntegerField(default=0)
    available_to_sell = models.IntegerField(null=True, blank=True)
    purchasing_disabled = models.BooleanField(default=False)
    is_deleted = models.BooleanField(default=False)
    synced_at = models.DateTimeField()
    stock_read_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.sku or self.bigcommerce_id} {self.option_label}".strip()


class CatalogSync(models.Model):
    """One full copy of the catalog from BigCommerce: progress for the merchant, a cursor to resume from."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Phase(models.TextChoices):
        CATEGORIES = "categories", "Categories"
        PRODUCTS = "products", "Products and variants"
        INVENTORY = "inventory", "Stock"
        FINISHED = "finished", "Finished"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.CATEGORIES)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(auto_now=True)
    products_total = models.PositiveIntegerField(null=True, blank=True)
    products_done = models.PositiveIntegerField(default=0)
    variants_done = models.PositiveIntegerField(default=0)
    stock_items_done = models.PositiveIntegerField(default=0)
    product_cursor = models.BigIntegerField(default=0, help_text="Last product id copied (resume point).")
    inventory_page = models.PositiveIntegerField(default=0, help_text="Last stock page copied (resume point).")
    api_requests = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"Catalog sync {self.started_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.products_total:
            return 0
        return min(99, int(self.products_done * 100 / self.products_total))
