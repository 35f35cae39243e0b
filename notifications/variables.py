"""What a template sees: the kind's documented variables, built at send time from the outbox row's context
(ids and facts) and the store's current data.

Built at send time so an e-mail shows the order as it is when it leaves (a confirmation lists every line
the order has by then) and so a shopper's erased data is never sent from an old copy. Only plain values
(dicts, lists, strings, numbers, booleans) go out: the sandbox has nothing else to reach into.
"""

from __future__ import annotations

import copy
from datetime import date

from backorder import texts
from backorder.models import Backorder, Product
from notifications import kinds
from notifications.models import Notification

SHIPPING_TEXT = {
    "en": {"together": "All items ship together", "available_first": "Items ship as they become available"},
    "de": {"together": "Alle Artikel werden zusammen versendet",
           "available_first": "Artikel werden versendet, sobald sie verfügbar sind"},
    "fr": {"together": "Tous les articles sont expédiés ensemble",
           "available_first": "Les articles sont expédiés dès qu'ils sont disponibles"},
    "es": {"together": "Todos los artículos se envían juntos",
           "available_first": "Los artículos se envían en cuanto están disponibles"},
}  # fmt: skip


REFUND_OUTCOMES = ("refunded", "refund_due", "store", "none", "pending")


class NothingToSend(Exception):
    """What the e-mail was about is gone (erased, deleted): the row is cancelled, not retried."""


def date_long(value, language: str) -> str:
    """An ISO date (or date) written out with its year in the shopper's language; '' for none."""
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    short = texts.date_text(day, language if language in texts.LANGUAGES else "en")
    joiner = {"en": ", ", "es": " de "}.get(language or "en", " ")
    return f"{short}{joiner}{day.year}"


def line_variables(backorder: Backorder, language: str) -> dict:
    return {
        "product_name": backorder.product_name or backorder.sku or f"Item {backorder.variant_id}",
        "sku": backorder.sku,
        "quantity": backorder.quantity,
        "expected_ship_date": date_long(backorder.expected_ship_date, language),
        "status": backorder.status,
    }


def variables_for(notification: Notification, *, store, language: str) -> dict:
    """The template variables of one outbox row (see notifications/kinds.py for each kind's list); a test
    e-mail gets its kind's sample data, with the store's real links (dashboard, unsubscribe)."""
    spec = kinds.get(notification.kind)
    if notification.is_test:  # the merchant's test e-mail: the sample data the template editor previews with
        variables = copy.deepcopy(spec.sample)
    else:
        builder = _BUILDERS.get(notification.kind, _line_kind)
        variables = builder(notification, notification.context or {}, store, language)
    if spec.audience == kinds.MERCHANT:
        variables["dashboard_url"] = f"{store.base_url}/"
    if spec.unsubscribe_scope:
        from notifications.unsubscribe import unsubscribe_url

        variables["unsubscribe_url"] = unsubscribe_url(
            store=store, email=notification.recipient, scope=spec.unsubscribe_scope
        )
    return variables


def _shopper(backorder: Backorder | None, recipient: str) -> dict:
    return {"name": backorder.customer_name if backorder else "", "email": recipient}


def _self_service_url(order_id: int, email: str) -> str:
    from notifications.self_service.links import self_service_url

    return self_service_url(order_id=order_id, email=email)


def _backorder(notification: Notification, ctx: dict) -> Backorder:
    backorder_id = ctx.get("backorder_id") or notification.backorder_id
    if backorder_id and backorder_id == notification.backorder_id:
        backorder = notification.backorder  # loaded with the row when the sender claimed it
    else:
        backorder = Backorder.objects.filter(pk=backorder_id).first() if backorder_id else None
    if backorder is None:
        raise NothingToSend(f"Backorder {backorder_id} no longer exists.")
    return backorder


def _line_kind(notification: Notification, ctx: dict, store, language: str) -> dict:
    """Kinds about one backorder line: the line, the order, the shopper, plus the kind's own facts."""
    backorder = _backorder(notification, ctx)
    variables = {
        "shopper": _shopper(backorder, notification.recipient),
        "order_id": backorder.order_id,
        "self_service_url": _self_service_url(backorder.order_id, backorder.customer_email),
        "line": line_variables(backorder, language),
    }
    kind = notification.kind
    if kind in ("date_brought_forward", "delay_notice"):
        variables["old_date"] = date_long(ctx.get("old_date"), language)
        variables["new_date"] = date_long(ctx.get("new_date"), language)
    if kind == "delay_notice":
        variables["consent_required"] = bool(ctx.get("consent_required"))
        variables["consent_due_on"] = date_long(ctx.get("consent_due_on"), language)
    if kind == "shipped":
        variables["tracking_number"] = str(ctx.get("tracking_number") or "")
    if kind in ("cancelled", "consent_auto_cancelled"):
        variables["reason"] = str(ctx.get("reason") or backorder.cancellation_reason or "")
        refund, amount = _refund_outcome(backorder, ctx)
        variables["refund"] = refund
        variables["amount"] = f"{amount} {ctx.get('currency') or backorder.currency}" if amount else ""
    if kind == "consent_auto_cancelled":
        variables["consent_due_on"] = date_long(ctx.get("consent_due_on"), language)
    if kind == "incentive_offer":
        variables["coupon_code"] = str(ctx.get("coupon_code") or "")
        variables["discount"] = str(ctx.get("discount") or "")
        variables["expires_on"] = date_long(ctx.get("expires_on"), language)
    return variables


def _partly_refunded(notification: Notification, ctx: dict, store, language: str) -> dict:
    """Units the store refunded in BigCommerce and what still comes: the numbers are the refund's (context),
    the date and status today's. Once the rest was cancelled too, the cancellation e-mail says it all."""
    backorder = _backorder(notification, ctx)
    if backorder.status == Backorder.Status.CANCELLED:
        raise NothingToSend("The backorder was cancelled since: the cancellation e-mail tells the shopper.")
    amount = ctx.get("amount")
    shipped = backorder.status == Backorder.Status.SHIPPED  # the rest has left since the refund
    return {
        **_line_kind(notification, ctx, store, language),
        "units_refunded": int(ctx.get("units_refunded") or 0),
        "units_remaining": 0 if shipped else int(ctx.get("units_remaining") or 0),
        "amount": f"{amount} {ctx.get('currency') or backorder.currency}" if amount else "",
    }


def _refund_outcome(backorder: Backorder, ctx: dict) -> tuple[str, str]:
    """The refund as the enqueuer knew it, else as the timeline says now: refunded, refund_due, or pending
    (asked for, not done yet)."""
    refund = ctx.get("refund")
    if isinstance(refund, str) and refund in REFUND_OUTCOMES:
        return refund, str(ctx.get("amount") or "")
    money = backorder.events.filter(kind__in=("refunded", "refund_due")).order_by("-id").first()
    if money is not None:
        return money.kind, str((money.details or {}).get("amount") or "")
    return ("pending" if refund else "none"), ""


def _order_lines(order_id: int, email: str | None = None) -> list[Backorder]:
    lines = Backorder.objects.filter(order_id=order_id).order_by("order_line_id")
    if email:
        lines = lines.filter(customer_email__iexact=email)
    return list(lines)


def _confirmation(notification: Notification, ctx: dict, store, language: str) -> dict:
    order_id = int(ctx.get("order_id") or notification.order_id or 0)
    lines = _order_lines(order_id, notification.recipient)
    if not lines:
        raise NothingToSend(f"Order {order_id} has no backorders for this address any more.")
    dates = [b.expected_ship_date for b in lines]
    latest = None if any(d is None for d in dates) else max(dates)
    preference = lines[0].shipping_preference
    return {
        "shopper": _shopper(lines[0], notification.recipient),
        "order_id": order_id,
        "self_service_url": _self_service_url(order_id, lines[0].customer_email),
        "lines": [line_variables(b, language) for b in lines],
        "expected_ship_date": date_long(latest, language),
        "shipping_preference": preference,
        "shipping_preference_text": SHIPPING_TEXT.get(language, SHIPPING_TEXT["en"]).get(preference, preference),
    }


def _product(ctx: dict, store) -> dict:
    product = Product.objects.filter(bigcommerce_id=ctx.get("product_id")).values("name", "url").first()
    if product is None:
        raise NothingToSend(f"Product {ctx.get('product_id')} is not in the catalog any more.")
    origin = next(iter(getattr(store, "storefront_origins", None) or []), "")
    url = f"{origin.rstrip('/')}{product['url']}" if origin and product["url"] else ""
    return {"name": product["name"], "url": url}


def _stock_alert(notification: Notification, ctx: dict, store, language: str) -> dict:
    return {"shopper": {"name": "", "email": notification.recipient}, "product": _product(ctx, store)}


def _merchant_new_backorder(notification: Notification, ctx: dict, store, language: str) -> dict:
    order_id = int(ctx.get("order_id") or notification.order_id or 0)
    lines = _order_lines(order_id)
    if not lines:
        raise NothingToSend(f"Order {order_id} has no backorders any more.")
    return {
        "order_id": order_id,
        "customer_name": lines[0].customer_name,
        "lines": [line_variables(b, language) for b in lines],
    }


def _merchant_cap_reached(notification: Notification, ctx: dict, store, language: str) -> dict:
    from backorder.models import Variant

    variant = Variant.objects.select_related("product").filter(bigcommerce_id=ctx.get("variant_id")).first()
    return {
        "product_name": variant.product.name if variant else str(ctx.get("product_name") or ""),
        "sku": variant.sku if variant else "",
        "cap": ctx.get("cap"),
        "waiting_units": ctx.get("waiting_units", ctx.get("cap")),
    }


def _merchant_digest(notification: Notification, ctx: dict, store, language: str) -> dict:
    from notifications.alerts import digest_rows

    late, at_risk = digest_rows(day=date.fromisoformat(ctx["day"]), language=language)
    return {
        "day": date_long(ctx["day"], language),
        "late": late,
        "at_risk": at_risk,
        "late_count": len(late),
        "at_risk_count": len(at_risk),
    }


def _merchant_plain(notification: Notification, ctx: dict, store, language: str) -> dict:
    """Alerts whose facts are all in the context (sync and webhook problems)."""
    names = [name for name in kinds.get(notification.kind).variables if "." not in name and name != "dashboard_url"]
    return {name: ctx.get(name, "") for name in names}


def _automation_step(notification: Notification, ctx: dict):
    """The rule run and step a rule's e-mail belongs to, as the runner sees it (earlier steps' outputs, e.g.
    the coupon code, included)."""
    from notifications.automations.actions import RunContext
    from notifications.automations.models import AutomationRun

    run = AutomationRun.objects.select_related("rule", "event").filter(pk=ctx.get("run_id")).first()
    step = int(ctx.get("step") or 0)
    if run is None or run.rule is None or step >= len(run.steps or []):
        raise NothingToSend(f"Rule run {ctx.get('run_id')} is gone.")
    outputs: dict = {}
    for earlier in run.steps[:step]:
        outputs.update(earlier.get("outputs") or {})
    backorder = Backorder.objects.filter(pk=ctx.get("backorder_id")).first() if ctx.get("backorder_id") else None
    from notifications.alerts import current_store

    context = RunContext(run=run, rule=run.rule, event=run.event, store=current_store(), facts=run.inputs or {},
                         backorder=backorder, outputs=outputs, step=step)  # fmt: skip
    return run.steps[step].get("action") or {}, context


def _automation_shopper(notification: Notification, ctx: dict, store, language: str) -> dict:
    """A rule's e-mail to the shopper: the line and order, the rule's message in the shopper's language when
    the rule has one (else its main message), and the coupon an earlier step made."""
    action, context = _automation_step(notification, ctx)
    variables = _line_kind(notification, ctx, store, language)
    text = (action.get("messages") or {}).get(language) or action.get("message") or ""
    variables["message"] = context.fill(text)
    if notification.kind == "automation_coupon":
        variables["coupon_code"] = context.outputs.get("coupon_code", "")
        variables["discount"] = context.outputs.get("coupon_discount", "")
        variables["expires_on"] = date_long(context.outputs.get("coupon_expires_on"), language)
    return variables


def _merchant_automation(notification: Notification, ctx: dict, store, language: str) -> dict:
    action, context = _automation_step(notification, ctx)
    values = context.values()
    return {
        "rule_name": context.rule.name,
        "event": values["event"],
        "subject_line": context.fill(action.get("subject") or ""),
        "message": context.fill(action.get("message") or ""),
        **{name: values[name] for name in ("order_id", "product_name", "sku", "quantity", "link")},
    }


def _merchant_dated(notification: Notification, ctx: dict, store, language: str) -> dict:
    """Alerts whose facts are in the context, with their dates written out."""
    variables = _merchant_plain(notification, ctx, store, language)
    for name in ("day", "since"):
        if name in variables and variables[name]:
            variables[name] = date_long(str(variables[name])[:10], language)
    return variables


_BUILDERS = {
    "automation_update": _automation_shopper,
    "automation_coupon": _automation_shopper,
    "merchant_automation": _merchant_automation,
    "merchant_automation_budget": _merchant_dated,
    "merchant_webhook_disabled": _merchant_dated,
    "backorder_confirmation": _confirmation,
    "stock_alert_confirmation": _stock_alert,
    "back_in_stock": _stock_alert,
    "partly_refunded": _partly_refunded,
    "merchant_new_backorder": _merchant_new_backorder,
    "merchant_cap_reached": _merchant_cap_reached,
    "merchant_digest": _merchant_digest,
    "merchant_sync_failure": _merchant_plain,
    "merchant_webhook_failure": _merchant_plain,
}
