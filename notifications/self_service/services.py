"""What a shopper can change from the self-service page, each behind a confirmation step.

The rules themselves live where they belong: cancelling in backorder.services.cancellation (refunds, units to
the next in line), consent in notifications.consent. This module says what the *shopper* may do.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from backorder.models import Backorder, BackorderEvent, Policy
from backorder.services.cancellation import CancellationNotAllowed, CancelResult, backorder_cancel, shopper_may_cancel
from backorder.services.lifecycle import backorder_event_record
from notifications.consent import consent_pending
from notifications.self_service.models import SelfServiceAccess

Status = Backorder.Status
Actor = BackorderEvent.Actor
OPEN = (Status.WAITING, Status.ALLOCATED)
SHIPPING_CHOICES = (Policy.ShippingPreference.TOGETHER, Policy.ShippingPreference.AVAILABLE_FIRST)


def may_cancel(backorder: Backorder) -> bool:
    """As the order-time policy allows (until allocated, until shipped, never); and always while the shopper
    is asked to consent to a long delay (declining it is their right)."""
    return backorder.status in OPEN and (shopper_may_cancel(backorder) or consent_pending(backorder))


def shopper_cancel(*, backorder: Backorder) -> CancelResult:
    """Cancel one line for the shopper with a full refund, through the one cancellation service."""
    if shopper_may_cancel(backorder):
        return backorder_cancel(backorder=backorder, actor=Actor.SHOPPER, reason="Cancelled by the shopper")
    if consent_pending(backorder):
        # The policy would not let the shopper cancel, but the law lets them refuse a long delay.
        return backorder_cancel(
            backorder=backorder,
            actor=Actor.SYSTEM,
            actor_label="The shopper declined the delay",
            reason="The shopper declined the delay",
        )
    raise CancellationNotAllowed("This backorder can no longer be cancelled here.")


def shopper_cancel_all(*, backorders: list[Backorder]) -> list[CancelResult]:
    """Cancel every line of the order the shopper may still cancel; lines they may not cancel stay."""
    return [shopper_cancel(backorder=b) for b in backorders if may_cancel(b)]


def shipping_choice_open(backorders: list[Backorder]) -> bool:
    """The shopper may choose how the order ships when its policy lets shoppers choose, some line is still
    open, and nothing of the order has shipped yet."""
    return (
        any(b.status in OPEN for b in backorders)
        and not any(b.status == Status.SHIPPED or b.quantity_shipped for b in backorders)
        and any((b.policy or {}).get("shipping_preference") == Policy.ShippingPreference.SHOPPER_CHOOSES
                for b in backorders)
    )  # fmt: skip


class ShippingChoiceClosed(Exception):
    """The order can no longer change how it ships (something shipped, or the policy decides)."""


@transaction.atomic
def shipping_preference_change(*, backorders: list[Backorder], preference: str) -> int:
    """Set how the order ships (together, or what is ready first) on its open lines; returns lines changed."""
    if preference not in SHIPPING_CHOICES:
        raise ValueError(f"Unknown shipping preference {preference!r}.")
    fresh = list(Backorder.objects.select_for_update().filter(pk__in=[b.pk for b in backorders]).order_by("pk"))
    if not shipping_choice_open(fresh):
        raise ShippingChoiceClosed("The shipping preference can no longer be changed.")
    changed = 0
    for backorder in fresh:
        if backorder.status not in OPEN or backorder.shipping_preference == preference:
            continue
        previous = backorder.shipping_preference
        backorder.shipping_preference = preference
        backorder.save(update_fields=["shipping_preference", "updated_at"])
        backorder_event_record(
            backorder=backorder,
            kind="shipping_preference_changed",
            actor=Actor.SHOPPER,
            details={"from": previous, "to": preference},
        )
        changed += 1
    return changed


@transaction.atomic
def access_revoke(*, order_id: int, email: str, revoked_by: str) -> SelfServiceAccess:
    """Kill every self-service link made so far for this order and address (new e-mails carry new links)."""
    access, _ = SelfServiceAccess.objects.select_for_update().get_or_create(
        order_id=order_id, email=email.strip().lower()
    )
    access.version += 1
    access.revoked_at = timezone.now()
    access.revoked_by = revoked_by[:200]
    access.save()
    return access


def fresh_link_send(*, backorders: list[Backorder]) -> bool:
    """An expired link asks for a new one: it goes to the address on the order (never anywhere else), at most
    once a day per order and address. False when the order has nothing open any more."""
    from backorder.services.availability import store_today
    from notifications.self_service.tokens import email_digest
    from notifications.services import shopper_mail

    open_lines = [b for b in backorders if b.status in OPEN]
    if not open_lines:
        return False
    first = open_lines[0]
    key = f"order:{first.order_id}:{email_digest(first.customer_email)}:{store_today().isoformat()}"
    with transaction.atomic():
        shopper_mail(kind="self_service_link", key=key, backorder=first)
    return True
