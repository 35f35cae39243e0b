"""Merchant alerts: a new backorder, a backorder limit reached, the daily digest of late and at-risk
backorders, and problems keeping the store in sync with BigCommerce.

Recipients are the store's AlertRecipient rows (each may choose kinds); with none, the store's owner.
Sync and webhook problems are found by the hourly per-store check reading the store's own state (the
connection, failed catalog copies, dead-lettered webhook events), so `stores` never has to know about
notifications.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F
from django.utils import timezone

from backorder.models import Backorder
from notifications.models import AlertRecipient, Notification
from notifications.outbox import notification_enqueue

logger = logging.getLogger(__name__)

DIGEST_HOUR = 8  # the store's local time the daily digest goes out (or the first hourly check after it)
DIGEST_LIMIT = 50  # rows per section; the dashboard has the full list


def current_store():
    from stores.models import Store

    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Store) and tenant.schema_name == connection.schema_name:
        return tenant
    return Store.objects.get(schema_name=connection.schema_name)


def alert_recipients(*, kind: str) -> list[str]:
    """Who gets this alert: the store's configured recipients that want it, else the owner(s)."""
    configured = list(AlertRecipient.objects.all())
    if configured:
        return [r.email for r in configured if r.wants(kind)]
    from stores.models import StoreMembership

    store = current_store()
    return list(
        StoreMembership.objects.filter(store=store, role=StoreMembership.Role.OWNER)
        .order_by("created_at")
        .values_list("user__email", flat=True)
    )


def merchant_alert(*, kind: str, key: str, context: dict, order_id: int | None = None) -> list[Notification]:
    """One alert per recipient (key `<key>:<address>`), in the caller's transaction, in the store's language."""
    made = []
    for email in alert_recipients(kind=kind):
        row = notification_enqueue(kind=kind, key=f"{key}:{email.lower()}", to=email, context=context,
                                   order_id=order_id)  # fmt: skip
        if row is not None:
            made.append(row)
    return made


def on_cap_reached(*, variants: list[dict], **_) -> None:
    """A variant's backorder limit was just used up (availability refresh): tell the merchant once per time
    it happens (the availability row's version names the occasion)."""
    for variant in variants:
        merchant_alert(
            kind="merchant_cap_reached",
            key=f"variant:{variant['variant_id']}:v{variant['version']}",
            context={"variant_id": variant["variant_id"], "product_id": variant.get("product_id"),
                     "cap": variant.get("cap"), "waiting_units": variant.get("waiting_units")},
        )  # fmt: skip


# -- the daily digest --------------------------------------------------------------------------------------


def digest_rows(*, day: date, language: str) -> tuple[list[dict], list[dict]]:
    """Late backorders and those at risk (due soon, nothing allocated yet, and not late), oldest first."""
    from backorder.selectors import late_backorders_condition
    from backorder.selectors_dashboard import at_risk_condition
    from notifications.variables import date_long

    def rows(queryset) -> list[dict]:
        queryset = queryset.order_by(F("expected_ship_date").asc(nulls_first=True), "order_created_at", "id")
        return [
            {"order_id": b.order_id, "product_name": b.product_name or b.sku, "sku": b.sku, "quantity": b.quantity,
             "expected_ship_date": date_long(b.expected_ship_date, language), "customer_name": b.customer_name,
             "status": b.status}
            for b in queryset[:DIGEST_LIMIT]
        ]  # fmt: skip

    late = late_backorders_condition(today=day)
    at_risk = Backorder.objects.filter(at_risk_condition(today=day)).exclude(late).filter(quantity_allocated=0)
    return rows(Backorder.objects.filter(late)), rows(at_risk)


def digest_enqueue(*, store, now: datetime | None = None) -> list[Notification]:
    """The day's digest, once per store-local day, from DIGEST_HOUR on, and only when something is late or at
    risk (an empty digest is noise)."""
    now = now or timezone.now()
    local = now.astimezone(_zone(store))
    if local.hour < DIGEST_HOUR:
        return []
    day = local.date()
    late, at_risk = digest_rows(day=day, language="en")
    if not late and not at_risk:
        return []
    return merchant_alert(kind="merchant_digest", key=f"day:{day.isoformat()}", context={"day": day.isoformat()})


def _zone(store) -> ZoneInfo:
    try:
        return ZoneInfo(store.timezone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


# -- keeping in sync with BigCommerce ----------------------------------------------------------------------


def sync_problems_alert(*, store) -> list[Notification]:
    """Alert once per problem: the store's token refused (until it is reconnected), a catalog copy that
    failed, webhook events that ended as dead letters since the last such alert."""
    from backorder.models import CatalogSync
    from stores.models import Store, WebhookEvent

    made: list[Notification] = []
    if store.connection == Store.Connection.NEEDS_RECONNECTING:
        since = store.connected_at.isoformat() if store.connected_at else "never"
        made += merchant_alert(
            kind="merchant_sync_failure",
            key=f"needs_reconnecting:{since}",
            context={"problem": "BigCommerce refused the app's access to your store, so stock, orders and "
                                "backorder limits are not being kept in sync.",
                     "details": "Open the app from your BigCommerce control panel (Apps) to reconnect it."},
        )  # fmt: skip
    failed = CatalogSync.objects.filter(status=CatalogSync.Status.FAILED).order_by("-id").first()
    if failed is not None and failed.started_at >= timezone.now() - timedelta(days=2):
        made += merchant_alert(
            kind="merchant_sync_failure",
            key=f"catalog_sync:{failed.pk}",
            context={"problem": "Copying your catalog from BigCommerce failed.", "details": failed.error[:500]},
        )
    last = (
        Notification.objects.filter(kind="merchant_webhook_failure")
        .order_by("-id")
        .values_list("context", flat=True)
        .first()
    )
    after = int((last or {}).get("last_event_id") or 0)
    dead = WebhookEvent.objects.filter(store_id=store.pk, status=WebhookEvent.Status.DEAD, pk__gt=after)
    dead_rows = list(dead.values_list("pk", "scope"))
    if dead_rows:
        newest = max(pk for pk, _ in dead_rows)
        made += merchant_alert(
            kind="merchant_webhook_failure",
            key=f"dead:{newest}",
            context={"count": len(dead_rows), "scopes": sorted({scope for _, scope in dead_rows}),
                     "last_event_id": newest},
        )  # fmt: skip
    return made


# -- who gets the alerts (the merchant's settings) -----------------------------------------------------------


def _recipient_clean(*, email: str | None, kinds_wanted: list[str] | None, exclude_pk: int | None = None) -> dict:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from notifications import kinds

    errors: dict[str, list[str]] = {}
    values: dict = {}
    if email is not None:
        email = email.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = ["Enter a valid e-mail address."]
        else:
            if AlertRecipient.objects.filter(email=email).exclude(pk=exclude_pk).exists():
                errors["email"] = [f"{email} already gets this store's alerts."]
        values["email"] = email
    if kinds_wanted is not None:
        unknown = sorted(set(kinds_wanted) - set(kinds.MERCHANT_KINDS))
        if unknown:
            errors["kinds"] = [
                f"Not a merchant alert: {', '.join(unknown)}. Choose from {', '.join(kinds.MERCHANT_KINDS)}."
            ]
        values["kinds"] = sorted(set(kinds_wanted))
    if errors:
        raise ValidationError(errors)
    return values


def alert_recipient_create(*, email: str, name: str = "", kinds_wanted: list[str] | None = None) -> AlertRecipient:
    """Someone else gets the store's alerts (all of them, or the kinds listed); the owner then gets them only
    if listed too."""
    values = _recipient_clean(email=email, kinds_wanted=kinds_wanted or [])
    return AlertRecipient.objects.create(name=name[:200], **values)


def alert_recipient_update(*, recipient: AlertRecipient, email: str | None = None, name: str | None = None,
                           kinds_wanted: list[str] | None = None) -> AlertRecipient:  # fmt: skip
    values = _recipient_clean(email=email, kinds_wanted=kinds_wanted, exclude_pk=recipient.pk)
    if name is not None:
        values["name"] = name[:200]
    for field, value in values.items():
        setattr(recipient, field, value)
    if values:
        recipient.save(update_fields=list(values))
    return recipient


def alert_recipient_delete(*, recipient: AlertRecipient) -> None:
    """With the last one gone, alerts go to the store's owner again."""
    recipient.delete()
