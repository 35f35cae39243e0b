"""Which shopper e-mails the backorder timeline causes, written to the outbox in the causing transaction.

Rules (one e-mail per fact, whatever is replayed; the idempotency key names the fact):
- captured: one confirmation per order (`order:<id>`), listing every backordered line of the order at send
  time, however many lines were captured; the merchant is alerted once per order (notifications/alerts.py).
- brought_forward: "date brought forward" per backorder and new date (`backorder:<id>:<date>`).
- delayed: not here. Delay notices and the consent they may need are notifications/consent.py's.
- fully allocated (set-based, `backorders.allocated`): "ready to ship" once per backorder
  (`backorder:<id>`), all rows of one allocation in one INSERT … SELECT.
- shipped: once per backorder, with BigCommerce's tracking number when there is one.
- partly_refunded (some of a backorder's units refunded in BigCommerce): once per refund step
  (`backorder:<id>:<event id>`: each step is one timeline line, a replayed refund adds none), with the units
  refunded, the units still to ship and, only when BigCommerce told it, the amount. A refund of every
  remaining unit cancels the backorder instead: the `cancelled` e-mail, not this one.
- cancelled: once per backorder, with the refund outcome. A cancellation the app refunds waits for the
  refund step (`bigcommerce_follow_up_done`); one done in BigCommerce (order cancelled or refunded there)
  is told at once ("the store handled it"). A backorder cancelled for lack of consent to a delay gets the
  consent e-mail instead (`consent_auto_cancelled`), never both.
- notify-me: a confirmation per subscription; back-in-stock alerts when stock rises, to at most as many
  subscribers as there are units free, oldest first, once each (notifications/stock_alerts.py).
"""

from __future__ import annotations

from django.db import connection

from backorder import events
from backorder.models import Backorder, BackorderEvent
from backorder.texts import LANGUAGES
from notifications import alerts, stock_alerts
from notifications.models import Notification
from notifications.outbox import notification_enqueue, sender_wake

FOLLOW_UP_OWED = "bigcommerce_follow_up_owed"  # backorder.services.cancellation's timeline kinds
FOLLOW_UP_DONE = "bigcommerce_follow_up_done"
REFUND_OUTCOMES = ("refunded", "refund_due", "store", "none")


def shopper_language(locale: str | None) -> str:
    """The shopper's language when we write it, else "" (the sender then uses the store's)."""
    language = (locale or "").split("-")[0].lower()
    return language if language in LANGUAGES else ""


def shopper_mail(*, kind: str, key: str, backorder: Backorder, context: dict | None = None) -> Notification | None:
    """One e-mail to the backorder's shopper about it (the context always names the backorder)."""
    return notification_enqueue(
        kind=kind,
        key=key,
        to=backorder.customer_email,
        language=shopper_language(backorder.customer_locale),
        context={"backorder_id": backorder.pk, **(context or {})},
        backorder=backorder,
        order_id=backorder.order_id,
    )


def on_captured(*, backorder: Backorder, event: BackorderEvent, **_) -> None:
    """One confirmation per order, and one merchant alert per order."""
    notification_enqueue(
        kind="backorder_confirmation",
        key=f"order:{backorder.order_id}",
        to=backorder.customer_email,
        language=shopper_language(backorder.customer_locale),
        context={"order_id": backorder.order_id},
        order_id=backorder.order_id,
    )
    alerts.merchant_alert(kind="merchant_new_backorder", key=f"order:{backorder.order_id}",
                          context={"order_id": backorder.order_id}, order_id=backorder.order_id)  # fmt: skip


def on_brought_forward(*, backorder: Backorder, event: BackorderEvent, **_) -> None:
    details = event.details or {}
    if backorder.status != Backorder.Status.WAITING or not details.get("to"):
        return
    shopper_mail(
        kind="date_brought_forward",
        key=f"backorder:{backorder.pk}:{details['to']}",
        backorder=backorder,
        context={"old_date": details.get("from"), "new_date": details["to"]},
    )


def on_shipped(*, backorder: Backorder, event: BackorderEvent, **_) -> None:
    tracking = str((event.details or {}).get("tracking_number") or "")
    shopper_mail(kind="shipped", key=f"backorder:{backorder.pk}", backorder=backorder,
                 context={"tracking_number": tracking})  # fmt: skip


def on_partly_refunded(*, backorder: Backorder, event: BackorderEvent, **_) -> None:
    """Some units refunded in BigCommerce: how many, and how many are still to ship (shipped ones are not)."""
    details = event.details or {}
    units = int(details.get("units") or 0)
    if units <= 0:
        return
    quantity = int(details.get("quantity") or backorder.quantity)
    context = {"units_refunded": units, "units_remaining": max(0, quantity - backorder.quantity_shipped)}
    if details.get("amount"):  # never guessed from the unit price: taxes, discounts and shipping vary
        context.update(amount=str(details["amount"]), currency=details.get("currency") or backorder.currency)
    shopper_mail(kind="partly_refunded", key=f"backorder:{backorder.pk}:{event.pk}", backorder=backorder,
                 context=context)  # fmt: skip


def on_cancelled(*, backorder: Backorder, event: BackorderEvent, **_) -> None:
    """Cancelled in BigCommerce (no refund step of ours): tell the shopper now; else wait for the refund."""
    if backorder.events.filter(kind=FOLLOW_UP_OWED).exists():
        return
    refund = "store" if event.actor == BackorderEvent.Actor.BIGCOMMERCE else "none"
    shopper_mail(kind="cancelled", key=f"backorder:{backorder.pk}", backorder=backorder,
                 context={"reason": backorder.cancellation_reason, "refund": refund})  # fmt: skip


def on_cancellation_followed_up(*, backorder: Backorder, event: BackorderEvent, **_) -> None:
    """The refund step is done: the cancellation e-mail says how the money comes back."""
    if Notification.objects.filter(kind="consent_auto_cancelled", backorder_id=backorder.pk).exists():
        return  # that e-mail already told the shopper about this cancellation
    refund = str((event.details or {}).get("refund") or "none")
    context = {"reason": backorder.cancellation_reason, "refund": refund if refund in REFUND_OUTCOMES else "none"}
    money = backorder.events.filter(kind__in=("refunded", "refund_due")).order_by("-id").first()
    if money is not None and (money.details or {}).get("amount"):
        context.update(amount=money.details["amount"], currency=backorder.currency)
    shopper_mail(kind="cancelled", key=f"backorder:{backorder.pk}", backorder=backorder, context=context)


_READY_TO_SHIP_SQL = f"""
    INSERT INTO {Notification._meta.db_table}
        (kind, idempotency_key, recipient, language, status, attempts, next_attempt_at, last_error, context,
         backorder_id, order_id, subject, body_text, body_html, message_id, created_at, updated_at)
    SELECT 'ready_to_ship', 'ready_to_ship:backorder:' || b.id, b.customer_email,
           CASE WHEN split_part(lower(b.customer_locale), '-', 1) = ANY(%(languages)s)
                THEN split_part(lower(b.customer_locale), '-', 1) ELSE '' END,
           'pending', 0, now(), '', jsonb_build_object('backorder_id', b.id), b.id, b.order_id, '', '', '', '',
           now(), now()
    FROM {Backorder._meta.db_table} b
    WHERE b.id = ANY(%(ids)s) AND b.status = 'allocated' AND b.customer_email <> ''
    ON CONFLICT (idempotency_key) DO NOTHING
"""


def on_allocated(*, backorder_ids: list[int], **_) -> None:
    """Backorders that became fully allocated: one "ready to ship" each, in one statement for all of them."""
    if not backorder_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_READY_TO_SHIP_SQL, {"ids": list(backorder_ids), "languages": list(LANGUAGES)})
    sender_wake()


def listeners_connect() -> None:
    events.listen("backorder.captured", on_captured)
    events.listen("backorder.brought_forward", on_brought_forward)
    events.listen("backorder.shipped", on_shipped)
    events.listen("backorder.partly_refunded", on_partly_refunded)
    events.listen("backorder.cancelled", on_cancelled)
    events.listen(f"backorder.{FOLLOW_UP_DONE}", on_cancellation_followed_up)
    events.listen("backorders.allocated", on_allocated)
    events.listen("variants.cap_reached", alerts.on_cap_reached)
    events.listen("stock_alert.subscribed", stock_alerts.on_subscribed)
    events.listen("variant.restocked", stock_alerts.on_restocked)
