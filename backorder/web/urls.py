"""The merchant's pages on the store host (mounted at the root of config/urls_tenant.py)."""

from django.urls import path

from backorder.web import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/", views.dashboard_redirect, name="dashboard-old"),
    path("backorders/", views.backorders, name="app-backorders"),
    path("backorders/<int:backorder_id>/", views.backorder_detail, name="app-backorder"),
    path("products/", views.products, name="app-products"),
    path("policies/", views.policies, name="app-policies"),
    path("policies/new/", views.policy_edit, name="app-policy-new"),
    path("policies/<int:policy_id>/", views.policy_edit, name="app-policy"),
    path("purchase-orders/", views.purchase_orders, name="app-purchase-orders"),
    path("purchase-orders/new/", views.purchase_order_new, name="app-purchase-order-new"),
    path("purchase-orders/<int:purchase_order_id>/", views.purchase_order_detail, name="app-purchase-order"),
    path("notifications/", views.notifications, name="app-notifications"),
    path("notifications/<slug:section>/", views.notifications, name="app-notifications-section"),
    path("automations/", views.automations, name="app-automations"),
    path("automations/rules/new/", views.automation_rule, name="app-automation-rule-new"),
    path("automations/rules/<int:rule_id>/", views.automation_rule, name="app-automation-rule"),
    path("automations/<slug:section>/", views.automations, name="app-automations-section"),
    path("settings/", views.settings_page, name="app-settings"),
    path("settings/<slug:section>/", views.settings_page, name="app-settings-section"),
]
