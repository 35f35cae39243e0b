"""URLs of a store's host (<slug>.APP_DOMAIN): the merchant app and the merchant API."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from stores import health, views
from stores.api import StoreDetailApi
from stores.bigcommerce import connect

api_v1 = [
    path("store/", StoreDetailApi.as_view(), name="store-detail"),
    path("", include("backorder.api.urls")),
    path("api-tokens/", include("stores.api_tokens_api")),
    path("team/", include("stores.team_api")),
    path("connection/", include("stores.connection_api")),
    path("notifications/", include("notifications.api.urls")),
    path("automations/", include("notifications.automations.urls")),
    path("webhooks/", include("notifications.webhooks.urls")),
]

urlpatterns = [
    path("", include("backorder.web.urls")),
    path("login/", views.store_login, name="login"),
    path("logout/", views.store_logout, name="logout"),
    path("auth/handoff/<str:token>/", views.handoff, name="handoff"),
    path("auth/check/", views.session_check, name="session-check"),
    path("connect/bigcommerce/", connect.connect_bigcommerce, name="connect-bigcommerce"),
    path("connect/sandbox/", connect.connect_sandbox, name="connect-sandbox"),
    path("healthz", health.healthz, name="healthz"),
    path("livez", health.livez, name="livez"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

# API paths answer errors as JSON in the one error shape (stores.api_errors); pages keep Django's.
handler404 = "stores.api_errors.not_found"
handler500 = "stores.api_errors.server_error"
