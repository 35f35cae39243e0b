"""Merchant API: purchase_orders."""

urlpatterns: list = []
