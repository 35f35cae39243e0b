"""Automation rules as infrastructure: one run per rule and event whatever is replayed, runs that resume after a
worker dies, no loops, a daily budget, and nothing at all for a store without rules. Local actions only here
(BigCommerce and outbound actions: test_automations_sandbox.py)."""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backorder import events
from backorder.models import Backorder, MerchantTask
from backorder.services.backorder_actions import backorder_date_change
from backorder.services.lifecycle import backorder_event_record
from notifications.automations import recording, runner
from notifications.automations.models import AutomationBudgetDay, AutomationEvent, AutomationRun
from notifications.automations.services import rule_create, rule_update
from notifications.models import Notification
from tests.backorder.conftest import backorder_make, variant_make

pytestmark = pytest.mark.django_db

Status = AutomationRun.Status


def task_rule(name="Follow up", trigger="backorder.created", conditions=None, match="all", enabled=True):
    return rule_create(name=name, trigger=trigger, match=match, conditions=conditions or [], enabled=enabled,
                       actions=[{"type": "task", "title": "Call about order {order_id}"}])  # fmt: skip


def captured(backorder: Backorder):
    """The engine's own announcement of a new backorder (what capture writes)."""
    return backorder_event_record(backorder=backorder, kind="captured", actor="bigcommerce")


def process(store) -> Counter:
    return runner.automation_runs_process(store=store)


def test_a_new_backorder_runs_a_matching_rule_once(store):
    rule = task_rule()
    backorder = backorder_make(variant_make(), 2)

    event = captured(backorder)
    outcome = process(store)

    run = AutomationRun.objects.get()
    assert (run.rule_id, run.event.key, run.status, run.outcome) == (rule.pk, f"timeline:{event.pk}", "succeeded",
                                                                     "done")  # fmt: skip
    assert outcome == Counter({"succeeded": 1})
    task = MerchantTask.objects.get(kind="automation")
    assert task.details["title"] == f"Call about order {backorder.order_id}" and task.backorder_id == backorder.pk
    assert run.inputs["quantity"] == 2 and run.steps[0]["status"] == "done"


def test_the_same_event_published_twice_makes_one_run_and_one_task(store):
    task_rule()
    backorder = backorder_make(variant_make(), 1)
    event = captured(backorder)

    events.publish("backorder.captured", backorder=backorder, event=event)  # a replay of the same timeline line
    process(store)
    process(store)

    assert AutomationRun.objects.count() == 1 and AutomationEvent.objects.count() == 1
    assert MerchantTask.objects.filter(kind="automation").count() == 1


def test_conditions_all_and_any_decide_which_rules_run(store):
    variant = variant_make()
    small_tents = task_rule(
        "Small tents",
        conditions=[
            {"field": "sku", "op": "starts_with", "value": "sku-"},
            {"field": "quantity", "op": "lte", "value": 2},
        ],
    )
    big_or_acme = task_rule(
        "Big or acme",
        match="any",
        conditions=[
            {"field": "quantity", "op": "gte", "value": 10},
            {"field": "email_domain", "op": "is", "value": "acme.com"},
        ],
    )
    nobody = task_rule("Nobody", conditions=[{"field": "channel", "op": "in", "value": [7]}])

    captured(backorder_make(variant, 2, customer_email="ada@acme.com", sku=variant.sku))
    captured(backorder_make(variant, 5, customer_email="bob@example.com", sku=variant.sku))

    ran = Counter(AutomationRun.objects.values_list("rule_id", flat=True))
    assert ran == Counter({small_tents.pk: 1, big_or_acme.pk: 1})
    assert nobody.pk not in ran


@pytest.mark.parametrize(("op", "value", "domain", "holds"), [
    ("ends_with", "acme.com", "acme.com", True),
    ("ends_with", "acme.com", "shop.acme.com", True),
    ("ends_with", ".acme.com", "shop.acme.com", True),
    ("ends_with", "acme.com", "notacme.com", False),
    ("ends_with", "edu", "mit.edu", True),
    ("is", "acme.com", "shop.acme.com", False),
    ("is_not", "acme.com", "shop.acme.com", True),
])  # fmt: skip
def test_the_e_mail_domain_condition_matches_a_domain_and_its_sub_domains_only(op, value, domain, holds):
    from notifications.automations.matching import condition_compile

    check = condition_compile({"field": "email_domain", "op": op, "value": value})
    assert check({"email_domain": domain}) is holds
    assert check({}) is None  # not known: the rule decides when it runs


def test_a_rule_switched_off_after_the_event_is_skipped_when_it_would_run(store):
    rule = task_rule()
    captured(backorder_make(variant_make(), 1))

    rule_update(rule=rule, enabled=False)
    process(store)

    run = AutomationRun.objects.get()
    assert (run.status, run.outcome) == ("skipped", "rule_off")
    assert not MerchantTask.objects.filter(kind="automation").exists()


def test_a_rule_changed_after_the_event_runs_only_if_its_new_conditions_hold(store):
    rule = task_rule()
    captured(backorder_make(variant_make(), 1))

    rule_update(rule=rule, conditions=[{"field": "quantity", "op": "gte", "value": 5}])
    process(store)

    assert AutomationRun.objects.get().outcome == "conditions_not_met"


def test_moving_the_date_on_a_date_change_does_not_loop(store):
    """The rule's own delay is a date change too: it gets a `loop_prevented` run, never a second move."""
    rule = rule_create(name="Add a week to every delay", trigger="backorder.date_changed", enabled=True,
                       actions=[{"type": "move_date", "days": 7}])  # fmt: skip
    backorder = backorder_make(variant_make(), 1, expected_ship_date=date(2027, 3, 1),
                               promised_ship_date=date(2027, 3, 1))  # fmt: skip
    backorder_date_change(backorder=backorder, expected_ship_date=date(2027, 3, 5), actor="merchant", actor_label="m")

    for _ in range(3):
        process(store)

    backorder.refresh_from_db()
    assert backorder.expected_ship_date == date(2027, 3, 12)
    runs = list(AutomationRun.objects.order_by("id").values_list("rule_id", "status", "outcome"))
    assert runs == [(rule.pk, "succeeded", "done"), (rule.pk, "skipped", "loop_prevented")]


def test_two_rules_that_would_feed_each_other_stop_after_one_round(store):
    first = rule_create(name="Later", trigger="backorder.date_changed", enabled=True,
                        actions=[{"type": "move_date", "days": 3}])  # fmt: skip
    second = rule_create(name="Even later", trigger="backorder.date_changed", enabled=True,
                         actions=[{"type": "move_date", "days": 2}])  # fmt: skip
    backorder = backorder_make(variant_make(), 1, expected_ship_date=date(2027, 3, 1),
                               promised_ship_date=date(2027, 3, 1))  # fmt: skip
    backorder_date_change(backorder=backorder, expected_ship_date=date(2027, 3, 2), actor="merchant", actor_label="m")

    for _ in range(5):
        process(store)

    # each rule moved it once on the merchant's change, once on the other rule's change, and then stopped
    backorder.refresh_from_db()
    assert backorder.expected_ship_date == date(2027, 3, 2) + timedelta(days=3 + 2 + 2 + 3)
    done = Counter((r, s) for r, s in AutomationRun.objects.values_list("rule_id", "outcome"))
    assert done[(first.pk, "done")] == 2 and done[(second.pk, "done")] == 2
    assert done[(first.pk, "loop_prevented")] + done[(second.pk, "loop_prevented")] == 6
    assert AutomationRun.objects.filter(status="pending").count() == 0


def test_a_worker_that_dies_before_a_local_step_commits_leaves_a_run_that_is_resumed_once(store, monkeypatch):
    task_rule()
    captured(backorder_make(variant_make(), 1))
    from notifications.automations import actions

    def worker_killed(action, ctx):
        raise KeyboardInterrupt  # the process stops in the middle of the step's transaction

    monkeypatch.setitem(actions.PERFORM, "task", worker_killed)
    with pytest.raises(KeyboardInterrupt):
        process(store)
    monkeypatch.undo()
    assert AutomationRun.objects.get().status == "running"  # claimed, committed, then the worker died

    process(store)  # too early: a live worker could still hold it
    assert AutomationRun.objects.get().status == "running"
    AutomationRun.objects.update(claimed_at=timezone.now() - runner.RUN_TIMEOUT - timedelta(seconds=1))
    outcome = process(store)

    assert outcome["resumed"] == 1 and outcome["succeeded"] == 1
    assert MerchantTask.objects.filter(kind="automation").count() == 1


def test_the_daily_budget_is_enforced_with_a_clear_message_and_one_alert(store, settings):
    settings.AUTOMATION_DAILY_ACTIONS = 2
    task_rule()
    variant = variant_make()
    for _ in range(4):
        captured(backorder_make(variant, 1))

    process(store)

    statuses = list(AutomationRun.objects.order_by("id").values_list("status", "outcome"))
    assert statuses == [("succeeded", "done")] * 2 + [("skipped", "budget_exhausted")] * 2
    assert "daily budget of 2 actions" in AutomationRun.objects.filter(status="skipped").first().error
    assert MerchantTask.objects.filter(kind="automation").count() == 2
    day = AutomationBudgetDay.objects.get()
    assert (day.used, day.refused) == (2, 2)
    alerts = Notification.objects.filter(kind="merchant_automation_budget")
    assert alerts.count() == 1 and alerts.get().recipient == store.owner.email

    settings.AUTOMATION_DAILY_ACTIONS = 3  # e.g. the next day: the merchant retries one from the log
    runner.automation_run_retry(run=AutomationRun.objects.filter(status="skipped").first())
    process(store)
    assert MerchantTask.objects.filter(kind="automation").count() == 3


def test_an_e_mail_action_goes_through_the_outbox_once(store):
    rule_create(name="Tell the shopper", trigger="backorder.created", enabled=True, actions=[
        {"type": "email", "to": "shopper", "template": "automation_update", "message": "Hi, order {order_id}.",
         "messages": {"de": "Hallo, Bestellung {order_id}."}},
        {"type": "email", "to": "address", "address": "Warehouse@Example.com", "message": "Order {order_id}"},
    ])  # fmt: skip
    backorder = backorder_make(variant_make(), 1, customer_email="ada@example.com", customer_locale="de-DE")

    captured(backorder)
    process(store)
    AutomationRun.objects.update(status="pending", steps=[])  # even a run done again from scratch …
    AutomationRun.objects.update(charged=True)
    process(store)

    rows = Notification.objects.filter(kind__in=["automation_update", "merchant_automation"]).order_by("kind")
    assert [(r.kind, r.recipient, r.language) for r in rows] == [
        ("automation_update", "ada@example.com", "de"),
        ("merchant_automation", "warehouse@example.com", ""),
    ]  # … finds the same two e-mails (the outbox key names the run and the step)


def test_a_store_without_rules_pays_nothing_on_the_timeline(store):
    backorder = backorder_make(variant_make(), 1)
    event = captured(backorder)  # warms the cache: "no rules"

    with CaptureQueriesContext(connection) as queries:
        recording.on_timeline(name="backorder.captured", backorder=backorder, event=event)
    assert len(queries) == 0
    assert not AutomationEvent.objects.exists()


def test_a_rule_saved_is_seen_by_the_next_event_at_once(store):
    backorder = backorder_make(variant_make(), 1)
    captured(backorder)  # "no rules" cached
    task_rule()

    captured(backorder_make(variant_make(), 1))

    assert AutomationRun.objects.count() == 1


def test_partly_and_fully_allocated_backorders_are_two_triggers(store):
    from backorder.models import Variant
    from backorder.services.allocation import allocation_run

    partly = task_rule("Partly", trigger="backorder.partly_allocated")
    ready = task_rule("Ready", trigger="backorder.allocated")
    variant = variant_make(on_hand=0)
    first, second = backorder_make(variant, 2), backorder_make(variant, 2)

    Variant.objects.filter(pk=variant.pk).update(on_hand=3)
    allocation_run(variant_id=variant.bigcommerce_id)

    runs = {(r.rule_id, r.event.backorder_id) for r in AutomationRun.objects.select_related("event")}
    assert runs == {(ready.pk, first.pk), (partly.pk, second.pk)}


def test_the_hourly_check_finds_a_late_backorder_once_and_a_days_late_rule_on_its_day(store):
    from notifications.automations.scheduled import scheduled_events_record

    webhook_free = task_rule("Late", trigger="backorder.late")
    three_weeks = task_rule("Three weeks late", trigger="backorder.late",
                            conditions=[{"field": "days_late", "op": "gte", "value": 21}])  # fmt: skip
    today = timezone.localdate()
    backorder = backorder_make(variant_make(), 1, promised_ship_date=today - timedelta(days=3),
                               expected_ship_date=today + timedelta(days=5))  # fmt: skip

    scheduled_events_record()
    scheduled_events_record()
    assert list(AutomationRun.objects.values_list("rule_id", flat=True)) == [webhook_free.pk]

    Backorder.objects.filter(pk=backorder.pk).update(promised_ship_date=today - timedelta(days=21))
    scheduled_events_record()  # a new promised date: a new occasion; the 21-day rule holds now
    scheduled_events_record()
    assert Counter(AutomationRun.objects.values_list("rule_id", flat=True)) == Counter(
        {webhook_free.pk: 2, three_weeks.pk: 1}
    )


def test_saving_a_rule_puts_the_new_rule_set_in_the_cache_after_the_commit(store, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        task_rule()

    with CaptureQueriesContext(connection) as queries:
        rules, _raw = recording.ruleset()
    assert len(queries) == 0 and rules.wants("backorder.created")


def test_the_minute_sweep_queues_the_runner_and_sender_of_stores_with_due_or_stuck_work(store, monkeypatch):
    """The safety net for a lost wake-up, a retry whose time came and a worker that died: the sweep finds the
    store (one statement per 200 stores) and queues its runner and its webhook sender."""
    from notifications.automations import tasks
    from notifications.webhooks.models import WebhookDelivery
    from notifications.webhooks.services import endpoint_create

    queued = []
    monkeypatch.setattr(tasks, "async_task", lambda name, **kwargs: queued.append((name, kwargs["schema_name"])))
    schema = connection.schema_name
    runner_task = "notifications.automations.tasks.automation_runs_process"
    sender_task = "notifications.webhooks.tasks.webhook_deliveries_send"

    assert tasks.automations_sweep([schema]) == 0  # nothing recorded yet

    task_rule()
    endpoint_create(url="https://erp.example.com/hook", events=["backorder.created"])
    captured(backorder_make(variant_make(), 1))  # its wake-ups are lost (never run in this test)
    assert tasks.automations_sweep([schema]) == 1
    assert queued == [(runner_task, schema), (sender_task, schema)]

    later = timezone.now() + timedelta(minutes=5)  # a retry whose time has not come: nothing to do yet
    AutomationRun.objects.update(next_attempt_at=later)
    WebhookDelivery.objects.update(next_attempt_at=later)
    queued.clear()
    assert tasks.automations_sweep([schema]) == 0 and queued == []

    AutomationRun.objects.update(status="running", claimed_at=timezone.now())  # a live worker holds it
    assert tasks.automations_sweep([schema]) == 0
    AutomationRun.objects.update(claimed_at=timezone.now() - runner.RUN_TIMEOUT - timedelta(seconds=1))  # it died
    assert tasks.automations_sweep([schema]) == 1 and queued == [(runner_task, schema)]
