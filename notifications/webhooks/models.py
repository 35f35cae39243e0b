"""Outbound webhooks: the merchant's subscriptions (endpoints) and every delivery of an event to one."""

from django.db import models
from django.db.models import Q

from stores.crypto import EncryptedTextField


class WebhookEndpoint(models.Model):
    """A URL that receives the store's events of the listed types, signed with the Standard Webhooks scheme.

    `secret` (`whsec_<base64>`) is encrypted at rest and shown once; after a rotation the previous secret
    also signs (a second `v1,` signature) until `previous_secret_expires_at`, so receivers can switch over.
    An endpoint whose deliveries failed without a success for the whole retry schedule is switched off
    (`disabled_reason`) and the merchant alerted. `events` may be empty: the endpoint then only gets what
    rules send it (the rule action "send a signed webhook")."""

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    secret = EncryptedTextField()
    previous_secret = EncryptedTextField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    payload_version = models.PositiveSmallIntegerField(default=1)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True, help_text="First failure after the last success.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Deleting erases the secrets and keeps the row, so a delivery being recorded never points at nothing.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event to one endpoint: one `message_id` (the `webhook-id` header), kept across retries and replays.

    pending -> sending (claimed and committed before the request) -> delivered (2xx), or back to pending
    with the retry schedule's next delay, and `failed` after its last attempt. A sender that died leaves the
    row `sending`; it is sent again later with the same id (receivers dedupe on `webhook-id`)."""

    class Status(models.TextChoices):
        PENDING = "pending", "To send"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("notifications.AutomationEvent", on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The receiver's answer, first 2,000 characters.")
    error = models.TextField(blank=True)
    attempt_log = models.JSONField(default=list, blank=True, help_text="The latest attempts: at, status, ms, error.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="one_delivery_per_endpoint_event")]
        indexes = [
            models.Index(fields=["next_attempt_at", "id"], condition=Q(status="pending"), name="webhook_delivery_due"),
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="webhook_delivery_in_flight"),
            models.Index(fields=["endpoint", "created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} to {self.endpoint_id} ({self.get_status_display()})"
