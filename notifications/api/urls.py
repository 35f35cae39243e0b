"""Mounted at /api/v1/notifications/ on store hosts (config/urls_tenant.py)."""

from django.urls import path

from notifications.api import log, recipients, sample_email, templates

urlpatterns = [
    path("", log.NotificationListApi.as_view(), name="notifications-list"),
    path("<int:notification_id>/", log.NotificationDetailApi.as_view(), name="notifications-detail"),
    path("<int:notification_id>/resend/", log.NotificationResendApi.as_view(), name="notifications-resend"),
    path("test-email/", sample_email.SampleEmailApi.as_view(), name="notifications-test-email"),
    path("templates/", templates.TemplateListApi.as_view(), name="notification-templates"),
    path("templates/<str:kind>/<str:language>/", templates.TemplateDetailApi.as_view(),
         name="notification-template"),
    path("templates/<str:kind>/<str:language>/preview/", templates.TemplatePreviewApi.as_view(),
         name="notification-template-preview"),
    path("alert-recipients/", recipients.AlertRecipientListApi.as_view(), name="alert-recipients"),
    path("alert-recipients/<int:recipient_id>/", recipients.AlertRecipientDetailApi.as_view(),
         name="alert-recipient"),
]  # fmt: skip
