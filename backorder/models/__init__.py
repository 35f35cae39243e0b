"""A store's own data (lives in the store's schema)."""

from backorder.models.availability import VariantAvailability
from backorder.models.backorders import (
    Allocation,
    Backorder,
    BackorderEvent,
    CartChoice,
    MerchantTask,
    StockAdjustment,
)
from backorder.models.catalog import CatalogSync, Category, Product, Variant
from backorder.models.incentives import Incentive
from backorder.models.locations import Location, LocationStock
from backorder.models.policy import Policy, PolicyChangePending
from backorder.models.purchasing import PurchaseOrder, PurchaseOrderLine, PurchaseOrderReceipt
from backorder.models.storefront import StockAlertSubscription, WidgetAppearance

__all__ = [
    "Allocation",
    "Backorder",
    "BackorderEvent",
    "CartChoice",
    "CatalogSync",
    "Category",
    "Incentive",
    "Location",
    "LocationStock",
    "MerchantTask",
    "Policy",
    "PolicyChangePending",
    "Product",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderReceipt",
    "StockAdjustment",
    "StockAlertSubscription",
    "Variant",
    "VariantAvailability",
    "WidgetAppearance",
]
