"""URLs reached through a storefront public key (the store comes from the key, on the public host)."""

from django.urls import path

from backorder import storefront_api

urlpatterns = [
    path("api/storefront/v1/<str:public_key>/config", storefront_api.StorefrontConfigApi.as_view()),
    path("api/storefront/v1/<str:public_key>/config/", storefront_api.StorefrontConfigApi.as_view()),
]
