"""Merchant API: automation rules, their vocabulary, templates, dry runs, the run log, the budget and tasks.

Mounted at /api/v1/automations/ on store hosts (notifications/automations/urls.py). Any member of the store
(or its API token) may use it; every rule is checked by the catalog before it is saved (400 with `fields`).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Max
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from backorder.api.pagination import Pagination, paginated
from backorder.models import MerchantTask
from notifications.automations import catalog, services
from notifications.automations.dry_run import rule_dry_run
from notifications.automations.models import AutomationBudgetDay, AutomationRule, AutomationRun
from notifications.automations.recipes import RECIPES
from notifications.automations.runner import RunNotRetryable, automation_run_retry, budget_today, daily_budget

OPS = sorted({op for ops in catalog.OPS.values() for op in ops})
ACTION_TYPES = list(catalog.ACTIONS)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This cannot be done in the current state."
    default_code = "conflict"


def _actor(request) -> str:
    user = request.user
    return getattr(user, "email", "") or getattr(user, "name", "") or "integration"


# -- serializers ---------------------------------------------------------------------------------------------------


class ConditionSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=list(catalog.CONDITIONS))
    op = serializers.ChoiceField(choices=OPS)
    value = serializers.JSONField(help_text="Ids (a list of numbers), a number, or text, as the field takes.")


class ActionSerializer(serializers.Serializer):
    """One action: `type` and the parameters that type takes (GET /api/v1/automations/catalog/)."""

    type = serializers.ChoiceField(choices=ACTION_TYPES)
    to = serializers.ChoiceField(choices=["shopper", "team", "address"], required=False, help_text="email")
    address = serializers.CharField(required=False, allow_blank=True, max_length=254, help_text="email to an address")
    template = serializers.ChoiceField(choices=list(catalog.SHOPPER_TEMPLATES), required=False,
                                       help_text="email to the shopper")  # fmt: skip
    subject = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="email (team, address)")
    message = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                    help_text="email, slack, teams; placeholders such as {order_id}")  # fmt: skip
    messages = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000),
        required=False,
        help_text="email to the shopper: the message per language (en, de, fr, es)",
    )
    status_id = serializers.IntegerField(required=False, help_text="order_status")
    text = serializers.CharField(required=False, allow_blank=True, max_length=500, help_text="staff_note")
    customer_group_id = serializers.IntegerField(required=False, help_text="customer_group")
    discount_type = serializers.ChoiceField(choices=["percent", "amount"], required=False, help_text="coupon")
    amount = serializers.CharField(required=False, max_length=20, help_text='coupon, e.g. "10"')
    applies_to = serializers.ChoiceField(choices=["product", "order"], required=False, help_text="coupon")
    valid_days = serializers.IntegerField(required=False, help_text="coupon")
    days = serializers.IntegerField(required=False, help_text="move_date")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="cancel")
    refund = serializers.BooleanField(required=False, help_text="cancel")
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="task")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text="task")
    webhook_id = serializers.IntegerField(required=False, help_text="webhook: one of /api/v1/webhooks/")
    url = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="slack, teams: the incoming webhook URL (shown masked once saved)",
    )


class RuleStatsSerializer(serializers.Serializer):
    runs_30_days = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    last_run_at = serializers.DateTimeField(allow_null=True)


class RuleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    enabled = serializers.BooleanField()
    trigger = serializers.CharField()
    match = serializers.CharField()
    conditions = ConditionSerializer(many=True)
    actions = serializers.SerializerMethodField()
    recipe = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    needs = serializers.SerializerMethodField(help_text="What must be filled in before it can be switched on.")
    stats = serializers.SerializerMethodField()
    created_by = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(ActionSerializer(many=True))
    def get_actions(self, rule) -> list:
        return ActionSerializer(services.actions_for_output(rule.actions), many=True).data

    def get_needs(self, rule) -> list[str]:
        return services.rule_is_complete(rule)

    @extend_schema_field(RuleStatsSerializer)
    def get_stats(self, rule) -> dict:
        stats = (self.context.get("stats") or {}).get(rule.pk) or {}
        return {"runs_30_days": sum(v for k, v in stats.items() if k != "last_run_at"),
                "succeeded": stats.get("succeeded", 0), "failed": stats.get("failed", 0) + stats.get("unknown", 0),
                "skipped": stats.get("skipped", 0), "last_run_at": stats.get("last_run_at")}  # fmt: skip


class RuleInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    trigger = serializers.ChoiceField(choices=list(catalog.TRIGGERS))
    match = serializers.ChoiceField(choices=["all", "any"], required=False, default="all")
    conditions = ConditionSerializer(many=True, required=False)
    actions = ActionSerializer(many=True, allow_empty=False)
    enabled = serializers.BooleanField(required=False, default=False)


class RulePatchSerializer(RuleInputSerializer):
    name = serializers.CharField(max_length=200, required=False)
    trigger = serializers.ChoiceField(choices=list(catalog.TRIGGERS), required=False)
    match = serializers.ChoiceField(choices=["all", "any"], required=False)
    actions = ActionSerializer(many=True, allow_empty=False, required=False)
    enabled = serializers.BooleanField(required=False)


def _stats(rule_ids: list[int]) -> dict:
    since = timezone.now() - timedelta(days=30)
    stats: dict = {}
    rows = (AutomationRun.objects.filter(rule_id__in=rule_ids, created_at__gte=since)
            .values("rule_id", "status").annotate(n=Count("id"), last=Max("created_at")))  # fmt: skip
    for row in rows:
        entry = stats.setdefault(row["rule_id"], {})
        entry[row["status"]] = row["n"]
        entry["last_run_at"] = max(filter(None, [entry.get("last_run_at"), row["last"]]))
    return stats


def _rule(pk: int) -> AutomationRule:
    try:
        return services.rule_get(pk)
    except AutomationRule.DoesNotExist:
        raise exceptions.NotFound("No rule of that id.") from None


def _conditions(data) -> list[dict] | None:
    return [dict(c) for c in data] if data is not None else None


# -- rules --------------------------------------------------------------------------------------------------------


class RuleListApi(APIView):
    pagination_class = Pagination

    @extend_schema(operation_id="automation_rules_list", summary="Automation rules",
                   responses=RuleOutputSerializer(many=True))  # fmt: skip
    def get(self, request):
        paginator = Pagination()
        page = paginator.paginate_queryset(services.rules(), request, view=self)
        context = {"stats": _stats([rule.pk for rule in page])}
        return paginator.get_paginated_response(RuleOutputSerializer(page, many=True, context=context).data)

    @extend_schema(operation_id="automation_rules_create", summary="Make a rule (off unless enabled and complete)",
                   request=RuleInputSerializer, responses={201: RuleOutputSerializer})  # fmt: skip
    def post(self, request):
        serializer = RuleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        rule = services.rule_create(
            name=data["name"], trigger=data["trigger"], match=data["match"],
            conditions=_conditions(data.get("conditions")) or [], actions=[dict(a) for a in data["actions"]],
            enabled=data["enabled"], created_by=_actor(request),
        )  # fmt: skip
        return Response(RuleOutputSerializer(rule).data, status=status.HTTP_201_CREATED)


class RuleDetailApi(APIView):
    @extend_schema(operation_id="automation_rules_retrieve", summary="A rule", responses=RuleOutputSerializer)
    def get(self, request, rule_id: int):
        rule = _rule(rule_id)
        return Response(RuleOutputSerializer(rule, context={"stats": _stats([rule.pk])}).data)

    @extend_schema(operation_id="automation_rules_partial_update",
                   summary="Change a rule, or switch it on or off (`enabled`)", request=RulePatchSerializer,
                   responses=RuleOutputSerializer)  # fmt: skip
    def patch(self, request, rule_id: int):
        rule = _rule(rule_id)
        serializer = RulePatchSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        rule = services.rule_update(
            rule=rule, name=data.get("name"), trigger=data.get("trigger"), match=data.get("match"),
            conditions=_conditions(data.get("conditions")),
            actions=[dict(a) for a in data["actions"]] if "actions" in data else None, enabled=data.get("enabled"),
        )  # fmt: skip
        return Response(RuleOutputSerializer(rule, context={"stats": _stats([rule.pk])}).data)

    @extend_schema(operation_id="automation_rules_destroy", summary="Delete a rule (its runs stay in the log)",
                   responses={204: None})  # fmt: skip
    def delete(self, request, rule_id: int):
        services.rule_delete(rule=_rule(rule_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- catalog, templates, dry run -------------------------------------------------------------------------------------


class CatalogApi(APIView):
    @extend_schema(operation_id="automation_catalog", summary="Every trigger, condition, action and placeholder",
                   responses=OpenApiTypes.OBJECT)  # fmt: skip
    def get(self, request):
        return Response(catalog.catalog())


class AutomationTemplateOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    trigger = serializers.CharField()
    match = serializers.CharField()
    conditions = ConditionSerializer(many=True)
    actions = ActionSerializer(many=True)
    needs = serializers.ListField(child=serializers.CharField(), help_text="What to fill in before switching it on.")
    installed = serializers.IntegerField(help_text="Rules of this store made from it.")


class TemplateListApi(APIView):
    @extend_schema(operation_id="automation_templates_list", summary="Ready-made rules",
                   responses=AutomationTemplateOutputSerializer(many=True))  # fmt: skip
    def get(self, request):
        installed = dict(AutomationRule.objects.filter(deleted_at__isnull=True).exclude(recipe="")
                         .values_list("recipe").annotate(n=Count("id")).values_list("recipe", "n"))  # fmt: skip
        rows = [{**recipe.__dict__, "needs": list(recipe.needs), "installed": installed.get(recipe.key, 0)}
                for recipe in RECIPES.values()]  # fmt: skip
        return Response(AutomationTemplateOutputSerializer(rows, many=True).data)


class TemplateInstallApi(APIView):
    @extend_schema(operation_id="automation_templates_install",
                   summary="Install a ready-made rule (switched off, to edit)", request=None,
                   responses={201: RuleOutputSerializer})  # fmt: skip
    def post(self, request, key: str):
        try:
            rule = services.recipe_install(key=key, created_by=_actor(request))
        except KeyError:
            raise exceptions.NotFound("No template of that name.") from None
        return Response(RuleOutputSerializer(rule).data, status=status.HTTP_201_CREATED)


class DryRunInputSerializer(serializers.Serializer):
    trigger = serializers.ChoiceField(choices=list(catalog.TRIGGERS))
    match = serializers.ChoiceField(choices=["all", "any"], required=False, default="all")
    conditions = ConditionSerializer(many=True, required=False)
    days = serializers.IntegerField(required=False, default=30, min_value=1, max_value=90)


class DryRunExampleSerializer(serializers.Serializer):
    occurred_at = serializers.CharField(help_text="When it happened (a date for scheduled triggers).")
    summary = serializers.CharField()
    backorder_id = serializers.IntegerField(allow_null=True)
    order_id = serializers.IntegerField(allow_null=True)
    certain = serializers.BooleanField(help_text="False: matches only if BigCommerce's facts hold when it runs.")


class DryRunOutputSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    scanned = serializers.IntegerField(help_text="Events of the trigger in the period (newest 5,000 at most).")
    matched = serializers.IntegerField()
    maybe = serializers.IntegerField(help_text="Depend on the order total or customer group (read when it runs).")
    examples = DryRunExampleSerializer(many=True)
    checked_when_run = serializers.ListField(child=serializers.CharField())
    approximate = serializers.BooleanField(help_text="Rebuilt from today's data (late, at risk, back in stock).")
    truncated = serializers.BooleanField()


class DryRunApi(APIView):
    @extend_schema(operation_id="automation_dry_run",
                   summary="How many events of the last days a trigger and conditions would have matched",
                   request=DryRunInputSerializer, responses=DryRunOutputSerializer)  # fmt: skip
    def post(self, request):
        serializer = DryRunInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = rule_dry_run(trigger=data["trigger"], match=data["match"],
                              conditions=_conditions(data.get("conditions")) or [], store=request.tenant,
                              days=data["days"])  # fmt: skip
        for example in result["examples"]:
            example["occurred_at"] = str(example["occurred_at"].isoformat())
        return Response(DryRunOutputSerializer(result).data)


# -- runs ---------------------------------------------------------------------------------------------------------


class RunEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    key = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    backorder_id = serializers.IntegerField(allow_null=True)
    order_id = serializers.IntegerField(allow_null=True)


class RunOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rule_id = serializers.IntegerField(allow_null=True)
    rule_name = serializers.CharField()
    event = RunEventSerializer()
    status = serializers.ChoiceField(choices=AutomationRun.Status.choices)
    outcome = serializers.CharField(help_text="done, conditions_not_met, rule_off, loop_prevented, budget_exhausted, "
                                              "action_failed, gave_up, handed_off, facts_unavailable")  # fmt: skip
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    retryable = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_retryable(self, run) -> bool:
        return run.status in (AutomationRun.Status.FAILED, AutomationRun.Status.UNKNOWN) or (
            run.status == AutomationRun.Status.SKIPPED and run.outcome == "budget_exhausted"
        )


class RunDetailOutputSerializer(RunOutputSerializer):
    inputs = serializers.JSONField(help_text="The facts the conditions were checked against.")
    steps = serializers.JSONField(help_text="Each action: type, status, attempts, response, outputs, error.")
    event_data = serializers.JSONField(source="event.data", help_text="The event's webhook payload data.")


class RunFilterSerializer(serializers.Serializer):
    rule_id = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=AutomationRun.Status.choices, required=False)
    trigger = serializers.ChoiceField(choices=list(catalog.TRIGGERS), required=False)
    backorder_id = serializers.IntegerField(required=False, min_value=1)


class RunListApi(APIView):
    pagination_class = Pagination

    @extend_schema(operation_id="automation_runs_list", summary="The run log, newest first",
                   parameters=[RunFilterSerializer], responses=RunOutputSerializer(many=True))  # fmt: skip
    def get(self, request):
        filters = RunFilterSerializer(data=request.GET)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        runs = AutomationRun.objects.select_related("event").order_by("-created_at", "-id")
        if f.get("rule_id"):
            runs = runs.filter(rule_id=f["rule_id"])
        if f.get("status"):
            runs = runs.filter(status=f["status"])
        if f.get("trigger"):
            runs = runs.filter(event__type=f["trigger"])
        if f.get("backorder_id"):
            runs = runs.filter(event__backorder_id=f["backorder_id"])
        return paginated(request, self, runs, RunOutputSerializer)


def _run(pk: int) -> AutomationRun:
    run = AutomationRun.objects.select_related("event").filter(pk=pk).first()
    if run is None:
        raise exceptions.NotFound("No run of that id.")
    return run


class RunDetailApi(APIView):
    @extend_schema(operation_id="automation_runs_retrieve", summary="A run: inputs, steps, responses",
                   responses=RunDetailOutputSerializer)  # fmt: skip
    def get(self, request, run_id: int):
        return Response(RunDetailOutputSerializer(_run(run_id)).data)


class RunRetryApi(APIView):
    @extend_schema(
        operation_id="automation_runs_retry",
        summary="Run a failed, unknown or budget-skipped run again (from its first step not done)",
        request=None,
        responses={202: RunOutputSerializer, 409: OpenApiResponse(description="Not retryable in its state.")},
    )
    def post(self, request, run_id: int):
        try:
            run = automation_run_retry(run=_run(run_id))
        except RunNotRetryable as exc:
            raise Conflict(str(exc)) from None
        return Response(RunOutputSerializer(_run(run.pk)).data, status=status.HTTP_202_ACCEPTED)


# -- budget and tasks ---------------------------------------------------------------------------------------------


class BudgetOutputSerializer(serializers.Serializer):
    day = serializers.DateField(help_text="Today in the store's time zone.")
    limit = serializers.IntegerField(help_text="Actions the store's rules may take a day.")
    used = serializers.IntegerField()
    refused = serializers.IntegerField(help_text="Actions skipped today because the budget was used up.")
    exhausted = serializers.BooleanField()
    needing_attention = serializers.IntegerField(help_text="Failed and unknown runs of the last 30 days.")


class BudgetApi(APIView):
    @extend_schema(operation_id="automation_budget", summary="Today's action budget", responses=BudgetOutputSerializer)
    def get(self, request):
        day = budget_today(request.tenant)
        row = AutomationBudgetDay.objects.filter(day=day).first()
        used, refused, limit = (row.used if row else 0), (row.refused if row else 0), daily_budget()
        attention = AutomationRun.objects.filter(
            status__in=[AutomationRun.Status.FAILED, AutomationRun.Status.UNKNOWN],
            created_at__gte=timezone.now() - timedelta(days=30),
        ).count()  # fmt: skip
        return Response(BudgetOutputSerializer({"day": day, "limit": limit, "used": used, "refused": refused,
                                                "exhausted": refused > 0 or used >= limit,
                                                "needing_attention": attention}).data)  # fmt: skip


class TaskOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    title = serializers.CharField(source="details.title", default="")
    note = serializers.CharField(source="details.note", default="")
    rule_id = serializers.IntegerField(source="details.rule_id", default=None, allow_null=True)
    rule_name = serializers.CharField(source="details.rule_name", default="")
    run_id = serializers.IntegerField(source="details.run_id", default=None, allow_null=True)
    backorder_id = serializers.IntegerField(allow_null=True)
    order_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)


class TaskFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=MerchantTask.Status.choices, required=False)


class TaskListApi(APIView):
    pagination_class = Pagination

    @extend_schema(operation_id="automation_tasks_list", summary="Tasks rules made for the team",
                   parameters=[TaskFilterSerializer], responses=TaskOutputSerializer(many=True))  # fmt: skip
    def get(self, request):
        filters = TaskFilterSerializer(data=request.GET)
        filters.is_valid(raise_exception=True)
        return paginated(request, self, services.tasks(status=filters.validated_data.get("status")),
                         TaskOutputSerializer)  # fmt: skip


class TaskDoneApi(APIView):
    @extend_schema(operation_id="automation_tasks_done", summary="Mark a task done", request=None,
                   responses=TaskOutputSerializer)  # fmt: skip
    def post(self, request, task_id: int):
        task = services.tasks().filter(pk=task_id).first()
        if task is None:
            raise exceptions.NotFound("No task of that id.")
        return Response(TaskOutputSerializer(services.task_done(task=task)).data)
