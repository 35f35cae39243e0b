"""Events → runs and deliveries, written in the transaction that caused the event (an outbox).

Rules:
- A store with no enabled rule and no webhook subscription pays nothing: whether it has any is kept in the
  shared cache (`ruleset()`, forgotten whenever a rule or an endpoint changes), so the order-capture path
  asks the cache, never the database. Only an event some rule or subscription wants is built and written.
- One event is one `AutomationEvent` (unique `key`); each rule whose conditions hold (or may hold once
  BigCommerce is asked, matching.py) gets one run, each subscribed endpoint one delivery: all in one
  statement, whose ON CONFLICT clauses make a replayed event (a webhook BigCommerce delivered twice, a task
  run twice, the hourly check seeing a late backorder again) add nothing. A delivery's message id (the
  `webhook-id` header) is derived from the store, the event and the endpoint: one id per event and endpoint.
- Loops: the events a run's own actions cause carry that run's lineage (`caused_by`, a context variable set
  by the runner); a rule in the lineage gets a `skipped` run ("loop prevented") instead of running again, so
  no rule re-triggers itself, directly or through other rules, on the same backorder.
- After the commit one task per transaction works through the new runs, another through the deliveries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from notifications.automations import facts as facts_
from notifications.automations.matching import EMPTY, RuleSet, ruleset_compile
from notifications.automations.models import AutomationEvent, AutomationRule, AutomationRun
from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300  # also forgotten on every change; without Redis each process's copy lives this long
_lineage: ContextVar[tuple[int, ...]] = ContextVar("automation_lineage", default=())


@contextmanager
def caused_by(lineage: tuple[int, ...]) -> Iterator[None]:
    """Events recorded inside the block were caused by runs of these rules (runner.py sets it)."""
    token = _lineage.set(lineage)
    try:
        yield
    finally:
        _lineage.reset(token)


def current_lineage() -> tuple[int, ...]:
    return _lineage.get()


# -- the store's rule set, from the shared cache --------------------------------------------------------------


def _cache_key(schema_name: str) -> str:
    return f"automations:v1:{schema_name}"


_compiled: dict[str, RuleSet] = {}  # by content hash: the same rules compile the same way, in any store
_compiled_lock = threading.Lock()


def ruleset_load() -> dict:
    """The current store's enabled rules and subscribed endpoints as plain data (what the cache keeps)."""
    from stores.models import Store

    rules = list(
        AutomationRule.objects.filter(enabled=True, deleted_at__isnull=True)
        .order_by("id")
        .values("id", "name", "version", "trigger", "match", "conditions")
    )
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(enabled=True, deleted_at__isnull=True)
        .order_by("id")
        .values("id", "events")
        if e["events"]
    ]
    zone = ""
    if rules or endpoints:  # days are counted in the store's time zone
        zone = Store.objects.filter(schema_name=connection.schema_name).values_list("timezone", flat=True).first()
    raw = {"rules": rules, "endpoints": endpoints, "timezone": zone or "UTC"}
    raw["version"] = hashlib.sha1(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return raw


def ruleset() -> tuple[RuleSet, dict]:
    """The current store's rule set (compiled) and its raw data, from the shared cache (no query when warm)."""
    schema_name = connection.schema_name
    if schema_name == settings.PUBLIC_SCHEMA_NAME:
        return EMPTY, {"rules": [], "endpoints": [], "timezone": "UTC", "version": "empty"}
    key = _cache_key(schema_name)
    raw = cache.get(key)
    if raw is None:
        raw = ruleset_load()
        cache.set(key, raw, CACHE_SECONDS)
    if not raw["rules"] and not raw["endpoints"]:
        return EMPTY, raw
    compiled = _compiled.get(raw["version"])
    if compiled is None:
        compiled = ruleset_compile(version=raw["version"], rules=raw["rules"], endpoints=raw["endpoints"])
        with _compiled_lock:
            if len(_compiled) > 1000:
                _compiled.clear()
            _compiled[raw["version"]] = compiled
    return compiled, raw


def ruleset_forget() -> None:
    """A rule or an endpoint changed: the cached set is dropped now, and after the commit the new one is put in
    the cache (so the next order capture finds it there instead of asking the database)."""
    schema_name = connection.schema_name
    key = _cache_key(schema_name)
    cache.delete(key)

    def refresh() -> None:
        if connection.schema_name == schema_name:
            cache.set(key, ruleset_load(), CACHE_SECONDS)
        else:
            cache.delete(key)

    transaction.on_commit(refresh)


# -- recording ----------------------------------------------------------------------------------------------------


@dataclass
class Occurrence:
    """One event about to be recorded: its trigger, key, facts and (built only when wanted) payload data."""

    trigger: str
    key: str
    facts: dict
    data: dict | None = None
    data_builder: object = None  # a callable returning `data`, called only when the event is written
    backorder_id: int | None = None
    order_id: int | None = None
    occurred_at: datetime = field(default_factory=timezone.now)


_RECORD_SQL = f"""
WITH input AS (
    SELECT * FROM jsonb_to_recordset(%(events)s::jsonb) AS x(
        key text, type text, occurred_at timestamptz, backorder_id bigint, order_id bigint, facts jsonb,
        data jsonb, origin jsonb, runs jsonb, endpoints jsonb)
),
made AS (
    INSERT INTO {AutomationEvent._meta.db_table}
        (key, type, occurred_at, backorder_id, order_id, facts, data, origin, created_at)
    SELECT key, type, occurred_at, backorder_id, order_id, facts, data, origin, now() FROM input
    ON CONFLICT (key) DO NOTHING
    RETURNING id, key
),
ev AS (  -- the events made now, and those recorded before (a replay: only their missing runs are added)
    SELECT id, key FROM made
    UNION ALL
    SELECT e.id, e.key FROM {AutomationEvent._meta.db_table} e JOIN input ON input.key = e.key
    WHERE e.key NOT IN (SELECT key FROM made)
),
runs AS (
    INSERT INTO {AutomationRun._meta.db_table}
        (rule_id, rule_name, event_id, status, outcome, attempts, next_attempt_at, charged, inputs, steps, error,
         created_at, updated_at, finished_at)
    SELECT rule.id, rule.name, ev.id, r->>'status', r->>'outcome', 0, now(), false, input.facts, '[]'::jsonb, '',
           now(), now(), CASE WHEN r->>'status' = 'skipped' THEN now() END
    FROM input JOIN ev ON ev.key = input.key
    CROSS JOIN LATERAL jsonb_array_elements(input.runs) r
    JOIN {AutomationRule._meta.db_table} rule ON rule.id = (r->>'rule')::bigint
    ON CONFLICT (rule_id, event_id) DO NOTHING
    RETURNING status
),
deliveries AS (
    INSERT INTO {WebhookDelivery._meta.db_table}
        (endpoint_id, event_id, message_id, status, attempts, next_attempt_at, response_body, error, attempt_log,
         created_at, updated_at)
    SELECT endpoint.id, ev.id, 'msg_' || md5(%(schema)s || ':' || ev.id || ':' || endpoint.id), 'pending', 0, now(),
           '', '', '[]'::jsonb, now(), now()
    FROM input JOIN ev ON ev.key = input.key
    CROSS JOIN LATERAL jsonb_array_elements_text(input.endpoints) e
    JOIN {WebhookEndpoint._meta.db_table} endpoint ON endpoint.id = e::bigint
    ON CONFLICT (endpoint_id, event_id) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM runs WHERE status = 'pending'), (SELECT count(*) FROM deliveries)
"""


_KNOWN_SQL = f"""
    SELECT e.key,
           COALESCE(array_agg(DISTINCT r.rule_id) FILTER (WHERE r.rule_id IS NOT NULL), '{{}}'),
           COALESCE(array_agg(DISTINCT d.endpoint_id) FILTER (WHERE d.endpoint_id IS NOT NULL), '{{}}')
    FROM {AutomationEvent._meta.db_table} e
    LEFT JOIN {AutomationRun._meta.db_table} r ON r.event_id = e.id
    LEFT JOIN {WebhookDelivery._meta.db_table} d ON d.event_id = e.id
    WHERE e.key = ANY(%s)
    GROUP BY e.key
"""


def _known(keys: list[str]) -> dict[str, tuple[set[int], set[int]]]:
    """The runs (rule ids) and deliveries (endpoint ids) events of these keys already have."""
    with connection.cursor() as cursor:
        cursor.execute(_KNOWN_SQL, [keys])
        return {key: (set(rule_ids), set(endpoint_ids)) for key, rule_ids, endpoint_ids in cursor.fetchall()}


def occurrences_record(
    occurrences: list[Occurrence], *, rules: RuleSet | None = None, skip_known: bool = False
) -> tuple[int, int]:
    """Write the events some enabled rule or endpoint wants, with their runs and deliveries, in the caller's
    transaction; returns (runs to do, deliveries to send). Lookup facts are added when a rule reads them.
    `skip_known`: the events may have been recorded before (the hourly check): one query first finds what
    they already have, and an event with nothing new is not written again."""
    rules = rules if rules is not None else ruleset()[0]
    wanted = [o for o in occurrences if rules.wants(o.trigger)]
    if not wanted:
        return 0, 0
    known = _known([o.key[:200] for o in wanted]) if skip_known else {}
    needing_categories = [o.facts for o in wanted if "category" in rules.needs(o.trigger)]
    if needing_categories:
        facts_.categories_add(needing_categories)
    lineage = list(current_lineage())
    rows, seen = [], set()
    for occurrence in wanted:
        if occurrence.key in seen:
            continue
        seen.add(occurrence.key)
        matched = rules.matching(occurrence.trigger, occurrence.facts)
        endpoints = list(rules.endpoints_by_type.get(occurrence.trigger, ()))
        had_runs, had_deliveries = known.get(occurrence.key[:200], (set(), set()))
        matched = [rule for rule in matched if rule.id not in had_runs]
        endpoints = [endpoint for endpoint in endpoints if endpoint not in had_deliveries]
        if not matched and not endpoints:
            continue
        runs = [
            {"rule": rule.id, "status": "skipped", "outcome": "loop_prevented"}
            if rule.id in lineage
            else {"rule": rule.id, "status": "pending", "outcome": ""}
            for rule in matched
        ]
        data = occurrence.data
        if data is None and occurrence.data_builder is not None:
            data = occurrence.data_builder()
        rows.append({
            "key": occurrence.key[:200], "type": occurrence.trigger, "occurred_at": occurrence.occurred_at,
            "backorder_id": occurrence.backorder_id, "order_id": occurrence.order_id, "facts": occurrence.facts,
            "data": data or {}, "origin": lineage, "runs": runs, "endpoints": endpoints,
        })  # fmt: skip
    if not rows:
        return 0, 0
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_SQL, {"events": json.dumps(rows, cls=DjangoJSONEncoder),
                                     "schema": connection.schema_name})  # fmt: skip
        runs_made, deliveries_made = cursor.fetchone()
    if runs_made:
        _wake("notifications.automations.tasks.automation_runs_process")
    if deliveries_made:
        _wake("notifications.webhooks.tasks.webhook_deliveries_send")
    return int(runs_made), int(deliveries_made)


class _Wake:
    """After the commit, queue one run of `task` for the store (one per transaction, however many rows)."""

    def __init__(self, task: str, schema_name: str):
        self.task = task
        self.schema_name = schema_name

    def __call__(self) -> None:
        from django_q.tasks import async_task

        async_task(self.task, schema_name=self.schema_name)


def _wake(task: str) -> None:
    schema_name = connection.schema_name
    pending = getattr(connection, "run_on_commit", None) or []
    if any(isinstance(f, _Wake) and f.task == task and f.schema_name == schema_name for _, f, *_ in pending):
        return
    transaction.on_commit(_Wake(task, schema_name))


# -- what the engine announces (listeners of backorder/events.py) -------------------------------------------------

TIMELINE_TRIGGERS = {
    "captured": "backorder.created",
    "delayed": "backorder.date_changed",
    "brought_forward": "backorder.date_changed",
    "date_changed": "backorder.date_changed",
    "shipped": "backorder.shipped",
    "cancelled": "backorder.cancelled",
    "refunded": "backorder.refunded",
    "partly_refunded": "backorder.refunded",
    "delay_accepted": "backorder.delay_consent_given",
}


def _today_and_zone(raw: dict) -> tuple[date, object]:
    zone = facts_.zone_for(raw.get("timezone") or "UTC")
    return timezone.now().astimezone(zone).date(), zone


def backorder_occurrence(*, trigger: str, key: str, backorder, raw: dict, at: datetime | None = None) -> Occurrence:
    """An event about one backorder: its facts now, its payload (the merchant API's backorder) when written."""
    from notifications.webhooks.payloads import backorder_data

    today, zone = _today_and_zone(raw)
    return Occurrence(
        trigger=trigger, key=key, facts=facts_.backorder_facts(backorder, today=today, zone=zone),
        data_builder=lambda: backorder_data(backorder), backorder_id=backorder.pk, order_id=backorder.order_id,
        occurred_at=at or timezone.now(),
    )  # fmt: skip


def on_timeline(*, name: str, backorder, event, **_) -> None:
    """A line on a backorder's timeline (`backorder.*`): the triggers it stands for."""
    trigger = TIMELINE_TRIGGERS.get(event.kind)
    if trigger is None:
        return
    rules, raw = ruleset()
    if not rules.wants(trigger):
        return
    occurrences_record(
        [backorder_occurrence(trigger=trigger, key=f"timeline:{event.pk}", backorder=backorder, raw=raw, at=event.at)],
        rules=rules,
    )


def _backorders_occurrences(*, trigger: str, backorder_ids: list[int], key) -> None:
    from backorder.models import Backorder

    rules, raw = ruleset()
    if not backorder_ids or not rules.wants(trigger):
        return
    backorders = Backorder.objects.filter(pk__in=backorder_ids).order_by("id")
    occurrences_record(
        [backorder_occurrence(trigger=trigger, key=key(b), backorder=b, raw=raw) for b in backorders], rules=rules
    )


def on_allocated(*, backorder_ids: list[int], **_) -> None:
    """Backorders that became fully allocated (ready to ship); a backorder allocated again after a release is
    a new event (its `allocated_at` names the occasion)."""
    _backorders_occurrences(
        trigger="backorder.allocated", backorder_ids=backorder_ids,
        key=lambda b: f"allocated:{b.pk}:{int(b.allocated_at.timestamp() * 1e6) if b.allocated_at else 0}",
    )  # fmt: skip


def on_partly_allocated(*, backorder_ids: list[int], **_) -> None:
    _backorders_occurrences(
        trigger="backorder.partly_allocated", backorder_ids=backorder_ids,
        key=lambda b: f"partly_allocated:{b.pk}:{b.quantity_allocated}:{int(b.updated_at.timestamp() * 1e6)}",
    )  # fmt: skip


def delay_consent_requested(*, backorder, event) -> None:
    """notifications/consent.py asked the shopper to accept a delay (the delay's timeline line names it)."""
    _one_backorder_event("backorder.delay_consent_requested", f"consent_requested:{event.pk}", backorder)


def delay_consent_expired(*, backorder, due_on: date) -> None:
    """notifications/consent.py cancelled a backorder whose delay went unanswered by `due_on`."""
    _one_backorder_event("backorder.delay_consent_expired", f"consent_expired:{backorder.pk}:{due_on}", backorder)


def _one_backorder_event(trigger: str, key: str, backorder) -> None:
    rules, raw = ruleset()
    if rules.wants(trigger):
        occurrences_record([backorder_occurrence(trigger=trigger, key=key, backorder=backorder, raw=raw)], rules=rules)


def on_purchase_order_received(*, purchase_order, receipt, **_) -> None:
    """Units of a purchase order arrived: one event per receipt."""
    from notifications.automations.scheduled import purchase_order_occurrence

    rules, raw = ruleset()
    if not rules.wants("purchase_order.received"):
        return
    lines = [(line["variant_id"], line["quantity"]) for line in receipt.lines]
    occurrences_record([purchase_order_occurrence(
        trigger="purchase_order.received", key=f"po_received:{receipt.pk}", order=purchase_order, received=lines,
        raw=raw,
    )], rules=rules)  # fmt: skip


def on_stock_alert_subscribed(*, subscription, **_) -> None:
    """A notify-me sign-up (or one armed again): the update time names the occasion."""
    from notifications.webhooks.payloads import stock_alert_data

    trigger = "stock_alert.subscribed"
    rules, raw = ruleset()
    if not rules.wants(trigger):
        return
    email = subscription.email or ""
    armed = int(subscription.updated_at.timestamp()) if subscription.updated_at else 0
    item = _variant_facts([subscription.variant_id] if subscription.variant_id else [],
                          [subscription.product_id])  # fmt: skip
    occurrences_record([Occurrence(
        trigger=trigger, key=f"stock_alert:{subscription.pk}:{armed}",
        facts={**item, "email_domain": email.rpartition("@")[2].lower(), "stock_alert_id": subscription.pk,
               "shopper_email": email},
        data_builder=lambda: stock_alert_data(subscription),
    )], rules=rules)  # fmt: skip


def on_restocked(*, variant_ids: list[int], **_) -> None:
    """Sold-out variants can be bought again: one event per variant and availability version."""
    from backorder.models import Variant, VariantAvailability
    from notifications.webhooks.payloads import variant_data

    trigger = "variant.back_in_stock"
    rules, _raw = ruleset()
    if not variant_ids or not rules.wants(trigger):
        return
    versions = dict(VariantAvailability.objects.filter(variant_id__in=variant_ids).values_list("variant_id", "version"))
    variants = Variant.objects.filter(bigcommerce_id__in=variant_ids).select_related("product").order_by("id")
    occurrences = []
    for variant in variants:
        payload = {"variant_id": variant.bigcommerce_id, "product_id": variant.product.bigcommerce_id,
                   "sku": variant.sku, "product_name": variant.product.name, "on_hand": variant.on_hand}  # fmt: skip
        occurrences.append(Occurrence(
            trigger=trigger, key=f"back_in_stock:{variant.bigcommerce_id}:v{versions.get(variant.bigcommerce_id, 0)}",
            facts={**_variant_facts([variant.bigcommerce_id], [variant.product.bigcommerce_id], [variant.sku]),
                   "product_name": variant.product.name},
            data=variant_data(payload),
        ))  # fmt: skip
    occurrences_record(occurrences, rules=rules)


def _variant_facts(variant_ids: list[int], product_ids: list[int], skus: list[str] | None = None) -> dict:
    if skus is None:
        from backorder.models import Variant

        skus = list(Variant.objects.filter(bigcommerce_id__in=variant_ids).values_list("sku", flat=True))
    return {"variant": list(variant_ids), "product": list(product_ids), "sku": [s for s in skus if s]}


def listeners_connect() -> None:
    from backorder import events

    events.listen("backorder.*", on_timeline)
    events.listen("backorders.allocated", on_allocated)
    events.listen("backorders.partly_allocated", on_partly_allocated)
    events.listen("purchase_order.received", on_purchase_order_received)
    events.listen("stock_alert.subscribed", on_stock_alert_subscribed)
    events.listen("variant.restocked", on_restocked)
