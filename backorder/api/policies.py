"""Merchant API: policies."""

urlpatterns: list = []
