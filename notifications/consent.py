"""Delays and the shopper's consent, after the US FTC Mail, Internet, or Telephone Order Merchandise Rule.

The rule, as applied here (docs/notifications-self-service.md has the reasoning):
- Every delay (timeline `delayed`) sends a delay notice with the new date and a link to the self-service page,
  where one confirmed POST accepts the new date or cancels for a full refund.
- The *original* ship date is the date promised at order time; with none, 30 days after the order (the rule's
  default). A delay to a date at most 30 days after it needs no answer: silence is consent.
- A delay to a date more than 30 days after it, or to an unknown date, needs the shopper's express consent by a
  deadline (`Backorder.delay_consent_due_on`): 30 days after the original date (the rule's limit), and never
  less than ANSWER_WINDOW after the notice. A later delay beyond a date the shopper already accepted needs
  consent again, by that accepted date. Without consent by the end of the deadline day (store's time zone),
  the backorder is cancelled with a full refund and the shopper told (`consent_deadlines_enforce`, hourly).
- Accepting records `delay_accepted` (actor shopper) and clears the deadline; a date brought back within the
  limit clears it too. A shopper facing a consent request may always decline (cancel), whatever the policy.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.db import transaction
from django.utils.dateparse import parse_date

from backorder import events
from backorder.models import Backorder, BackorderEvent
from backorder.services.availability import store_today
from backorder.services.lifecycle import backorder_event_record
from stores.tasks import store_task

logger = logging.getLogger(__name__)

CONSENT_LIMIT = timedelta(days=30)  # beyond the original date, or unknown: express consent needed
DEFAULT_SHIP_WITHIN = timedelta(days=30)  # no date promised: the rule's 30 days from the order
ANSWER_WINDOW = timedelta(days=7)  # a shopper always gets at least this long to answer

Status = Backorder.Status
Actor = BackorderEvent.Actor


class DelayNotOpen(Exception):
    """There is no delay to accept on this backorder (any more)."""


# -- the rule ----------------------------------------------------------------------------------------------


def original_ship_date(backorder: Backorder) -> date:
    """The date the shopper was promised at order time; with none, 30 days after the order."""
    if backorder.promised_ship_date is not None:
        return backorder.promised_ship_date
    return (backorder.order_created_at + DEFAULT_SHIP_WITHIN).date()


def _last_acceptance(backorder: Backorder) -> BackorderEvent | None:
    return backorder.events.filter(kind="delay_accepted").order_by("-at", "-id").first()


def _accepted_date(acceptance: BackorderEvent) -> tuple[bool, date | None]:
    """(accepted an unknown date?, the date accepted)."""
    accepted = parse_date(acceptance.details.get("date") or "") if acceptance.details.get("date") else None
    return accepted is None, accepted


def consent_needed(*, backorder: Backorder, new_date: date | None) -> bool:
    """Express consent is needed for a date more than 30 days after the original one, or an unknown date,
    unless the shopper already accepted that date (or a later one, or an open-ended wait)."""
    acceptance = _last_acceptance(backorder)
    if acceptance is not None:
        open_ended, accepted = _accepted_date(acceptance)
        if open_ended or (new_date is not None and new_date <= accepted):
            return False
    return new_date is None or new_date > original_ship_date(backorder) + CONSENT_LIMIT


def consent_deadline(*, backorder: Backorder, today: date) -> date:
    """The last day the shopper can consent: the date they last accepted, else 30 days after the original
    date; never sooner than a week after today's notice."""
    acceptance = _last_acceptance(backorder)
    accepted = _accepted_date(acceptance)[1] if acceptance is not None else None
    limit = accepted or original_ship_date(backorder) + CONSENT_LIMIT
    return max(limit, today + ANSWER_WINDOW)


def consent_pending(backorder: Backorder) -> bool:
    return backorder.status == Status.WAITING and backorder.delay_consent_due_on is not None


def delay_awaiting_answer(backorder: Backorder, timeline: list[BackorderEvent]) -> bool:
    """A waiting backorder whose latest delay the shopper has not accepted (consent pending, or a short delay
    they may still confirm or refuse)."""
    if backorder.status != Status.WAITING:
        return False
    if backorder.delay_consent_due_on is not None:
        return True
    last_delay = max((e.pk for e in timeline if e.kind == "delayed"), default=None)
    last_accept = max((e.pk for e in timeline if e.kind == "delay_accepted"), default=0)
    return last_delay is not None and last_delay > last_accept


# -- listeners (inside the transaction that moved the date) ------------------------------------------------


def on_delayed(*, name: str, backorder: Backorder, event: BackorderEvent, **_) -> None:
    """A later date: ask for consent when the rule needs it, and send the delay notice either way."""
    if backorder.status != Status.WAITING:
        return
    new_date = parse_date(event.details.get("to") or "") if event.details.get("to") else None
    today = store_today()
    needed = consent_needed(backorder=backorder, new_date=new_date)
    if needed:
        due = consent_deadline(backorder=backorder, today=today)
        if backorder.delay_consent_due_on is not None:
            due = min(due, backorder.delay_consent_due_on)  # a second delay never extends the first deadline
        Backorder.objects.filter(pk=backorder.pk).update(delay_consent_due_on=due)
        backorder.delay_consent_due_on = due
        from notifications.automations.recording import delay_consent_requested

        delay_consent_requested(backorder=backorder, event=event)  # rules and webhooks on the request
    _mail(
        kind="delay_notice",
        key=f"backorder:{backorder.pk}:{event.pk}",  # the delay's timeline line is its date version
        backorder=backorder,
        extra={
            "old_date": event.details.get("from"),
            "new_date": new_date.isoformat() if new_date else None,
            "consent_required": needed,
            "consent_due_on": backorder.delay_consent_due_on.isoformat() if needed else None,
        },
    )


def on_brought_forward(*, name: str, backorder: Backorder, event: BackorderEvent, **_) -> None:
    """An earlier date within what needs no consent ends a pending consent request."""
    if not consent_pending(backorder):
        return
    new_date = parse_date(event.details.get("to") or "") if event.details.get("to") else None
    if not consent_needed(backorder=backorder, new_date=new_date):
        _consent_clear(backorder, reason="date_brought_forward")


def _consent_clear(backorder: Backorder, *, reason: str) -> None:
    due = backorder.delay_consent_due_on
    Backorder.objects.filter(pk=backorder.pk).update(delay_consent_due_on=None)
    backorder.delay_consent_due_on = None
    backorder_event_record(
        backorder=backorder,
        kind="delay_consent_cleared",
        details={"reason": reason, "was_due_on": due.isoformat() if due else None},
    )


def listeners_connect() -> None:
    events.listen("backorder.delayed", on_delayed)
    events.listen("backorder.brought_forward", on_brought_forward)


# -- the shopper's answer ----------------------------------------------------------------------------------


@transaction.atomic
def delay_accept(*, backorder: Backorder) -> Backorder:
    """The shopper accepts the current date (or the open-ended wait): the timeline says so and no deadline
    remains. Accepting twice changes nothing more."""
    fresh = Backorder.objects.select_for_update().get(pk=backorder.pk)
    if fresh.status != Status.WAITING:
        raise DelayNotOpen(f"Backorder {fresh.pk} is {fresh.status}: there is no delay to accept.")
    if not delay_awaiting_answer(fresh, list(fresh.events.filter(kind__in=("delayed", "delay_accepted")))):
        return fresh
    due = fresh.delay_consent_due_on
    fresh.delay_consent_due_on = None
    fresh.save(update_fields=["delay_consent_due_on", "updated_at"])
    backorder_event_record(
        backorder=fresh,
        kind="delay_accepted",
        actor=Actor.SHOPPER,
        details={
            "date": fresh.expected_ship_date.isoformat() if fresh.expected_ship_date else None,
            "consent_was_due_on": due.isoformat() if due else None,
        },
    )
    return fresh


# -- the deadline ------------------------------------------------------------------------------------------


def consent_deadlines_enforce(*, today: date | None = None) -> dict:
    """Backorders whose consent deadline has passed without an answer are cancelled with a full refund, and
    the shopper is told; a date that no longer needs consent just clears the deadline. Safe to run twice."""
    from backorder.services.allocation import variant_lock
    from backorder.services.cancellation import backorder_cancel

    today = today or store_today()
    done = {"cancelled": 0, "cleared": 0}
    overdue = Backorder.objects.filter(status=Status.WAITING, delay_consent_due_on__lt=today).order_by("id")
    for backorder_id, variant_id in overdue.values_list("id", "variant_id"):
        with transaction.atomic():
            variant_lock(variant_id)  # the cancellation's lock order: variant, then backorder
            fresh = Backorder.objects.select_for_update().get(pk=backorder_id)
            due = fresh.delay_consent_due_on
            if fresh.status != Status.WAITING or due is None or due >= today:
                continue  # answered, allocated or cancelled meanwhile
            if not consent_needed(backorder=fresh, new_date=fresh.expected_ship_date):
                _consent_clear(fresh, reason="date_within_limit")
                done["cleared"] += 1
                continue
            result = backorder_cancel(
                backorder=fresh,
                actor=Actor.SYSTEM,
                actor_label="Delay consent deadline",
                reason=f"No consent to the delay by {due.isoformat()}",
                refund=True,
            )
            if result.cancelled:
                _mail(
                    kind="consent_auto_cancelled",
                    key=f"backorder:{fresh.pk}",
                    backorder=result.backorder,
                    # The refund follows after the commit; the e-mail says the store refunds it in full.
                    extra={"consent_due_on": due.isoformat()},
                )
                from notifications.automations.recording import delay_consent_expired

                delay_consent_expired(backorder=result.backorder, due_on=due)
                done["cancelled"] += 1
    return done


def consent_deadlines_all() -> int:
    """Hourly: check the consent deadlines of every active store, each in its own task."""
    from django_q.tasks import async_task

    from stores.models import Store

    count = 0
    for schema_name in (
        Store.objects.merchants().filter(status=Store.Status.ACTIVE).values_list("schema_name", flat=True)
    ):
        async_task("notifications.consent.consent_deadlines_enforce_task", schema_name=schema_name)
        count += 1
    return count


@store_task
def consent_deadlines_enforce_task() -> dict:
    """django-q2 entry point for one store (takes `schema_name`; idempotent)."""
    return consent_deadlines_enforce()


# -- e-mail ------------------------------------------------------------------------------------------------


def _mail(*, kind: str, key: str, backorder: Backorder, extra: dict) -> None:
    from notifications.services import shopper_mail

    shopper_mail(kind=kind, key=key, backorder=backorder, context=extra)
