"""Shopper e-mails and merchant alerts: the outbox, merchant templates, alert recipients and unsubscribes.

Everything here lives in the store's schema (tenant app), so one store never sees another's mail.
"""

from django.db import models
from django.db.models import Q

from notifications.automations.models import (  # noqa: F401  (rules, events, runs: notifications/automations/)
    AutomationBudgetDay,
    AutomationEvent,
    AutomationRule,
    AutomationRun,
)
from notifications.self_service.models import SelfServiceAccess  # noqa: F401  (the self-service links' versions)
from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: F401  (outbound webhooks)


class Notification(models.Model):
    """One e-mail the app owes somebody: the outbox row, written in the transaction of the event causing it.

    Lifecycle (notifications/sending.py): pending -> sending -> sent; a failure before the hand-off to SMTP
    goes back to pending with a backoff (failed after the last attempt); a row found `sending` after a crash
    is `unknown` if it had been handed to SMTP (never resent automatically: staff resend it by hand, which
    makes a new row), else pending again.
    `idempotency_key` is `<kind>:<subject>`; a second enqueue with the same key finds the first row.
    `is_test`: a test e-mail the merchant sent (notifications/sample_email.py): the kind's sample data, a subject
    starting "[Test] "; never a shopper's e-mail, so figures about shopper e-mails leave it out.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "To send"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Outcome unknown"
        CANCELLED = "cancelled", "Cancelled"
        SUPPRESSED = "suppressed", "Not sent (unsubscribed)"

    kind = models.CharField(max_length=40)
    idempotency_key = models.CharField(max_length=200, unique=True)
    recipient = models.EmailField()
    language = models.CharField(max_length=10, blank=True, help_text="Empty = the store's language.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    context = models.JSONField(default=dict, blank=True, help_text="Ids and facts to render from (no PII copies).")
    backorder = models.ForeignKey(
        "backorder.Backorder", on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    order_id = models.BigIntegerField(null=True, blank=True)
    subject = models.CharField(max_length=300, blank=True, help_text="As sent (rendered at send time).")
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    resend_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resends")
    # db_default: the outbox's raw INSERTs (outbox.py, services.py) may leave it out.
    is_test = models.BooleanField(default=False, db_default=False, help_text="A test e-mail the merchant sent.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a sender marked it `sending`.")
    handed_off_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was given to the SMTP server (outcome unknown until `sent_at`)."
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["next_attempt_at", "id"], condition=Q(status="pending"), name="notification_due"),
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="notification_in_flight"),
            models.Index(fields=["order_id"], name="notification_order"),
            models.Index(fields=["status", "created_at"], name="notification_status_age"),
            # Test e-mails are few: their throttle and the onboarding's "sent one?" read only these.
            models.Index(fields=["created_at"], condition=Q(is_test=True), name="notification_test"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.get_status_display()})"


class MessageTemplate(models.Model):
    """The merchant's own wording of one kind of e-mail in one language (else the default is used)."""

    kind = models.CharField(max_length=40)
    language = models.CharField(max_length=10)
    subject = models.CharField(max_length=300)
    body_html = models.TextField()
    body_text = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "language"], name="one_template_per_kind_language")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.language})"


class AlertRecipient(models.Model):
    """Who gets the store's merchant alerts; with none, the store's owner does.

    `kinds` empty = every alert; otherwise only the listed alert kinds.
    """

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    kinds = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def wants(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


class Unsubscribe(models.Model):
    """An address that asked for no more non-transactional mail of a scope (`all` = any of them)."""

    email = models.EmailField(help_text="Lower-cased.")
    scope = models.CharField(max_length=40)
    source = models.CharField(max_length=40, blank=True, help_text="one_click, page, staff, …")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["email", "scope"], name="one_unsubscribe_per_scope")]

    def __str__(self) -> str:
        return f"{self.email} from {self.scope}"
