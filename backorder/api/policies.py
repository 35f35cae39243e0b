"""Merchant API: policies (mounted at /api/v1/policies/ on store hosts).

Thin views: the serializers check types, backorder.services.policies checks the rules and writes.
"""

from django.db.models import Case, IntegerField, Value, When
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from backorder.api.availability_serializers import StorefrontAnswerSerializer
from backorder.api.pagination import Pagination
from backorder.models import Policy
from backorder.selectors_products import policy_target_names
from backorder.services import policies as policy_services


class PolicyConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This policy cannot be changed that way."
    default_code = "conflict"


def _policy_or_404(policy_id: int) -> Policy:
    policy = Policy.objects.filter(pk=policy_id).first()
    if policy is None:
        raise exceptions.NotFound(f"This store has no policy {policy_id}.")
    return policy


# -- serializers (module level: their names are the OpenAPI component names, which must be unique) --------

GROUPS_HELP = (
    "The BigCommerce customer groups it is for (0 = guests and shoppers in no group); empty = every shopper. "
    "At one level, a policy naming the shopper's group beats the one for everyone."
)
GROUP_ID_MAX = 2**31 - 1
LOCATION_LIMITS_HELP = (
    'A cap per BigCommerce location instead of max_units there: {"<location id>": units, or null = unlimited} '
    "(GET /api/v1/locations/ lists them). A location not named gets max_units; empty = max_units everywhere."
)
ID_MAX = 2**63 - 1  # the database's bigint: a larger id is a 400, not a failed query


class PolicyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    scope = serializers.ChoiceField(choices=Policy.Scope.choices)
    bigcommerce_id = serializers.IntegerField(allow_null=True, help_text="Null for the store-wide policy.")
    customer_group_ids = serializers.ListField(child=serializers.IntegerField(), help_text=GROUPS_HELP)
    enabled = serializers.BooleanField()
    mode = serializers.ChoiceField(choices=Policy.Mode.choices)
    preorder_starts_on = serializers.DateField(allow_null=True)
    preorder_ends_on = serializers.DateField(allow_null=True)
    max_units = serializers.IntegerField(allow_null=True, help_text="Per variant; null = unlimited.")
    location_limits = serializers.DictField(
        child=serializers.IntegerField(allow_null=True, min_value=0), required=False,
        help_text=LOCATION_LIMITS_HELP + " Present only when the policy sets a cap for some location.",
    )  # fmt: skip
    max_per_order = serializers.IntegerField(allow_null=True, help_text="Null = no per-order limit.")
    lead_time_days = serializers.IntegerField(allow_null=True)
    lead_time_business_days = serializers.BooleanField()
    fixed_ship_date = serializers.DateField(allow_null=True)
    button_label = serializers.CharField()
    product_message = serializers.CharField()
    cart_message = serializers.CharField()
    shipping_preference = serializers.ChoiceField(choices=Policy.ShippingPreference.choices)
    shopper_may_cancel = serializers.ChoiceField(choices=Policy.Cancellation.choices)
    incentive_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    incentive_trigger = serializers.ChoiceField(choices=Policy.IncentiveTrigger.choices, allow_blank=True)
    incentive_after_days = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    target_name = serializers.SerializerMethodField(help_text="What it applies to: category path, product, variant.")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not data.get("location_limits"):  # a policy without caps per location reads as it always did
            data.pop("location_limits", None)
        return data

    def get_target_name(self, policy) -> str:
        names = self.context.get("names")
        if names is None:  # one policy: look its name up
            names = policy_target_names(targets=[(policy.scope, policy.bigcommerce_id)])
        return names.get((policy.scope, policy.bigcommerce_id), "")


class PolicyInputSerializer(serializers.Serializer):
    """What a merchant may set (id and timestamps are ignored if sent)."""

    TEMPLATE_HELP = "Placeholders: {date}, {quantity}, {days}."

    scope = serializers.ChoiceField(choices=Policy.Scope.choices)
    bigcommerce_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="BigCommerce category, product or variant id."
    )
    customer_group_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=GROUP_ID_MAX), required=False, allow_null=True,
        max_length=100, help_text=GROUPS_HELP,
    )  # fmt: skip
    enabled = serializers.BooleanField(required=False)
    mode = serializers.ChoiceField(choices=Policy.Mode.choices, required=False)
    preorder_starts_on = serializers.DateField(required=False, allow_null=True)
    preorder_ends_on = serializers.DateField(required=False, allow_null=True)
    max_units = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    location_limits = serializers.DictField(
        child=serializers.IntegerField(allow_null=True, min_value=0, max_value=GROUP_ID_MAX), required=False,
        allow_null=True, help_text=LOCATION_LIMITS_HELP,
    )  # fmt: skip
    max_per_order = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    lead_time_days = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    lead_time_business_days = serializers.BooleanField(required=False)
    fixed_ship_date = serializers.DateField(required=False, allow_null=True)
    button_label = serializers.CharField(required=False, allow_blank=True, max_length=40)
    product_message = serializers.CharField(required=False, allow_blank=True, max_length=300, help_text=TEMPLATE_HELP)
    cart_message = serializers.CharField(required=False, allow_blank=True, max_length=300, help_text=TEMPLATE_HELP)
    shipping_preference = serializers.ChoiceField(choices=Policy.ShippingPreference.choices, required=False)
    shopper_may_cancel = serializers.ChoiceField(choices=Policy.Cancellation.choices, required=False)
    incentive_percent = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    incentive_trigger = serializers.ChoiceField(
        choices=Policy.IncentiveTrigger.choices, required=False, allow_blank=True, allow_null=True
    )
    incentive_after_days = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class PolicyListFilterSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Policy.Scope.choices, required=False)


class PolicyEffectiveQuerySerializer(serializers.Serializer):
    variant_id = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="BigCommerce variant id.")
    customer_group_id = serializers.IntegerField(
        min_value=0, max_value=GROUP_ID_MAX, default=0,
        help_text="For a shopper of this BigCommerce customer group (default 0: guests and shoppers in no group).",
    )  # fmt: skip


# Where a policy comes from, most specific first (its own enum in the schema, apart from `scope`).
LEVEL_CHOICES = [
    ("variant", "The variant's own policy"),
    ("product", "The product's policy"),
    ("category", "The deepest category policy"),
    ("store", "The store-wide policy"),
]


class PolicyCandidateSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=LEVEL_CHOICES)
    bigcommerce_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(help_text="The product's or category's name (a category with its path).")
    policy_id = serializers.IntegerField()
    customer_group_ids = serializers.ListField(child=serializers.IntegerField(), help_text=GROUPS_HELP)
    enabled = serializers.BooleanField()
    mode = serializers.ChoiceField(choices=Policy.Mode.choices)
    applies = serializers.BooleanField(help_text="True for the one policy that wins.")


class PolicyEffectiveOutputSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    customer_group_id = serializers.IntegerField(help_text="The shopper's customer group it was chosen for.")
    level = serializers.ChoiceField(choices=LEVEL_CHOICES, allow_null=True)
    why = serializers.CharField()
    policy = PolicyOutputSerializer(allow_null=True)
    candidates = PolicyCandidateSerializer(
        many=True, help_text="Every policy above the variant for this shopper's group, most specific first."
    )


# -- views ------------------------------------------------------------------------------------------------

SPECIFICITY = Case(
    *(When(scope=scope, then=Value(rank)) for rank, scope in enumerate(Policy.Scope.values)),
    output_field=IntegerField(),
)


class PolicyListCreateApi(APIView):
    """GET lists the store's policies (store-wide first, then categories, products, variants); POST adds one."""

    pagination_class = Pagination
    FilterSerializer = PolicyListFilterSerializer
    InputSerializer = PolicyInputSerializer
    OutputSerializer = PolicyOutputSerializer

    @extend_schema(
        operation_id="policies_list",
        summary="List policies",
        parameters=[PolicyListFilterSerializer],
        responses=PolicyOutputSerializer(many=True),
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        policies = Policy.objects.order_by(SPECIFICITY, "bigcommerce_id", "id")
        if scope := filters.validated_data.get("scope"):
            policies = policies.filter(scope=scope)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(policies, request, view=self)
        names = policy_target_names(targets=[(p.scope, p.bigcommerce_id) for p in page])
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True, context={"names": names}).data)

    @extend_schema(
        operation_id="policies_create",
        summary="Add a policy",
        request=PolicyInputSerializer,
        responses={201: PolicyOutputSerializer, 400: OpenApiResponse(description="Invalid fields (see 'fields').")},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        policy = policy_services.policy_create(data=serializer.validated_data)
        return Response(self.OutputSerializer(policy).data, status=status.HTTP_201_CREATED)


class PolicyDetailApi(APIView):
    """One policy: read it, change some of its fields, or delete it (not the store-wide one)."""

    InputSerializer = PolicyInputSerializer
    OutputSerializer = PolicyOutputSerializer

    @extend_schema(operation_id="policies_retrieve", summary="A policy", responses=PolicyOutputSerializer)
    def get(self, request, policy_id: int):
        return Response(self.OutputSerializer(_policy_or_404(policy_id)).data)

    @extend_schema(
        operation_id="policies_partial_update",
        summary="Change some fields of a policy",
        request=PolicyInputSerializer(partial=True),
        responses={200: PolicyOutputSerializer, 400: OpenApiResponse(description="Invalid fields (see 'fields').")},
    )
    def patch(self, request, policy_id: int):
        policy = _policy_or_404(policy_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        policy = policy_services.policy_update(policy=policy, data=serializer.validated_data)
        return Response(self.OutputSerializer(policy).data)

    @extend_schema(
        operation_id="policies_destroy",
        summary="Delete a policy (the next level up applies again)",
        responses={
            204: OpenApiResponse(description="Deleted."),
            409: OpenApiResponse(description="The store-wide policy cannot be deleted."),
        },
    )
    def delete(self, request, policy_id: int):
        policy = _policy_or_404(policy_id)
        try:
            policy_services.policy_delete(policy=policy)
        except policy_services.StorePolicyRequired as exc:
            raise PolicyConflict(detail=str(exc), code=exc.code) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class PolicyApplyingOutputSerializer(serializers.Serializer):
    applying = serializers.BooleanField(help_text="A saved change is still being applied to the catalog.")
    variants_total = serializers.IntegerField(help_text="Variants the change governs (0 when none is applying).")
    variants_done = serializers.IntegerField(help_text="Variants already brought up to date.")


class PolicyApplyingApi(APIView):
    """After saving a policy that governs many variants (a store-wide policy of a large catalog) the change is
    applied in the background; shoppers already see the new policy. This is how far it got."""

    OutputSerializer = PolicyApplyingOutputSerializer

    @extend_schema(
        operation_id="policies_applying", summary="Progress of a policy change being applied",
        responses=PolicyApplyingOutputSerializer,
    )  # fmt: skip
    def get(self, request):
        return Response(self.OutputSerializer(policy_services.policy_changes_applying()).data)


class PolicyEffectiveApi(APIView):
    """Which policy applies to a variant, from which level, and why."""

    QuerySerializer = PolicyEffectiveQuerySerializer
    OutputSerializer = PolicyEffectiveOutputSerializer

    @extend_schema(
        operation_id="policies_effective",
        summary="The policy that applies to a variant, and why",
        parameters=[PolicyEffectiveQuerySerializer],
        responses={200: PolicyEffectiveOutputSerializer, 404: OpenApiResponse(description="Unknown variant.")},
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        variant_id = query.validated_data["variant_id"]
        effective = policy_services.policy_effective(
            variant_id=variant_id, customer_group_id=query.validated_data["customer_group_id"]
        )
        if not effective.in_catalog:
            raise exceptions.NotFound(
                f"No variant with BigCommerce id {variant_id} is in the store's catalog; check the id, or wait "
                "for the catalog sync if it is new."
            )
        data = {
            "variant_id": effective.variant_id,
            "product_id": effective.product_id,
            "customer_group_id": effective.customer_group_id,
            "level": effective.level,
            "why": effective.why,
            "policy": effective.policy,
            "candidates": [
                {
                    "level": candidate.level,
                    "bigcommerce_id": candidate.bigcommerce_id,
                    "name": candidate.name,
                    "policy_id": candidate.policy.pk,
                    "customer_group_ids": candidate.policy.customer_group_ids,
                    "enabled": candidate.policy.enabled,
                    "mode": candidate.policy.mode,
                    "applies": index == 0,
                }
                for index, candidate in enumerate(effective.candidates)
            ],
        }
        return Response(self.OutputSerializer(data).data)


class PolicyPreviewInputSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="BigCommerce variant id to preview.")
    quantity = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    locale = serializers.CharField(required=False, max_length=20, help_text="Default: the store's language.")
    policy_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="The policy being edited; omit for a new policy."
    )
    policy = serializers.JSONField(help_text="The policy's fields as edited (same fields as a save).")
    customer_group_id = serializers.IntegerField(
        min_value=0, max_value=GROUP_ID_MAX, default=0,
        help_text="Preview for a shopper of this BigCommerce customer group (default 0: guests).",
    )  # fmt: skip


class PolicyPreviewOutputSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    customer_group_id = serializers.IntegerField(help_text="The shopper's customer group previewed.")
    current = StorefrontAnswerSerializer(help_text="What the storefront shows now.")
    preview = StorefrontAnswerSerializer(help_text="What it would show with the edit saved.")
    applies = serializers.BooleanField(help_text="The edited policy is the one that would apply to this variant.")
    level = serializers.ChoiceField(choices=LEVEL_CHOICES, allow_null=True)
    why = serializers.CharField(help_text="Which policy would apply, and why.")
    current_level = serializers.CharField(allow_null=True, help_text="The level the policy that applies now is at.")
    current_why = serializers.CharField()


class PolicyPreviewApi(APIView):
    """What the storefront widget would show for a variant with a policy edit, before saving it."""

    InputSerializer = PolicyPreviewInputSerializer
    OutputSerializer = PolicyPreviewOutputSerializer

    @extend_schema(
        operation_id="policies_preview",
        summary="Preview an unsaved policy edit on a variant's storefront answer (nothing is saved)",
        request=PolicyPreviewInputSerializer,
        responses={
            200: PolicyPreviewOutputSerializer,
            400: OpenApiResponse(description="Invalid policy fields."),
            404: OpenApiResponse(description="Unknown policy_id."),
        },
    )
    def post(self, request):
        from backorder import texts
        from backorder.services.availability import store_today
        from backorder.services.policy_preview import policy_preview

        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if not isinstance(values["policy"], dict):
            raise exceptions.ValidationError({"policy": ["Send the policy's fields as an object."]})
        policy = _policy_or_404(values["policy_id"]) if values.get("policy_id") else None
        fields = PolicyInputSerializer(data=values["policy"], partial=policy is not None)
        fields.is_valid(raise_exception=True)
        language = texts.language_for(values.get("locale"), request.tenant.language)
        preview = policy_preview(
            variant_id=values["variant_id"], data=fields.validated_data, policy=policy, quantity=values["quantity"],
            language=language, today=store_today(request.tenant), customer_group_id=values["customer_group_id"],
        )  # fmt: skip
        return Response(
            self.OutputSerializer(
                {
                    "variant_id": preview.variant_id,
                    "product_id": preview.product_id,
                    "quantity": preview.quantity,
                    "customer_group_id": preview.customer_group_id,
                    "current": preview.current,
                    "preview": preview.preview,
                    "applies": preview.draft_applies,
                    "level": preview.effective_draft.level,
                    "why": preview.effective_draft.why,
                    "current_level": preview.effective_now.level,
                    "current_why": preview.effective_now.why,
                }
            ).data
        )


urlpatterns = [
    path("", PolicyListCreateApi.as_view(), name="policy-list"),
    path("effective/", PolicyEffectiveApi.as_view(), name="policy-effective"),
    path("applying/", PolicyApplyingApi.as_view(), name="policy-applying"),
    path("preview/", PolicyPreviewApi.as_view(), name="policy-preview"),
    path("<int:policy_id>/", PolicyDetailApi.as_view(), name="policy-detail"),
]
