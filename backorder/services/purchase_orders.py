"""Purchase orders: incoming stock with expected dates, which drive ship dates until it arrives.

A purchase order names the location that receives it (the default location unless the merchant says
otherwise): its units count as incoming there (services/locations.py), and arrive in BigCommerce's on-hand
there, to be allocated to the backorders that location fills."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from backorder import events
from backorder.models import PurchaseOrder, PurchaseOrderLine, PurchaseOrderReceipt, StockAdjustment, Variant


@dataclass(frozen=True)
class LineInput:
    variant_id: int
    quantity: int
    expected_date: date


def _variants(variant_ids: list[int]) -> dict[int, Variant]:
    return {
        v.bigcommerce_id: v
        for v in Variant.objects.filter(bigcommerce_id__in=variant_ids, is_deleted=False).select_related("product")
    }


def purchase_order_lines_validate(*, lines: list[LineInput], today: date) -> dict[int, Variant]:
    """Each line names a variant of the catalog once, with at least one unit and an expected date that has
    not already passed (a date in the past would promise shoppers something nobody can keep)."""
    if not lines:
        raise ValidationError({"lines": ["A purchase order needs at least one line."]})
    variants = _variants([line.variant_id for line in lines])
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for index, line in enumerate(lines):
        problems = []
        if line.variant_id not in variants:
            problems.append(f"Variant {line.variant_id} is not in this store's catalog.")
        if line.variant_id in seen:
            problems.append(f"Variant {line.variant_id} appears twice; put all its units on one line.")
        if line.quantity < 1:
            problems.append("Quantity must be at least 1.")
        if line.expected_date < today:
            problems.append(f"The expected date {line.expected_date.isoformat()} has already passed.")
        seen.add(line.variant_id)
        if problems:
            errors[f"lines[{index}]"] = problems
    if errors:
        raise ValidationError(errors)
    return variants


def purchase_order_location_validate(*, location_id: int | None) -> int:
    """A purchase order is received at one of the store's enabled locations (none named: the default one)."""
    from backorder.models import Location
    from backorder.models.locations import DEFAULT_LOCATION_ID

    if location_id is None or location_id == DEFAULT_LOCATION_ID:
        return DEFAULT_LOCATION_ID
    if not Location.objects.filter(bigcommerce_id=location_id, enabled=True, is_removed=False).exists():
        raise ValidationError({"location_id": [f"Location {location_id} is not an enabled location of this store."]})
    return location_id


def _receiving_location_problem(location_id: int) -> str:
    """Why units cannot arrive at this location now ('' when they can): BigCommerce refuses to change the stock
    of a disabled location, and a removed one has no stock (the default location is always there)."""
    from backorder.models import Location
    from backorder.models.locations import DEFAULT_LOCATION_ID

    if location_id == DEFAULT_LOCATION_ID:
        return ""
    location = Location.objects.filter(bigcommerce_id=location_id).first()
    if location is None or location.is_removed:
        return f"Location {location_id} no longer exists in BigCommerce: this purchase order cannot be received there."
    if not location.enabled:
        return (
            f"{location.label} is disabled in BigCommerce, which refuses stock changes there: enable it in "
            "BigCommerce to receive this purchase order."
        )
    return ""


@transaction.atomic
def purchase_order_create(
    *, lines: list[LineInput], supplier: str = "", reference: str = "", notes: str = "", today: date,
    location_id: int | None = None,
) -> PurchaseOrder:  # fmt: skip
    """Record stock ordered from a supplier, to be received at a location (default: the default location);
    the variants' ship dates now count on it."""
    variants = purchase_order_lines_validate(lines=lines, today=today)
    location_id = purchase_order_location_validate(location_id=location_id)
    order = PurchaseOrder.objects.create(
        supplier=supplier.strip(), reference=reference.strip(), notes=notes, location_id=location_id
    )
    PurchaseOrderLine.objects.bulk_create(
        PurchaseOrderLine(
            purchase_order=order,
            variant_id=line.variant_id,
            product_id=variants[line.variant_id].product.bigcommerce_id,
            quantity=line.quantity,
            expected_date=line.expected_date,
        )
        for line in lines
    )
    _dates_changed(variant_ids=[line.variant_id for line in lines])
    return order


def purchase_order_update(
    *, order: PurchaseOrder, supplier: str | None = None, reference: str | None = None, notes: str | None = None
) -> PurchaseOrder:
    """Supplier, reference and notes are the merchant's to change at any time."""
    changed = []
    for name, value in (("supplier", supplier), ("reference", reference), ("notes", notes)):
        if value is not None and getattr(order, name) != value.strip():
            setattr(order, name, value.strip())
            changed.append(name)
    if changed:
        order.save(update_fields=[*changed, "updated_at"])
    return order


@transaction.atomic
def purchase_order_line_reschedule(*, line: PurchaseOrderLine, expected_date: date, today: date) -> PurchaseOrderLine:
    """A supplier's new date moves the dates of the backorders waiting on those units."""
    if expected_date < today:
        raise ValidationError({"expected_date": [f"{expected_date.isoformat()} has already passed."]})
    if line.quantity_received >= line.quantity:
        raise ValidationError({"expected_date": ["This line has been received in full; its date no longer matters."]})
    line.expected_date = expected_date
    line.save(update_fields=["expected_date"])
    _dates_changed(variant_ids=[line.variant_id])
    return line


@transaction.atomic
def purchase_order_line_quantity_change(*, line: PurchaseOrderLine, quantity: int) -> PurchaseOrderLine:
    """The supplier confirms more or fewer units: a line never drops below what was already received, and
    an order whose lines are all received becomes received."""
    order = PurchaseOrder.objects.select_for_update().get(pk=line.purchase_order_id)
    line = PurchaseOrderLine.objects.select_for_update().get(pk=line.pk)
    if order.status == PurchaseOrder.Status.CANCELLED:
        raise ValidationError({"quantity": ["This purchase order is cancelled."]})
    if quantity < max(line.quantity_received, 1):
        raise ValidationError(
            {"quantity": [f"{line.quantity_received} unit(s) were already received; the line cannot be smaller."]}
        )
    if quantity == line.quantity:
        return line
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    outstanding = any(other.quantity_received < other.quantity for other in order.lines.all())
    received_any = any(other.quantity_received for other in order.lines.all())
    status = PurchaseOrder.Status.OPEN
    if not outstanding:
        status = PurchaseOrder.Status.RECEIVED
    elif received_any:
        status = PurchaseOrder.Status.PARTLY_RECEIVED
    if order.status != status:
        order.status = status
        order.save(update_fields=["status", "updated_at"])
    _dates_changed(variant_ids=[line.variant_id])
    return line


@transaction.atomic
def purchase_order_cancel(*, order: PurchaseOrder) -> PurchaseOrder:
    """A cancelled purchase order no longer counts as incoming stock (received units stay received)."""
    if order.status == PurchaseOrder.Status.RECEIVED:
        raise ValidationError({"status": ["This purchase order has been received in full and cannot be cancelled."]})
    order.status = PurchaseOrder.Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    _dates_changed(variant_ids=list(order.lines.values_list("variant_id", flat=True)))
    return order


@transaction.atomic
def purchase_order_receive(
    *, order: PurchaseOrder, received: list[tuple[int, int]] | None = None
) -> PurchaseOrderReceipt:
    """Units that arrive are added to BigCommerce's on-hand at the receiving location and go through the one
    allocation path (the oldest waiting backorders that location fills first). Nothing given = everything
    outstanding; more than outstanding is refused."""
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if order.status in (PurchaseOrder.Status.CANCELLED, PurchaseOrder.Status.RECEIVED):
        raise ValidationError({"lines": [f"This purchase order is {order.get_status_display().lower()}."]})
    lines = {line.variant_id: line for line in order.lines.select_for_update().order_by("id")}
    if received is None:
        received = [(variant_id, line.quantity_outstanding) for variant_id, line in lines.items()]
        received = [(variant_id, quantity) for variant_id, quantity in received if quantity > 0]
    errors: dict[str, list[str]] = {}
    totals: dict[int, int] = {}
    for index, (variant_id, quantity) in enumerate(received):
        totals[variant_id] = totals.get(variant_id, 0) + quantity
        line = lines.get(variant_id)
        if line is None:
            errors[f"lines[{index}]"] = [f"Variant {variant_id} is not on this purchase order."]
        elif quantity < 1:
            errors[f"lines[{index}]"] = ["Quantity must be at least 1."]
        elif totals[variant_id] > line.quantity_outstanding:
            errors[f"lines[{index}]"] = [
                f"Only {line.quantity_outstanding} unit(s) of variant {variant_id} are still outstanding; "
                f"{totals[variant_id]} cannot be received."
            ]
    if not received:
        errors["lines"] = ["Nothing is outstanding on this purchase order."]
    if problem := _receiving_location_problem(order.location_id):
        errors["location_id"] = [problem]
    if errors:
        raise ValidationError(errors)
    for variant_id, quantity in totals.items():
        PurchaseOrderLine.objects.filter(pk=lines[variant_id].pk).update(
            quantity_received=F("quantity_received") + quantity
        )
        StockAdjustment.objects.create(
            variant_id=variant_id,
            product_id=lines[variant_id].product_id,
            location_id=order.location_id,
            on_hand_delta=quantity,
            reason=f"purchase_order:{order.pk}",
        )
    receipt = PurchaseOrderReceipt.objects.create(
        purchase_order=order, lines=[{"variant_id": v, "quantity": q} for v, q in totals.items()]
    )
    outstanding = sum(
        line.quantity - line.quantity_received for line in PurchaseOrderLine.objects.filter(purchase_order=order)
    )
    order.status = PurchaseOrder.Status.RECEIVED if outstanding == 0 else PurchaseOrder.Status.PARTLY_RECEIVED
    order.save(update_fields=["status", "updated_at"])
    _arrived(order=order, variant_ids=list(totals))
    events.publish("purchase_order.received", purchase_order=order, receipt=receipt)
    return receipt


def _arrived(*, order: PurchaseOrder, variant_ids: list[int]) -> None:
    """Queue the stock changes for BigCommerce and the allocation; both are committed with the receipt."""
    from stores.tasks import enqueue_for_store

    enqueue_for_store(
        "backorder.tasks.purchase_order_arrived", purchase_order_id=order.pk, variant_ids=sorted(variant_ids)
    )


def _dates_changed(*, variant_ids: list[int]) -> None:
    """New or moved incoming stock: recompute what the storefront shows and the dates of waiting backorders."""
    from backorder.services.availability import availability_refresh, backorders_reschedule

    availability_refresh(variant_ids=variant_ids)
    backorders_reschedule(variant_ids=variant_ids)
