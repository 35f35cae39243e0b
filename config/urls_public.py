"""URLs of the public host (APP_BASE_URL): sign-up, sign-in, support admin, public API schema."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from notifications import views as notification_views
from stores import health, views
from stores.bigcommerce import views as bigcommerce_views

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.public_login, name="login"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="stores/password_reset_done.html"),
        name="password_reset_done",
    ),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="stores/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("bigcommerce/auth", bigcommerce_views.auth, name="bigcommerce-auth"),
    path("bigcommerce/load", bigcommerce_views.load, name="bigcommerce-load"),
    path("bigcommerce/uninstall", bigcommerce_views.uninstall, name="bigcommerce-uninstall"),
    path("bigcommerce/remove-user", bigcommerce_views.remove_user, name="bigcommerce-remove-user"),
    path("bigcommerce/webhooks", bigcommerce_views.webhooks, name="bigcommerce-webhooks"),
    path("bigcommerce/connect/<str:token>/", bigcommerce_views.connect, name="bigcommerce-connect"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("s/", include("notifications.self_service.urls")),
    path("u/<str:token>/", notification_views.unsubscribe, name="unsubscribe"),
    path("livez", health.livez, name="livez"),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_storefront"), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

# API paths answer errors as JSON in the one error shape (stores.api_errors); pages keep Django's.
handler404 = "stores.api_errors.not_found"
handler500 = "stores.api_errors.server_error"
