"""Support staff, in one store's admin (/admin/store/<id>/): the e-mail log with a one-click resend of e-mails
whose outcome is unknown or that failed, the merchant's templates, alert recipients and unsubscribes."""

from __future__ import annotations

from django.contrib import admin, messages

from notifications.models import AlertRecipient, MessageTemplate, Notification, Unsubscribe
from notifications.sending import RESENDABLE, NotResendable, notification_resend
from stores.models import StaffAuditEntry
from stores.store_admin import AuditedModelAdmin, audit_record, store_admin_site


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", "Unknown or failed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=RESENDABLE)
        return queryset


@admin.register(Notification, site=store_admin_site)
class NotificationAdmin(AuditedModelAdmin):
    """The outbox is written by the app; staff read it and resend what may not have arrived."""

    list_display = ["id", "created_at", "kind", "recipient", "status", "attempts", "sent_at", "order_id"]
    list_filter = [NeedsAttentionFilter, "status", "kind"]
    search_fields = ["recipient", "idempotency_key", "order_id", "message_id"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Resend (unknown or failed e-mails only)")
    def resend(self, request, queryset):
        done, refused = 0, 0
        for notification in queryset.order_by("id"):
            try:
                resend = notification_resend(notification=notification, requested_by=request.user.email)
            except NotResendable:
                refused += 1
                continue
            audit_record(request=request, action=StaffAuditEntry.Action.CHANGE, obj=notification,
                         changes={"resent_as": {"from": None, "to": resend.pk}})  # fmt: skip
            done += 1
        if done:
            self.message_user(request, f"{done} e-mail(s) queued to be sent again.", messages.SUCCESS)
        if refused:
            self.message_user(request, f"{refused} e-mail(s) skipped: only unknown or failed ones are resent.",
                              messages.WARNING)  # fmt: skip


@admin.register(MessageTemplate, site=store_admin_site)
class MessageTemplateAdmin(AuditedModelAdmin):
    list_display = ["kind", "language", "subject", "updated_at", "updated_by"]
    list_filter = ["kind", "language"]
    readonly_fields = ["kind", "language", "subject", "body_html", "body_text", "updated_at", "updated_by"]

    def has_add_permission(self, request) -> bool:
        return False  # merchants edit templates in the app, where every save is validated


@admin.register(AlertRecipient, site=store_admin_site)
class AlertRecipientAdmin(AuditedModelAdmin):
    list_display = ["email", "name", "kinds", "created_at"]
    search_fields = ["email", "name"]


@admin.register(Unsubscribe, site=store_admin_site)
class UnsubscribeAdmin(AuditedModelAdmin):
    list_display = ["email", "scope", "source", "created_at"]
    list_filter = ["scope", "source"]
    search_fields = ["email"]
