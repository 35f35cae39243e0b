"""What a merchant can do to a backorder from the dashboard or the API."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from backorder.models import Backorder
from backorder.services.lifecycle import backorder_event_record, backorder_transition


@transaction.atomic
def backorder_date_change(*, backorder: Backorder, expected_ship_date: date, actor: str, actor_label: str,
                          reason: str = "") -> Backorder:  # fmt: skip
    """The merchant sets a new expected date for a waiting backorder; a later date is a delay (which the
    shopper is told about and, past 30 days, must accept)."""
    if backorder.status != Backorder.Status.WAITING:
        raise ValidationError(f"Only waiting backorders have a date to change; this one is {backorder.status}.")
    old = backorder.expected_ship_date
    if old == expected_ship_date:
        return backorder
    backorder.expected_ship_date = expected_ship_date
    backorder.save(update_fields=["expected_ship_date", "updated_at"])
    kind = "delayed" if old is None or expected_ship_date > old else "brought_forward"
    backorder_event_record(
        backorder=backorder, kind=kind, actor=actor, actor_label=actor_label,
        details={"from": old.isoformat() if old else None, "to": expected_ship_date.isoformat(), "reason": reason},
    )  # fmt: skip
    return backorder


@transaction.atomic
def backorder_mark_shipped(*, backorder: Backorder, actor: str, actor_label: str, reason: str = "") -> Backorder:
    """The merchant shipped the units outside BigCommerce's shipments: the backorder is done."""
    backorder.quantity_shipped = backorder.quantity
    return backorder_transition(
        backorder=backorder, to_status=Backorder.Status.SHIPPED, kind="shipped", actor=actor,
        actor_label=actor_label, details={"reason": reason} if reason else None, save_fields=("quantity_shipped",),
    )  # fmt: skip


def backorder_act(
    *, backorder: Backorder, action: str, actor: str, actor_label: str, expected_ship_date: date | None = None,
    reason: str = "", refund: bool = True,
) -> None:  # fmt: skip
    """One merchant action: `allocate` runs FIFO allocation for the backorder's variant (no one jumps the
    queue), `cancel` cancels (refunding the shopper), `change_date`, `mark_shipped`."""
    if action == "allocate":
        from backorder.services.allocation import allocation_run

        allocation_run(variant_id=backorder.variant_id, source="merchant")
    elif action == "cancel":
        from backorder.services.cancellation import backorder_cancel

        backorder_cancel(
            backorder=backorder, actor=actor, actor_label=actor_label,
            reason=reason or "cancelled by the merchant", refund=refund,
        )  # fmt: skip
    elif action == "change_date":
        backorder_date_change(backorder=backorder, expected_ship_date=expected_ship_date, actor=actor,
                              actor_label=actor_label, reason=reason)  # fmt: skip
    elif action == "mark_shipped":
        backorder_mark_shipped(backorder=backorder, actor=actor, actor_label=actor_label, reason=reason)
    else:
        raise ValidationError(f"Unknown action {action!r}.")
