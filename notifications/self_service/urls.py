"""Mounted at /s/ on the public host (config/urls_public.py)."""

from django.urls import path

from notifications.self_service import views

app_name = "self_service"

urlpatterns = [
    path("<str:token>/", views.page, name="page"),
    path("<str:token>/accept/<int:backorder_id>/", views.accept, name="accept"),
    path("<str:token>/cancel/<int:backorder_id>/", views.cancel_line, name="cancel-line"),
    path("<str:token>/cancel/", views.cancel_order, name="cancel-order"),
    path("<str:token>/shipping/<str:preference>/", views.shipping, name="shipping"),
    path("<str:token>/renew/", views.renew, name="renew"),
]
