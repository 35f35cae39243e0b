"""URLs reached through a storefront public key (the store comes from the key, on the public host).

Trailing slashes are optional on the storefront API.
"""

from django.urls import re_path

from backorder import storefront_api

PREFIX = r"^api/storefront/v1/(?P<public_key>[^/]+)/"

urlpatterns = [
    re_path(PREFIX + r"config/?$", storefront_api.StorefrontConfigApi.as_view(), name="storefront-config"),
    re_path(PREFIX + r"cart/?$", storefront_api.CartSummaryApi.as_view(), name="storefront-cart"),
    re_path(
        PREFIX + r"cart/shipping-choice/?$",
        storefront_api.CartShippingChoiceApi.as_view(),
        name="storefront-cart-shipping-choice",
    ),
    re_path(
        PREFIX + r"products/(?P<product_id>[^/]+)/alternatives/?$",
        storefront_api.ProductAlternativesApi.as_view(),
        name="storefront-product-alternatives",
    ),
    re_path(
        PREFIX + r"products/(?P<product_id>[^/]+)/?$",
        storefront_api.ProductAvailabilityApi.as_view(),
        name="storefront-product-availability",
    ),
]
