"""The runner: takes due runs, checks the rule once more, counts the budget, does the actions, records it all.

Rules:
- Runs are claimed in batches with `SELECT … FOR UPDATE SKIP LOCKED`, marked `running` and committed before
  any action: two workers never hold the same run.
- At run time the rule must still be on and its conditions (as saved now) must hold on the event's facts,
  with the facts only BigCommerce knows (order total, customer group) read now; otherwise `skipped`.
- Budget: a rule's actions count against the store's daily budget (AUTOMATION_DAILY_ACTIONS, the store's
  calendar day) once per run, when it first gets that far; a run past the budget is `skipped` with
  `budget_exhausted`, and the merchant is told once that day.
- Each step's state is in `steps`; a resumed run starts at its first step not done (actions.py says why each
  kind of step is safe to resume). A step that BigCommerce or the receiver could not take now is tried again
  after 1, 2, 4, 8, 16 minutes (6 attempts), then the run is `failed`.
- A run still `running` RUN_TIMEOUT after its claim (longer than any task may run) lost its worker: it is
  resumed, or becomes `unknown` when a step had handed a message off (never repeated by itself).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from backorder.models import Backorder
from notifications.automations import actions, catalog
from notifications.automations import facts as facts_
from notifications.automations.matching import rule_compile
from notifications.automations.models import AutomationBudgetDay, AutomationEvent, AutomationRule, AutomationRun
from notifications.automations.recording import caused_by

logger = logging.getLogger(__name__)

Status = AutomationRun.Status
BATCH = 50
ROUNDS = 40  # bounded: one task does at most ROUNDS * BATCH runs, the next task goes on
MAX_ATTEMPTS = 6
RUN_TIMEOUT = timedelta(minutes=10)  # > Q_CLUSTER timeout: no live worker holds a run this long
DONE, SKIPPED_STEP, PENDING_STEP, HANDING_OFF = "done", "skipped", "pending", "handing_off"


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8, 16 minutes between tries."""
    return timedelta(minutes=2 ** max(attempts - 1, 0))


def daily_budget() -> int:
    return int(getattr(settings, "AUTOMATION_DAILY_ACTIONS", 500))


def automation_runs_process(*, store=None, on_backlog=None) -> Counter:
    """Do the current store's due runs. Safe to run twice, or twice at once (SKIP LOCKED); `on_backlog` is
    called once when the first claim fills a batch (the caller may start a helper on the rest)."""
    from notifications.alerts import current_store

    store = store or current_store()
    outcome: Counter = Counter()
    stale_runs_resolve(outcome)
    for round_number in range(ROUNDS):
        runs = _claim()
        if not runs:
            break
        if round_number == 0 and len(runs) == BATCH and on_backlog is not None:
            on_backlog()
        # One query each for the batch's rules and backorders (a step that changes a backorder refreshes it).
        rules = AutomationRule.objects.in_bulk([r.rule_id for r in runs if r.rule_id])
        backorders = Backorder.objects.in_bulk([r.event.backorder_id for r in runs if r.event.backorder_id])
        for run in runs:
            outcome[run_execute(run, store=store, rules=rules, backorders=backorders)] += 1
    return outcome


def _claim() -> list[AutomationRun]:
    with transaction.atomic():
        runs = list(
            AutomationRun.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event")
            .filter(status=Status.PENDING, next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at", "id")[:BATCH]
        )
        if runs:
            now = timezone.now()
            AutomationRun.objects.filter(pk__in=[r.pk for r in runs]).update(
                status=Status.RUNNING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
            )
            for run in runs:
                run.status, run.claimed_at, run.attempts = Status.RUNNING, now, run.attempts + 1
    return runs


def _finish(run: AutomationRun, status: str, outcome: str, error: str = "", **fields) -> str:
    now = timezone.now()
    AutomationRun.objects.filter(pk=run.pk).update(status=status, outcome=outcome, error=error[:2000],
                                                   finished_at=now, updated_at=now, **fields)  # fmt: skip
    run.status, run.outcome, run.error = status, outcome, error
    return status if status != Status.SKIPPED else f"skipped:{outcome}"


def _retry_later(run: AutomationRun, error: str, **fields) -> str:
    if run.attempts >= MAX_ATTEMPTS:
        return _finish(run, Status.FAILED, "gave_up", f"After {run.attempts} attempts: {error}", **fields)
    now = timezone.now()
    AutomationRun.objects.filter(pk=run.pk).update(status=Status.PENDING, error=error[:2000],
                                                   next_attempt_at=now + retry_delay(run.attempts), updated_at=now,
                                                   **fields)  # fmt: skip
    return "retry"


def _save_steps(run: AutomationRun, **fields) -> None:
    AutomationRun.objects.filter(pk=run.pk).update(steps=run.steps, updated_at=timezone.now(), **fields)


def run_execute(run: AutomationRun, *, store, rules: dict | None = None, backorders: dict | None = None) -> str:
    """One claimed run, from the rule check to its last step; returns what happened (for the task's tally).
    `rules` and `backorders` (by id) are the batch's, read once; what is missing there is read here."""
    try:
        return _execute(run, store=store, rules=rules or {}, backorders=backorders or {})
    except Exception as exc:  # a bug or the database: logged, tried again later, failed in the end
        logger.exception("Automation run %s failed unexpectedly", run.pk)
        return _retry_later(run, f"Internal error: {type(exc).__name__}: {exc}")


def _execute(run: AutomationRun, *, store, rules: dict, backorders: dict) -> str:
    rule = rules.get(run.rule_id) or (AutomationRule.objects.filter(pk=run.rule_id).first() if run.rule_id else None)
    if rule is None or rule.deleted_at is not None or not rule.enabled:
        return _finish(run, Status.SKIPPED, "rule_off", "The rule was switched off or deleted before it ran.")
    event: AutomationEvent = run.event
    if rule.pk in (event.origin or []):
        return _finish(run, Status.SKIPPED, "loop_prevented", "This event was caused by this rule's own action.")
    facts = dict(run.inputs or {})
    verdict = _verdict(rule, facts)
    if verdict is None:
        try:
            facts.update(_missing_facts(rule, facts, store=store))
        except actions.StepRetry as exc:
            return _retry_later(run, f"Reading the conditions' facts: {exc}")
        except actions.StepFailed as exc:
            return _finish(run, Status.FAILED, "facts_unavailable", str(exc))
        AutomationRun.objects.filter(pk=run.pk).update(inputs=facts)
        verdict = _verdict(rule, facts)
    if not verdict:
        return _finish(run, Status.SKIPPED, "conditions_not_met", "The conditions do not hold (see the inputs).",
                       inputs=facts)  # fmt: skip
    if not run.charged:
        if not budget_charge(units=len(rule.actions), store=store):
            return _finish(run, Status.SKIPPED, "budget_exhausted",
                           f"The store's daily budget of {daily_budget()} actions was used up; the run can be "
                           f"retried from the log.")  # fmt: skip
        run.charged = True
        if run.steps:
            AutomationRun.objects.filter(pk=run.pk).update(charged=True)
    if not run.steps:  # the steps are written with the charge: one statement
        run.steps = [{"type": a["type"], "action": a, "status": PENDING_STEP, "attempts": 0} for a in rule.actions]
        _save_steps(run, charged=True)
    backorder = None
    if event.backorder_id:
        backorder = backorders.get(event.backorder_id) or Backorder.objects.filter(pk=event.backorder_id).first()
    ctx = actions.RunContext(run=run, rule=rule, event=event, store=store, facts=facts, backorder=backorder)
    lineage = tuple(event.origin or ()) + (rule.pk,)
    last = len(run.steps) - 1
    for index, step in enumerate(run.steps):
        ctx.step = index
        if step["status"] in (DONE, SKIPPED_STEP):
            ctx.outputs.update(step.get("outputs") or {})
            continue
        result = _step(run, step, ctx, lineage, final=index == last)
        if result is not None:
            return result
    if run.status == Status.SUCCEEDED:  # the last step's own statement finished the run
        return run.status
    return _finish(run, Status.SUCCEEDED, "done")


def _verdict(rule: AutomationRule, facts: dict):
    compiled = rule_compile(rule_id=rule.pk, version=rule.version, trigger=rule.trigger, match=rule.match,
                            conditions=rule.conditions)  # fmt: skip
    return compiled.verdict(facts)


def _missing_facts(rule: AutomationRule, facts: dict, *, store) -> dict:
    """The facts the rule's conditions read that the event did not carry: categories from the catalog mirror,
    the order total and customer group from BigCommerce."""
    needs = {c["field"] for c in rule.conditions} - set(facts)
    found: dict = {}
    if "category" in needs:
        probe = {"product": facts.get("product") or []}
        facts_.categories_add([probe])
        found["category"] = probe["category"]
    remote = {n for n in needs if catalog.CONDITIONS[n].source == catalog.REMOTE}
    if remote:
        ctx = actions.RunContext(run=None, rule=rule, event=None, store=store, facts=facts)
        client = ctx.client()
        found.update(actions._bigcommerce(lambda: facts_.remote_facts_read(needs=remote, facts=facts, client=client)))
    return found


CHANGES_BACKORDER = ("move_date", "cancel")


def _step(
    run: AutomationRun, step: dict, ctx: actions.RunContext, lineage: tuple[int, ...], *, final: bool
) -> str | None:
    """Do one step; None when done (or skipped) and the run goes on, else the run's result. The final step's
    "done" also finishes the run (one statement)."""
    spec = catalog.ACTIONS[step["type"]]
    perform = actions.PERFORM[step["type"]]
    step["attempts"] = int(step.get("attempts") or 0) + 1
    try:
        if spec.resume == catalog.LOCAL_ACTION:
            with transaction.atomic(), caused_by(lineage):
                response = perform(step["action"], ctx)
                _step_done(run, step, response, final=final)
            if ctx.backorder is not None and step["type"] in CHANGES_BACKORDER:
                ctx.backorder.refresh_from_db()  # the next steps' texts say what the backorder is now
        elif spec.resume == catalog.COMPARED:
            response = perform(step["action"], ctx)
            _step_done(run, step, response, final=final)
        else:  # handed off: recorded first, so that a death after the hand-off is never repeated blindly
            step["status"], step["handed_off_at"] = HANDING_OFF, timezone.now().isoformat()
            _save_steps(run)
            response = perform(step["action"], ctx)
            _step_done(run, step, response, final=final)
    except actions.StepSkipped as exc:
        step.update(status=SKIPPED_STEP, note=str(exc)[:500])
        step.pop("handed_off_at", None)
        _save_steps(run)
    except actions.StepRetry as exc:
        step.update(status=PENDING_STEP, error=str(exc)[:500])
        step.pop("handed_off_at", None)
        run.steps = list(run.steps)
        return _retry_later(run, f"{spec.label}: {exc}", steps=run.steps)
    except actions.StepFailed as exc:
        step.update(status="failed", error=str(exc)[:500])
        step.pop("handed_off_at", None)
        return _finish(run, Status.FAILED, "action_failed", f"{spec.label}: {exc}", steps=run.steps)
    except actions.StepUnknown as exc:
        step.update(status="unknown", error=str(exc)[:500])
        return _finish(run, Status.UNKNOWN, "handed_off", f"{spec.label}: {exc}", steps=run.steps)
    return None


def _step_done(run: AutomationRun, step: dict, response: dict, *, final: bool = False) -> None:
    outputs = {k: v for k, v in (response or {}).items() if k.startswith("coupon_")}
    now = timezone.now()
    step.update(status=DONE, response=response or {}, outputs=outputs, done_at=now.isoformat())
    step.pop("handed_off_at", None)
    step.pop("error", None)
    if final:
        AutomationRun.objects.filter(pk=run.pk).update(steps=run.steps, status=Status.SUCCEEDED, outcome="done",
                                                       error="", finished_at=now, updated_at=now)  # fmt: skip
        run.status, run.outcome = Status.SUCCEEDED, "done"
    else:
        _save_steps(run)


def stale_runs_resolve(outcome: Counter | None = None) -> Counter:
    """Runs left `running` by a worker that died: resumed from their first step not done, or `unknown` when a
    step had been handed off (the receiver may have it)."""
    outcome = outcome if outcome is not None else Counter()
    cutoff = timezone.now() - RUN_TIMEOUT
    with transaction.atomic():
        stale = list(AutomationRun.objects.select_for_update(skip_locked=True)
                     .filter(status=Status.RUNNING, claimed_at__lt=cutoff))  # fmt: skip
        for run in stale:
            handed = [s for s in run.steps if s.get("status") == HANDING_OFF]
            if handed:
                for step in handed:
                    step["status"] = "unknown"
                _finish(run, Status.UNKNOWN, "handed_off",
                        f"The worker stopped after handing the message to "
                        f"{catalog.ACTIONS[handed[0]['type']].label.removeprefix('Post to ')} and before its answer; "
                        f"it is not sent again by itself.", steps=run.steps)  # fmt: skip
                outcome["unknown"] += 1
            else:
                AutomationRun.objects.filter(pk=run.pk).update(status=Status.PENDING, next_attempt_at=timezone.now(),
                                                               updated_at=timezone.now())  # fmt: skip
                outcome["resumed"] += 1
    return outcome


# -- the daily budget ---------------------------------------------------------------------------------------------

_CHARGE_SQL = f"""
    INSERT INTO {AutomationBudgetDay._meta.db_table} (day, used, refused)
    SELECT %(day)s, %(units)s, 0 WHERE %(units)s <= %(limit)s
    ON CONFLICT (day) DO UPDATE SET used = {AutomationBudgetDay._meta.db_table}.used + EXCLUDED.used
    WHERE {AutomationBudgetDay._meta.db_table}.used + EXCLUDED.used <= %(limit)s
    RETURNING used
"""
_REFUSE_SQL = f"""
    INSERT INTO {AutomationBudgetDay._meta.db_table} (day, used, refused) VALUES (%(day)s, 0, %(units)s)
    ON CONFLICT (day) DO UPDATE SET refused = {AutomationBudgetDay._meta.db_table}.refused + EXCLUDED.refused
    RETURNING refused
"""


def budget_today(store) -> object:
    zone = facts_.zone_for(getattr(store, "timezone", "") or "UTC")
    return timezone.now().astimezone(zone).date()


def budget_charge(*, units: int, store) -> bool:
    """Count `units` actions against today's budget in one statement (concurrent runs never overshoot it);
    False when they do not fit. The first refusal of the day alerts the merchant."""
    day = budget_today(store)
    limit = daily_budget()
    with connection.cursor() as cursor:
        cursor.execute(_CHARGE_SQL, {"day": day, "units": units, "limit": limit})
        if cursor.fetchone() is not None:
            return True
        cursor.execute(_REFUSE_SQL, {"day": day, "units": units})
        (refused,) = cursor.fetchone()
    if refused == units:  # the first refusal today
        from notifications.alerts import merchant_alert

        merchant_alert(kind="merchant_automation_budget", key=f"day:{day.isoformat()}",
                       context={"day": day.isoformat(), "limit": limit})  # fmt: skip
    return False


# -- the merchant's retry ------------------------------------------------------------------------------------------

RETRYABLE = (Status.FAILED, Status.UNKNOWN, Status.SKIPPED)


class RunNotRetryable(ValueError):
    pass


@transaction.atomic
def automation_run_retry(*, run: AutomationRun) -> AutomationRun:
    """The merchant runs a failed, unknown or budget-skipped run again: from its first step not done (an
    `unknown` step is done again: the merchant checked the receiver does not have it)."""
    run = AutomationRun.objects.select_for_update().get(pk=run.pk)
    if run.status not in RETRYABLE or (run.status == Status.SKIPPED and run.outcome != "budget_exhausted"):
        raise RunNotRetryable(f"Only failed, unknown or budget-skipped runs can be retried; this one is "
                              f"{run.get_status_display().lower()}.")  # fmt: skip
    for step in run.steps:
        if step.get("status") in ("unknown", "failed"):
            step["status"] = PENDING_STEP
    run.status, run.outcome, run.attempts, run.error = Status.PENDING, "", 0, ""
    run.next_attempt_at, run.finished_at = timezone.now(), None
    run.save(update_fields=["status", "outcome", "attempts", "error", "next_attempt_at", "finished_at", "steps",
                            "updated_at"])  # fmt: skip
    from notifications.automations.recording import _wake

    _wake("notifications.automations.tasks.automation_runs_process")
    return run
