"""The minimal one-SELECT DRF view next to the store's own URLs (used only by bench/availability.py)."""

from django.urls import path

from bench.minimal_views import AvailabilityOneSelect
from config.urls_tenant import urlpatterns as tenant_urlpatterns

urlpatterns = [path("bench/availability/<int:variant_id>", AvailabilityOneSelect.as_view()), *tenant_urlpatterns]
