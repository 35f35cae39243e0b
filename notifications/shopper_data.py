"""Everything a store holds about one shopper's e-mail address: export it, or erase it.

Support staff do this from the store's admin (notifications/self_service/admin.py), each time audited.
Erasure keeps what the merchant's accounting needs (order and line ids, products, quantities, amounts,
dates, statuses, refunds, coupons) and anonymises the rest: the address and name on backorders, the
address and bodies of e-mails, and deletes subscriptions, unsubscribes and self-service accesses (so every
link made for the address stops working: nothing matches it any more). BigCommerce's own copy of the order
is the merchant's, and is not touched.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from backorder.models import Backorder, BackorderEvent, Incentive, StockAlertSubscription
from backorder.services.lifecycle import backorder_event_record
from notifications.models import Notification, Unsubscribe
from notifications.self_service.models import SelfServiceAccess
from notifications.self_service.tokens import email_digest

ERASED_EMAIL = "erased@erased.invalid"  # .invalid never resolves: no mail can reach it
OPEN_MAIL = (Notification.Status.PENDING, Notification.Status.FAILED, Notification.Status.UNKNOWN)


def _normalised(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or email == ERASED_EMAIL:
        raise ValueError("Give the shopper's e-mail address.")
    return email


def _row(obj: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    """Every stored field of a row, as JSON-safe values."""
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in exclude}
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def shopper_data_export(*, email: str) -> dict:
    """All the store holds about `email`, as one JSON-ready document."""
    email = _normalised(email)
    backorders = list(Backorder.objects.filter(customer_email__iexact=email).order_by("id"))
    events = BackorderEvent.objects.filter(backorder__in=backorders).order_by("backorder_id", "at", "id")
    timeline: dict[int, list[dict]] = {}
    for event in events:
        timeline.setdefault(event.backorder_id, []).append(_row(event, exclude=("backorder_id",)))
    incentives = {i.backorder_id: _row(i) for i in Incentive.objects.filter(backorder__in=backorders)}
    return {
        "email": email,
        "exported_at": timezone.now().isoformat(),
        "backorders": [
            {**_row(b), "timeline": timeline.get(b.pk, []), "incentive": incentives.get(b.pk)} for b in backorders
        ],
        "notifications": [_row(n) for n in Notification.objects.filter(recipient__iexact=email).order_by("id")],
        "subscriptions": [_row(s) for s in StockAlertSubscription.objects.filter(email__iexact=email).order_by("id")],
        "unsubscribes": [_row(u) for u in Unsubscribe.objects.filter(email__iexact=email).order_by("id")],
        "self_service_accesses": [_row(a) for a in SelfServiceAccess.objects.filter(email=email).order_by("id")],
    }


@transaction.atomic
def shopper_data_erase(*, email: str, erased_by: str) -> dict:
    """Anonymise and delete what the store holds about `email` (see the module docstring); returns counts.
    Erasing an address that is no longer there does nothing."""
    email = _normalised(email)
    backorders = list(Backorder.objects.select_for_update().filter(customer_email__iexact=email).order_by("id"))
    for backorder in backorders:
        backorder.customer_email = ERASED_EMAIL
        backorder.customer_name = ""
        backorder.customer_id = 0
        backorder.customer_locale = ""
        backorder.cart_id = ""
        backorder.save(
            update_fields=["customer_email", "customer_name", "customer_id", "customer_locale", "cart_id", "updated_at"]
        )
        backorder_event_record(
            backorder=backorder, kind="shopper_data_erased", actor=BackorderEvent.Actor.STAFF, actor_label=erased_by
        )
    mail = Notification.objects.filter(recipient__iexact=email)
    cancelled = mail.filter(status__in=OPEN_MAIL).update(status=Notification.Status.CANCELLED)
    emptied = mail.update(recipient=ERASED_EMAIL, subject="", body_text="", body_html="", context={}, last_error="")
    return {
        "email_digest": email_digest(email),
        "backorders_anonymised": len(backorders),
        "notifications_emptied": emptied,
        "notifications_cancelled": cancelled,
        "subscriptions_deleted": StockAlertSubscription.objects.filter(email__iexact=email).delete()[0],
        "unsubscribes_deleted": Unsubscribe.objects.filter(email__iexact=email).delete()[0],
        "self_service_accesses_deleted": SelfServiceAccess.objects.filter(email=email).delete()[0],
    }
