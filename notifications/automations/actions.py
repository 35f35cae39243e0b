"""What each action does, and how it stays exactly-once when a worker dies in the middle of it.

Three kinds (catalog.Action.resume):
- *local* (e-mail, move the date, cancel, task, signed webhook): database writes only, done in one
  transaction with the step's "done" mark, so a step is either wholly done or not at all. E-mails and
  deliveries go through their outboxes, which send them after the commit.
- *compared* (BigCommerce: order status, staff note, customer group, coupon): BigCommerce is read first and
  written only when it does not already show the change (a coupon's code is derived from the run, so the
  coupon of an interrupted run is found, never made twice). Doing such a step again is harmless.
- *handed off* (Slack, Teams): a message that cannot be recalled. The hand-off is recorded before the
  request; if the worker dies after it, the run ends `unknown` and is never repeated by itself.

Errors: `StepRetry` (BigCommerce or the receiver did not answer, rate limits, 5xx: tried again with a
backoff), `StepFailed` (refused for good: shown in the run log), `StepSkipped` (nothing to do, e.g. a guest has
no customer account), `StepUnknown` (handed off, no answer).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from email.utils import format_datetime

from django.conf import settings
from django.db import connection

from backorder.models import Backorder, BackorderEvent, MerchantTask
from notifications.automations import catalog
from notifications.automations.models import AutomationEvent, AutomationRule, AutomationRun
from notifications.webhooks import targets
from stores.bigcommerce import errors
from stores.crypto import decrypt

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by hand
TASK_KIND = "automation"  # MerchantTask.kind of the tasks rules create


class StepRetry(Exception):
    """Not done this time; try again later (nothing was changed, or changing it again is harmless)."""


class StepFailed(Exception):
    """Refused for good; the run fails and the merchant sees why."""


class StepSkipped(Exception):
    """Nothing to do for this event (e.g. the backorder is no longer waiting)."""


class StepUnknown(Exception):
    """Handed to a receiver that gave no answer: it may or may not have it."""


@dataclass
class RunContext:
    run: AutomationRun
    rule: AutomationRule
    event: AutomationEvent
    store: object
    facts: dict
    backorder: Backorder | None = None
    outputs: dict = field(default_factory=dict)  # what earlier steps made (e.g. the coupon code)
    step: int = 0
    _client: object = None

    @property
    def actor_label(self) -> str:
        return f"Rule: {self.rule.name}"[:200]

    def client(self):
        """The store's BigCommerce client; a store that is not connected fails the step for good."""
        if self._client is None:
            from stores.bigcommerce.connection import client_for

            if getattr(self.store, "connection", "connected") != "connected":
                raise StepFailed("The store is not connected to BigCommerce; reconnect it, then retry the run.")
            try:
                self._client = client_for(self.store)
            except errors.BigCommerceError as exc:
                raise StepFailed(str(exc)) from None
        return self._client

    def values(self) -> dict:
        """The placeholders' values (catalog.PLACEHOLDERS) for texts of this run."""
        b = self.backorder
        facts = self.facts
        trigger = catalog.TRIGGERS.get(self.event.type)
        values = {
            "store_name": getattr(self.store, "name", ""),
            "rule_name": self.rule.name,
            "event": trigger.label if trigger else self.event.type,
            "order_id": b.order_id if b else (facts.get("order_id") or ""),
            "product_name": (b.product_name if b else facts.get("product_name")) or "",
            "sku": b.sku if b else ", ".join(facts.get("sku") or []),
            "quantity": b.quantity if b else facts.get("quantity", ""),
            "expected_ship_date": b.expected_ship_date.isoformat() if b and b.expected_ship_date else "",
            "promised_ship_date": b.promised_ship_date.isoformat() if b and b.promised_ship_date else "",
            "days_waiting": facts.get("days_waiting", ""),
            "days_late": facts.get("days_late", ""),
            "shopper_name": b.customer_name if b else "",
            "shopper_email": b.customer_email if b else facts.get("shopper_email", ""),
            "purchase_order": facts.get("purchase_order", ""),
            "supplier": facts.get("supplier", ""),
            "coupon_code": self.outputs.get("coupon_code", ""),
            "coupon_discount": self.outputs.get("coupon_discount", ""),
            "coupon_expires_on": self.outputs.get("coupon_expires_on", ""),
            "link": f"{self.store.base_url}/backorders/{b.pk}/" if b and hasattr(self.store, "base_url") else "",
        }
        return values

    def fill(self, text: str) -> str:
        return catalog.text_fill(text, self.values())


def _bigcommerce(call):
    """Run a BigCommerce call, turning its errors into step outcomes: no answer, rate limits and 5xx are
    tried again later; a refusal is final."""
    try:
        return call()
    except (errors.RateLimitedError, errors.ServerError, errors.ConnectionFailedError) as exc:
        raise StepRetry(str(exc)) from None
    except errors.BigCommerceError as exc:
        raise StepFailed(str(exc)) from None


def _order_id(ctx: RunContext) -> int:
    if ctx.backorder is None or not ctx.backorder.order_id:
        raise StepSkipped("This event has no order.")
    return ctx.backorder.order_id


# -- local actions (inside the runner's transaction) ------------------------------------------------------------


def email(action: dict, ctx: RunContext) -> dict:
    """Owe the e-mail through the outbox (key `run:<run>:<step>`: a repeated step finds the same row)."""
    from notifications.alerts import merchant_alert
    from notifications.outbox import notification_enqueue
    from notifications.services import shopper_language

    key = f"run:{ctx.run.pk}:{ctx.step}"
    context = {"run_id": ctx.run.pk, "step": ctx.step, "backorder_id": ctx.backorder.pk if ctx.backorder else None}
    to = action["to"]
    if to == "shopper":
        b = ctx.backorder
        if b is None or not b.customer_email:
            raise StepSkipped("The shopper has no e-mail address on file.")
        row = notification_enqueue(kind=action["template"], key=key, to=b.customer_email, context=context,
                                   language=shopper_language(b.customer_locale), backorder=b)  # fmt: skip
        return {"notifications": [row.pk] if row else [], "to": "shopper"}
    if to == "team":
        rows = merchant_alert(kind="merchant_automation", key=key, context=context,
                              order_id=ctx.backorder.order_id if ctx.backorder else None)  # fmt: skip
        return {"notifications": [r.pk for r in rows], "to": "team"}
    row = notification_enqueue(kind="merchant_automation", key=f"{key}:{action['address']}", to=action["address"],
                               context=context)  # fmt: skip
    return {"notifications": [row.pk] if row else [], "to": action["address"]}


def move_date(action: dict, ctx: RunContext) -> dict:
    """A waiting backorder's expected date moves by `days` (never before today); delays are told as usual."""
    from backorder.services.availability import store_today
    from backorder.services.backorder_actions import backorder_date_change

    b = Backorder.objects.select_for_update().get(pk=ctx.backorder.pk) if ctx.backorder else None
    if b is None or b.status != Backorder.Status.WAITING:
        raise StepSkipped("Only a waiting backorder has a date to move.")
    today = store_today(ctx.store)
    new_date = max(today, (b.expected_ship_date or today) + timedelta(days=action["days"]))
    if new_date == b.expected_ship_date:
        raise StepSkipped("The date is already as far as it can move.")
    old = b.expected_ship_date
    backorder_date_change(backorder=b, expected_ship_date=new_date, actor=BackorderEvent.Actor.MERCHANT,
                          actor_label=ctx.actor_label, reason=ctx.rule.name)  # fmt: skip
    return {"from": old.isoformat() if old else None, "to": new_date.isoformat()}


def cancel(action: dict, ctx: RunContext) -> dict:
    """Cancel with the usual refund rules (cancellation.backorder_cancel); shipped or cancelled: nothing."""
    from backorder.services.cancellation import backorder_cancel

    b = ctx.backorder
    if b is None:
        raise StepSkipped("This event has no backorder.")
    b.refresh_from_db()
    if b.status in (Backorder.Status.SHIPPED, Backorder.Status.CANCELLED):
        raise StepSkipped(f"The backorder is already {b.status}.")
    result = backorder_cancel(backorder=b, actor=BackorderEvent.Actor.MERCHANT, actor_label=ctx.actor_label,
                              reason=ctx.fill(action["reason"]), refund=action.get("refund", True))  # fmt: skip
    return {"cancelled": result.cancelled, "units_released": result.units_released, "refund": result.refund_requested}


def task(action: dict, ctx: RunContext) -> dict:
    """A to-do for the merchant (listed on the Automations page)."""
    b = ctx.backorder
    row = MerchantTask.objects.create(
        kind=TASK_KIND, backorder=b, order_id=b.order_id if b else ctx.facts.get("order_id"),
        details={"title": ctx.fill(action["title"])[:200], "note": ctx.fill(action.get("note", ""))[:2000],
                 "rule_id": ctx.rule.pk, "rule_name": ctx.rule.name, "run_id": ctx.run.pk, "event": ctx.event.type},
    )  # fmt: skip
    return {"task_id": row.pk}


def webhook(action: dict, ctx: RunContext) -> dict:
    """The event goes to one of the store's endpoints, as a delivery like its subscriptions' (one per
    endpoint and event: an endpoint also subscribed to the event gets it once)."""
    from notifications.webhooks.services import delivery_for_event

    delivery = delivery_for_event(endpoint_id=action["webhook_id"], event=ctx.event)
    return {"delivery_id": delivery.pk, "message_id": delivery.message_id}


# -- compared actions (BigCommerce; read first) ------------------------------------------------------------------


def order_status(action: dict, ctx: RunContext) -> dict:
    order_id = _order_id(ctx)
    client = ctx.client()
    order = _bigcommerce(lambda: client.get(f"/v2/orders/{order_id}")) or {}
    current = int(order.get("status_id") or 0)
    target = int(action["status_id"])
    if current == target:
        return {"status_id": target, "changed": False}
    if current in (4, 5, 6) or order.get("is_deleted"):
        raise StepSkipped(f"Order {order_id} is {catalog.ORDER_STATUSES.get(current, current)}; left as it is.")
    _bigcommerce(lambda: client.put(f"/v2/orders/{order_id}", json={"status_id": target}))
    return {"status_id": target, "from_status_id": current, "changed": True}


def staff_note(action: dict, ctx: RunContext) -> dict:
    """Add one line to the order's staff notes unless the same line is there; read again afterwards (the
    app's own write-back, or the merchant, may have written the notes at the same moment)."""
    order_id = _order_id(ctx)
    client = ctx.client()
    line = " ".join(ctx.fill(action["text"]).split())[:500]

    def has_line(order: dict) -> bool:
        return line in (str(order.get("staff_notes") or "")).splitlines()

    order = _bigcommerce(lambda: client.get(f"/v2/orders/{order_id}")) or {}
    if has_line(order):
        return {"line": line, "changed": False}
    current = str(order.get("staff_notes") or "").rstrip()
    separator = "\r\n" if "\r\n" in current else "\n"
    notes = f"{current}{separator}{line}" if current else line
    _bigcommerce(lambda: client.put(f"/v2/orders/{order_id}", json={"staff_notes": notes}))
    if not has_line(_bigcommerce(lambda: client.get(f"/v2/orders/{order_id}")) or {}):
        raise StepRetry("Another write replaced the staff notes at the same moment; adding the line again.")
    return {"line": line, "changed": True}


def customer_group(action: dict, ctx: RunContext) -> dict:
    b = ctx.backorder
    if b is None or not b.customer_id:
        raise StepSkipped("A guest checkout has no customer account to put in a group.")
    client = ctx.client()
    target = int(action["customer_group_id"])
    found = _bigcommerce(lambda: client.get_data("/v3/customers", params={"id:in": b.customer_id})) or []
    if not found:
        raise StepFailed(f"Customer {b.customer_id} no longer exists in BigCommerce.")
    if int(found[0].get("customer_group_id") or 0) == target:
        return {"customer_id": b.customer_id, "customer_group_id": target, "changed": False}
    _bigcommerce(lambda: client.put("/v3/customers", json=[{"id": b.customer_id, "customer_group_id": target}]))
    return {"customer_id": b.customer_id, "customer_group_id": target, "changed": True}


def coupon_code_for(ctx: RunContext) -> str:
    """The run's code: derived from the store, run and step (so a retried step finds its coupon), keyed with
    SECRET_KEY (so nobody can guess another shopper's code)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{connection.schema_name}:{ctx.run.pk}:{ctx.step}".encode(),
                      hashlib.sha256).digest()  # fmt: skip
    number = int.from_bytes(digest[:10], "big")
    chars = []
    for _ in range(10):
        number, index = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return f"R{ctx.rule.pk}-" + "".join(chars)


def coupon(action: dict, ctx: RunContext) -> dict:
    """A single-use coupon (Coupons v2): found by its code first, created otherwise; a 409 from a concurrent
    creation adopts that coupon."""
    from backorder.services.availability import store_today

    client = ctx.client()
    code = coupon_code_for(ctx)
    amount = Decimal(action["amount"])
    percent = action.get("discount_type", "percent") == "percent"
    expires_on = store_today(ctx.store) + timedelta(days=int(action.get("valid_days", 60)))
    currency = ctx.backorder.currency if ctx.backorder else ""
    discount = f"{amount.normalize():f}%" if percent else f"{amount:.2f} {currency}"
    outputs = {"coupon_code": code, "coupon_discount": discount.strip(), "coupon_expires_on": expires_on.isoformat()}

    def find() -> dict | None:
        found = _bigcommerce(lambda: client.get("/v2/coupons", params={"code": code})) or []
        return next((c for c in found if c.get("code") == code), None)

    existing = find()
    if existing is not None:
        return {**outputs, "coupon_id": existing.get("id"), "changed": False}
    if action.get("applies_to", "product") == "product" and ctx.backorder is not None:
        applies_to = {"entity": "products", "ids": [ctx.backorder.product_id]}
    else:
        applies_to = {"entity": "categories", "ids": [0]}  # 0: every category, the whole order
    body = {
        "name": f"Backorder rule {ctx.rule.pk} run {ctx.run.pk}-{ctx.step}",
        "code": code,
        "type": "percentage_discount" if percent else ("per_item_discount" if applies_to["ids"] != [0]
                                                       else "per_total_discount"),
        "amount": f"{amount:f}",
        "applies_to": applies_to,
        "max_uses": 1,
        "max_uses_per_customer": 1,
        "enabled": True,
        "expires": format_datetime(datetime.combine(expires_on, time(23, 59, 59), tzinfo=UTC)),
    }  # fmt: skip
    try:
        created = client.post("/v2/coupons", json=body)
    except errors.ConflictError:
        created = find()
        if created is None:
            raise StepFailed("BigCommerce refused the coupon as a duplicate but has no coupon of this code.") from None
    except (errors.RateLimitedError, errors.ServerError, errors.ConnectionFailedError) as exc:
        raise StepRetry(str(exc)) from None  # the next try looks the code up first
    except errors.BigCommerceError as exc:
        raise StepFailed(str(exc)) from None
    return {**outputs, "coupon_id": (created or {}).get("id"), "changed": True}


# -- handed-off actions (Slack, Teams) ----------------------------------------------------------------------------


def chat_body(kind: str, text: str) -> bytes:
    """Slack's incoming webhooks take `{"text"}`; Teams' (Workflows) an Adaptive Card message."""
    if kind == "slack":
        return json.dumps({"text": text}).encode()
    card = {"type": "AdaptiveCard", "version": "1.4", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "body": [{"type": "TextBlock", "text": text, "wrap": True}]}  # fmt: skip
    return json.dumps(
        {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
            ],
        }
    ).encode()


def chat(action: dict, ctx: RunContext) -> dict:
    """Post the message once. A refused target, no connection or a 429/5xx answer is tried again (the
    receiver does not have it); a 4xx is final; no answer after sending is unknown (never repeated)."""
    url = decrypt(action["url_encrypted"]) if action.get("url_encrypted") else action.get("url", "")
    text = ctx.fill(action["message"])
    try:
        answer = targets.post(url, body=chat_body(action["type"], text), headers={})
    except targets.TargetRefused as exc:
        raise StepFailed(str(exc)) from None
    except targets.NotSent as exc:
        raise StepRetry(str(exc)) from None
    except targets.SentWithoutAnswer as exc:
        raise StepUnknown(str(exc)) from None
    response = {"status": answer.status, "body": answer.text[:500], "ms": answer.elapsed_ms}
    if 200 <= answer.status < 300:
        return {"response": response}
    if answer.status == 429 or answer.status >= 500:
        raise StepRetry(f"{action['type'].title()} answered {answer.status}: {answer.text[:200]}")
    raise StepFailed(f"{action['type'].title()} answered {answer.status}: {answer.text[:200]}")


PERFORM = {
    "email": email, "move_date": move_date, "cancel": cancel, "task": task, "webhook": webhook,
    "order_status": order_status, "staff_note": staff_note, "customer_group": customer_group, "coupon": coupon,
    "slack": chat, "teams": chat,
}  # fmt: skip


def secret_url_mask(url: str) -> str:
    """How a Slack or Teams URL is shown: its host and last characters (the URL itself is a secret)."""
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    return f"https://{host}/…{url[-4:]}" if url else ""
