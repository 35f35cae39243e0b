"""Support staff, in one store's admin (/admin/store/<id>/): the e-mail log with a one-click resend of e-mails
whose outcome is unknown or that failed, the merchant's templates, alert recipients and unsubscribes; the
automation rules, their run log (with "run again") and the webhook endpoints and deliveries (secrets never
shown)."""

from __future__ import annotations

from django.contrib import admin, messages

from notifications.models import (
    AlertRecipient,
    AutomationRule,
    AutomationRun,
    MessageTemplate,
    Notification,
    Unsubscribe,
    WebhookDelivery,
    WebhookEndpoint,
)
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


# -- automations and outbound webhooks (read-only: merchants change them in the app) -----------------------------


class _ReadOnly(AuditedModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AutomationRule, site=store_admin_site)
class AutomationRuleAdmin(_ReadOnly):
    list_display = ["id", "name", "enabled", "trigger", "version", "updated_at", "deleted_at"]
    list_filter = ["enabled", "trigger"]
    search_fields = ["name"]
    # Slack and Teams URLs are stored encrypted in `actions` and shown only in that form.
    readonly_fields = [f.name for f in AutomationRule._meta.fields]


@admin.register(AutomationRun, site=store_admin_site)
class AutomationRunAdmin(_ReadOnly):
    """The run log: what each rule did, with its inputs and each action's response; staff can run a failed,
    unknown or budget-skipped run again (as the merchant can in the app)."""

    list_display = ["id", "created_at", "rule_name", "status", "outcome", "attempts", "finished_at"]
    list_filter = ["status", "outcome"]
    search_fields = ["rule_name", "event__key"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AutomationRun._meta.fields]
    actions = ["retry"]

    @admin.action(description="Run again (failed, unknown or budget-skipped runs only)")
    def retry(self, request, queryset):
        from notifications.automations.runner import RunNotRetryable, automation_run_retry

        done = 0
        for run in queryset.order_by("id"):
            try:
                automation_run_retry(run=run)
            except RunNotRetryable:
                continue
            audit_record(request=request, action=StaffAuditEntry.Action.CHANGE, obj=run,
                         changes={"status": {"from": run.status, "to": "pending"}})  # fmt: skip
            done += 1
        self.message_user(request, f"{done} run(s) queued again.", messages.SUCCESS)


@admin.register(WebhookEndpoint, site=store_admin_site)
class WebhookEndpointAdmin(_ReadOnly):
    list_display = ["id", "url", "enabled", "events", "last_success_at", "failing_since", "disabled_reason"]
    list_filter = ["enabled"]
    search_fields = ["url", "description"]
    exclude = ["secret", "previous_secret"]  # never shown, not even to staff
    readonly_fields = [f.name for f in WebhookEndpoint._meta.fields if f.name not in ("secret", "previous_secret")]


@admin.register(WebhookDelivery, site=store_admin_site)
class WebhookDeliveryAdmin(_ReadOnly):
    list_display = ["id", "created_at", "endpoint", "message_id", "status", "attempts", "response_status"]
    list_filter = ["status"]
    search_fields = ["message_id"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
