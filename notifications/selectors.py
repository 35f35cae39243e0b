"""Reads of the notifications app: the e-mail log as the merchant filters it, and what needs attention."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from notifications.models import Notification


def notifications_matching(
    *,
    status: str = "",
    kind: str = "",
    email: str = "",
    order_id: int | None = None,
    backorder_id: int | None = None,
    is_test: bool | None = None,
) -> QuerySet[Notification]:
    """The log, newest first: by status, kind, recipient (part of the address, any case), order, backorder, or
    whether it is a merchant's test e-mail."""
    queryset = Notification.objects.order_by("-created_at", "-id")
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    if email:
        queryset = queryset.filter(recipient__icontains=email.strip())
    if order_id is not None:
        queryset = queryset.filter(order_id=order_id)
    if backorder_id is not None:
        queryset = queryset.filter(backorder_id=backorder_id)
    if is_test is not None:
        queryset = queryset.filter(is_test=is_test)
    return queryset


def notifications_needing_attention() -> dict[str, int]:
    """How many e-mails failed for good or may not have arrived (`unknown`): staff and merchant resend them."""
    counts = dict(
        Notification.objects.filter(status__in=[Notification.Status.FAILED, Notification.Status.UNKNOWN])
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {"failed": counts.get("failed", 0), "unknown": counts.get("unknown", 0)}
