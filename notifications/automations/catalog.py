"""The vocabulary of rules: every trigger, condition field and action, with what each needs.

This module is the reference the API (`GET /api/v1/automations/catalog/`), the rule editor and
docs/automations.md are built from; `rule_validate` is the one check a rule passes before it is saved.
Nothing here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

# -- triggers --------------------------------------------------------------------------------------------------

BACKORDER, PURCHASE_ORDER, VARIANT, STOCK_ALERT, TEST = "backorder", "purchase_order", "variant", "stock_alert", "test"


@dataclass(frozen=True)
class Trigger:
    name: str
    label: str  # completes "When …"
    subject: str  # what the event is about: backorder, purchase_order, variant, stock_alert
    description: str
    scheduled: bool = False  # found by the hourly check, not announced by the engine


TRIGGERS: dict[str, Trigger] = {
    t.name: t
    for t in [
        Trigger("backorder.created", "a backorder is created", BACKORDER,
                "An order line was captured as a backorder (once per line)."),
        Trigger("backorder.date_changed", "a backorder's expected date changes", BACKORDER,
                "The expected ship date moved, later (a delay) or earlier."),
        Trigger("backorder.partly_allocated", "a backorder is partly allocated", BACKORDER,
                "Arriving stock gave some, not all, of its units to the backorder."),
        Trigger("backorder.allocated", "a backorder is ready to ship", BACKORDER,
                "Every unit of the backorder is allocated: it can ship."),
        Trigger("backorder.shipped", "a backorder ships", BACKORDER, "The backorder's units have shipped."),
        Trigger("backorder.cancelled", "a backorder is cancelled", BACKORDER,
                "Cancelled by the shopper, the merchant, a rule, BigCommerce or an unanswered delay."),
        Trigger("backorder.refunded", "a backorder is refunded", BACKORDER,
                "Money went back for the backorder: the app's refund of a cancellation, or a (partial) refund "
                "made in BigCommerce."),
        Trigger("backorder.delay_consent_requested", "a shopper is asked to accept a delay", BACKORDER,
                "A delay beyond what the shopper agreed to needs their consent by a deadline."),
        Trigger("backorder.delay_consent_given", "a shopper accepts a delay", BACKORDER,
                "The shopper accepted the new date on their self-service page."),
        Trigger("backorder.delay_consent_expired", "a delay goes unanswered", BACKORDER,
                "The consent deadline passed without an answer; the backorder was cancelled and refunded."),
        Trigger("backorder.late", "a backorder becomes late", BACKORDER,
                "The date promised at order time has passed and it still waits (checked hourly; with a "
                "'days late' condition the rule runs the first time the backorder is that late).", True),
        Trigger("backorder.at_risk", "a backorder is at risk", BACKORDER,
                "It waits with nothing allocated and its expected date is within 3 days (checked hourly).", True),
        Trigger("purchase_order.received", "a purchase order is received", PURCHASE_ORDER,
                "Units of a purchase order arrived (one event per receipt)."),
        Trigger("purchase_order.overdue", "a purchase order is overdue", PURCHASE_ORDER,
                "A purchase-order line is past its expected date with units outstanding (checked hourly).", True),
        Trigger("stock_alert.subscribed", "a shopper signs up for a back-in-stock alert", STOCK_ALERT,
                "A shopper asked to be told when a sold-out item is back (notify me)."),
        Trigger("variant.back_in_stock", "a sold-out item is back in stock", VARIANT,
                "A variant that could not be bought from stock can be again."),
    ]
}  # fmt: skip
TRIGGER_NAMES = tuple(TRIGGERS)  # also the event types webhook endpoints subscribe to
SCHEDULED_TRIGGERS = tuple(name for name, t in TRIGGERS.items() if t.scheduled)
TEST_EVENT = "webhook.test"  # the "send test event" button's type (webhooks only, never a rule's trigger)
# Reserved for flexible payment (deposits, charge when ready) once it exists: documented, not yet announced.
RESERVED_TRIGGERS = ("payment.captured", "payment.voided", "payment.failed")

# -- conditions ------------------------------------------------------------------------------------------------

IDS, TEXT, NUMBER, CHOICE, DOMAIN = "ids", "text", "number", "choice", "domain"
OPS = {
    IDS: ("in", "not_in"),
    TEXT: ("is", "is_not", "starts_with", "contains"),
    NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte"),
    CHOICE: ("is", "is_not"),
    DOMAIN: ("is", "is_not", "ends_with"),
}
OP_LABELS = {
    "in": "is one of", "not_in": "is none of", "is": "is", "is_not": "is not", "starts_with": "starts with",
    "contains": "contains", "eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤",
    "ends_with": "ends with",
}  # fmt: skip
LOCAL, LOOKUP, REMOTE = "local", "lookup", "remote"  # where a fact comes from (see facts.py)


@dataclass(frozen=True)
class Condition:
    field: str
    label: str
    kind: str
    subjects: tuple[str, ...]
    description: str
    source: str = LOCAL
    choices: tuple[str, ...] = ()


_ITEM = (BACKORDER, PURCHASE_ORDER, VARIANT, STOCK_ALERT)
CONDITIONS: dict[str, Condition] = {
    c.field: c
    for c in [
        Condition("product", "Product", IDS, _ITEM, "BigCommerce product ids."),
        Condition("variant", "Variant", IDS, _ITEM, "BigCommerce variant ids."),
        Condition("sku", "SKU", TEXT, _ITEM, "The variant's SKU (case-insensitive)."),
        Condition("category", "Category", IDS, _ITEM,
                  "BigCommerce category ids; a product in a sub-category is in its parents too.", LOOKUP),
        Condition("policy_mode", "Policy mode", CHOICE, (BACKORDER,), "How it was sold: backorder or pre-order.",
                  choices=("backorder", "preorder")),
        Condition("quantity", "Quantity", NUMBER, (BACKORDER, PURCHASE_ORDER),
                  "Units of the backorder; for purchase orders the units received or outstanding."),
        Condition("order_total", "Order total", NUMBER, (BACKORDER,),
                  "The order's total including tax, in its currency (read from BigCommerce when the rule runs).",
                  REMOTE),
        Condition("days_waiting", "Days waiting", NUMBER, (BACKORDER,),
                  "Days since the order was placed (the store's calendar)."),
        Condition("days_late", "Days late", NUMBER, (BACKORDER, PURCHASE_ORDER),
                  "Days since the promised date passed (a purchase-order line: its expected date); 0 if not late."),
        Condition("channel", "Channel", IDS, (BACKORDER,), "BigCommerce channel ids (1 = the main storefront)."),
        Condition("email_domain", "Shopper's e-mail domain", DOMAIN, (BACKORDER, STOCK_ALERT),
                  "The part after @, lower-case (e.g. acme.com); 'ends with' matches the domain and its "
                  "sub-domains (acme.com: shop.acme.com too, notacme.com not)."),
        Condition("customer_group", "Customer group", IDS, (BACKORDER,),
                  "BigCommerce customer group ids; 0 = guests and customers in no group (read from BigCommerce "
                  "when the rule runs).", REMOTE),
    ]
}  # fmt: skip

# -- actions ---------------------------------------------------------------------------------------------------

ORDER_STATUSES = {
    0: "Incomplete", 1: "Pending", 2: "Shipped", 3: "Partially Shipped", 4: "Refunded", 5: "Cancelled",
    6: "Declined", 7: "Awaiting Payment", 8: "Awaiting Pickup", 9: "Awaiting Shipment", 10: "Completed",
    11: "Awaiting Fulfillment", 12: "Manual Verification Required", 13: "Disputed", 14: "Partially Refunded",
}  # fmt: skip
SETTABLE_STATUSES = (1, 3, 7, 8, 9, 10, 11, 12, 13)  # a rule never ships, cancels or refunds through a status
SHOPPER_TEMPLATES = ("automation_update", "automation_coupon")
LOCAL_ACTION, COMPARED, HANDED_OFF = "local", "compared", "handed_off"  # how a run resumes an action (runner.py)


@dataclass(frozen=True)
class Action:
    type: str
    label: str
    group: str  # email, bigcommerce, backorder, outbound
    subjects: tuple[str, ...]
    resume: str
    description: str
    params: dict[str, str] = field(default_factory=dict)


ACTIONS: dict[str, Action] = {
    a.type: a
    for a in [
        Action("email", "Send an e-mail", "email", _ITEM, LOCAL_ACTION,
               "To the shopper (with a chosen template), the store's team (alert recipients) or an address.",
               {"to": "shopper, team or address", "address": "for `address`",
                "template": f"for the shopper: {', '.join(SHOPPER_TEMPLATES)}",
                "subject": "for team and address (placeholders allowed)", "message": "the text (placeholders)"}),
        Action("order_status", "Set the order's status", "bigcommerce", (BACKORDER,), COMPARED,
               "Moves the BigCommerce order to a status (read first: nothing is written when it already has it).",
               {"status_id": "a BigCommerce order status id"}),
        Action("staff_note", "Add a staff note to the order", "bigcommerce", (BACKORDER,), COMPARED,
               "Adds a line to the order's staff notes (once: a line already there is not added again).",
               {"text": "the note (placeholders)"}),
        Action("customer_group", "Add the customer to a customer group", "bigcommerce", (BACKORDER,), COMPARED,
               "Moves the order's customer to a BigCommerce customer group (guests have no account: skipped).",
               {"customer_group_id": "a BigCommerce customer group id"}),
        Action("coupon", "Create a single-use coupon", "bigcommerce", (BACKORDER,), COMPARED,
               "A one-use coupon code in BigCommerce; a later e-mail action of the rule can send it "
               "({coupon_code}, {coupon_discount}).",
               {"discount_type": "percent or amount", "amount": "e.g. 10", "applies_to": "product or order",
                "valid_days": "days the code works (1-365)"}),
        Action("move_date", "Move the expected date", "backorder", (BACKORDER,), LOCAL_ACTION,
               "Moves a waiting backorder's expected ship date by N days (the usual delay notices follow).",
               {"days": "days later (negative: earlier)"}),
        Action("cancel", "Cancel the backorder", "backorder", (BACKORDER,), LOCAL_ACTION,
               "Cancels it with the usual refund rules and tells the shopper.",
               {"reason": "shown to the shopper", "refund": "true (default) or false"}),
        Action("task", "Create a merchant task", "backorder", _ITEM, LOCAL_ACTION,
               "A to-do on the Automations page's task list.", {"title": "placeholders allowed", "note": "optional"}),
        Action("webhook", "Send a signed webhook", "outbound", _ITEM, LOCAL_ACTION,
               "Delivers the event to one of the store's webhook endpoints (Settings > Webhooks), signed and "
               "retried like its subscriptions.", {"webhook_id": "the endpoint's id"}),
        Action("slack", "Post to Slack", "outbound", _ITEM, HANDED_OFF,
               "A message through a Slack incoming webhook URL.", {"url": "https://hooks.slack.com/…",
                                                                  "message": "placeholders allowed"}),
        Action("teams", "Post to Microsoft Teams", "outbound", _ITEM, HANDED_OFF,
               "A message through a Teams incoming webhook (Workflows) URL.",
               {"url": "the webhook URL", "message": "placeholders allowed"}),
    ]
}  # fmt: skip
MAX_ACTIONS = 5
MAX_CONDITIONS = 20

# -- placeholders in texts -------------------------------------------------------------------------------------

PLACEHOLDERS = {
    "store_name": "The store's name.",
    "rule_name": "The rule's name.",
    "event": "What happened, in words.",
    "order_id": "The BigCommerce order number ('' without one).",
    "product_name": "The product.",
    "sku": "The SKU.",
    "quantity": "Units.",
    "expected_ship_date": "The expected ship date (ISO, '' = unknown).",
    "promised_ship_date": "The date promised at order time (ISO).",
    "days_waiting": "Days since the order.",
    "days_late": "Days past the promised date.",
    "shopper_name": "The shopper's name.",
    "shopper_email": "The shopper's e-mail address.",
    "purchase_order": "The purchase order's reference or number.",
    "supplier": "The purchase order's supplier.",
    "coupon_code": "The code an earlier coupon action of this run created ('' = none).",
    "coupon_discount": "What that coupon is worth, e.g. '10%'.",
    "coupon_expires_on": "Its last day (ISO).",
    "link": "The backorder's page in the app ('' = none).",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_email = EmailValidator()


def placeholders_in(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text or ""))


def text_fill(text: str, values: dict) -> str:
    """Replace `{name}` placeholders (only the documented ones; anything else stays as written)."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m[1], m[0]) if m[1] in PLACEHOLDERS else m[0]), text or "")


# -- validation ------------------------------------------------------------------------------------------------


class RuleInvalid(ValidationError):
    pass


def _ids(value, where: str, errors: dict) -> list[int] | None:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        errors.setdefault(where, []).append("A list of whole numbers (ids).")
        return None
    if any(v < 0 or v > 2**53 for v in value) or len(value) > 500:
        errors.setdefault(where, []).append("Ids are between 0 and 2^53, at most 500 of them.")
        return None
    return sorted(set(value))


def condition_normalize(condition, *, subject: str, where: str, errors: dict, complete: bool) -> dict | None:
    """One condition `{"field", "op", "value"}` checked against the catalog; returns it normalized."""
    if not isinstance(condition, dict):
        errors.setdefault(where, []).append('Each condition is {"field", "op", "value"}.')
        return None
    spec = CONDITIONS.get(condition.get("field"))
    if spec is None:
        errors.setdefault(where, []).append(f"Unknown field {condition.get('field')!r}; see the catalog.")
        return None
    if subject not in spec.subjects:
        errors.setdefault(where, []).append(f"“{spec.label}” does not apply to this trigger.")
        return None
    op = condition.get("op")
    if op not in OPS[spec.kind]:
        errors.setdefault(where, []).append(f"“{spec.label}” takes one of {', '.join(OPS[spec.kind])}.")
        return None
    value = condition.get("value")
    if spec.kind == IDS:
        value = _ids(value, where, errors)
        if value is not None and not value and complete:
            errors.setdefault(where, []).append(f"Pick at least one {spec.label.lower()}.")
            return None
    elif spec.kind == NUMBER:
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite() or abs(number) > 10**12 or isinstance(value, bool):
            errors.setdefault(where, []).append("A number.")
            return None
        value = int(number) if number == number.to_integral_value() else float(number)
    elif spec.kind == CHOICE:
        if value not in spec.choices:
            errors.setdefault(where, []).append(f"One of {', '.join(spec.choices)}.")
            return None
    else:  # text, domain
        if not isinstance(value, str) or len(value) > 200 or (complete and not value.strip()):
            errors.setdefault(where, []).append("Some text (at most 200 characters).")
            return None
        value = value.strip().lower() if spec.kind == DOMAIN else value.strip()
    if value is None:
        return None
    return {"field": spec.field, "op": op, "value": value}


def _text(params: dict, name: str, where: str, errors: dict, *, limit: int, required: bool = True) -> str:
    value = params.get(name, "")
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        errors.setdefault(where, []).append(f"`{name}`: text of at most {limit} characters{' (required)' * required}.")
        return ""
    unknown = placeholders_in(value) - set(PLACEHOLDERS)
    if unknown:
        errors.setdefault(where, []).append(f"`{name}`: unknown placeholder(s) {', '.join(sorted(unknown))}.")
    return value.strip()


def action_normalize(action, *, subject: str, where: str, errors: dict, complete: bool = True) -> dict | None:
    """One action `{"type", …parameters}` checked against the catalog; returns it normalized (parameters the
    type does not take are dropped). Secret URLs (Slack, Teams) are checked and encrypted by the service.
    Not `complete` (a rule that stays off): the values a merchant picks (an address, a customer group, an
    endpoint, a URL) may still be empty."""
    if not isinstance(action, dict):
        errors.setdefault(where, []).append('Each action is {"type", …parameters}.')
        return None
    spec = ACTIONS.get(action.get("type"))
    if spec is None:
        errors.setdefault(where, []).append(f"Unknown action {action.get('type')!r}; see the catalog.")
        return None
    if subject not in spec.subjects:
        errors.setdefault(where, []).append(f"“{spec.label}” needs an order; this trigger has none.")
        return None
    before = sum(len(v) for v in errors.values())
    out: dict = {"type": spec.type}
    kind = spec.type
    if kind == "email":
        to = action.get("to")
        if to not in ("shopper", "team", "address"):
            errors.setdefault(where, []).append("`to`: shopper, team or address.")
        elif to == "shopper" and subject not in (BACKORDER,):
            errors.setdefault(where, []).append("Only events about a backorder have a shopper to write to.")
        out["to"] = to
        if to == "address":
            address = str(action.get("address") or "").strip()
            try:
                if address or complete:
                    _email(address)
            except ValidationError:
                errors.setdefault(where, []).append("`address`: an e-mail address.")
            out["address"] = address.lower()
        if to == "shopper":
            template = action.get("template") or SHOPPER_TEMPLATES[0]
            if template not in SHOPPER_TEMPLATES:
                errors.setdefault(where, []).append(f"`template`: one of {', '.join(SHOPPER_TEMPLATES)}.")
            out["template"] = template
            messages = action.get("messages") or {}
            if not isinstance(messages, dict) or set(messages) - {"en", "de", "fr", "es"}:
                errors.setdefault(where, []).append("`messages`: the message per language (en, de, fr, es).")
            else:
                out["messages"] = {
                    lang: _text(messages, lang, where, errors, limit=2000, required=False) for lang in sorted(messages)
                }
        else:
            out["subject"] = _text(action, "subject", where, errors, limit=200, required=False)
        out["message"] = _text(action, "message", where, errors, limit=2000, required=to != "shopper")
    elif kind == "order_status":
        status = action.get("status_id")
        if status not in SETTABLE_STATUSES or isinstance(status, bool):
            names = ", ".join(f"{s} ({ORDER_STATUSES[s]})" for s in SETTABLE_STATUSES)
            errors.setdefault(where, []).append(f"`status_id`: one of {names}. Cancelling is the cancel action's.")
        out["status_id"] = status
    elif kind == "staff_note":
        out["text"] = _text(action, "text", where, errors, limit=500)
    elif kind == "customer_group":
        group = action.get("customer_group_id") or 0
        if not isinstance(group, int) or isinstance(group, bool) or not (1 if complete else 0) <= group <= 2**31:
            errors.setdefault(where, []).append("`customer_group_id`: a BigCommerce customer group id.")
        out["customer_group_id"] = group
    elif kind == "coupon":
        discount_type = action.get("discount_type", "percent")
        if discount_type not in ("percent", "amount"):
            errors.setdefault(where, []).append("`discount_type`: percent or amount.")
        try:
            amount = Decimal(str(action.get("amount")))
        except (InvalidOperation, ValueError):
            amount = Decimal(0)
        if not amount.is_finite() or amount <= 0 or (discount_type == "percent" and amount > 100) or amount > 10**6:
            errors.setdefault(where, []).append("`amount`: more than 0 (a percent at most 100).")
        applies_to = action.get("applies_to", "product")
        if applies_to not in ("product", "order"):
            errors.setdefault(where, []).append("`applies_to`: product or order.")
        valid_days = action.get("valid_days", 60)
        if not isinstance(valid_days, int) or isinstance(valid_days, bool) or not 1 <= valid_days <= 365:
            errors.setdefault(where, []).append("`valid_days`: 1 to 365.")
        out.update(discount_type=discount_type, amount=f"{amount.normalize():f}" if amount.is_finite() else "0",
                   applies_to=applies_to, valid_days=valid_days)  # fmt: skip
    elif kind == "move_date":
        days = action.get("days")
        if not isinstance(days, int) or isinstance(days, bool) or days == 0 or not -365 <= days <= 365:
            errors.setdefault(where, []).append("`days`: -365 to 365, not 0.")
        out["days"] = days
    elif kind == "cancel":
        out["reason"] = _text(action, "reason", where, errors, limit=200, required=False) or "Cancelled by the store"
        refund = action.get("refund", True)
        if not isinstance(refund, bool):
            errors.setdefault(where, []).append("`refund`: true or false.")
        out["refund"] = refund
    elif kind == "task":
        out["title"] = _text(action, "title", where, errors, limit=200)
        out["note"] = _text(action, "note", where, errors, limit=2000, required=False)
    elif kind == "webhook":
        webhook_id = action.get("webhook_id") or 0
        if not isinstance(webhook_id, int) or isinstance(webhook_id, bool) or webhook_id < (1 if complete else 0):
            errors.setdefault(where, []).append("`webhook_id`: one of the store's webhook endpoints.")
        out["webhook_id"] = webhook_id
    elif kind in ("slack", "teams"):
        out["url"] = action.get("url")  # checked (and kept secret) by services.rule_actions_store
        out["message"] = _text(action, "message", where, errors, limit=2000)
    if sum(len(v) for v in errors.values()) > before:
        return None
    return out


@dataclass
class RuleSpec:
    trigger: str
    match: str
    conditions: list[dict]
    actions: list[dict]


def rule_validate(*, trigger, match, conditions, actions, complete: bool) -> RuleSpec:
    """A rule is a known trigger, `all` or `any`, at most 20 conditions that apply to what the trigger is
    about, and 1 to 5 actions it can do. `complete`: the rule is (to be) switched on, so every condition
    names what it compares with (a recipe may be installed with a value left for the merchant to pick)."""
    errors: dict[str, list[str]] = {}
    spec = TRIGGERS.get(trigger)
    if spec is None:
        errors["trigger"] = [f"Unknown trigger {trigger!r}; see the catalog."]
        raise RuleInvalid(errors)
    if match not in ("all", "any"):
        errors["match"] = ["all or any."]
    if not isinstance(conditions, list) or len(conditions) > MAX_CONDITIONS:
        errors["conditions"] = [f"A list of at most {MAX_CONDITIONS} conditions."]
        conditions = []
    if not isinstance(actions, list) or not 1 <= len(actions) <= MAX_ACTIONS:
        errors["actions"] = [f"1 to {MAX_ACTIONS} actions."]
        actions = []
    normalized_conditions = [
        condition_normalize(c, subject=spec.subject, where=f"conditions[{i}]", errors=errors, complete=complete)
        for i, c in enumerate(conditions)
    ]
    normalized_actions = [
        action_normalize(a, subject=spec.subject, where=f"actions[{i}]", errors=errors, complete=complete)
        for i, a in enumerate(actions)
    ]
    if errors:
        raise RuleInvalid(errors)
    return RuleSpec(trigger=trigger, match=match, conditions=normalized_conditions, actions=normalized_actions)


def catalog() -> dict:
    """Everything a rule may say, for the editor and integrations."""
    return {
        "triggers": [
            {"name": t.name, "label": t.label, "about": t.subject, "description": t.description,
             "scheduled": t.scheduled}
            for t in TRIGGERS.values()
        ],
        "conditions": [
            {"field": c.field, "label": c.label, "kind": c.kind, "ops": [{"op": op, "label": OP_LABELS[op]}
                                                                         for op in OPS[c.kind]],
             "about": list(c.subjects), "description": c.description, "checked_when": c.source,
             "choices": list(c.choices)}
            for c in CONDITIONS.values()
        ],
        "actions": [
            {"type": a.type, "label": a.label, "group": a.group, "about": list(a.subjects),
             "description": a.description, "params": a.params}
            for a in ACTIONS.values()
        ],
        "order_statuses": [{"id": s, "name": ORDER_STATUSES[s]} for s in SETTABLE_STATUSES],
        "shopper_templates": list(SHOPPER_TEMPLATES),
        "placeholders": PLACEHOLDERS,
    }  # fmt: skip
