"""The merchant API of the backorder app (mounted at /api/v1/ on store hosts)."""

from django.urls import include, path

urlpatterns = [
    path("policies/", include("backorder.api.policies")),
    path("customer-groups/", include("backorder.api.customer_groups")),
    path("backorders/", include("backorder.api.backorders")),
    path("purchase-orders/", include("backorder.api.purchase_orders")),
    path("widget-appearance/", include("backorder.api.widget_appearance")),
    path("dashboard/", include("backorder.api.dashboard")),
    path("products/", include("backorder.api.products")),
    path("catalog/", include("backorder.api.catalog")),
    path("locations/", include("backorder.api.locations")),
]
