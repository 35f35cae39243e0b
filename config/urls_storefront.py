"""URLs reached through a storefront public key (the store comes from the key, on the public host).

Trailing slashes are optional on the storefront API.
"""

from django.urls import re_path

from backorder import storefront_api, storefront_widget

PREFIX = r"^api/storefront/v1/(?P<public_key>[^/]+)/"

urlpatterns = [
    re_path(r"^storefront/(?P<public_key>[^/]+)/widget\.js$", storefront_widget.widget_js, name="storefront-widget"),
    re_path(
        r"^storefront/(?P<public_key>[^/]+)/widget-(?P<language>[a-z]{2})\.json$",
        storefront_widget.widget_language_json,
        name="storefront-widget-language",
    ),
    re_path(PREFIX + r"config/?$", storefront_api.StorefrontConfigApi.as_view(), name="storefront-config"),
    re_path(PREFIX + r"cart/?$", storefront_api.CartSummaryApi.as_view(), name="storefront-cart"),
    re_path(PREFIX + r"notify-me/?$", storefront_api.NotifyMeApi.as_view(), name="storefront-notify-me"),
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

# API paths answer errors as JSON in the one error shape (stores.api_errors); pages keep Django's.
handler404 = "stores.api_errors.not_found"
handler500 = "stores.api_errors.server_error"
