"""Automations: the merchant's rules, the events they act on, and every run of a rule on an event.

An event the store cares about (some enabled rule or webhook subscription wants its type) is one
`AutomationEvent` row, written in the transaction that caused it; each rule it matches gets one
`AutomationRun` (unique per rule and event) and each subscription one `WebhookDelivery` (unique per
subscription and event), in the same statement. Runs and deliveries are processed after the commit.
"""

from django.db import models
from django.db.models import Q


class AutomationRule(models.Model):
    """A merchant's rule: when `trigger` happens and the conditions hold (`all` or `any` of them), do the
    actions in order. A new rule is off until the merchant switches it on; every change bumps `version`."""

    class Match(models.TextChoices):
        ALL = "all", "All conditions"
        ANY = "any", "Any condition"

    name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=False)
    trigger = models.CharField(max_length=60)
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)
    conditions = models.JSONField(default=list, blank=True, help_text='[{"field", "op", "value"}]')
    actions = models.JSONField(default=list, help_text='[{"type", …parameters}]; secret URLs encrypted.')
    recipe = models.CharField(max_length=60, blank=True, help_text="The template it was installed from.")
    version = models.PositiveIntegerField(default=1)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Deleting keeps the row (its runs stay in the log, and a run being recorded never points at nothing).
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["trigger"], condition=Q(enabled=True), name="automation_rule_on")]

    def __str__(self) -> str:
        return f"{self.name} ({'on' if self.enabled else 'off'})"


class AutomationEvent(models.Model):
    """Something that happened in the store that a rule or a webhook subscription wanted, once per `key`
    (e.g. `timeline:<backorder event id>`, `late:<backorder id>:<promised date>`).

    `facts` are the condition inputs when it was first recorded; `data` is the webhook payload's `data`
    object (versioned, see notifications/webhooks/payloads.py), a snapshot as of the event; `origin` lists
    the rules whose runs caused it (a rule never runs on an event its own run caused)."""

    key = models.CharField(max_length=200, unique=True)
    type = models.CharField(max_length=60)
    occurred_at = models.DateTimeField()
    backorder = models.ForeignKey("backorder.Backorder", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")  # fmt: skip
    order_id = models.BigIntegerField(null=True, blank=True)
    facts = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    origin = models.JSONField(default=list, blank=True, help_text="Ids of the rules whose runs caused it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["occurred_at"], name="automation_event_time")]

    def __str__(self) -> str:
        return f"{self.type} ({self.key})"


class AutomationRun(models.Model):
    """One rule acting on one event: recorded with the event, done after the commit (runner.py).

    pending -> running (claimed, committed before any action) -> succeeded, skipped (conditions not met at
    run time, rule switched off, budget used up, loop prevented) or failed (after retries, or refused); a run
    whose worker died is resumed from its first step not done, except when that step had already handed a
    message that cannot be recalled to its receiver (Slack, Teams): then `unknown`, never repeated by itself.
    `steps` holds each action's state, response and outputs (e.g. the coupon code); `inputs` the facts the
    conditions were checked against."""

    class Status(models.TextChoices):
        PENDING = "pending", "To run"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Outcome unknown"

    rule = models.ForeignKey(AutomationRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs")
    rule_name = models.CharField(max_length=200, blank=True)
    event = models.ForeignKey(AutomationEvent, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    outcome = models.CharField(max_length=40, blank=True, help_text="A machine-readable reason.")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    charged = models.BooleanField(default=False, help_text="Its actions were counted in the daily budget.")
    inputs = models.JSONField(default=dict, blank=True)
    steps = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "event"], name="one_run_per_rule_and_event")]
        indexes = [
            models.Index(fields=["next_attempt_at", "id"], condition=Q(status="pending"), name="automation_run_due"),
            models.Index(fields=["claimed_at"], condition=Q(status="running"), name="automation_run_in_flight"),
            models.Index(fields=["rule", "created_at"], name="automation_run_by_rule"),
            models.Index(fields=["status", "created_at"], name="automation_run_status_age"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_name} on {self.event_id} ({self.get_status_display()})"


class AutomationBudgetDay(models.Model):
    """Actions the store's rules took on one day (the store's calendar), against the daily budget."""

    day = models.DateField(unique=True)
    used = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0, help_text="Actions not taken because the budget was used up.")

    def __str__(self) -> str:
        return f"{self.day}: {self.used} actions"
