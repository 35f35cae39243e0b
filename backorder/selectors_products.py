"""Reads for the Products page: each variant's stock, the units shoppers wait for, the units on their way
from suppliers, the policy that applies and why, and what the storefront shows for it."""

from datetime import date

from django.db.models import Case, F, Min, Q, QuerySet, Subquery, Sum, Value, When

from backorder.models import PurchaseOrder, PurchaseOrderLine, Variant, VariantAvailability
from backorder.selectors import policies_effective_for_variants
from backorder.services.availability import availability_answer

SHOW = ("all", "backordered", "out_of_stock", "incoming")
SORTS = {"name": ("product__name", "option_label", "bigcommerce_id"), "-name": ("-product__name", "-bigcommerce_id"),
         "stock": ("on_hand", "bigcommerce_id"), "-stock": ("-on_hand", "-bigcommerce_id")}  # fmt: skip


def _open_lines() -> QuerySet[PurchaseOrderLine]:
    return PurchaseOrderLine.objects.filter(
        purchase_order__status__in=[PurchaseOrder.Status.OPEN, PurchaseOrder.Status.PARTLY_RECEIVED],
        quantity_received__lt=F("quantity"),
    )


def variants_for_products_page(*, q: str = "", show: str = "all", sort: str = "name") -> QuerySet[Variant]:
    """The catalog's live variants matching `q` (product name, SKU, or a BigCommerce product or variant
    id), narrowed by `show`: `backordered` (shoppers are waiting for units), `out_of_stock` (tracked,
    nothing on hand), `incoming` (units on open purchase orders)."""
    variants = Variant.objects.filter(is_deleted=False, product__is_deleted=False).select_related("product")
    term = (q or "").strip()
    first: list = []
    if term:
        match = Q(product__name__icontains=term) | Q(sku__icontains=term) | Q(product__sku__icontains=term)
        if term.isascii() and term.isdigit() and len(term) <= 18:
            match |= Q(bigcommerce_id=int(term)) | Q(product__bigcommerce_id=int(term))
            # The variant (then the product) with exactly this id comes first.
            exact = Case(When(bigcommerce_id=int(term), then=Value(0)),
                         When(product__bigcommerce_id=int(term), then=Value(1)), default=Value(2))  # fmt: skip
            first = [exact]
        variants = variants.filter(match)
    if show == "backordered":
        waiting = VariantAvailability.objects.filter(waiting_units__gt=0).values("variant_id")
        variants = variants.filter(bigcommerce_id__in=Subquery(waiting))
    elif show == "out_of_stock":
        variants = variants.exclude(product__inventory_tracking="none").filter(Q(on_hand__lte=0) | Q(on_hand=None))
    elif show == "incoming":
        variants = variants.filter(bigcommerce_id__in=Subquery(_open_lines().values("variant_id")))
    return variants.order_by(*first, *SORTS.get(sort, SORTS["name"]))


def variants_stock_picture(*, variants: list[Variant], language: str, today: date) -> dict[int, dict]:
    """Per variant (BigCommerce id): units free on hand, waiting on open backorders, incoming from
    suppliers (and the earliest expected date), the policy that applies with the sentence why, and the
    storefront's answer for one unit. A constant number of queries for the whole page."""
    ids = [v.bigcommerce_id for v in variants]
    if not ids:
        return {}
    policies = policies_effective_for_variants(variant_ids=ids)
    rows = {row.variant_id: row for row in VariantAvailability.objects.filter(variant_id__in=ids)}
    labels = _location_labels() if any(row.locations for row in rows.values()) else {}
    incoming = {
        row["variant_id"]: row
        for row in _open_lines()
        .filter(variant_id__in=ids)
        .values("variant_id")
        .annotate(units=Sum(F("quantity") - F("quantity_received")), first_date=Min("expected_date"))
        .order_by()
    }
    picture = {}
    for variant in variants:
        effective = policies[variant.bigcommerce_id]
        row = rows.get(variant.bigcommerce_id)
        answer = None
        if row is not None:
            answer = availability_answer(rows=[row], product_id=variant.product.bigcommerce_id,
                                         variant_id=variant.bigcommerce_id, quantity=1, language=language,
                                         today=today)  # fmt: skip
        arriving = incoming.get(variant.bigcommerce_id) or {}
        policy = effective.policy
        picture[variant.bigcommerce_id] = {
            "tracked": variant.product.inventory_tracking != "none",
            "on_hand": variant.on_hand,
            "units_waiting": row.waiting_units if row else 0,
            "units_incoming": arriving.get("units") or 0,
            "next_delivery": arriving.get("first_date"),
            "policy": {
                "id": policy.pk if policy else None,
                "level": effective.level,
                "enabled": bool(policy and policy.enabled),
                "mode": policy.mode if policy else None,
                "why": effective.why,
            },
            "storefront": {k: answer[k] for k in ("state", "button_label", "message", "expected_ship_date")}
            if answer
            else None,
            "locations": _at_locations(row, labels) if row is not None and labels else [],
        }
    return picture


def _location_labels() -> dict[int, str]:
    from backorder.models import Location

    return dict(Location.objects.filter(is_removed=False).values_list("bigcommerce_id", "label"))


def _at_locations(row: VariantAvailability, labels: dict[int, str]) -> list[dict]:
    """Per location: units free on hand, waiting there (booked there by BigCommerce), incoming on purchase
    orders received there, and whether it sells online (services/locations.py)."""
    return [
        {
            "location_id": int(key),
            "label": labels.get(int(key), f"Location {key}"),
            "on_hand": entry["on_hand"],
            "units_waiting": entry["booked"],
            "units_incoming": sum(units for units, _ in entry["supply"]),
            "backorders_left": entry["left"],
            "sells_online": entry["online"],
            "enabled": entry["open"],
        }
        for key, entry in sorted(row.locations.items(), key=lambda item: int(item[0]))
        if int(key) in labels
    ]


def catalog_sync_status() -> dict:
    """The latest catalog copy and how far along it is, for a progress bar: categories come first (a few
    per cent), then products and variants (most of the time), then stock; 100 only when it is done."""
    from backorder.models import CatalogSync, Product

    sync = CatalogSync.objects.order_by("-started_at", "-id").first()
    counts = {
        "products": Product.objects.filter(is_deleted=False).count(),
        "variants": Variant.objects.filter(is_deleted=False).count(),
    }
    if sync is None:
        return {"sync": None, "percent": 0, "mirror": counts}
    Phase = CatalogSync.Phase
    if sync.status == CatalogSync.Status.DONE:
        percent = 100
    elif sync.phase == Phase.CATEGORIES:
        percent = 2
    elif sync.phase == Phase.PRODUCTS:
        share = sync.products_done / sync.products_total if sync.products_total else 0
        percent = 5 + int(75 * min(share, 1))
    else:
        share = sync.stock_items_done / sync.variants_done if sync.variants_done else 0
        percent = 80 + int(19 * min(share, 1))
    return {"sync": sync, "percent": percent, "mirror": counts}


def purchase_order_allocations(*, purchase_order) -> list[dict]:
    """The units a purchase order's receipts gave to waiting backorders (oldest first), with each
    backorder's order, shopper and where it stands now."""
    from backorder.models import Allocation

    rows = (
        Allocation.objects.filter(source=f"purchase_order:{purchase_order.pk}")
        .select_related("backorder")
        .order_by("created_at", "id")
    )
    return [
        {
            "backorder_id": row.backorder_id,
            "order_id": row.backorder.order_id,
            "variant_id": row.backorder.variant_id,
            "customer_email": row.backorder.customer_email,
            "quantity": row.quantity,
            "backorder_status": row.backorder.status,
            "created_at": row.created_at,
        }
        for row in rows
    ]


def categories_with_paths() -> list[dict]:
    """Every category of the mirror with its full path written out ("Lighting › Desk lamps"), in path order."""
    from backorder.models import Category

    categories = list(Category.objects.only("bigcommerce_id", "name", "path"))
    names = {c.bigcommerce_id: c.name for c in categories}
    rows = [
        {
            "id": c.bigcommerce_id,
            "name": c.name,
            "path": " › ".join(names.get(part, str(part)) for part in (c.path or [c.bigcommerce_id])),
            "depth": len(c.path or [c.bigcommerce_id]),
        }
        for c in categories
    ]
    return sorted(rows, key=lambda row: row["path"].lower())


def policy_target_names(*, targets: list[tuple[str, int | None]]) -> dict[tuple[str, int | None], str]:
    """What each policy applies to, in the merchant's words: the category path, the product's name, or the
    variant's product and options; "Whole store" for the store-wide policy. At most three queries."""
    from backorder.models import Product

    wanted: dict[str, set[int]] = {"category": set(), "product": set(), "variant": set()}
    for scope, bigcommerce_id in targets:
        if scope in wanted and bigcommerce_id is not None:
            wanted[scope].add(bigcommerce_id)
    names: dict[tuple[str, int | None], str] = {("store", None): "Whole store"}
    if wanted["category"]:
        paths = {c["id"]: c["path"] for c in categories_with_paths() if c["id"] in wanted["category"]}
        names.update({("category", i): paths.get(i, "") for i in wanted["category"]})
    if wanted["product"]:
        for bigcommerce_id, name in Product.objects.filter(bigcommerce_id__in=wanted["product"]).values_list(
            "bigcommerce_id", "name"
        ):
            names[("product", bigcommerce_id)] = name
    if wanted["variant"]:
        for variant in Variant.objects.filter(bigcommerce_id__in=wanted["variant"]).select_related("product"):
            label = " — ".join(part for part in (variant.product.name, variant.option_label or variant.sku) if part)
            names[("variant", variant.bigcommerce_id)] = label
    return names


def variant_labels(*, variant_ids: list[int]) -> dict[int, dict]:
    """Product name, option label and SKU of each variant (BigCommerce ids) in the catalog mirror."""
    return {
        variant.bigcommerce_id: {
            "product_name": variant.product.name,
            "option_label": variant.option_label,
            "sku": variant.sku,
        }
        for variant in Variant.objects.filter(bigcommerce_id__in=variant_ids).select_related("product")
    }
