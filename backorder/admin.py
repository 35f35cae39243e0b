from django.contrib import admin

from backorder.models import CatalogSync, Category, Policy, Product, Variant
from stores.store_admin import AuditedModelAdmin, store_admin_site


@admin.register(Policy, site=store_admin_site)
class PolicyAdmin(AuditedModelAdmin):
    list_display = ["scope", "bigcommerce_id", "enabled", "mode", "lead_time_days", "max_units", "updated_at"]
    list_filter = ["scope", "enabled", "mode"]
    search_fields = ["bigcommerce_id"]


class ReadOnlyMirrorAdmin(AuditedModelAdmin):
    """The catalog mirror is BigCommerce's data: staff look, the sync writes."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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


@admin.register(Category, site=store_admin_site)
class CategoryAdmin(ReadOnlyMirrorAdmin):
    list_display = ["bigcommerce_id", "name", "parent_bigcommerce_id", "is_visible"]
    search_fields = ["name", "bigcommerce_id"]
