"""Merchant rules: create, change, switch on and off, delete, install a recipe, retry a run, close a task.

Rules of the product:
- A rule is saved only when the catalog accepts it (catalog.rule_validate); it can be switched on only when
  it is complete (every value the merchant picks is there: a customer group, an endpoint, a URL).
- A Slack or Teams URL is a secret (anyone with it can post to the channel): stored encrypted, shown masked;
  sending back the masked form keeps the stored URL.
- Every change bumps the rule's version and makes every process read the rule set again (recording.py);
  runs already recorded check the rule as it is when they run.
- A store has at most MAX_RULES rules. Deleting a rule keeps its runs in the log.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from backorder.models import MerchantTask
from notifications.automations import catalog
from notifications.automations.actions import TASK_KIND, secret_url_mask
from notifications.automations.models import AutomationRule
from notifications.automations.recipes import RECIPES
from notifications.automations.recording import ruleset_forget
from notifications.webhooks import targets
from notifications.webhooks.models import WebhookEndpoint
from stores.crypto import decrypt, encrypt

MAX_RULES = 200
SECRET_URL_ACTIONS = ("slack", "teams")


def rules() -> list[AutomationRule]:
    return list(AutomationRule.objects.filter(deleted_at__isnull=True).order_by("name", "id"))


def rule_get(pk: int) -> AutomationRule:
    return AutomationRule.objects.get(pk=pk, deleted_at__isnull=True)


def actions_for_output(actions: list[dict]) -> list[dict]:
    """Actions as the API shows them: secret URLs masked, never decrypted for display."""
    shown = []
    for action in actions:
        action = dict(action)
        encrypted = action.pop("url_encrypted", "")
        if action["type"] in SECRET_URL_ACTIONS:
            action["url"] = secret_url_mask(decrypt(encrypted)) if encrypted else ""
        shown.append(action)
    return shown


def _actions_store(actions: list[dict], *, previous: list[dict], complete: bool) -> list[dict]:
    """Encrypt the secret URLs (the masked form of the URL already stored at that place keeps it) and check
    that the endpoints named exist."""
    errors: dict[str, list[str]] = {}
    stored = []
    for index, action in enumerate(actions):
        action = dict(action)
        where = f"actions[{index}]"
        if action["type"] in SECRET_URL_ACTIONS:
            url = str(action.pop("url", "") or "").strip()
            before = previous[index] if index < len(previous) and previous[index]["type"] == action["type"] else {}
            kept = before.get("url_encrypted", "")
            if kept and url == secret_url_mask(decrypt(kept)):
                action["url_encrypted"] = kept
            elif url:
                try:
                    action["url_encrypted"] = encrypt(targets.url_validate(url))
                except targets.TargetRefused as exc:
                    errors.setdefault(where, []).append(f"`url`: {exc}")
            else:
                action["url_encrypted"] = ""
                if complete:
                    errors.setdefault(where, []).append("`url`: the incoming webhook URL.")
        endpoint_id = action.get("webhook_id") if action["type"] == "webhook" else None
        if endpoint_id and not WebhookEndpoint.objects.filter(pk=endpoint_id, deleted_at__isnull=True).exists():
            errors.setdefault(where, []).append(f"Webhook endpoint {action['webhook_id']} does not exist.")
        stored.append(action)
    if errors:
        raise catalog.RuleInvalid(errors)
    return stored


def _validated(*, trigger, match, conditions, actions, enabled: bool, previous: list[dict]):
    spec = catalog.rule_validate(trigger=trigger, match=match, conditions=conditions, actions=actions,
                                 complete=enabled)  # fmt: skip
    return spec, _actions_store(spec.actions, previous=previous, complete=enabled)


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError({"name": ["A name of 1 to 200 characters."]})
    return name


@transaction.atomic
def rule_create(*, name: str, trigger: str, actions: list[dict], match: str = "all",
                conditions: list[dict] | None = None, enabled: bool = False, recipe: str = "",
                created_by: str = "") -> AutomationRule:  # fmt: skip
    """Save a new rule (off unless `enabled` and complete)."""
    name = _name(name)
    if AutomationRule.objects.filter(deleted_at__isnull=True).count() >= MAX_RULES:
        raise ValidationError({"name": [f"A store has at most {MAX_RULES} rules; delete one first."]})
    spec, stored = _validated(trigger=trigger, match=match, conditions=conditions or [], actions=actions,
                              enabled=enabled, previous=[])  # fmt: skip
    rule = AutomationRule.objects.create(name=name, trigger=spec.trigger, match=spec.match,
                                         conditions=spec.conditions, actions=stored, enabled=enabled, recipe=recipe,
                                         created_by=created_by[:200])  # fmt: skip
    ruleset_forget()
    return rule


@transaction.atomic
def rule_update(*, rule: AutomationRule, name: str | None = None, trigger: str | None = None,
                match: str | None = None, conditions: list[dict] | None = None, actions: list[dict] | None = None,
                enabled: bool | None = None) -> AutomationRule:  # fmt: skip
    """Change a rule; the whole rule is checked again (switching on needs a complete rule). Runs already
    recorded check the rule as it is when they run."""
    rule = AutomationRule.objects.select_for_update().get(pk=rule.pk, deleted_at__isnull=True)
    new_enabled = rule.enabled if enabled is None else enabled
    spec, stored = _validated(
        trigger=trigger if trigger is not None else rule.trigger,
        match=match if match is not None else rule.match,
        conditions=conditions if conditions is not None else rule.conditions,
        actions=actions if actions is not None else actions_for_output(rule.actions),
        enabled=new_enabled, previous=rule.actions,
    )  # fmt: skip
    if name is not None:
        rule.name = _name(name)
    rule.trigger, rule.match, rule.conditions, rule.actions = spec.trigger, spec.match, spec.conditions, stored
    rule.enabled = new_enabled
    rule.version = F("version") + 1
    rule.save()
    rule.refresh_from_db()
    ruleset_forget()
    return rule


@transaction.atomic
def rule_delete(*, rule: AutomationRule) -> None:
    """The rule stops at once; its runs stay in the log (runs not done yet are skipped: "rule off")."""
    AutomationRule.objects.filter(pk=rule.pk).update(deleted_at=timezone.now(), enabled=False,
                                                     updated_at=timezone.now())  # fmt: skip
    ruleset_forget()


def recipe_install(*, key: str, created_by: str = "") -> AutomationRule:
    """A recipe becomes a rule of the store, switched off, to review and switch on."""
    recipe = RECIPES.get(key)
    if recipe is None:
        raise KeyError(key)
    taken = set(AutomationRule.objects.filter(deleted_at__isnull=True, name__startswith=recipe.name)
                .values_list("name", flat=True))  # fmt: skip
    name, n = recipe.name, 1
    while name in taken:
        n += 1
        name = f"{recipe.name} ({n})"
    return rule_create(name=name, trigger=recipe.trigger, match=recipe.match, conditions=list(recipe.conditions),
                       actions=[dict(a) for a in recipe.actions], enabled=False, recipe=recipe.key,
                       created_by=created_by)  # fmt: skip


def rule_is_complete(rule: AutomationRule) -> list[str]:
    """What the rule still needs before it can be switched on ([] = complete)."""
    try:
        _validated(trigger=rule.trigger, match=rule.match, conditions=rule.conditions,
                   actions=actions_for_output(rule.actions), enabled=True, previous=rule.actions)  # fmt: skip
    except ValidationError as exc:
        return [f"{_where(field)}: {message}" for field, messages in exc.message_dict.items() for message in messages]
    return []


def _where(field: str) -> str:
    """`actions[0]` -> `Action 1`, as the editor numbers them."""
    match = re.fullmatch(r"(conditions|actions)\[(\d+)\]", field)
    if match is None:
        return field.replace("_", " ").capitalize()
    return f"{'Condition' if match[1] == 'conditions' else 'Action'} {int(match[2]) + 1}"


# -- tasks rules create ----------------------------------------------------------------------------------------


def tasks(*, status: str | None = None):
    rows = MerchantTask.objects.filter(kind=TASK_KIND).order_by("-created_at", "-id")
    if status:
        rows = rows.filter(status=status)
    return rows


@transaction.atomic
def task_done(*, task: MerchantTask) -> MerchantTask:
    """The merchant did it. Done twice changes nothing."""
    if task.status != MerchantTask.Status.DONE:
        task.status, task.done_at = MerchantTask.Status.DONE, timezone.now()
        task.save(update_fields=["status", "done_at"])
    return task
