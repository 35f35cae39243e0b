from django.contrib import admin

from backorder.models import (
    Backorder,
    BackorderEvent,
    CatalogSync,
    Category,
    Location,
    LocationStock,
    MerchantTask,
    Policy,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockAdjustment,
    StockAlertSubscription,
    Variant,
)
from stores.store_admin import AuditedModelAdmin, ReadOnlyAdminMixin, store_admin_site


@admin.register(Policy, site=store_admin_site)
class PolicyAdmin(AuditedModelAdmin):
    list_display = ["scope", "bigcommerce_id", "customer_group_ids", "enabled", "mode", "lead_time_days", "max_units",
                    "updated_at"]  # fmt: skip
    list_filter = ["scope", "enabled", "mode"]
    search_fields = ["bigcommerce_id"]


class ReadOnlyMirrorAdmin(ReadOnlyAdminMixin, AuditedModelAdmin):
    """The catalog mirror is BigCommerce's data: staff look, the sync writes."""


@admin.register(CatalogSync, site=store_admin_site)
class CatalogSyncAdmin(ReadOnlyMirrorAdmin):
    list_display = ["started_at", "status", "phase", "products_done", "products_total", "variants_done",
                    "api_requests", "finished_at"]  # fmt: skip
    list_filter = ["status"]


@admin.register(Product, site=store_admin_site)
class ProductAdmin(ReadOnlyMirrorAdmin):
    list_display = ["bigcommerce_id", "name", "sku", "inventory_tracking", "availability", "is_deleted"]
    search_fields = ["name", "sku", "bigcommerce_id"]
    list_filter = ["inventory_tracking", "is_deleted"]


@admin.register(Variant, site=store_admin_site)
class VariantAdmin(ReadOnlyMirrorAdmin):
    list_display = ["bigcommerce_id", "sku", "option_label", "on_hand", "backorder_limit", "qty_backordered",
                    "available_to_sell"]  # fmt: skip
    search_fields = ["sku", "bigcommerce_id", "product__name"]
    list_select_related = ["product"]


@admin.register(Location, site=store_admin_site)
class LocationAdmin(ReadOnlyMirrorAdmin):
    list_display = ["bigcommerce_id", "label", "code", "enabled", "sells_online", "is_removed", "synced_at"]
    search_fields = ["label", "code", "bigcommerce_id"]
    list_filter = ["enabled", "sells_online", "is_removed"]


@admin.register(LocationStock, site=store_admin_site)
class LocationStockAdmin(ReadOnlyMirrorAdmin):
    """A variant's stock at a location other than the default one (the default location's is on Variant)."""

    list_display = ["variant_id", "location_id", "on_hand", "backorder_limit", "qty_backordered", "available_to_sell"]
    search_fields = ["variant_id"]
    list_filter = ["location_id"]


@admin.register(Category, site=store_admin_site)
class CategoryAdmin(ReadOnlyMirrorAdmin):
    list_display = ["bigcommerce_id", "name", "parent_bigcommerce_id", "is_visible"]
    search_fields = ["name", "bigcommerce_id"]


class BackorderEventInline(admin.TabularInline):
    model = BackorderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "actor", "actor_label", "from_status", "to_status", "details"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Backorder, site=store_admin_site)
class BackorderAdmin(AuditedModelAdmin):
    """Support staff correct a backorder's date or contact details; state changes go through the app."""

    list_display = ["order_id", "sku", "quantity", "quantity_allocated", "status", "expected_ship_date",
                    "customer_email", "order_created_at"]  # fmt: skip
    list_filter = ["status"]
    search_fields = ["order_id", "customer_email", "sku", "product_name"]
    readonly_fields = [
        "order_id", "order_line_id", "order_created_at", "product_id", "variant_id", "quantity",
        "quantity_allocated", "quantity_shipped", "status", "policy", "created_at", "updated_at", "allocated_at",
        "shipped_at", "cancelled_at",
    ]  # fmt: skip
    inlines = [BackorderEventInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0


@admin.register(PurchaseOrder, site=store_admin_site)
class PurchaseOrderAdmin(AuditedModelAdmin):
    list_display = ["id", "supplier", "reference", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["supplier", "reference"]
    inlines = [PurchaseOrderLineInline]


@admin.register(StockAdjustment, site=store_admin_site)
class StockAdjustmentAdmin(ReadOnlyMirrorAdmin):
    list_display = ["created_at", "variant_id", "on_hand_delta", "qty_backordered_delta", "reason", "status"]
    list_filter = ["status"]


@admin.register(MerchantTask, site=store_admin_site)
class MerchantTaskAdmin(AuditedModelAdmin):
    list_display = ["created_at", "kind", "status", "order_id", "amount"]
    list_filter = ["kind", "status"]


@admin.register(StockAlertSubscription, site=store_admin_site)
class StockAlertSubscriptionAdmin(AuditedModelAdmin):
    """Notify-me sign-ups: support finds a shopper's and can unsubscribe them (set the date); shoppers sign up
    on the storefront only."""

    list_display = ["email", "product_id", "variant_id", "locale", "created_at", "confirmed_at", "notified_at",
                    "unsubscribed_at"]  # fmt: skip
    search_fields = ["email", "product_id", "variant_id"]
    readonly_fields = ["email", "product_id", "variant_id", "locale", "created_at", "updated_at", "confirmed_at",
                       "notified_at"]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False
