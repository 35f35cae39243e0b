"""The public URLs plus the benchmark's comparison view (used only by bench/webhook_ack.py)."""

from django.urls import path

from bench.minimal_views import webhook_insert_only
from config.urls_public import urlpatterns as public_urlpatterns

urlpatterns = [path("bench/webhook-insert-only", webhook_insert_only), *public_urlpatterns]
