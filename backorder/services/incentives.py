"""Incentives: a percent-off, single-use coupon for a shopper who waits, when the order-time policy offers one.

A policy's incentive (`incentive_percent`, `incentive_trigger`, `incentive_after_days`) fires on its trigger:
`at_order` when the backorder is captured, `on_delay` when its date moves later, `after_days` once it has
waited that many days (hourly schedule). Never twice for one backorder: the Incentive row is unique per
backorder and is written first (`pending`, code chosen); the coupon is created in BigCommerce after the commit
by a task (no outbound HTTP in the transaction or in anybody's request); BigCommerce is asked for the code
first, and its own uniqueness of codes turns a concurrent second attempt into a 409 that adopts the first
coupon. Once created, the timeline says `incentive_offered` and the notifications app e-mails the code.
"""

from __future__ import annotations

import email.utils
import logging
import secrets
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from backorder import events
from backorder.models import Backorder, Incentive, Policy
from backorder.services.lifecycle import backorder_event_record
from stores.bigcommerce import errors

logger = logging.getLogger(__name__)

VALID_FOR = timedelta(days=60)  # the coupon works for this long after it is offered
MAX_ATTEMPTS = 5  # BigCommerce refusing this often makes the incentive `failed` (staff can see why)
RETRY_PENDING_AFTER = timedelta(minutes=10)  # a pending row older than this lost its task: try again
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by hand

Trigger = Policy.IncentiveTrigger


def incentive_terms(backorder: Backorder) -> tuple[Decimal, str, int | None] | None:
    """(percent, trigger, after_days) of the policy that applied at order time, or None when it offers none."""
    policy = backorder.policy or {}
    trigger = policy.get("incentive_trigger") or ""
    try:
        percent = Decimal(str(policy.get("incentive_percent")))
    except (InvalidOperation, ValueError):
        return None
    if trigger not in Trigger.values or not percent.is_finite() or percent <= 0:
        return None
    after_days = policy.get("incentive_after_days")
    return percent, trigger, int(after_days) if after_days is not None else None


def coupon_code(percent: Decimal) -> str:
    """e.g. `WAIT10-7Q2XK4MB`: what it is worth, then 8 random characters (unique, hard to guess)."""
    return (
        f"WAIT{percent.normalize():f}".replace(".", "_")
        + "-"
        + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    )


def incentive_offer(*, backorder: Backorder, trigger: str, today: date | None = None) -> Incentive | None:
    """Offer the policy's incentive if it fires on `trigger` and the backorder still waits; the coupon is
    created after the commit. Returns the new (pending) Incentive, or None when there is none to offer or
    this backorder already has one."""
    terms = incentive_terms(backorder)
    if terms is None or terms[1] != trigger or backorder.status != Backorder.Status.WAITING:
        return None
    if Incentive.objects.filter(backorder=backorder).exists():
        return None
    from backorder.services.availability import store_today

    percent = terms[0]
    try:
        with transaction.atomic():
            incentive = Incentive.objects.create(
                backorder=backorder,
                trigger=trigger,
                percent=percent,
                product_id=backorder.product_id,
                code=coupon_code(percent),
                expires_on=(today or store_today()) + VALID_FOR,
            )
    except IntegrityError:  # another transaction offered it first
        return None
    transaction.on_commit(lambda: _coupon_task_queue(incentive.pk))
    return incentive


def _coupon_task_queue(incentive_id: int) -> None:
    from stores.tasks import enqueue_for_store

    enqueue_for_store("backorder.tasks.incentive_coupon_create", incentive_id=incentive_id)


def incentives_after_days_offer(*, now: datetime | None = None) -> int:
    """Waiting backorders whose policy offers an incentive after N days, and that have waited N days, get it."""
    now = now or timezone.now()
    candidates = Backorder.objects.filter(
        status=Backorder.Status.WAITING, policy__incentive_trigger=Trigger.AFTER_DAYS, incentive__isnull=True
    ).order_by("id")
    offered = 0
    for backorder in candidates:
        terms = incentive_terms(backorder)
        if terms is None or terms[2] is None or backorder.order_created_at > now - timedelta(days=terms[2]):
            continue
        offered += incentive_offer(backorder=backorder, trigger=Trigger.AFTER_DAYS) is not None
    return offered


def incentives_pending_retry(*, older_than: timedelta = RETRY_PENDING_AFTER) -> int:
    """Pending incentives whose task was lost (a crash after the commit) are queued again."""
    ids = list(
        Incentive.objects.filter(status=Incentive.Status.PENDING, created_at__lt=timezone.now() - older_than)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for incentive_id in ids:
        _coupon_task_queue(incentive_id)
    return len(ids)


# -- after the commit: BigCommerce ----------------------------------------------------------------------------


def incentive_coupon_create(*, incentive_id: int, client) -> str:
    """Create the incentive's coupon in BigCommerce (or find the one a previous run created), then record it
    and offer it. Running it twice, or two at once, makes one coupon and one offer. Returns the status."""
    incentive = Incentive.objects.select_related("backorder").get(pk=incentive_id)
    if incentive.status != Incentive.Status.PENDING:
        return incentive.status
    try:
        coupon = _coupon_find(client, incentive.code) or _coupon_create(client, incentive)
    except errors.BigCommerceError as exc:
        Incentive.objects.filter(pk=incentive_id).update(attempts=F("attempts") + 1, error=str(exc)[:2000])
        if isinstance(exc, errors.ClientError) and not isinstance(exc, errors.RateLimitedError):
            incentive.refresh_from_db(fields=["attempts"])
            if incentive.attempts >= MAX_ATTEMPTS:
                Incentive.objects.filter(pk=incentive_id, status=Incentive.Status.PENDING).update(
                    status=Incentive.Status.FAILED
                )
                return Incentive.Status.FAILED
        raise  # the task is retried
    return _incentive_created(incentive_id=incentive_id, coupon_id=int(coupon["id"]))


def _coupon_find(client, code: str) -> dict | None:
    found = client.get("/v2/coupons", params={"code": code}) or []
    return next((coupon for coupon in found if coupon.get("code") == code), None)


def _coupon_create(client, incentive: Incentive) -> dict:
    """Coupons v2: percent off, limited to the product, one use, expiring (research/bigcommerce.md §8.2)."""
    expires = datetime.combine(incentive.expires_on, time(23, 59, 59), tzinfo=UTC)
    body = {
        "name": f"Backorder thanks {incentive.code}",
        "code": incentive.code,
        "type": "percentage_discount",
        "amount": f"{incentive.percent:f}",
        "applies_to": {"entity": "products", "ids": [incentive.product_id]},
        "max_uses": 1,
        "max_uses_per_customer": 1,
        "enabled": True,
        "expires": email.utils.format_datetime(expires),
    }
    try:
        return client.post("/v2/coupons", json=body)
    except errors.ConflictError:
        # Another run created it between our look-up and now: that coupon is ours.
        coupon = _coupon_find(client, incentive.code)
        if coupon is None:
            raise
        return coupon


def _incentive_created(*, incentive_id: int, coupon_id: int) -> str:
    with transaction.atomic():
        incentive = Incentive.objects.select_for_update().select_related("backorder").get(pk=incentive_id)
        if incentive.status == Incentive.Status.CREATED:
            return incentive.status
        incentive.status = Incentive.Status.CREATED
        incentive.bigcommerce_coupon_id = coupon_id
        incentive.offered_at = timezone.now()
        incentive.error = ""
        incentive.save(update_fields=["status", "bigcommerce_coupon_id", "offered_at", "error"])
        backorder_event_record(
            backorder=incentive.backorder,
            kind="incentive_offered",
            details={
                "incentive_id": incentive.pk,
                "code": incentive.code,
                "percent": f"{incentive.percent.normalize():f}",
                "expires_on": incentive.expires_on.isoformat(),
                "bigcommerce_coupon_id": coupon_id,
            },
        )
    return incentive.status


# -- triggers that are events ---------------------------------------------------------------------------------


def on_captured(*, name: str, backorder: Backorder, **_) -> None:
    incentive_offer(backorder=backorder, trigger=Trigger.AT_ORDER)


def on_delayed(*, name: str, backorder: Backorder, **_) -> None:
    incentive_offer(backorder=backorder, trigger=Trigger.ON_DELAY)


def listeners_connect() -> None:
    events.listen("backorder.captured", on_captured)
    events.listen("backorder.delayed", on_delayed)
