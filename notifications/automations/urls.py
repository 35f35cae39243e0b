"""Mounted at /api/v1/automations/ on store hosts (config/urls_tenant.py)."""

from django.urls import path

from notifications.automations import api

urlpatterns = [
    path("catalog/", api.CatalogApi.as_view(), name="automation-catalog"),
    path("rules/", api.RuleListApi.as_view(), name="automation-rules"),
    path("rules/<int:rule_id>/", api.RuleDetailApi.as_view(), name="automation-rule"),
    path("templates/", api.TemplateListApi.as_view(), name="automation-templates"),
    path("templates/<str:key>/install/", api.TemplateInstallApi.as_view(), name="automation-template-install"),
    path("dry-run/", api.DryRunApi.as_view(), name="automation-dry-run"),
    path("runs/", api.RunListApi.as_view(), name="automation-runs"),
    path("runs/<int:run_id>/", api.RunDetailApi.as_view(), name="automation-run"),
    path("runs/<int:run_id>/retry/", api.RunRetryApi.as_view(), name="automation-run-retry"),
    path("budget/", api.BudgetApi.as_view(), name="automation-budget"),
    path("tasks/", api.TaskListApi.as_view(), name="automation-tasks"),
    path("tasks/<int:task_id>/done/", api.TaskDoneApi.as_view(), name="automation-task-done"),
]
