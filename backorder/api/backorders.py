"""Merchant API: backorders."""

urlpatterns: list = []
