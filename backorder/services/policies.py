"""Policies: which policy applies to a variant and why; creating, changing and deleting policies.

Each function states its rule in its docstring. Which policy applies is a read and lives in
backorder.selectors (`policy_effective`, `policies_effective_for_variants`); it is re-exported here.
"""

import string
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from backorder.models import Category, Policy, PolicyChangePending, Product, Variant
from backorder.models.policy import GUESTS
from backorder.selectors import (  # re-exported: callers ask the policies module which policy applies
    EffectivePolicy,
    PolicyCandidate,
    policies_effective_for_variants,
    policy_effective,
)
from backorder.services.availability import store_today
from stores.models import Store
from stores.tasks import enqueue_for_store

__all__ = [
    "EffectivePolicy", "PolicyCandidate", "StorePolicyRequired", "policies_effective_for_variants",
    "policy_changes_apply", "policy_changes_applying", "policy_create", "policy_create_store_default",
    "policy_delete", "policy_effective", "policy_update", "policy_validate", "variants_governed_by",
    "variants_governed_count",
]  # fmt: skip

Scope = Policy.Scope
Mode = Policy.Mode
Trigger = Policy.IncentiveTrigger

# What a merchant may set; id and timestamps are never taken from the caller.
EDITABLE_FIELDS = (
    "scope", "bigcommerce_id", "customer_group_ids", "enabled", "mode", "preorder_starts_on", "preorder_ends_on",
    "max_units", "location_limits", "max_per_order", "lead_time_days", "lead_time_business_days",
    "fixed_ship_date", "button_label", "product_message", "cart_message", "shipping_preference",
    "shopper_may_cancel", "incentive_percent", "incentive_trigger", "incentive_after_days",
)  # fmt: skip
TEMPLATE_FIELDS = ("product_message", "cart_message")
TEMPLATE_PLACEHOLDERS = ("date", "quantity", "days")
REFRESH_CHUNK = 2000
# A saved change that governs more variants than this is applied in the background (_refresh_governed).
REFRESH_AT_ONCE = 500
APPLY_SECONDS = 60  # a background run stops after this and queues the next (well inside the task timeout)
MAX_DAYS = 3650  # a promise further out than ten years is a typo
MAX_GROUPS = 100  # customer groups one policy may name
MAX_GROUP_ID = 2**31 - 1
MAX_UNITS = 2**31 - 1  # a PositiveIntegerField's ceiling (max_units)


class StorePolicyRequired(Exception):
    """The store-wide policy for everyone is the fallback for every item and shopper, so it can be changed but
    never deleted (a store-wide policy for some customer groups can)."""

    code = "store_policy_required"

    def __init__(self, policy: Policy):
        self.policy = policy
        super().__init__(
            "The store-wide policy cannot be deleted: it is the fallback for every item. "
            "Disable it instead (set enabled to false) to stop backorders store-wide."
        )


def policy_create_store_default(store: Store) -> Policy:
    """A new store starts with one store-wide policy, disabled: nothing sells on backorder until the merchant
    says so."""
    policy, _ = Policy.objects.get_or_create(
        scope=Policy.Scope.STORE, customer_group_ids=[], defaults={"enabled": False}
    )
    return policy


# -- validation ---------------------------------------------------------------------------------------------


def policy_validate(*, data: dict, instance: Policy | None = None) -> dict:
    """Check a new policy (or a change to `instance`) and return the cleaned values to save.

    Only the fields in EDITABLE_FIELDS are taken (id and timestamps are ignored). Every rule is checked
    against the policy as it would be after the change, and all broken rules are reported at once as
    `ValidationError({field: [message, ...]})`:
    - the store-wide policy has no bigcommerce_id and stays store-wide; every other scope names a category,
      product or variant that is in the catalog mirror;
    - customer groups are BigCommerce customer group ids (0 = guests and shoppers in no group; none = every
      shopper); the store-wide policy for everyone stays for everyone (it is every shopper's fallback);
    - one policy per scope and id for everyone, and no customer group named by two policies of one scope and
      id (checked under a lock on the target while saving, so two saves at once cannot both pass);
    - a pre-order window belongs to pre-order mode and ends on or after it starts;
    - an enabled policy needs a date basis, a lead time in days and/or a fixed ship date, because the
      shopper is always promised a date; a newly set fixed ship date is not in the past (store time zone);
    - a lead time and an incentive's days are at most ten years;
    - the per-order cap is at least 1 and no larger than the total cap;
    - an incentive is a percentage in (0, 100] together with a trigger, and "after N days" needs N (only it);
    - messages use only the placeholders {date}, {quantity} and {days}, with well-formed braces.
    """
    changes = {name: value for name, value in data.items() if name in EDITABLE_FIELDS}
    errors: dict[str, list[str]] = {}
    # Types and choices, the way the model field reads them (for callers other than the API).
    for name, value in list(changes.items()):
        if name == "customer_group_ids":
            changes[name] = _customer_groups_clean(value, errors)
            continue
        if name == "location_limits":
            changes[name] = _location_limits_clean(value, errors)
            continue
        model_field = Policy._meta.get_field(name)
        if value is None and not model_field.null and model_field.blank and isinstance(model_field.default, str):
            value = ""
        try:
            changes[name] = model_field.clean(value, None)
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)

    creating = instance is None
    before = instance if instance is not None else Policy()
    after = Policy(**{name: getattr(before, name) for name in EDITABLE_FIELDS})
    after.pk = before.pk
    for name, value in changes.items():
        setattr(after, name, value)
    if creating and "scope" not in changes:
        _fail(errors, "scope", "Say which level this policy is for: store, category, product or variant.")
        raise ValidationError(errors)

    _validate_target(after=after, before=None if creating else before, errors=errors)
    _validate_mode(after=after, errors=errors)
    _validate_dates(after=after, before=None if creating else before, changes=changes, errors=errors)
    _validate_caps(after=after, errors=errors)
    _validate_incentive(after=after, errors=errors)
    for name in TEMPLATE_FIELDS:
        if message := _template_problem(getattr(after, name)):
            _fail(errors, name, message)
    if errors:
        raise ValidationError(errors)
    return changes


def _location_limits_clean(value, errors: dict) -> dict[str, int | None]:
    """A cap per location as stored: `{"<BigCommerce location id>": units or null (unlimited)}`, naming only
    locations of this store (None or {} = `max_units` at every location)."""
    from backorder.models import Location

    if value is None:
        return {}
    if not isinstance(value, dict):
        _fail(errors, "location_limits", 'Send an object of location id to units, e.g. {"2": 5}.')
        return {}
    known = set(Location.objects.filter(is_removed=False).values_list("bigcommerce_id", flat=True))
    cleaned: dict[str, int | None] = {}
    for key, units in value.items():
        location_id = int(key) if isinstance(key, int | str) and str(key).isdigit() else None
        if location_id is None or location_id not in known:
            _fail(errors, "location_limits", f"{key!r} is not a location of this store (see /api/v1/locations/).")
            continue
        if units is not None and (isinstance(units, bool) or not isinstance(units, int) or not 0 <= units <= MAX_UNITS):
            _fail(errors, "location_limits", f"The cap at location {location_id} must be a whole number of units "
                  f"from 0 to {MAX_UNITS}, or null for no cap.")  # fmt: skip
            continue
        cleaned[str(location_id)] = units
    return dict(sorted(cleaned.items(), key=lambda item: int(item[0])))


def _customer_groups_clean(value, errors: dict) -> list[int]:
    """Customer group ids as stored: distinct whole numbers from 0 up, in order (None = every shopper)."""
    if value is None:
        return []
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        _fail(errors, "customer_group_ids", "Send a list of BigCommerce customer group ids, e.g. [0, 5].")
        return []
    cleaned = set()
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= MAX_GROUP_ID:
            _fail(
                errors,
                "customer_group_ids",
                f"{item!r} is not a customer group id: use BigCommerce's group ids (whole numbers), and 0 for "
                "guests and shoppers in no group.",
            )
            return []
        cleaned.add(item)
    if len(cleaned) > MAX_GROUPS:
        _fail(errors, "customer_group_ids", f"A policy can name at most {MAX_GROUPS} customer groups.")
    return sorted(cleaned)


def _groups_text(groups: Iterable[int]) -> str:
    names = ["guests (0)" if group == GUESTS else str(group) for group in groups]
    return ("customer group " if len(names) == 1 else "customer groups ") + ", ".join(names)


def _validate_target(*, after: Policy, before: Policy | None, errors: dict) -> None:
    everyones_store_policy = before is not None and before.scope == Scope.STORE and not before.customer_group_ids
    if everyones_store_policy and after.scope != Scope.STORE:
        _fail(
            errors,
            "scope",
            "The store-wide policy stays store-wide; create a category, product or variant policy instead.",
        )
        return
    if everyones_store_policy and after.customer_group_ids:
        _fail(
            errors,
            "customer_group_ids",
            "The store-wide policy for everyone stays for every shopper (it is the fallback for every item); "
            "add a store-wide policy for these customer groups instead.",
        )
        return
    if after.scope == Scope.STORE:
        if after.bigcommerce_id is not None:
            _fail(
                errors,
                "bigcommerce_id",
                "The store-wide policy applies to every item; leave bigcommerce_id empty (null).",
            )
    elif after.bigcommerce_id is None:
        _fail(
            errors,
            "bigcommerce_id",
            f"A {after.scope} policy needs the BigCommerce id of the {after.scope} it applies to.",
        )
    elif before is None or (before.scope, before.bigcommerce_id) != (after.scope, after.bigcommerce_id):
        # Only a new target must be in the catalog: an item deleted since does not block other edits.
        mirror = {Scope.CATEGORY: Category.objects.all(), Scope.PRODUCT: Product.objects.filter(is_deleted=False),
                  Scope.VARIANT: Variant.objects.filter(is_deleted=False)}[Scope(after.scope)]  # fmt: skip
        if not mirror.filter(bigcommerce_id=after.bigcommerce_id).exists():
            _fail(
                errors,
                "bigcommerce_id",
                f"No {after.scope} with BigCommerce id {after.bigcommerce_id} is in the store's catalog. Check the "
                f"id (BigCommerce's {after.scope} id, not a SKU); if you just added it, wait for the catalog sync.",
            )
    if "bigcommerce_id" in errors or "scope" in errors or "customer_group_ids" in errors:
        return
    if after.customer_group_ids:
        _target_lock(after.scope, after.bigcommerce_id)
    existing = Policy.objects.filter(scope=after.scope, bigcommerce_id=after.bigcommerce_id).exclude(pk=after.pk)
    if after.customer_group_ids:
        existing = existing.filter(customer_group_ids__overlap=after.customer_group_ids)
    else:
        existing = existing.filter(customer_group_ids=[])
    other = existing.order_by("pk").first()
    if other is None:
        return
    what = "The store-wide policy" if after.scope == Scope.STORE else (
        f"A {after.scope} policy for {after.scope} {after.bigcommerce_id}"
    )  # fmt: skip
    if not after.customer_group_ids:
        _fail(
            errors,
            "scope" if after.scope == Scope.STORE else "bigcommerce_id",
            f"{what} for every shopper already exists (policy {other.pk}); change that one instead.",
        )
        return
    shared = _groups_text(sorted(set(other.customer_group_ids) & set(after.customer_group_ids)))
    _fail(
        errors,
        "customer_group_ids",
        f"{what} for {shared} already exists (policy {other.pk}): a customer group has one policy per level and "
        f"target. Change that one, or leave {shared} out of this one.",
    )


def _target_lock(scope: str, bigcommerce_id: int | None) -> None:
    """Saves of group policies of one level and target take turns (until their transaction ends), so the
    overlap check cannot miss a policy another save is adding: a transaction-level advisory lock, safe behind
    a transaction-mode pooler."""
    from django.db import connection

    if not connection.in_atomic_block:  # a preview: nothing is saved, and the lock would end with the statement
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}:policy:{scope}:{bigcommerce_id}"]
        )


def _fail(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _validate_mode(*, after: Policy, errors: dict) -> None:
    window = after.preorder_starts_on or after.preorder_ends_on
    if after.mode == Mode.BACKORDER and window:
        for name in ("preorder_starts_on", "preorder_ends_on"):
            if getattr(after, name):
                _fail(
                    errors,
                    name,
                    'A pre-order window applies only in pre-order mode: set mode to "preorder" or leave it empty.',
                )
    if after.preorder_starts_on and after.preorder_ends_on and after.preorder_ends_on < after.preorder_starts_on:
        _fail(
            errors,
            "preorder_ends_on",
            f"The pre-order window must end on or after the day it starts ({after.preorder_starts_on.isoformat()}).",
        )


def _validate_dates(*, after: Policy, before: Policy | None, changes: dict, errors: dict) -> None:
    if after.enabled and after.lead_time_days is None and after.fixed_ship_date is None:
        message = (
            "An enabled policy needs a lead time in days or a fixed ship date (or both), "
            "so that shoppers are promised a date."
        )
        _fail(errors, "lead_time_days", message)
        _fail(errors, "fixed_ship_date", message)
    if after.lead_time_days is not None and after.lead_time_days > MAX_DAYS:
        _fail(errors, "lead_time_days", f"A lead time can be at most {MAX_DAYS} days.")
    new_date = "fixed_ship_date" in changes and (before is None or before.fixed_ship_date != after.fixed_ship_date)
    if new_date and after.fixed_ship_date is not None and after.fixed_ship_date < store_today():
        _fail(
            errors,
            "fixed_ship_date",
            f"{after.fixed_ship_date.isoformat()} is in the past; choose a later date or use a lead time instead.",
        )


def _validate_caps(*, after: Policy, errors: dict) -> None:
    if after.max_per_order is not None and after.max_per_order < 1:
        _fail(
            errors,
            "max_per_order",
            "The per-order cap must be at least 1; leave it empty (null) for no per-order limit.",
        )
    elif after.max_per_order is not None and after.max_units is not None and after.max_per_order > after.max_units:
        _fail(
            errors,
            "max_per_order",
            f"The per-order cap ({after.max_per_order}) cannot be larger than the total cap ({after.max_units}).",
        )


def _validate_incentive(*, after: Policy, errors: dict) -> None:
    percent, trigger = after.incentive_percent, after.incentive_trigger
    if percent is not None and not (Decimal(0) < Decimal(percent) <= Decimal(100)):
        _fail(errors, "incentive_percent", "The incentive is a percentage off: more than 0 and at most 100.")
    if trigger and percent is None:
        _fail(
            errors,
            "incentive_percent",
            "An incentive trigger needs a percentage off; set incentive_percent or clear the trigger.",
        )
    if percent is not None and not trigger:
        _fail(
            errors,
            "incentive_trigger",
            'Say when the incentive is given: "at_order", "on_delay" or "after_days" (or clear incentive_percent).',
        )
    if trigger == Trigger.AFTER_DAYS:
        if after.incentive_after_days is None or after.incentive_after_days < 1:
            _fail(
                errors,
                "incentive_after_days",
                'The "after_days" trigger needs the number of days of waiting (1 or more).',
            )
        elif after.incentive_after_days > MAX_DAYS:
            _fail(errors, "incentive_after_days", f"The number of days can be at most {MAX_DAYS}.")
    elif after.incentive_after_days is not None:
        _fail(
            errors, "incentive_after_days", 'A number of days applies only to the "after_days" trigger; leave it empty.'
        )


def _template_problem(template: str) -> str | None:
    """Why a merchant's message template cannot be rendered safely, or None when it is fine."""
    allowed = ", ".join("{" + name + "}" for name in TEMPLATE_PLACEHOLDERS)
    try:
        parts = list(string.Formatter().parse(template or ""))
    except ValueError:
        return f"Unbalanced braces: use only the placeholders {allowed}, and no other '{{' or '}}'."
    for _literal, name, format_spec, conversion in parts:
        if name is None:
            continue
        if name not in TEMPLATE_PLACEHOLDERS or format_spec or conversion:
            shown = (
                "{" + name + (f"!{conversion}" if conversion else "") + (f":{format_spec}" if format_spec else "") + "}"
            )
            return f"Unknown placeholder {shown}; the message may use only {allowed}."
    return None


# -- writes -------------------------------------------------------------------------------------------------


@transaction.atomic
def policy_create(*, data: dict) -> Policy:
    """Add a policy at one level of the catalog; the availability of the variants it governs is recomputed."""
    changes = policy_validate(data=data)
    policy = Policy(**changes)
    _save_unique(policy)
    _refresh_governed(targets=[(policy.scope, policy.bigcommerce_id)])
    return policy


@transaction.atomic
def policy_update(*, policy: Policy, data: dict) -> Policy:
    """Change some fields of a policy (a partial update); the variants it governed and governs are recomputed."""
    changes = policy_validate(data=data, instance=policy)
    old_target = (policy.scope, policy.bigcommerce_id)
    for name, value in changes.items():
        setattr(policy, name, value)
    _save_unique(policy)
    _refresh_governed(targets=[old_target, (policy.scope, policy.bigcommerce_id)])
    return policy


@transaction.atomic
def policy_delete(*, policy: Policy) -> None:
    """Remove a category, product or variant policy (or a store-wide one for some customer groups), so the
    next policy up applies again; the store-wide policy for everyone cannot be removed (StorePolicyRequired)."""
    if policy.scope == Scope.STORE and not policy.customer_group_ids:
        raise StorePolicyRequired(policy)
    target = (policy.scope, policy.bigcommerce_id)
    policy.delete()
    _refresh_governed(targets=[target])


def _save_unique(policy: Policy) -> None:
    """Save, turning a lost race for the same scope and id into the same message validation gives."""
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        message = f"A {policy.scope} policy for this {policy.scope} and every shopper already exists; change that one."
        raise ValidationError({"bigcommerce_id": [message]}) from exc


def _refresh_governed(*, targets: Iterable[tuple[str, int | None]]) -> None:
    """The variants a saved change governs get the new policy: at once when they are few (inside the save),
    in the background when they are many (a store-wide policy of a large catalog), where the merchant sees
    the progress and shoppers are answered from the live policies until it is done (PolicyChangePending).
    Either way no shopper sees the old policy once the save has committed, and the limits BigCommerce enforces
    are compared again for every variant it governs (a customer group's policy moves them without changing the
    guests' rows)."""
    from backorder import storefront_answers
    from backorder.selectors_storefront import group_policies_forget
    from backorder.services.availability import availability_refresh

    storefront_answers.answers_forget()  # a policy can change any answer of the store
    group_policies_forget()
    targets = set(targets)
    if (total := variants_governed_count(targets=targets)) > REFRESH_AT_ONCE:
        PolicyChangePending.objects.bulk_create(
            PolicyChangePending(scope=scope, bigcommerce_id=bigcommerce_id, variants_total=total)
            for scope, bigcommerce_id in targets
        )
        transaction.on_commit(lambda: enqueue_for_store("backorder.tasks.policy_changes_apply"))
        return
    variant_ids = sorted(variants_governed_by(targets=targets))
    for start in range(0, len(variant_ids), REFRESH_CHUNK):
        availability_refresh(variant_ids=variant_ids[start : start + REFRESH_CHUNK], every_limit=True)


def variants_governed_count(*, targets: Iterable[tuple[str, int | None]]) -> int:
    """How many live variants the policies at these (scope, bigcommerce_id) can reach (a count, not the ids:
    one COUNT for a store-wide policy however big the catalog)."""
    if any(scope == Scope.STORE for scope, _id in targets):
        return Variant.objects.filter(is_deleted=False).count()
    return len(variants_governed_by(targets=targets))


def policy_changes_apply(*, seconds: float = APPLY_SECONDS) -> int:
    """Bring the availability rows of every variant a pending change governs up to the saved policies, in
    chunks (each its own transaction), counting progress; a change is done (deleted) once all its variants
    were refreshed after it was saved. One run per store at a time (a lease): changes saved meanwhile are
    picked up by the run's next round. A run stops after `seconds` and queues the next, so a very large
    catalog never meets the task timeout. Returns the variants refreshed."""
    import time

    from django.db import connection

    from backorder.services.availability import availability_refresh
    from stores.leases import TASK_LIFETIME_BOUND, leased

    started, refreshed = time.monotonic(), 0
    with leased(f"policy-changes:{connection.schema_name}", ttl=TASK_LIFETIME_BOUND) as lease:
        if lease is None:
            return 0  # a run is at it; it takes every pending change before it stops
        while (pending := list(PolicyChangePending.objects.order_by("id"))) and time.monotonic() - started < seconds:
            ids = [change.pk for change in pending]
            variant_ids = sorted(variants_governed_by(targets={(c.scope, c.bigcommerce_id) for c in pending}))
            PolicyChangePending.objects.filter(pk__in=ids).update(variants_total=len(variant_ids), variants_done=0)
            for start in range(0, len(variant_ids), REFRESH_CHUNK):
                if time.monotonic() - started > seconds:
                    break
                chunk = variant_ids[start : start + REFRESH_CHUNK]
                availability_refresh(variant_ids=chunk, every_limit=True)
                refreshed += len(chunk)
                PolicyChangePending.objects.filter(pk__in=ids).update(variants_done=start + len(chunk))
            else:
                PolicyChangePending.objects.filter(pk__in=ids).delete()
    # Out of time, or saved after the last round looked while the lease was held: the next run goes on.
    if PolicyChangePending.objects.exists():
        enqueue_for_store("backorder.tasks.policy_changes_apply")
    return refreshed


def policy_changes_applying() -> dict:
    """What the merchant is shown after saving a policy that governs many variants: whether the background
    refresh is still running, and how far it got."""
    pending = list(PolicyChangePending.objects.values_list("variants_total", "variants_done"))
    if not pending:
        return {"applying": False, "variants_total": 0, "variants_done": 0}
    return {
        "applying": True,
        "variants_total": max(total for total, _done in pending),
        "variants_done": min(done for _total, done in pending),
    }


def variants_governed_by(*, targets: Iterable[tuple[str, int | None]]) -> set[int]:
    """The BigCommerce ids of the live variants a policy at each (scope, bigcommerce_id) can reach: every
    variant for the store, the product's variants, the variants of products in the category or below it."""
    live = Variant.objects.filter(is_deleted=False)
    condition = Q(pk__in=[])
    for scope, bigcommerce_id in set(targets):
        if scope == Scope.STORE:
            return set(live.values_list("bigcommerce_id", flat=True))
        if scope == Scope.VARIANT:
            condition |= Q(bigcommerce_id=bigcommerce_id)
        elif scope == Scope.PRODUCT:
            condition |= Q(product__bigcommerce_id=bigcommerce_id)
        elif scope == Scope.CATEGORY:
            below = Category.objects.filter(path__contains=[bigcommerce_id]).values_list("bigcommerce_id", flat=True)
            condition |= Q(product__category_ids__overlap=[bigcommerce_id, *below])
    return set(live.filter(condition).values_list("bigcommerce_id", flat=True))
