"""Inventory locations: BigCommerce's warehouses and shops, and the stock a variant has at each of them.

BigCommerce keeps stock, backorder limits and backordered units per location (docs/bigcommerce-sandbox.md,
"Locations"). Location 1 is the default location, the store's shipping origin: its counts stay on Variant
(a store with one location has nothing here but its Location row); every other location's are LocationStock
rows, written by the same stock readings under the same rules (backorder/sync.py).
"""

from django.db import models

DEFAULT_LOCATION_ID = 1  # BigCommerce's default location and shipping origin (reference/locations.v3.yml)


class Location(models.Model):
    """A BigCommerce inventory location (mirror), and whether the storefront sells its stock.

    `sells_online` is the merchant's: BigCommerce's storefront counts the default location's stock only,
    unless BigCommerce support switched on aggregated stock (every enabled location), and no API says which;
    a headless storefront may count others. A disabled or removed location never sells online."""

    bigcommerce_id = models.BigIntegerField(unique=True)
    code = models.CharField(max_length=100, blank=True)
    label = models.CharField(max_length=255)
    enabled = models.BooleanField(default=True, help_text="BigCommerce's: takes orders, its stock can change.")
    storefront_visibility = models.BooleanField(default=True)
    sells_online = models.BooleanField(default=False, help_text="Its stock counts for the storefront.")
    is_removed = models.BooleanField(default=False, help_text="BigCommerce no longer has it.")
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["bigcommerce_id"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_default(self) -> bool:
        return self.bigcommerce_id == DEFAULT_LOCATION_ID

    @property
    def counts_online(self) -> bool:
        return self.sells_online and self.enabled and not self.is_removed


class LocationStock(models.Model):
    """A variant's stock at a location other than the default one, as BigCommerce last said plus the
    adjustments of ours it has applied since (the same mirror rule as Variant's counts, sync.py)."""

    variant_id = models.BigIntegerField(help_text="BigCommerce variant id.")
    location_id = models.BigIntegerField(help_text="BigCommerce location id.")
    on_hand = models.IntegerField(default=0)
    qty_backordered = models.IntegerField(default=0)
    backorder_limit = models.IntegerField(null=True, blank=True, default=0, help_text="Null = unlimited.")
    available_to_sell = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["variant_id", "location_id"], name="one_stock_per_location")]

    def __str__(self) -> str:
        return f"variant {self.variant_id} at location {self.location_id}: {self.on_hand}"
