"""Notify-me e-mails: the confirmation of a sign-up and the back-in-stock alert.

Rule: when a variant's stock rises, at most as many subscribers as there are units free to sell are told
(oldest sign-up first), each once per sign-up: `notified_at` is set by the same statement that picks them,
so a second `variant.restocked` (or two at once) picks nobody twice. Units free to sell = the stock
mirror's on-hand plus what the app still owes BigCommerce (the allocation rule), minus the units waiting
backorders still need: a back-in-stock alert never promises a unit a waiting shopper will get. Units
already announced to subscribers in the last ALERT_WINDOW count as spoken for, so the same stock announced
twice (a webhook redelivered, two events for one restock) tells nobody new; fresh stock tells the next in
line. Addresses that unsubscribed are skipped and use up no units.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection

from backorder.models import Backorder, Product, StockAdjustment, StockAlertSubscription, Variant
from backorder.texts import LANGUAGES
from notifications import kinds
from notifications.models import Unsubscribe
from notifications.outbox import notification_enqueue


def _language(locale: str | None) -> str:
    language = (locale or "").split("-")[0].lower()
    return language if language in LANGUAGES else ""


def on_subscribed(*, subscription: StockAlertSubscription, **_) -> None:
    """A new (or re-armed) sign-up gets one confirmation."""
    armed = int(subscription.updated_at.timestamp()) if subscription.updated_at else 0
    notification_enqueue(
        kind="stock_alert_confirmation",
        key=f"subscription:{subscription.pk}:{armed}",
        to=subscription.email,
        language=_language(subscription.locale),
        context={"subscription_id": subscription.pk, "product_id": subscription.product_id,
                 "variant_id": subscription.variant_id},
    )  # fmt: skip
    StockAlertSubscription.objects.filter(pk=subscription.pk, confirmed_at__isnull=True).update(
        confirmed_at=subscription.updated_at
    )


_FREE_SQL = f"""
    SELECT v.bigcommerce_id, p.bigcommerce_id,
           GREATEST(v.on_hand + COALESCE((
               SELECT SUM(a.on_hand_delta) FROM {StockAdjustment._meta.db_table} a
               WHERE a.variant_id = v.bigcommerce_id
                 AND (a.status IN ('pending', 'sending') OR (a.status = 'unknown' AND a.on_hand_delta < 0))
           ), 0) - COALESCE((
               SELECT SUM(b.quantity - b.quantity_allocated) FROM {Backorder._meta.db_table} b
               WHERE b.variant_id = v.bigcommerce_id AND b.status = 'waiting'
           ), 0), 0)
    FROM {Variant._meta.db_table} v JOIN {Product._meta.db_table} p ON p.id = v.product_id
    WHERE v.bigcommerce_id = ANY(%s) AND v.on_hand IS NOT NULL AND NOT v.is_deleted AND NOT v.purchasing_disabled
"""

ALERT_WINDOW = timedelta(hours=48)

_ANNOUNCED_SQL = f"""
    SELECT COUNT(*) FROM {StockAlertSubscription._meta.db_table}
    WHERE (variant_id = %(variant)s OR (variant_id IS NULL AND product_id = %(product)s))
      AND notified_at >= now() - make_interval(secs => %(window)s)
"""

_CLAIM_SQL = f"""
    UPDATE {StockAlertSubscription._meta.db_table} s SET notified_at = now(), updated_at = now()
    WHERE s.id IN (
        SELECT c.id FROM {StockAlertSubscription._meta.db_table} c
        WHERE (c.variant_id = %(variant)s OR (c.variant_id IS NULL AND c.product_id = %(product)s))
          AND c.notified_at IS NULL AND c.unsubscribed_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM {Unsubscribe._meta.db_table} u
                          WHERE u.email = lower(c.email) AND u.scope = ANY(%(scopes)s))
        ORDER BY c.created_at, c.id
        LIMIT %(free)s
        FOR UPDATE SKIP LOCKED
    )
    RETURNING s.id, s.email, s.locale, s.product_id, s.variant_id, s.notified_at
"""


def on_restocked(*, variant_ids: list[int], **_) -> int:
    """Stock rose on these variants: alert the first subscribers, one per free unit. Returns how many."""
    ids = sorted({int(v) for v in variant_ids})
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_FREE_SQL, [ids])
        free = [(variant, product, units) for variant, product, units in cursor.fetchall() if units > 0]
    alerted = 0
    scopes = [kinds.SCOPE_STOCK_ALERTS, kinds.SCOPE_ALL]
    window = int(ALERT_WINDOW.total_seconds())
    for variant_id, product_id, units in free:
        with connection.cursor() as cursor:
            cursor.execute(_ANNOUNCED_SQL, {"variant": variant_id, "product": product_id, "window": window})
            (announced,) = cursor.fetchone()
            if units <= announced:
                continue
            cursor.execute(_CLAIM_SQL, {"variant": variant_id, "product": product_id, "free": units - announced,
                                        "scopes": scopes})  # fmt: skip
            claimed = cursor.fetchall()
        for subscription_id, email, locale, sub_product_id, sub_variant_id, notified_at in claimed:
            notification_enqueue(
                kind="back_in_stock",
                key=f"subscription:{subscription_id}:{int(notified_at.timestamp())}",
                to=email,
                language=_language(locale),
                context={"subscription_id": subscription_id, "product_id": sub_product_id,
                         "variant_id": sub_variant_id or variant_id},
            )  # fmt: skip
            alerted += 1
    return alerted
