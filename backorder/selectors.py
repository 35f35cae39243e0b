"""Reads of a store's data (the backorder app). Each function states its rule in its docstring.

- which policy applies to a variant, and why (`policies_effective_for_variants`): the variant's own policy,
  its product's, the deepest category's, or the store-wide one; at each level, the one for the shopper's
  customer group before the one for everyone.
"""

from dataclasses import dataclass, field

from django.db.models import BigIntegerField, F, Func, Q, Subquery

from backorder.id_lists import among
from backorder.models import Category, Policy, Variant
from backorder.models.policy import GUESTS

Scope = Policy.Scope
Mode = Policy.Mode

# -- which policy applies, and why ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyCandidate:
    """A policy that exists at one of the levels above a variant (most specific first)."""

    level: str
    policy: Policy
    bigcommerce_id: int | None
    name: str = ""
    depth: int = 0  # categories only: how many levels down from the top


@dataclass(frozen=True)
class EffectivePolicy:
    """The policy that applies to a variant, the level it comes from, and a sentence saying why.

    `candidates` lists every policy that exists above the variant, most specific first; the first one
    is the one that applies. `product_id` is None when the variant is not in the catalog mirror.
    """

    variant_id: int
    product_id: int | None
    policy: Policy | None
    level: str | None
    why: str
    candidates: tuple[PolicyCandidate, ...] = field(default_factory=tuple)
    customer_group_id: int = GUESTS  # the shopper's group it was chosen for

    @property
    def in_catalog(self) -> bool:
        return self.product_id is not None


def policy_effective(*, variant_id: int, customer_group_id: int = GUESTS) -> EffectivePolicy:
    """The policy that applies to one variant (BigCommerce id); see policies_effective_for_variants."""
    return policies_effective_for_variants(variant_ids=[variant_id], customer_group_id=customer_group_id)[variant_id]


def policies_effective_for_variants(
    *, variant_ids: list[int], draft: Policy | None = None, customer_group_id: int = GUESTS
) -> dict[int, EffectivePolicy]:
    """The policy that applies to each variant (BigCommerce ids) for a shopper of one BigCommerce customer
    group (0, the default: guests and shoppers in no group), in three queries whatever their number.

    `draft` is an unsaved policy (or unsaved changes to one) to weigh as if it were saved: it takes the
    place of the policy of the same id (a new one joins its level), so the merchant can preview an edit
    before saving it.

    The most specific existing policy wins: the variant's own, else its product's, else the deepest
    category policy, else the store-wide one; a disabled policy wins all the same (it switches backorders
    off at its level). At each level, a policy naming the shopper's group beats the one for everyone, and a
    policy naming only other groups does not exist for this shopper. A category policy covers products in
    that category and in every category below it; "deepest" is the policy category with the longest path
    from the top (a product category missing from the mirror counts as a top category), and among equally
    deep ones the lowest category id wins. A variant missing from the catalog mirror gets its own policy if
    one exists, else the store-wide one.
    """
    return policies_effective_for_groups(variant_ids=variant_ids, draft=draft, customer_group_ids=[customer_group_id])[
        customer_group_id
    ]


def policies_effective_for_groups(
    *, variant_ids: list[int], customer_group_ids: list[int], draft: Policy | None = None
) -> dict[int, dict[int, EffectivePolicy]]:
    """policies_effective_for_variants for several customer groups at once (group -> variant -> policy),
    still three queries: the policies are read once and weighed for each group."""
    ids = list(dict.fromkeys(variant_ids))
    if not ids:
        return {group: {} for group in customer_group_ids}
    variants = _policy_targets(ids)
    product_categories = {c for v in variants.values() for c in v.product.category_ids}
    categories: dict[int, Category] = {}
    if product_categories:
        # The products' categories and every category above them, in one statement.
        above = (
            Category.objects.filter(bigcommerce_id__in=product_categories)
            .annotate(ancestor=Func(F("path"), function="unnest", output_field=BigIntegerField()))
            .values("ancestor")
        )
        categories = {
            c.bigcommerce_id: c
            for c in Category.objects.filter(Q(bigcommerce_id__in=Subquery(above))).only(
                "bigcommerce_id", "name", "path"
            )
        }
    reachable_categories = set(product_categories)
    for category in categories.values():
        reachable_categories.update(category.path)
    product_ids = {v.product.bigcommerce_id for v in variants.values()}
    policies = list(
        Policy.objects.filter(
            Q(scope=Scope.STORE)
            | Q(scope=Scope.VARIANT, bigcommerce_id__in=among(ids))
            | Q(scope=Scope.PRODUCT, bigcommerce_id__in=among(product_ids))
            | Q(scope=Scope.CATEGORY, bigcommerce_id__in=reachable_categories)
        )
    )
    if draft is not None:
        policies = [p for p in policies if draft.pk is None or p.pk != draft.pk] + [draft]
    answers = {}
    for group in dict.fromkeys(customer_group_ids):
        by_target = _policies_for_group(policies, group)
        answers[group] = {
            variant_id: _resolve(
                variant_id=variant_id,
                variant=variants.get(variant_id),
                categories=categories,
                by_target=by_target,
                store_policy=by_target.get((Scope.STORE, None)),
                customer_group_id=group,
            )
            for variant_id in ids
        }
    return answers


def _policies_for_group(policies: list[Policy], customer_group_id: int) -> dict[tuple[str, int | None], Policy]:
    """Per level and target, the policy a shopper of this group gets there: the one naming their group, else
    the one for everyone (policies naming only other groups are left out)."""
    by_target: dict[tuple[str, int | None], Policy] = {}
    for policy in policies:
        target = (policy.scope, policy.bigcommerce_id)
        if policy.is_for(customer_group_id):
            by_target[target] = policy
        elif not policy.customer_group_ids:
            by_target.setdefault(target, policy)
    return by_target


@dataclass(frozen=True, slots=True)
class PolicyTargetProduct:
    """What choosing a variant's policy needs of its product."""

    bigcommerce_id: int
    name: str
    category_ids: list[int]


@dataclass(frozen=True, slots=True)
class PolicyTarget:
    """What choosing a variant's policy needs of the variant (read as plain rows, not model instances)."""

    bigcommerce_id: int
    sku: str
    option_label: str
    product: PolicyTargetProduct


def _policy_targets(ids: list[int]) -> dict[int, PolicyTarget]:
    """The mirrored variants among these BigCommerce ids, with their products, in one query."""
    rows = Variant.objects.filter(bigcommerce_id__in=among(ids)).values_list(
        "bigcommerce_id", "sku", "option_label", "product__bigcommerce_id", "product__name", "product__category_ids"
    )
    return {
        variant_id: PolicyTarget(variant_id, sku, label, PolicyTargetProduct(product_id, name, category_ids))
        for variant_id, sku, label, product_id, name, category_ids in rows
    }


def _resolve(
    *,
    variant_id: int,
    variant: PolicyTarget | None,
    categories: dict[int, Category],
    by_target: dict,
    store_policy: Policy | None,
    customer_group_id: int = GUESTS,
) -> EffectivePolicy:
    candidates: list[PolicyCandidate] = []
    if own := by_target.get((Scope.VARIANT, variant_id)):
        label = (variant.option_label or variant.sku) if variant else ""
        candidates.append(PolicyCandidate(level=Scope.VARIANT.value, policy=own, bigcommerce_id=variant_id, name=label))
    if variant is not None:
        product = variant.product
        if product_policy := by_target.get((Scope.PRODUCT, product.bigcommerce_id)):
            candidates.append(
                PolicyCandidate(
                    level=Scope.PRODUCT.value,
                    policy=product_policy,
                    bigcommerce_id=product.bigcommerce_id,
                    name=product.name,
                )
            )
        covering: dict[int, int] = {}  # category id -> depth, for every category at or above the product's
        for category_id in product.category_ids:
            category = categories.get(category_id)
            path = category.path if category and category.path else [category_id]
            for depth, ancestor in enumerate(path, start=1):
                covering[ancestor] = max(covering.get(ancestor, 0), depth)
        category_candidates = [
            PolicyCandidate(
                level=Scope.CATEGORY.value,
                policy=by_target[(Scope.CATEGORY, category_id)],
                bigcommerce_id=category_id,
                name=_category_name(category_id, categories),
                depth=depth,
            )
            for category_id, depth in covering.items()
            if (Scope.CATEGORY, category_id) in by_target
        ]
        candidates.extend(sorted(category_candidates, key=lambda c: (-c.depth, c.bigcommerce_id)))
    if store_policy is not None:
        candidates.append(PolicyCandidate(level=Scope.STORE.value, policy=store_policy, bigcommerce_id=None))
    winner = candidates[0] if candidates else None
    return EffectivePolicy(
        variant_id=variant_id,
        product_id=variant.product.bigcommerce_id if variant else None,
        policy=winner.policy if winner else None,
        level=str(winner.level) if winner else None,
        why=_why(variant_id=variant_id, variant=variant, winner=winner, customer_group_id=customer_group_id),
        candidates=tuple(candidates),
        customer_group_id=customer_group_id,
    )


def _category_name(category_id: int, categories: dict[int, Category]) -> str:
    category = categories.get(category_id)
    if category is None:
        return ""
    return " › ".join(categories[c].name if c in categories else str(c) for c in category.path) or category.name


def _why(
    *, variant_id: int, variant: PolicyTarget | None, winner: PolicyCandidate | None, customer_group_id: int = GUESTS
) -> str:
    """One sentence a merchant can read: which policy applies, from which level, and what it does."""
    if winner is None:
        return (
            f"No policy applies to variant {variant_id}: even the store-wide policy is missing, so backorders are off."
        )
    policy = winner.policy
    ref = f"policy {policy.pk}" if policy.pk else "the new policy you are editing"
    if policy.pk and getattr(policy, "_is_draft", False):  # a preview of unsaved changes
        ref += ", with your changes"
    if policy.customer_group_ids:
        ref += ", " + customer_group_words(customer_group_id)
    product = f"product {variant.product.bigcommerce_id}" if variant else "its product"
    if winner.level == Scope.VARIANT:
        reason = f"Variant {variant_id} has its own policy ({ref}), the most specific level"
    elif winner.level == Scope.PRODUCT:
        named = f" ({winner.name})" if winner.name else ""
        reason = (
            f"The product policy of {product}{named} ({ref}) applies, "
            f"because variant {variant_id} has no policy of its own"
        )
    elif winner.level == Scope.CATEGORY:
        named = f" ({winner.name})" if winner.name else ""
        reason = (
            f"The category policy of category {winner.bigcommerce_id}{named} ({ref}) applies, because "
            f"neither variant {variant_id} nor {product} has a policy and it is the deepest category with one"
        )
    else:
        missing = " (the variant is not in the catalog mirror)" if variant is None else ""
        reason = (
            f"The store-wide policy ({ref}) applies, because no variant, product or category policy "
            f"covers variant {variant_id}{missing}"
        )
    if not policy.enabled:
        effect = "it is disabled, so this variant cannot be backordered"
    elif policy.mode == Mode.PREORDER:
        effect = "it sells the variant on pre-order"
    else:
        effect = "it allows backorders"
    return f"{reason}; {effect}."


def customer_group_words(customer_group_id: int) -> str:
    """How the `why` sentences name the shopper's group."""
    if customer_group_id == GUESTS:
        return "for guests and shoppers in no customer group"
    return f"for customer group {customer_group_id}"


# -- backorders ---------------------------------------------------------------------------------------------


def late_backorders_condition(*, today) -> Q:
    """A backorder is late while it waits past its expected date, or after its date moved beyond the one
    the shopper was promised."""
    from backorder.models import Backorder

    return Q(status=Backorder.Status.WAITING) & (
        Q(expected_ship_date__lt=today) | Q(expected_ship_date__gt=F("promised_ship_date"))
    )


AT_RISK_WITHIN_DAYS = 3


def at_risk_condition(*, today, within_days: int = AT_RISK_WITHIN_DAYS) -> Q:
    """A waiting backorder is at risk when its expected date has passed or comes within `within_days`
    days, or when its date moved beyond the one the shopper was promised."""
    from datetime import timedelta

    from backorder.models import Backorder

    return Q(status=Backorder.Status.WAITING) & (
        Q(expected_ship_date__lte=today + timedelta(days=within_days))
        | Q(expected_ship_date__gt=F("promised_ship_date"))
    )


def backorders_summary(*, now, today) -> dict:
    """The dashboard's figures: open backorders (waiting or allocated), their units and value, how long
    shoppers have waited on average and at most, how many are late or at risk, and the cancellation rate.

    Two aggregate queries that read only indexed columns (COUNT(status), not COUNT(id)), so PostgreSQL can
    answer them from covering indexes (index-only scans) rather than the whole table."""
    from django.db.models import Avg, Count, Min, Sum

    from backorder.models import Backorder

    open_ = Backorder.objects.filter(status__in=[Backorder.Status.WAITING, Backorder.Status.ALLOCATED])
    figures = open_.aggregate(
        count=Count("*"),
        units=Sum(F("quantity") - F("quantity_shipped")),
        value=Sum((F("quantity") - F("quantity_shipped")) * F("unit_price")),
        late=Count("status", filter=late_backorders_condition(today=today)),
        at_risk=Count("status", filter=at_risk_condition(today=today)),
        # date_part is float arithmetic; EXTRACT returns numeric on PostgreSQL 14+, much slower per row
        average_epoch=Avg(Func(F("order_created_at"), template="date_part('epoch', %(expressions)s)")),
        oldest=Min("order_created_at"),
    )
    totals = Backorder.objects.aggregate(
        all=Count("*"), cancelled=Count("status", filter=Q(status=Backorder.Status.CANCELLED))
    )
    average = figures["average_epoch"]
    return {
        "open_backorders": figures["count"],
        "open_units": figures["units"] or 0,
        "open_value": round(figures["value"] or 0, 2),
        "average_wait_days": round((now.timestamp() - float(average)) / 86400, 1) if average is not None else None,
        "oldest_wait_days": round((now - figures["oldest"]).total_seconds() / 86400, 1) if figures["oldest"] else None,
        "late": figures["late"],
        "at_risk": figures["at_risk"],
        "cancelled": totals["cancelled"],
        "cancellation_rate": round(totals["cancelled"] / totals["all"], 3) if totals["all"] else None,
    }


def backorders_matching(
    *, today, status: str | None = None, product_id: int | None = None, variant_id: int | None = None,
    older_than_days: int | None = None, late: bool | None = None, at_risk: bool | None = None, q: str = "",
    ordered_from=None, ordered_to=None, timezone_name: str = "UTC", ids: list[int] | None = None,
):  # fmt: skip
    """The backorders a merchant's filters select: by status, product, variant, age, lateness, risk (see
    at_risk_condition), order date range (the store's calendar days, both ends included), explicit ids, and
    a search term (see _search_condition)."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from backorder.models import Backorder

    queryset = Backorder.objects.all()
    if status:
        queryset = queryset.filter(status=status)
    if product_id is not None:
        queryset = queryset.filter(product_id=product_id)
    if variant_id is not None:
        queryset = queryset.filter(variant_id=variant_id)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    if older_than_days is not None:
        queryset = queryset.filter(order_created_at__lte=timezone.now() - timedelta(days=older_than_days))
    if late:
        queryset = queryset.filter(late_backorders_condition(today=today))
    if at_risk:
        queryset = queryset.filter(at_risk_condition(today=today))
    if ordered_from or ordered_to:
        try:
            zone = ZoneInfo(timezone_name or "UTC")
        except (ValueError, KeyError):
            zone = ZoneInfo("UTC")
        if ordered_from:
            queryset = queryset.filter(order_created_at__gte=datetime.combine(ordered_from, time.min, tzinfo=zone))
        if ordered_to:
            end = datetime.combine(ordered_to + timedelta(days=1), time.min, tzinfo=zone)
            queryset = queryset.filter(order_created_at__lt=end)
    term = (q or "").strip()
    if term:
        queryset = queryset.filter(_search_condition(term))
    return queryset


SEARCH_VARIANTS_MAX = 500


def _search_condition(term: str) -> Q:
    """What a search term finds: backorders whose e-mail or SKU starts with it, whose product's name (or a
    variant's SKU) in the catalog contains it, or whose order number it is. Every branch uses an index."""
    from backorder.models import Variant

    match = Q(customer_email__istartswith=term) | Q(sku__istartswith=term)
    if term.isascii() and term.isdigit() and len(term) <= 18:  # "¹".isdigit() too; bigint range
        match |= Q(order_id=int(term))
    variant_ids = list(
        Variant.objects.filter(Q(product__name__icontains=term) | Q(sku__icontains=term)).values_list(
            "bigcommerce_id", flat=True
        )[:SEARCH_VARIANTS_MAX]
    )
    if variant_ids:
        match |= Q(variant_id__in=variant_ids)
    return match
