"""A backorder's life: waiting (possibly partly allocated) -> allocated (fully) -> shipped, or cancelled.

Every change of state goes through `backorder_transition`, which refuses illegal moves and writes the
timeline (who, when, why). Other modules decide *when* a backorder moves; this one says *whether it may*.
"""

from django.utils import timezone

from backorder import events
from backorder.models import Backorder, BackorderEvent

Status = Backorder.Status

# Where each state may go. Waiting and allocated move between each other as units are allocated and
# released; shipped and cancelled are final.
ALLOWED = {
    Status.WAITING: {Status.ALLOCATED, Status.SHIPPED, Status.CANCELLED},
    Status.ALLOCATED: {Status.WAITING, Status.SHIPPED, Status.CANCELLED},
    Status.SHIPPED: set(),
    Status.CANCELLED: set(),
}


class IllegalTransition(Exception):
    """The backorder cannot move to that state from the one it is in."""

    def __init__(self, backorder: Backorder, to_status: str):
        self.backorder = backorder
        self.to_status = to_status
        super().__init__(
            f"Backorder {backorder.pk} (order {backorder.order_id}) is {backorder.get_status_display().lower()} "
            f"and cannot become {Status(to_status).label.lower()}."
        )


def backorder_event_record(
    *,
    backorder: Backorder,
    kind: str,
    actor: str = BackorderEvent.Actor.SYSTEM,
    actor_label: str = "",
    from_status: str = "",
    to_status: str = "",
    details: dict | None = None,
) -> BackorderEvent:
    """Add a line to the backorder's timeline and announce it (`backorder.<kind>`) to listening apps."""
    event = BackorderEvent.objects.create(
        backorder=backorder,
        kind=kind,
        actor=actor,
        actor_label=actor_label[:200],
        from_status=from_status,
        to_status=to_status,
        details=details or {},
    )
    events.publish(f"backorder.{kind}", backorder=backorder, event=event)
    return event


def backorder_transition(
    *,
    backorder: Backorder,
    to_status: str,
    kind: str,
    actor: str = BackorderEvent.Actor.SYSTEM,
    actor_label: str = "",
    details: dict | None = None,
    save_fields: tuple[str, ...] = (),
) -> Backorder:
    """Move a backorder to `to_status` if its current state allows it, stamping the time and the timeline.

    `save_fields` are other fields the caller changed on the instance and wants saved in the same write.
    """
    from_status = backorder.status
    final = not ALLOWED[Status(from_status)]
    if final or (to_status != from_status and to_status not in ALLOWED[Status(from_status)]):
        raise IllegalTransition(backorder, to_status)
    now = timezone.now()
    stamps = {Status.ALLOCATED: "allocated_at", Status.SHIPPED: "shipped_at", Status.CANCELLED: "cancelled_at"}
    fields = {"status", "updated_at", *save_fields}
    if to_status in stamps and to_status != from_status:
        setattr(backorder, stamps[to_status], now)
        fields.add(stamps[to_status])
    backorder.status = to_status
    backorder.save(update_fields=sorted(fields))
    backorder_event_record(
        backorder=backorder,
        kind=kind,
        actor=actor,
        actor_label=actor_label,
        from_status=from_status,
        to_status=to_status,
        details=details,
    )
    return backorder


def status_for_allocation(backorder: Backorder) -> str:
    """Fully allocated units make a backorder `allocated`; anything less keeps (or puts) it `waiting`."""
    return Status.ALLOCATED if backorder.quantity_allocated >= backorder.quantity else Status.WAITING
