"""The automations API: rules checked against the catalog, ready-made templates installed in one click, the dry
run over the last 30 days, the run log with retry, the budget and the tasks rules make."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backorder.models import BackorderEvent
from backorder.services.lifecycle import backorder_event_record
from notifications.automations import runner
from notifications.automations.models import AutomationRule, AutomationRun
from notifications.automations.recipes import RECIPES
from tests.backorder.conftest import backorder_make, variant_make
from tests.conftest import store_client

pytestmark = pytest.mark.django_db
RULES = "/api/v1/automations/rules/"


def api(store):
    return store_client(store, signed_in_as=store.owner)


def post(client, path, body=None):
    return client.post(path, body or {}, content_type="application/json")


def patch(client, path, body):
    return client.patch(path, body, content_type="application/json")


STAFF_NOTE = {"name": "Note it", "trigger": "backorder.created", "enabled": True,
              "actions": [{"type": "staff_note", "text": "Backordered: {sku} x {quantity}"}]}  # fmt: skip


def test_a_rule_is_made_read_changed_switched_off_and_deleted(store):
    client = api(store)
    made = post(client, RULES, {**STAFF_NOTE, "conditions": [{"field": "quantity", "op": "gte", "value": 2}]})
    assert made.status_code == 201, made.content
    rule = made.json()
    assert rule["enabled"] and rule["needs"] == [] and rule["conditions"][0]["value"] == 2

    changed = patch(client, f"{RULES}{rule['id']}/", {"match": "any", "enabled": False})
    assert changed.status_code == 200 and changed.json()["version"] == 2 and not changed.json()["enabled"]
    assert client.get(RULES).json()["count"] == 1
    assert client.delete(f"{RULES}{rule['id']}/").status_code == 204
    assert client.get(f"{RULES}{rule['id']}/").status_code == 404 and client.get(RULES).json()["count"] == 0
    assert AutomationRule.objects.filter(pk=rule["id"]).exists()  # kept for its runs in the log


@pytest.mark.parametrize("body, field", [
    ({**STAFF_NOTE, "trigger": "order.exploded"}, "trigger"),
    ({**STAFF_NOTE, "actions": []}, "actions"),
    ({**STAFF_NOTE, "conditions": [{"field": "order_total", "op": "starts_with", "value": "1"}]}, "conditions"),
    ({**STAFF_NOTE, "conditions": [{"field": "category", "op": "in", "value": []}]}, "conditions[0]"),
    ({**STAFF_NOTE, "actions": [{"type": "staff_note", "text": "Hi {nonsense}"}]}, "actions[0]"),
    ({**STAFF_NOTE, "trigger": "purchase_order.received"}, "actions[0]"),  # no order to write a note on
    ({**STAFF_NOTE, "actions": [{"type": "order_status", "status_id": 5}]}, "actions[0]"),  # cancelling: not so
    ({**STAFF_NOTE, "actions": [{"type": "slack", "url": "https://127.0.0.1/x", "message": "hi"}]}, "actions[0]"),
    ({**STAFF_NOTE, "actions": [{"type": "webhook", "webhook_id": 999}]}, "actions[0]"),
    ({**STAFF_NOTE, "actions": [{"type": "move_date", "days": 0}]}, "actions[0]"),
])  # fmt: skip
def test_rules_the_catalog_does_not_accept_are_refused_with_the_field_at_fault(store, body, field):
    response = post(api(store), RULES, body)

    assert response.status_code == 400, response.content
    fields = response.json()["fields"]
    assert any(key.startswith(field) for key in fields), fields


def test_there_are_at_least_ten_templates_and_each_installs_in_one_click_switched_off(store):
    client = api(store)
    templates = client.get("/api/v1/automations/templates/").json()
    assert len(templates) >= 10 and {t["key"] for t in templates} == set(RECIPES)
    names = {t["name"] for t in templates}
    assert {
        "Slack the warehouse when a backorder is ready",
        "Staff note on orders with backorders",
        "10 % coupon after 21 days late",
        "Tag wholesale orders",
        "Alert purchasing when a PO is overdue",
    } <= names

    for template in templates:
        installed = post(client, f"/api/v1/automations/templates/{template['key']}/install/")
        assert installed.status_code == 201, (template["key"], installed.content)
        rule = installed.json()
        assert not rule["enabled"] and rule["trigger"] == template["trigger"]
        assert bool(rule["needs"]) == bool(template["needs"]), (template["key"], rule["needs"])
    again = post(client, "/api/v1/automations/templates/slack_ready/install/").json()
    assert again["name"] == "Slack the warehouse when a backorder is ready (2)"
    assert client.get("/api/v1/automations/templates/").json()[0]["installed"] >= 1


def test_an_installed_template_is_edited_and_switched_on_once_it_is_complete(store):
    client = api(store)
    rule = post(client, "/api/v1/automations/templates/slack_ready/install/").json()
    refused = patch(client, f"{RULES}{rule['id']}/", {"enabled": True})
    assert refused.status_code == 400 and "actions[0]" in refused.json()["fields"]

    url = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnop"
    action = {**rule["actions"][0], "url": url}
    on = patch(client, f"{RULES}{rule['id']}/", {"actions": [action], "enabled": True})
    assert on.status_code == 200, on.content
    shown = on.json()["actions"][0]["url"]
    assert shown == "https://hooks.slack.com/…mnop" and url not in str(AutomationRule.objects.get().actions)
    renamed = patch(client, f"{RULES}{rule['id']}/", {"name": "Warehouse", "actions": on.json()["actions"]})
    assert renamed.status_code == 200  # the masked URL sent back keeps the stored one
    from notifications.automations.services import actions_for_output

    assert actions_for_output(AutomationRule.objects.get().actions)[0]["url"] == shown


def test_the_dry_run_counts_the_last_30_days_with_examples(store):
    variant = variant_make()
    old = backorder_make(variant, 1)
    recent = [backorder_make(variant, q, sku=variant.sku) for q in (1, 3, 5)]
    for backorder in [old, *recent]:
        backorder_event_record(backorder=backorder, kind="captured", actor="bigcommerce")
    BackorderEvent.objects.filter(backorder=old).update(at=timezone.now() - timedelta(days=40))

    result = post(
        api(store),
        "/api/v1/automations/dry-run/",
        {"trigger": "backorder.created", "conditions": [{"field": "quantity", "op": "gte", "value": 3}]},
    ).json()

    assert (result["scanned"], result["matched"], result["maybe"]) == (3, 2, 0)
    assert {e["backorder_id"] for e in result["examples"]} == {recent[1].pk, recent[2].pk}
    assert all(e["certain"] for e in result["examples"])

    remote = post(
        api(store),
        "/api/v1/automations/dry-run/",
        {"trigger": "backorder.created", "conditions": [{"field": "order_total", "op": "gt", "value": 100}]},
    ).json()
    assert (remote["matched"], remote["maybe"], remote["checked_when_run"]) == (0, 3, ["order_total"])


def test_the_run_log_filters_and_a_failed_run_can_be_retried(store):
    client = api(store)
    rule = post(client, RULES, {"name": "Task", "trigger": "backorder.created", "enabled": True,
                                "actions": [{"type": "task", "title": "Look at {order_id}"}]}).json()  # fmt: skip
    backorder = backorder_make(variant_make(), 1)
    backorder_event_record(backorder=backorder, kind="captured", actor="bigcommerce")
    run = AutomationRun.objects.get()
    AutomationRun.objects.filter(pk=run.pk).update(status="failed", outcome="action_failed", error="boom")

    log = client.get(f"/api/v1/automations/runs/?rule_id={rule['id']}&status=failed").json()
    assert (
        log["count"] == 1
        and log["results"][0]["retryable"]
        and log["results"][0]["event"]["type"] == ("backorder.created")
    )
    assert client.get("/api/v1/automations/runs/?status=succeeded").json()["count"] == 0
    assert post(client, f"/api/v1/automations/runs/{run.pk}/retry/").status_code == 202
    runner.automation_runs_process(store=store)
    detail = client.get(f"/api/v1/automations/runs/{run.pk}/").json()
    assert detail["status"] == "succeeded" and detail["steps"][0]["status"] == "done"
    assert detail["inputs"]["order_id"] == backorder.order_id and detail["event_data"]["backorder"]["id"]
    assert post(client, f"/api/v1/automations/runs/{run.pk}/retry/").status_code == 409

    tasks = client.get("/api/v1/automations/tasks/?status=open").json()
    assert tasks["count"] == 1 and tasks["results"][0]["title"] == f"Look at {backorder.order_id}"
    done = post(client, f"/api/v1/automations/tasks/{tasks['results'][0]['id']}/done/").json()
    assert done["status"] == "done"
    assert client.get("/api/v1/automations/budget/").json() | {"day": None} == {
        "day": None,
        "limit": 500,
        "used": 1,
        "refused": 0,
        "exhausted": False,
        "needing_attention": 0,
    }


def test_the_catalog_lists_every_trigger_condition_and_action(store):
    body = api(store).get("/api/v1/automations/catalog/").json()

    triggers = {t["name"] for t in body["triggers"]}
    assert {"backorder.created", "backorder.date_changed", "backorder.partly_allocated", "backorder.allocated",
            "backorder.shipped", "backorder.cancelled", "backorder.refunded", "backorder.delay_consent_requested",
            "backorder.delay_consent_given", "backorder.delay_consent_expired", "backorder.late",
            "backorder.at_risk", "purchase_order.received", "purchase_order.overdue", "stock_alert.subscribed",
            "variant.back_in_stock"} == triggers  # fmt: skip
    assert {c["field"] for c in body["conditions"]} == {
        "product", "variant", "sku", "category", "policy_mode", "quantity", "order_total", "days_waiting",
        "days_late", "channel", "email_domain", "customer_group"}  # fmt: skip
    assert {a["type"] for a in body["actions"]} == {
        "email", "order_status", "staff_note", "customer_group", "coupon", "move_date", "cancel", "task",
        "webhook", "slack", "teams"}  # fmt: skip
