"""Every kind of e-mail the app sends: who gets it, whether the shopper may unsubscribe from it, what the
outbox row's `context` holds, and which variables its template may use (with sample values for previews).

Templates only reach the variables documented here (notifications/rendering.py renders in a sandbox with
plain dicts, lists and strings built by notifications/variables.py, never model instances).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SHOPPER, MERCHANT = "shopper", "merchant"
SCOPE_ALL = "all"  # an unsubscribe from every non-transactional kind
SCOPE_STOCK_ALERTS = "stock_alerts"
SCOPE_INCENTIVES = "incentives"


class UnknownKind(ValueError):
    pass


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    audience: str
    context: str  # what the outbox row's context holds (the enqueuer's contract)
    variables: dict[str, str]  # template variable -> what it is
    sample: dict = field(default_factory=dict)
    unsubscribe_scope: str = ""  # non-transactional: the shopper may opt out of this scope

    @property
    def transactional(self) -> bool:
        return not self.unsubscribe_scope


# -- variables every template of an audience may use ----------------------------------------------------------

STORE_VARIABLES = {
    "store.name": "The store's name.",
    "store.accent_color": "The store's accent colour (CSS hex), for buttons and headings.",
}
SHOPPER_VARIABLES = {
    **STORE_VARIABLES,
    "shopper.name": "The shopper's name as on the order (may be empty).",
    "shopper.email": "The shopper's e-mail address.",
}
ORDER_VARIABLES = {
    "order_id": "The BigCommerce order number.",
    "self_service_url": "The shopper's self-service page for the order (status, accept a delay, cancel).",
}
LINE_VARIABLES = {
    "line.product_name": "Product name.",
    "line.sku": "SKU.",
    "line.quantity": "Units backordered on this line.",
    "line.expected_ship_date": "Expected ship date, written out in the shopper's language ('' = unknown).",
    "line.status": "waiting, allocated, shipped or cancelled.",
}
MERCHANT_VARIABLES = {**STORE_VARIABLES, "dashboard_url": "The store's dashboard in the app."}

_STORE = {"name": "Acme Outdoor", "accent_color": "#2f6f4f"}
_SHOPPER = {"name": "Jane Doe", "email": "jane@example.com"}
_LINE = {
    "product_name": "Trail Tent 2P",
    "sku": "TENT-2P",
    "quantity": 2,
    "expected_ship_date": "Mar 14, 2027",
    "status": "waiting",
}
_ORDER = {"order_id": 1042, "self_service_url": "https://app.example.com/s/sample-token/"}
_SHOPPER_SAMPLE = {"store": _STORE, "shopper": _SHOPPER}
_UNSUBSCRIBE = {"unsubscribe_url": "Where the shopper stops these e-mails (one click)."}


def _shopper_kind(name, label, context, variables, sample, scope: str = "") -> Kind:
    merged = {**SHOPPER_VARIABLES, **variables, **(_UNSUBSCRIBE if scope else {})}
    extra = {"unsubscribe_url": "https://app.example.com/u/sample-token/"} if scope else {}
    return Kind(name, label, SHOPPER, context, merged, {**_SHOPPER_SAMPLE, **sample, **extra}, scope)


def _merchant_kind(name, label, context, variables, sample) -> Kind:
    merged = {**MERCHANT_VARIABLES, **variables}
    return Kind(name, label, MERCHANT, context, merged,
                {"store": _STORE, "dashboard_url": "https://acme.app.example.com/", **sample})  # fmt: skip


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        _shopper_kind(
            "backorder_confirmation", "Backorder confirmation",
            "order_id (one e-mail per order: every backordered line of the order is listed at send time)",
            {**ORDER_VARIABLES, "lines": "The order's backordered lines (each like `line`).",
             "expected_ship_date": "The latest expected ship date of the lines ('' = unknown).",
             "shipping_preference": "How the order ships: 'together' or 'available_first'.",
             "shipping_preference_text": "The same, in words in the shopper's language."},
            {**_ORDER, "lines": [_LINE], "expected_ship_date": _LINE["expected_ship_date"],
             "shipping_preference": "together", "shipping_preference_text": "All items ship together"},
        ),
        _shopper_kind(
            "date_brought_forward", "Date brought forward",
            "backorder_id, old_date, new_date (ISO dates or null)",
            {**ORDER_VARIABLES, **LINE_VARIABLES, "old_date": "The date told before.", "new_date": "The new date."},
            {**_ORDER, "line": _LINE, "old_date": "Mar 14, 2027", "new_date": "Feb 28, 2027"},
        ),
        _shopper_kind(
            "delay_notice", "Delay notice",
            "backorder_id, old_date, new_date (ISO or null = unknown), consent_required (bool), consent_due_on (ISO)",
            {**ORDER_VARIABLES, **LINE_VARIABLES, "old_date": "The date told before.",
             "new_date": "The new date ('' = not known yet).",
             "consent_required": "True when the shopper must accept the delay or the line is cancelled.",
             "consent_due_on": "The last day to accept ('' when no consent is needed)."},
            {**_ORDER, "line": _LINE, "old_date": "Mar 14, 2027", "new_date": "May 2, 2027",
             "consent_required": True, "consent_due_on": "Mar 21, 2027"},
        ),
        _shopper_kind(
            "ready_to_ship", "Ready to ship", "backorder_id (sent once the backorder is fully allocated)",
            {**ORDER_VARIABLES, **LINE_VARIABLES},
            {**_ORDER, "line": {**_LINE, "status": "allocated"}},
        ),
        _shopper_kind(
            "shipped", "Shipped", "backorder_id, tracking_number ('' when BigCommerce has none)",
            {**ORDER_VARIABLES, **LINE_VARIABLES, "tracking_number": "The shipment's tracking number ('' = none)."},
            {**_ORDER, "line": {**_LINE, "status": "shipped"}, "tracking_number": "1Z999AA10123456784"},
        ),
        _shopper_kind(
            "partly_refunded", "Partial refund",
            "backorder_id, units_refunded, units_remaining, amount and currency (only when BigCommerce's refund "
            "told the amount)",
            {**ORDER_VARIABLES, **LINE_VARIABLES, "units_refunded": "Units the store refunded this time.",
             "units_remaining": "Units of the line still to ship after this refund (0 = the rest has shipped).",
             "amount": "The refunded amount with its currency ('' when unknown: then say no amount)."},
            {**_ORDER, "line": {**_LINE, "quantity": 1}, "units_refunded": 1, "units_remaining": 1, "amount": ""},
        ),
        _shopper_kind(
            "cancelled", "Cancelled",
            "backorder_id, reason, refund ('refunded', 'refund_due', 'store' or 'none'), amount, currency",
            {**ORDER_VARIABLES, **LINE_VARIABLES, "reason": "Why it was cancelled (may be empty).",
             "refund": "'refunded' (money on its way), 'refund_due' (the store refunds by hand), 'store' (the "
                       "store handled the order in BigCommerce) or 'none'.",
             "amount": "The refunded amount with its currency ('' when unknown)."},
            {**_ORDER, "line": {**_LINE, "status": "cancelled"}, "reason": "Cancelled at your request",
             "refund": "refunded", "amount": "49.90 USD"},
        ),
        _shopper_kind(
            "consent_auto_cancelled", "Cancelled for lack of consent",
            "backorder_id, consent_due_on (ISO), refund (as for `cancelled`), amount, currency",
            {**ORDER_VARIABLES, **LINE_VARIABLES, "consent_due_on": "The day the answer was due.",
             "refund": "As for 'cancelled', or 'pending' while the refund is on its way.",
             "amount": "The refunded amount with its currency ('' = unknown)."},
            {**_ORDER, "line": {**_LINE, "status": "cancelled"}, "consent_due_on": "Mar 21, 2027",
             "refund": "refunded", "amount": "49.90 USD"},
        ),
        _shopper_kind(
            "self_service_link", "New self-service link",
            "backorder_id (sent when a shopper opens an expired link and asks for a new one)",
            {**ORDER_VARIABLES, **LINE_VARIABLES}, {**_ORDER, "line": _LINE},
        ),
        _shopper_kind(
            "stock_alert_confirmation", "Notify-me confirmation", "subscription_id, product_id, variant_id",
            {"product.name": "The product's name.", "product.url": "The product page ('' when unknown)."},
            {"product": {"name": "Trail Tent 2P", "url": "https://acme.example.com/trail-tent-2p/"}},
            SCOPE_STOCK_ALERTS,
        ),
        _shopper_kind(
            "back_in_stock", "Back in stock", "subscription_id, product_id, variant_id",
            {"product.name": "The product's name.", "product.url": "The product page ('' when unknown)."},
            {"product": {"name": "Trail Tent 2P", "url": "https://acme.example.com/trail-tent-2p/"}},
            SCOPE_STOCK_ALERTS,
        ),
        _shopper_kind(
            "incentive_offer", "Incentive offer",
            "backorder_id, coupon_code, discount (text, e.g. '10%'), expires_on (ISO or null)",
            {**ORDER_VARIABLES, **LINE_VARIABLES, "coupon_code": "The single-use coupon code.",
             "discount": "What it is worth, e.g. '10%'.", "expires_on": "Last day it works ('' = no end)."},
            {**_ORDER, "line": _LINE, "coupon_code": "THANKS-7Q2X", "discount": "10%", "expires_on": "Apr 30, 2027"},
            SCOPE_INCENTIVES,
        ),
        _shopper_kind(
            "automation_update", "Rule: an update to the shopper",
            "run_id, step, backorder_id (a rule's e-mail action; the message is the rule's, in the shopper's "
            "language when the rule has it)",
            {**ORDER_VARIABLES, **LINE_VARIABLES,
             "message": "The rule's message (plain text; its placeholders already filled in)."},
            {**_ORDER, "line": _LINE,
             "message": "We are sorry for the wait: your tent is on a ship and should reach us next week."},
        ),
        _shopper_kind(
            "automation_coupon", "Rule: a coupon for the wait",
            "run_id, step, backorder_id (a rule's e-mail action after its coupon action)",
            {**ORDER_VARIABLES, **LINE_VARIABLES,
             "message": "The rule's message (plain text; may be empty).",
             "coupon_code": "The code the rule's coupon action created ('' = none).",
             "discount": "What it is worth, e.g. '10%'.", "expires_on": "Last day it works ('' = no end)."},
            {**_ORDER, "line": _LINE, "message": "", "coupon_code": "R5-7Q2XK4MB2C", "discount": "10%",
             "expires_on": "Apr 30, 2027"},
            SCOPE_INCENTIVES,
        ),
        _merchant_kind(
            "merchant_automation", "Rule: a message to the team", "run_id, step (a rule's e-mail action)",
            {"rule_name": "The rule's name.", "event": "What happened, in words.",
             "subject_line": "The rule's subject ('' = the default).",
             "message": "The rule's message (placeholders filled in).",
             "order_id": "The order ('' = none).", "product_name": "The product ('' = none).",
             "sku": "The SKU ('' = none).", "quantity": "Units ('' = none).",
             "link": "The backorder's page in the app ('' = none)."},
            {"rule_name": "Slack the warehouse when a backorder is ready", "event": "a backorder is ready to ship",
             "subject_line": "", "message": "Order 1042: Trail Tent 2P x 2 is ready to ship.", "order_id": 1042,
             "product_name": "Trail Tent 2P", "sku": "TENT-2P", "quantity": 2,
             "link": "https://acme.app.example.com/backorders/7/"},
        ),
        _merchant_kind(
            "merchant_automation_budget", "Automation budget used up", "day (ISO), limit",
            {"day": "The store's date, written out.", "limit": "Actions a day the store's rules may take."},
            {"day": "Mar 10, 2027", "limit": 500},
        ),
        _merchant_kind(
            "merchant_webhook_disabled", "Webhook endpoint switched off", "url, since (ISO), endpoint_id",
            {"url": "The endpoint's URL.", "since": "When its deliveries started failing, written out."},
            {"url": "https://erp.example.com/hooks/backorder", "since": "Mar 9, 2027"},
        ),
        _merchant_kind(
            "merchant_new_backorder", "New backorder", "order_id",
            {"order_id": "The BigCommerce order number.", "customer_name": "The shopper's name.",
             "lines": "The order's backordered lines (each like a shopper e-mail's `line`)."},
            {"order_id": 1042, "customer_name": "Jane Doe", "lines": [_LINE]},
        ),
        _merchant_kind(
            "merchant_cap_reached", "Backorder limit reached", "variant_id, product_id, cap, day (ISO)",
            {"product_name": "The product.", "sku": "The variant's SKU.", "cap": "The backorder limit (units).",
             "waiting_units": "Units waiting for stock."},
            {"product_name": "Trail Tent 2P", "sku": "TENT-2P", "cap": 25, "waiting_units": 25},
        ),
        _merchant_kind(
            "merchant_digest", "Daily digest", "day (ISO, the store's date)",
            {"day": "The store's date, written out.",
             "late": "Backorders past their expected ship date (each: order_id, product_name, sku, quantity, "
                     "expected_ship_date, customer_name).",
             "at_risk": "Backorders due within the next days with no stock allocated (same fields).",
             "late_count": "How many are late.", "at_risk_count": "How many are at risk."},
            {"day": "Mar 10, 2027", "late": [{**_LINE, "order_id": 1001, "customer_name": "Ann Lee"}],
             "at_risk": [{**_LINE, "order_id": 1042, "customer_name": "Jane Doe"}], "late_count": 1,
             "at_risk_count": 1},
        ),
        _merchant_kind(
            "merchant_sync_failure", "Sync problem", "problem, details, since (ISO)",
            {"problem": "What went wrong, in a sentence.", "details": "More about it (may be empty)."},
            {"problem": "BigCommerce refused the store's access token.", "details": "Reconnect the store."},
        ),
        _merchant_kind(
            "merchant_webhook_failure", "Webhook problem", "count, scopes (list), day (ISO)",
            {"count": "Events BigCommerce sent that could not be processed.",
             "scopes": "Their webhook scopes (list of text)."},
            {"count": 3, "scopes": ["store/order/created"]},
        ),
    ]
}  # fmt: skip

SHOPPER_KINDS = tuple(name for name, k in KINDS.items() if k.audience == SHOPPER)
MERCHANT_KINDS = tuple(name for name, k in KINDS.items() if k.audience == MERCHANT)
UNSUBSCRIBE_SCOPES = (SCOPE_ALL, SCOPE_STOCK_ALERTS, SCOPE_INCENTIVES)


def get(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKind(f"Unknown kind of e-mail: {name!r}.") from None
