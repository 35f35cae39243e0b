"""What the storefront widget would show for a variant if a policy edit were saved (nothing is saved).

The merchant edits a policy and sees, for a variant they choose and a shopper of one customer group (guests
by default), today's storefront answer next to the answer under the edited policy, with the sentence saying
which policy would apply and why.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError

from backorder.models import Policy, Variant, VariantAvailability
from backorder.models.policy import GUESTS
from backorder.selectors import EffectivePolicy, policies_effective_for_variants
from backorder.services.availability import availability_answer, availability_refresh, availability_row_under
from backorder.services.policies import EDITABLE_FIELDS, policy_validate


@dataclass(frozen=True)
class PolicyPreview:
    variant_id: int
    product_id: int
    quantity: int
    customer_group_id: int
    current: dict
    preview: dict
    effective_now: EffectivePolicy
    effective_draft: EffectivePolicy

    @property
    def draft_applies(self) -> bool:
        """True when the edited policy is the one that would apply to this variant."""
        policy = self.effective_draft.policy
        return policy is not None and getattr(policy, "_is_draft", False)


def policy_draft(*, data: dict, policy: Policy | None) -> Policy:
    """An unsaved policy: `policy` with the changes in `data` (or a new one from `data`), checked by the
    same rules as a save (ValidationError with field messages)."""
    changes = policy_validate(data=data, instance=policy)
    draft = Policy(**{name: getattr(policy, name) for name in EDITABLE_FIELDS}) if policy else Policy()
    draft.pk = policy.pk if policy else None
    for name, value in changes.items():
        setattr(draft, name, value)
    draft._is_draft = True
    return draft


def policy_preview(
    *, variant_id: int, data: dict, policy: Policy | None, quantity: int, language: str, today: date,
    customer_group_id: int = GUESTS,
) -> PolicyPreview:  # fmt: skip
    """The storefront answer for `quantity` units of a variant, for a shopper of `customer_group_id`, now and
    as it would be with the policy edit saved: the edited policy takes the place of the policy it edits, and
    the most specific existing policy still wins (so an edit above a variant's own policy changes nothing for
    it, and an edit for other customer groups changes nothing for this shopper)."""
    draft = policy_draft(data=data, policy=policy)
    variant = Variant.objects.filter(bigcommerce_id=variant_id, is_deleted=False).select_related("product").first()
    if variant is None:
        raise ValidationError(
            {"variant_id": [f"No variant with BigCommerce id {variant_id} is in the store's catalog."]}
        )
    row = VariantAvailability.objects.filter(variant_id=variant_id).first()
    if row is None:  # not computed yet (a variant that arrived moments ago): compute it as any change would
        availability_refresh(variant_ids=[variant_id])
        row = VariantAvailability.objects.get(variant_id=variant_id)
    group = {"customer_group_id": customer_group_id}
    now = policies_effective_for_variants(variant_ids=[variant_id], **group)[variant_id]
    edited = policies_effective_for_variants(variant_ids=[variant_id], draft=draft, **group)[variant_id]
    product_id = variant.product.bigcommerce_id

    def answer(for_row: VariantAvailability) -> dict:
        return availability_answer(rows=[for_row], product_id=product_id, variant_id=variant_id, quantity=quantity,
                                   language=language, today=today)  # fmt: skip

    return PolicyPreview(
        variant_id=variant_id,
        product_id=product_id,
        quantity=quantity,
        customer_group_id=customer_group_id,
        current=answer(availability_row_under(row=row, effective=now)),
        preview=answer(availability_row_under(row=row, effective=edited)),
        effective_now=now,
        effective_draft=edited,
    )
