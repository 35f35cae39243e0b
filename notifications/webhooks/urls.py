"""Mounted at /api/v1/webhooks/ on store hosts (config/urls_tenant.py)."""

from django.urls import path

from notifications.webhooks import api

urlpatterns = [
    path("", api.EndpointListApi.as_view(), name="webhooks"),
    path("event-types/", api.EventTypeListApi.as_view(), name="webhook-event-types"),
    path("<int:webhook_id>/", api.EndpointDetailApi.as_view(), name="webhook"),
    path("<int:webhook_id>/rotate-secret/", api.EndpointRotateApi.as_view(), name="webhook-rotate-secret"),
    path("<int:webhook_id>/test/", api.EndpointTestApi.as_view(), name="webhook-test"),
    path("<int:webhook_id>/deliveries/", api.DeliveryListApi.as_view(), name="webhook-deliveries"),
    path("<int:webhook_id>/deliveries/<int:delivery_id>/", api.DeliveryDetailApi.as_view(), name="webhook-delivery"),
    path("<int:webhook_id>/deliveries/<int:delivery_id>/replay/", api.DeliveryReplayApi.as_view(),
         name="webhook-delivery-replay"),
]  # fmt: skip
