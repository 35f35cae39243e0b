"""Automation rules end to end against the sandbox BigCommerce over loopback HTTP: a rule of every action kind,
an order webhook delivered twice, a worker SIGKILLed in the middle of a run, a rule that would loop and a
budget used up; and the order-capture path costs not one query more for automations."""

import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from backorder import events
from backorder.handlers import order_changed
from backorder.models import Backorder, MerchantTask, Policy
from backorder.services.cancellation import cancellation_to_bigcommerce
from notifications.automations import recording, runner
from notifications.automations.models import AutomationEvent, AutomationRun
from notifications.automations.services import rule_create
from notifications.models import Notification
from notifications.sending import notifications_send
from notifications.webhooks import services as webhooks
from notifications.webhooks.delivery import webhook_deliveries_send
from stores.bigcommerce.client import BigCommerceClient
from tests.backorder.conftest import SANDBOX_STORE as STORE
from tests.backorder.test_capture import order_event, stocked_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def selling(connected_store, settings):
    """Sells on backorder; outbound targets on loopback allowed (the sandbox's receivers)."""
    settings.OUTBOUND_PRIVATE_TARGETS = True
    Policy.objects.update_or_create(
        scope=Policy.Scope.STORE, defaults={"enabled": True, "lead_time_days": 10, "max_units": None}
    )
    return connected_store


def backorder_order(sandbox, store, *, email="ada@example.com", customer_id=0, quantity=2, variant=None) -> dict:
    """A shopper checks out an item that is out of stock; BigCommerce's order webhook reaches the app."""
    variant = variant or stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": quantity}], email=email,
                                customer_id=customer_id)  # fmt: skip
    order_changed(store, [order_event(order["id"])])
    return order


def run_all(store) -> None:
    runner.automation_runs_process(store=store)


def note_lines(sandbox, order_id: int) -> list[str]:
    return sandbox.get_order(STORE, order_id)["staff_notes"].splitlines()


def test_a_staff_note_rule_writes_one_line_beside_the_apps_own(selling, sandbox):
    rule_create(name="Note", trigger="backorder.created", enabled=True,
                actions=[{"type": "staff_note", "text": "Backordered by rule: {sku} x {quantity}"}])  # fmt: skip
    order = backorder_order(sandbox, selling)
    backorder = Backorder.objects.get(order_id=order["id"])

    run_all(selling)
    order_changed(selling, [order_event(order["id"], "store/order/updated")])  # our write's own webhook

    lines = note_lines(sandbox, order["id"])
    assert lines.count(f"Backordered by rule: {backorder.sku} x 2") == 1
    assert any(line.startswith("Backorder: ") for line in lines)  # the app's write-back line is kept
    assert AutomationRun.objects.get().steps[0]["response"]["changed"] is True


def test_an_order_status_rule_moves_the_order_once(selling, sandbox):
    rule_create(name="3PL", trigger="backorder.created", enabled=True,
                actions=[{"type": "order_status", "status_id": 9}])  # fmt: skip
    order = backorder_order(sandbox, selling)

    run_all(selling)
    AutomationRun.objects.update(status="pending", steps=[])  # done again: BigCommerce already shows it
    run_all(selling)

    assert sandbox.get_order(STORE, order["id"])["status_id"] == 9
    assert AutomationRun.objects.get().steps[0]["response"] == {"status_id": 9, "changed": False}


def test_a_customer_group_condition_and_action_read_and_write_bigcommerce(selling, sandbox):
    wholesale = sandbox.add_customer_group(STORE, "Wholesale")["id"]
    vip = sandbox.add_customer_group(STORE, "VIP")["id"]
    trader = sandbox.add_customer(STORE, "buyer@trader.example", customer_group_id=wholesale)["id"]
    retail = sandbox.add_customer(STORE, "jo@example.com")["id"]
    rule_create(name="Wholesale to VIP", trigger="backorder.created", enabled=True,
                conditions=[{"field": "customer_group", "op": "in", "value": [wholesale]}],
                actions=[{"type": "customer_group", "customer_group_id": vip},
                         {"type": "staff_note", "text": "WHOLESALE backorder"}])  # fmt: skip
    variant = stocked_variant(sandbox, on_hand=0)
    wholesale_order = backorder_order(sandbox, selling, email="buyer@trader.example", customer_id=trader,
                                      variant=variant)  # fmt: skip
    retail_order = backorder_order(sandbox, selling, email="jo@example.com", customer_id=retail, variant=variant)
    guest_order = backorder_order(sandbox, selling, email="guest@example.com", variant=variant)

    run_all(selling)

    assert sandbox.customer(STORE, trader)["customer_group_id"] == vip
    assert sandbox.customer(STORE, retail)["customer_group_id"] == 0
    assert "WHOLESALE backorder" in note_lines(sandbox, wholesale_order["id"])
    assert "WHOLESALE backorder" not in note_lines(sandbox, retail_order["id"])
    outcomes = {r.event.order_id: (r.status, r.outcome) for r in AutomationRun.objects.select_related("event")}
    assert outcomes == {wholesale_order["id"]: ("succeeded", "done"),
                        retail_order["id"]: ("skipped", "conditions_not_met")}  # fmt: skip
    assert guest_order["id"] not in outcomes  # a guest is in no group: known without asking BigCommerce


def test_a_coupon_rule_makes_one_single_use_coupon_and_e_mails_its_code(selling, sandbox, smtp_sink):
    rule_create(name="Sorry", trigger="backorder.created", enabled=True, actions=[
        {"type": "coupon", "discount_type": "percent", "amount": "10", "applies_to": "order", "valid_days": 30},
        {"type": "email", "to": "shopper", "template": "automation_coupon", "message": "Sorry for the wait."},
    ])  # fmt: skip
    backorder_order(sandbox, selling, email="ada@example.com")

    run_all(selling)
    AutomationRun.objects.update(status="pending")  # a worker doing it all again finds the coupon
    run_all(selling)
    notifications_send()

    run = AutomationRun.objects.get()
    code = run.steps[0]["outputs"]["coupon_code"]
    coupons = sandbox.state.store(STORE).coupons.values()
    assert [(c["code"], c["max_uses"], c["type"], c["amount"]) for c in coupons] == [
        (code, 1, "percentage_discount", "10.0000")
    ]
    (mail,) = [m for m in smtp_sink.to("ada@example.com") if "patience" in m["Subject"]]
    text = mail.get_body(("plain",)).get_content()
    assert code in text and "10%" in text and "Sorry for the wait." in text


def test_e_mails_to_the_team_and_to_an_address_arrive_once_with_their_placeholders_filled(selling, sandbox, smtp_sink):
    rule_create(name="Warehouse", trigger="backorder.created", enabled=True, actions=[
        {"type": "email", "to": "team", "subject": "Backorder on order {order_id}", "message": "{sku} x {quantity}"},
        {"type": "email", "to": "address", "address": "Warehouse@Example.com", "subject": "Pick {sku}",
         "message": "Order {order_id} waits for {quantity} unit(s)."},
    ])  # fmt: skip
    order = backorder_order(sandbox, selling, email="ada@example.com", quantity=3)
    backorder = Backorder.objects.get(order_id=order["id"])

    run_all(selling)
    AutomationRun.objects.update(status="pending", steps=[])  # a worker doing it all again owes the same e-mails
    run_all(selling)
    notifications_send()
    notifications_send()

    (team,) = [m for m in smtp_sink.to(selling.owner.email) if "Backorder on order" in m["Subject"]]
    assert team["Subject"] == f"Backorder on order {order['id']}"
    assert f"{backorder.sku} x 3" in team.get_body(("plain",)).get_content()
    (warehouse,) = smtp_sink.to("warehouse@example.com")
    assert warehouse["Subject"] == f"Pick {backorder.sku}"
    assert f"Order {order['id']} waits for 3 unit(s)." in warehouse.get_body(("plain",)).get_content()
    assert not [m for m in smtp_sink.to("ada@example.com") if "Pick" in m["Subject"] or "Backorder on" in m["Subject"]]


def test_local_actions_move_the_date_cancel_and_make_a_task(selling, sandbox):
    rule_create(
        name="Later",
        trigger="backorder.created",
        enabled=True,
        conditions=[{"field": "email_domain", "op": "is", "value": "slow.example"}],
        actions=[{"type": "move_date", "days": 7}, {"type": "task", "title": "Check {order_id}"}],
    )
    rule_create(name="No spam", trigger="backorder.created", enabled=True,
                conditions=[{"field": "email_domain", "op": "ends_with", "value": "spam.example"}],
                actions=[{"type": "cancel", "reason": "Order refused", "refund": True}])  # fmt: skip
    variant = stocked_variant(sandbox, on_hand=0)
    slow = backorder_order(sandbox, selling, email="a@slow.example", variant=variant)
    spam = backorder_order(sandbox, selling, email="x@mail.spam.example", variant=variant)
    promised = Backorder.objects.get(order_id=slow["id"]).expected_ship_date

    run_all(selling)

    slow_backorder = Backorder.objects.get(order_id=slow["id"])
    assert slow_backorder.expected_ship_date == promised + timedelta(days=7)
    assert Notification.objects.filter(kind="delay_notice", backorder=slow_backorder).count() == 1
    assert MerchantTask.objects.get(kind="automation").details["title"] == f"Check {slow['id']}"
    cancelled = Backorder.objects.get(order_id=spam["id"])
    assert (cancelled.status, cancelled.cancellation_reason) == ("cancelled", "Order refused")
    owed = cancelled.events.get(kind="bigcommerce_follow_up_owed")
    assert owed.details == {"refund": True} and cancelled.events.get(kind="cancelled").actor == "merchant"

    # The usual follow-up after the commit: BigCommerce refunds the backordered units, once.
    cancellation_to_bigcommerce(backorder_id=cancelled.pk, refund=True)
    cancellation_to_bigcommerce(backorder_id=cancelled.pk, refund=True)
    client = BigCommerceClient(store_hash=STORE, access_token=selling.access_token)
    assert len(client.get_data(f"/v3/orders/{spam['id']}/payment_actions/refunds")) == 1
    assert cancelled.events.get(kind="bigcommerce_follow_up_done").details["refund"] == "refunded"


def test_outbound_actions_reach_a_signed_webhook_slack_and_teams(selling, sandbox):
    endpoint = webhooks.endpoint_create(url=sandbox.receiver_url("erp"), events=[])  # only what rules send
    rule_create(name="Tell everyone", trigger="backorder.created", enabled=True, actions=[
        {"type": "webhook", "webhook_id": endpoint.pk},
        {"type": "slack", "url": sandbox.receiver_url("slack"), "message": "Order {order_id}: {sku} x {quantity}"},
        {"type": "teams", "url": sandbox.receiver_url("teams"), "message": "Order {order_id} backordered"},
    ])  # fmt: skip
    order = backorder_order(sandbox, selling)

    run_all(selling)
    webhook_deliveries_send()

    (erp,) = sandbox.receiver_requests("erp")
    payload = Webhook(endpoint.secret).verify(erp["body"].encode(), erp["headers"])
    assert payload["type"] == "backorder.created" and payload["data"]["backorder"]["order_id"] == order["id"]
    (slack,) = sandbox.receiver_requests("slack")
    assert slack["body"].startswith('{"text": "Order ') and str(order["id"]) in slack["body"]
    (teams,) = sandbox.receiver_requests("teams")
    assert "application/vnd.microsoft.card.adaptive" in teams["body"] and str(order["id"]) in teams["body"]


def test_every_trigger_is_announced_where_it_happens_and_delivered_signed(selling, sandbox):
    """An endpoint subscribed to every event type; the app's own code paths (capture, a merchant's date change and
    the consent it needs, the shopper's acceptance, the deadline's cancellation and its refund, allocation,
    shipping, the hourly check, purchase orders, notify-me and a restock) each announce their event, and each
    reaches the receiver signed."""
    from backorder.models import PurchaseOrderLine, Variant
    from backorder.services.allocation import allocation_run
    from backorder.services.availability import availability_refresh, store_today
    from backorder.services.backorder_actions import backorder_date_change, backorder_mark_shipped
    from backorder.services.purchase_orders import LineInput, purchase_order_create, purchase_order_receive
    from backorder.services.stock_alerts import stock_alert_subscribe
    from notifications.automations import catalog
    from notifications.automations.scheduled import scheduled_events_record
    from notifications.consent import consent_deadlines_enforce, delay_accept

    endpoint = webhooks.endpoint_create(url=sandbox.receiver_url("erp"), events=list(catalog.TRIGGER_NAMES))
    recording.ruleset()
    variants: list[int] = []
    for _ in range(4):
        variants.append(stocked_variant(sandbox, on_hand=0, skip=tuple(variants)))
    waiting, arriving, sold_out, supplied = variants

    def ordered(n: int, variant: int) -> Backorder:
        order = backorder_order(sandbox, selling, email=f"s{n}@example.com", variant=variant)
        return Backorder.objects.get(order_id=order["id"])

    accepted, expired, late, at_risk = (ordered(n, waiting) for n in range(4))
    ready, partly = (ordered(n, arriving) for n in range(4, 6))
    today = store_today(selling)

    for backorder in (accepted, expired):  # 45 days later than promised: the shopper must agree
        backorder_date_change(backorder=backorder, expected_ship_date=backorder.promised_ship_date + timedelta(days=45),
                              actor="merchant", actor_label="Merchant")  # fmt: skip
    delay_accept(backorder=accepted)
    expired.refresh_from_db()
    consent_deadlines_enforce(today=expired.delay_consent_due_on + timedelta(days=1))
    cancellation_to_bigcommerce(backorder_id=expired.pk, refund=True)

    Variant.objects.filter(bigcommerce_id=arriving).update(on_hand=3)
    allocation_run(variant_id=arriving)  # 2 units for the first order, 1 for the second
    ready.refresh_from_db()
    backorder_mark_shipped(backorder=ready, actor="merchant", actor_label="Merchant")

    Backorder.objects.filter(pk=late.pk).update(promised_ship_date=today - timedelta(days=2))
    Backorder.objects.filter(pk=at_risk.pk).update(promised_ship_date=today + timedelta(days=2),
                                                   expected_ship_date=today + timedelta(days=2))  # fmt: skip
    purchase_order = purchase_order_create(lines=[LineInput(variant_id=supplied, quantity=5,
                                                            expected_date=today + timedelta(days=3))],
                                           supplier="Acme", reference="PO-1", today=today)  # fmt: skip
    PurchaseOrderLine.objects.filter(purchase_order=purchase_order).update(expected_date=today - timedelta(days=1))
    scheduled_events_record()
    purchase_order_receive(order=purchase_order, received=[(supplied, 2)])

    stock_alert_subscribe(email="notify@example.com", variant_id=sold_out)
    Variant.objects.filter(bigcommerce_id=sold_out).update(on_hand=5)
    availability_refresh(variant_ids=[sold_out])

    recorded = set(AutomationEvent.objects.values_list("type", flat=True))
    assert recorded == set(catalog.TRIGGER_NAMES), set(catalog.TRIGGER_NAMES) ^ recorded
    assert AutomationEvent.objects.filter(type="backorder.partly_allocated", backorder=partly).exists()
    assert AutomationEvent.objects.filter(type="backorder.delay_consent_expired", backorder=expired).exists()

    while webhook_deliveries_send().get("delivered"):
        pass
    received = [Webhook(endpoint.secret).verify(r["body"].encode(), r["headers"])["type"]
                for r in sandbox.receiver_requests("erp")]  # fmt: skip
    assert sorted(received) == sorted(AutomationEvent.objects.values_list("type", flat=True))


def test_a_slack_answer_of_500_is_retried_and_a_404_fails_the_run(selling, sandbox):
    rule_create(name="Slack", trigger="backorder.created", enabled=True,
                actions=[{"type": "slack", "url": sandbox.receiver_url("slack"), "message": "hi"}])  # fmt: skip
    sandbox.receiver_configure("slack", fail_times=1, fail_status=500)
    backorder_order(sandbox, selling)

    run_all(selling)
    assert AutomationRun.objects.get().status == "pending"
    AutomationRun.objects.update(next_attempt_at=timezone.now())
    run_all(selling)
    assert AutomationRun.objects.get().status == "succeeded"

    sandbox.receiver_configure("slack", fail_times=1, fail_status=404)
    backorder_order(sandbox, selling, email="bo@example.com")
    run_all(selling)
    failed = AutomationRun.objects.order_by("-id").first()
    assert (failed.status, failed.outcome) == ("failed", "action_failed") and "404" in failed.error
    assert len(sandbox.receiver_requests("slack")) == 3  # 500, 200, 404: never more than asked


def test_an_action_that_keeps_failing_is_retried_with_backoff_then_the_run_fails_and_is_shown(selling, sandbox):
    rule_create(name="Slack", trigger="backorder.created", enabled=True,
                actions=[{"type": "slack", "url": sandbox.receiver_url("slack"), "message": "hi"}])  # fmt: skip
    sandbox.receiver_configure("slack", fail_times=1000, fail_status=503)
    backorder_order(sandbox, selling)

    waits = []
    for _ in range(runner.MAX_ATTEMPTS):
        run_all(selling)
        run = AutomationRun.objects.get()
        if run.status == "pending":
            waits.append(round((run.next_attempt_at - run.updated_at).total_seconds() / 60))
            AutomationRun.objects.update(next_attempt_at=timezone.now())
    run_all(selling)

    assert waits == [1, 2, 4, 8, 16]  # minutes
    run = AutomationRun.objects.get()
    assert (run.status, run.outcome, run.attempts) == ("failed", "gave_up", runner.MAX_ATTEMPTS)
    assert run.error.startswith(f"After {runner.MAX_ATTEMPTS} attempts: ") and "503" in run.error
    assert len(sandbox.receiver_requests("slack")) == runner.MAX_ATTEMPTS
    api = store_client_for(selling)
    assert api.get("/api/v1/automations/budget/").json()["needing_attention"] == 1
    assert api.get("/api/v1/automations/runs/?status=failed").json()["results"][0]["retryable"]


def test_an_order_webhook_delivered_twice_runs_each_rule_once(selling, sandbox):
    rule_create(name="Note", trigger="backorder.created", enabled=True,
                actions=[{"type": "staff_note", "text": "Rule note for {order_id}"}])  # fmt: skip
    order = backorder_order(sandbox, selling)

    order_changed(selling, [order_event(order["id"])])  # BigCommerce delivers the same webhook again
    backorder = Backorder.objects.get(order_id=order["id"])
    events.publish("backorder.captured", backorder=backorder, event=backorder.events.get(kind="captured"))
    run_all(selling)
    run_all(selling)

    assert AutomationRun.objects.count() == 1
    assert note_lines(sandbox, order["id"]).count(f"Rule note for {order['id']}") == 1


def test_a_rule_that_would_loop_on_its_own_date_change_acts_once(selling, sandbox):
    rule_create(
        name="Push back",
        trigger="backorder.date_changed",
        enabled=True,
        actions=[{"type": "move_date", "days": 3}, {"type": "staff_note", "text": "Moved {expected_ship_date}"}],
    )
    order = backorder_order(sandbox, selling)
    backorder = Backorder.objects.get(order_id=order["id"])
    client = store_client_for(selling)
    moved = backorder.expected_ship_date + timedelta(days=1)
    response = client.post(f"/api/v1/backorders/{backorder.pk}/actions/",
                           {"action": "change_date", "expected_ship_date": moved.isoformat()},
                           content_type="application/json")  # fmt: skip
    assert response.status_code in (200, 202), response.content

    for _ in range(3):
        run_all(selling)

    backorder.refresh_from_db()
    assert backorder.expected_ship_date == moved + timedelta(days=3)
    assert [line for line in note_lines(sandbox, order["id"]) if line.startswith("Moved")] == [
        f"Moved {backorder.expected_ship_date.isoformat()}"
    ]
    assert sorted(AutomationRun.objects.values_list("outcome", flat=True)) == ["done", "loop_prevented"]


def store_client_for(store):
    from tests.conftest import store_client

    return store_client(store, signed_in_as=store.owner)


def test_a_used_up_budget_skips_the_rest_of_the_day_and_says_so(selling, sandbox, settings):
    settings.AUTOMATION_DAILY_ACTIONS = 1
    rule_create(name="Note", trigger="backorder.created", enabled=True,
                actions=[{"type": "staff_note", "text": "Rule note"}])  # fmt: skip
    variant = stocked_variant(sandbox, on_hand=0)
    first = backorder_order(sandbox, selling, variant=variant)
    second = backorder_order(sandbox, selling, email="bo@example.com", variant=variant)

    run_all(selling)

    assert "Rule note" in note_lines(sandbox, first["id"]) and "Rule note" not in note_lines(sandbox, second["id"])
    skipped = AutomationRun.objects.get(status="skipped")
    assert skipped.outcome == "budget_exhausted" and "daily budget of 1 actions" in skipped.error
    assert Notification.objects.filter(kind="merchant_automation_budget").count() == 1
    budget = store_client_for(selling).get("/api/v1/automations/budget/").json()
    assert budget["exhausted"] and (budget["used"], budget["refused"]) == (1, 1)


def test_the_order_capture_path_gains_no_query(selling, sandbox):
    """Capturing an order costs exactly as many queries with the automations listener connected as without it,
    once the store's rule set is cached: for a store without rules, for one whose rules and subscriptions want
    other events, and for one whose rules on new backorders do not match this one (all decided in memory).
    A rule that matches adds exactly its one outbox statement (the event with its run, in one INSERT)."""
    variant = stocked_variant(sandbox, on_hand=0)
    orders = [sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 1}], email=f"s{n}@example.com")
              for n in range(6)]  # fmt: skip
    order_changed(selling, [order_event(orders[0]["id"])])  # warm-up: every cache, "no rules" included

    def capture_queries(order) -> int:
        with CaptureQueriesContext(connection) as queries:
            order_changed(selling, [order_event(order["id"])])
        return len(queries)

    listeners = [(name, fn) for name, fns in events._listeners.items() for fn in fns
                 if fn.__module__ == recording.__name__]  # fmt: skip
    for name, fn in listeners:
        events._listeners[name].remove(fn)
    try:
        without = capture_queries(orders[1])
    finally:
        for name, fn in listeners:
            events.listen(name, fn)
    with_listener = capture_queries(orders[2])
    rule_create(name="Shipped", trigger="backorder.shipped", enabled=True,
                actions=[{"type": "task", "title": "Shipped"}])  # fmt: skip
    webhooks.endpoint_create(url=sandbox.receiver_url("erp"), events=["backorder.cancelled"])
    recording.ruleset()  # the new set, cached (saving puts it in the cache after the commit)
    with_other_rules = capture_queries(orders[3])
    for n in range(100):  # rules on new backorders whose (local) conditions do not hold for this one
        rule_create(name=f"Wholesale {n}", trigger="backorder.created", enabled=True,
                    conditions=[{"field": "email_domain", "op": "is", "value": f"trade{n}.example"},
                                {"field": "quantity", "op": "gte", "value": 1}],
                    actions=[{"type": "task", "title": "Wholesale"}])  # fmt: skip
    recording.ruleset()
    with_rules_not_matching = capture_queries(orders[4])

    assert without == with_listener == with_other_rules == with_rules_not_matching, (
        without, with_listener, with_other_rules, with_rules_not_matching)  # fmt: skip
    assert Backorder.objects.count() == 5 and not AutomationRun.objects.exists()

    rule_create(name="Every new backorder", trigger="backorder.created", enabled=True,
                actions=[{"type": "task", "title": "New"}])  # fmt: skip
    recording.ruleset()
    with CaptureQueriesContext(connection) as matching:
        order_changed(selling, [order_event(orders[5]["id"])])
    assert len(matching) == without + 1
    outbox = f"INSERT INTO {AutomationEvent._meta.db_table}"
    assert sum(outbox in q["sql"] for q in matching.captured_queries) == 1
    assert AutomationRun.objects.get().event.order_id == orders[5]["id"]


# -- a worker SIGKILLed in the middle of a run (a real process, the test database) ------------------------------


@pytest.fixture
def committed(transactional_db, make_store, sandbox, settings, monkeypatch):
    """A connected store whose data is committed (a worker process sees it); queued tasks are not run here."""
    from django_tenants.utils import schema_context

    from backorder import sync
    from stores.bigcommerce.client import BigCommerceClient
    from tests.fixtures.bigcommerce import drop_store_schemas

    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **k: queued.append((a, k)))
    settings.OUTBOUND_PRIVATE_TARGETS = True
    drop_store_schemas()
    store = make_store()
    sandbox.create_store(STORE, name="Engine Shop", seed=11, products=30)
    store.bigcommerce_store_hash = STORE
    store.access_token = sandbox.issue_token(STORE)
    store.connection = store.Connection.CONNECTED
    store.save()
    with schema_context(store.schema_name):
        client = BigCommerceClient(store_hash=STORE, access_token=store.access_token)
        sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)
        Policy.objects.update_or_create(scope=Policy.Scope.STORE, defaults={"enabled": True, "lead_time_days": 10})
        yield store
    drop_store_schemas()


def worker_start(store) -> subprocess.Popen:
    from tests.hardening.servers import ROOT, app_environment

    code = ("from django_tenants.utils import schema_context\n"
            "from notifications.automations.runner import automation_runs_process\n"
            f"with schema_context({store.schema_name!r}):\n    print(dict(automation_runs_process()))\n")  # fmt: skip
    return subprocess.Popen([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                            env=app_environment(OUTBOUND_PRIVATE_TARGETS="1"), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip


def kill_when(process: subprocess.Popen, condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.stdout.read().decode()
        assert time.monotonic() < deadline, "the worker never got there"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def test_a_worker_killed_while_bigcommerce_applies_its_write_is_resumed_without_writing_twice(committed, sandbox):
    rule_create(name="Note", trigger="backorder.created", enabled=True,
                actions=[{"type": "staff_note", "text": "Rule note for {order_id}"},
                         {"type": "coupon", "amount": "5", "discount_type": "percent"}])  # fmt: skip
    order = backorder_order(sandbox, committed)
    # Each BigCommerce call of the worker waits 1.5 s in the sandbox before it is handled: the worker is killed
    # once its staff-notes PUT has arrived (the sandbox still applies it, the worker never hears of it).
    sandbox.set_faults(STORE, delay_ms=1500, delay_requests=3)
    process = worker_start(committed)
    kill_when(process, lambda: sandbox.store_summary(STORE)["faults"]["delay_requests"] <= 1)
    time.sleep(2)  # the sandbox finishes the PUT the dead worker sent

    run = AutomationRun.objects.get()
    assert run.status == "running" and f"Rule note for {order['id']}" in note_lines(sandbox, order["id"])
    AutomationRun.objects.update(claimed_at=timezone.now() - runner.RUN_TIMEOUT - timedelta(seconds=1))
    sandbox.set_faults(STORE, delay_ms=0, delay_requests=0)
    outcome = runner.automation_runs_process(store=committed)

    assert outcome["resumed"] == 1 and outcome["succeeded"] == 1
    assert note_lines(sandbox, order["id"]).count(f"Rule note for {order['id']}") == 1
    run.refresh_from_db()
    assert run.steps[0]["response"]["changed"] is False  # found, not written again
    assert len(sandbox.state.store(STORE).coupons) == 1


def test_a_worker_killed_after_handing_a_message_to_slack_never_sends_it_again(committed, sandbox):
    rule_create(
        name="Slack",
        trigger="backorder.created",
        enabled=True,
        actions=[{"type": "slack", "url": sandbox.receiver_url("slack"), "message": "Order {order_id}"}],
    )
    backorder_order(sandbox, committed)
    sandbox.receiver_configure("slack", delay_ms=5000)  # Slack has the message but has not answered yet
    process = worker_start(committed)
    kill_when(process, lambda: len(sandbox.receiver_requests("slack")) == 1)

    AutomationRun.objects.update(claimed_at=timezone.now() - runner.RUN_TIMEOUT - timedelta(seconds=1))
    outcome = runner.automation_runs_process(store=committed)
    runner.automation_runs_process(store=committed)

    run = AutomationRun.objects.get()
    assert outcome["unknown"] == 1 and (run.status, run.outcome) == ("unknown", "handed_off")
    assert "not sent again by itself" in run.error
    assert len(sandbox.receiver_requests("slack")) == 1
