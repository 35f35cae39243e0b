"""Merchant API: backorders (list, detail with timeline, actions one by one or in bulk, summary)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from backorder.api.export import backorders_csv
from backorder.api.pagination import Pagination, paginated
from backorder.models import Backorder, BackorderEvent
from backorder.selectors import backorders_matching, backorders_summary
from backorder.services import backorder_actions
from backorder.services.availability import store_today
from backorder.services.lifecycle import IllegalTransition

SORTS = {"age": "order_created_at", "-age": "-order_created_at", "date": "expected_ship_date",
         "-date": "-expected_ship_date", "quantity": "quantity", "-quantity": "-quantity", "order": "order_id",
         "-order": "-order_id"}  # fmt: skip


class BackorderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    order_line_id = serializers.IntegerField()
    order_created_at = serializers.DateTimeField()
    product_id = serializers.IntegerField()
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    product_name = serializers.CharField()
    quantity = serializers.IntegerField()
    quantity_allocated = serializers.IntegerField()
    quantity_shipped = serializers.IntegerField()
    status = serializers.CharField()
    expected_ship_date = serializers.DateField(allow_null=True)
    promised_ship_date = serializers.DateField(allow_null=True)
    customer_email = serializers.EmailField()
    customer_name = serializers.CharField()
    shipping_preference = serializers.CharField()
    location_id = serializers.IntegerField(help_text="The BigCommerce location it waits at.")
    pickup = serializers.BooleanField(help_text="The shopper collects it at that location.")
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=4)
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()


class EventOutputSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    actor = serializers.CharField()
    actor_label = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    details = serializers.JSONField()


class AllocationOutputSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(help_text="Negative when units were released again.")
    source = serializers.CharField(help_text="restock, purchase_order:<id>, merchant, release, …")
    location_id = serializers.IntegerField(help_text="The BigCommerce location the units came from.")
    created_at = serializers.DateTimeField()


class IncentiveOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    trigger = serializers.CharField()
    status = serializers.CharField()
    expires_on = serializers.DateField()
    created_at = serializers.DateTimeField()
    offered_at = serializers.DateTimeField(allow_null=True)


class BackorderDetailOutputSerializer(BackorderOutputSerializer):
    timeline = EventOutputSerializer(many=True, source="events.all")
    allocations = AllocationOutputSerializer(many=True, source="allocations.all")
    incentive = serializers.SerializerMethodField(help_text="The coupon offered for the wait, if any.")
    cancellation_reason = serializers.CharField()
    customer_locale = serializers.CharField()
    allocated_at = serializers.DateTimeField(allow_null=True)
    shipped_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(IncentiveOutputSerializer(allow_null=True))
    def get_incentive(self, backorder) -> dict | None:
        incentive = getattr(backorder, "incentive", None)  # no coupon: the reverse lookup raises AttributeError
        return IncentiveOutputSerializer(incentive).data if incentive is not None else None


def _actor_label(request) -> str:
    user = request.user
    return getattr(user, "email", "") or getattr(user, "name", "") or "integration"


class BackorderListApi(APIView):
    pagination_class = Pagination  # the list is paginated (`paginated`); this tells the OpenAPI schema

    class BackorderFilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Backorder.Status.choices, required=False)
        product_id = serializers.IntegerField(required=False)
        variant_id = serializers.IntegerField(required=False)
        older_than_days = serializers.IntegerField(required=False, min_value=0, max_value=36_500)  # timedelta overflow
        late = serializers.BooleanField(required=False)
        at_risk = serializers.BooleanField(required=False, help_text="Past, or within 3 days of, their date.")
        ordered_from = serializers.DateField(required=False, help_text="Orders placed on or after (store's day).")
        ordered_to = serializers.DateField(required=False, help_text="Orders placed on or before (store's day).")
        q = serializers.CharField(required=False, max_length=200)
        sort = serializers.ChoiceField(choices=list(SORTS), required=False, default="age")

        def validate(self, attrs):
            if attrs.get("ordered_from") and attrs.get("ordered_to") and attrs["ordered_to"] < attrs["ordered_from"]:
                raise ValidationError({"ordered_to": ["The range must end on or after the day it starts."]})
            return attrs

    FilterSerializer = BackorderFilterSerializer

    @extend_schema(
        operation_id="backorders_list",
        parameters=[FilterSerializer],
        responses=BackorderOutputSerializer(many=True),
        summary="Backorders: filter by status, product, variant, age, lateness; search; sort; paginate",
    )
    def get(self, request):
        queryset = _matching(request, self.FilterSerializer)
        return paginated(request, self, queryset, BackorderOutputSerializer)


def _matching(request, filter_serializer, extra: dict | None = None):
    filters = filter_serializer(data=request.GET)
    filters.is_valid(raise_exception=True)
    f = dict(filters.validated_data)
    sort = f.pop("sort")
    store = request.tenant
    queryset = backorders_matching(today=store_today(store), timezone_name=store.timezone, **f, **(extra or {}))
    # The tie-break follows the sort's direction, so one index serves the order both ways.
    return queryset.order_by(SORTS[sort], "-id" if SORTS[sort].startswith("-") else "id")


class BackorderExportApi(APIView):
    """The backorders the filters select (or the `ids` given) as a CSV file, for a spreadsheet."""

    class BackorderExportFilterSerializer(BackorderListApi.BackorderFilterSerializer):
        ids = serializers.CharField(required=False, help_text="Comma-separated backorder ids (bulk export).")

        def validate_ids(self, value: str) -> list[int]:
            try:
                ids = [int(part) for part in value.split(",") if part.strip()]
            except ValueError as exc:
                raise ValidationError("List backorder ids as numbers separated by commas.") from exc
            if not ids or len(ids) > 5000:
                raise ValidationError("Name between 1 and 5,000 backorders.")
            return ids

    @extend_schema(
        operation_id="backorders_export", parameters=[BackorderExportFilterSerializer],
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="Export backorders (filters as for the list, or ids) as CSV",
    )  # fmt: skip
    def get(self, request):
        queryset = _matching(request, self.BackorderExportFilterSerializer)
        response = StreamingHttpResponse(backorders_csv(queryset), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="backorders-{request.tenant.slug}-{stamp}.csv"'
        return response


class BackorderDetailApi(APIView):
    @extend_schema(operation_id="backorders_retrieve", responses=BackorderDetailOutputSerializer)
    def get(self, request, pk: int):
        backorders = Backorder.objects.select_related("incentive").prefetch_related("events", "allocations")
        backorder = get_object_or_404(backorders, pk=pk)
        return Response(BackorderDetailOutputSerializer(backorder).data)


class BackorderActionInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["allocate", "cancel", "change_date", "mark_shipped"])
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500, required=False)
    expected_ship_date = serializers.DateField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    refund = serializers.BooleanField(required=False, default=True)


ACTION_RESULT = inline_serializer(
    "BackorderActionResult",
    {
        "done": serializers.ListField(child=serializers.IntegerField()),
        "refused": serializers.DictField(child=serializers.CharField()),
    },
)


class BackorderBulkActionApi(APIView):
    """One action on several backorders: allocate now, cancel, change date, mark shipped."""

    @extend_schema(
        operation_id="backorders_bulk_act", request=BackorderActionInputSerializer,
        responses={200: ACTION_RESULT, 409: ACTION_RESULT},  # 409: every one refused
        summary="Act on several backorders (ids) at once",
    )  # fmt: skip
    def post(self, request):
        return _act(request, pk=None)


class BackorderActionApi(APIView):
    @extend_schema(
        operation_id="backorders_act", request=BackorderActionInputSerializer,
        responses={200: ACTION_RESULT, 409: ACTION_RESULT},  # 409: every one refused
        summary="Act on one backorder: allocate now, cancel, change date, mark shipped",
    )  # fmt: skip
    def post(self, request, pk: int):
        return _act(request, pk=pk)


def _act(request, pk: int | None) -> Response:
    data = BackorderActionInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    ids = [pk] if pk is not None else data.validated_data.get("ids")
    if not ids:
        raise ValidationError({"ids": ["Name the backorders to act on."]})
    if data.validated_data["action"] == "change_date" and "expected_ship_date" not in data.validated_data:
        raise ValidationError({"expected_ship_date": ["A new date is needed to change the date."]})
    found = {b.pk: b for b in Backorder.objects.filter(pk__in=ids)}
    if pk is not None and pk not in found:
        get_object_or_404(Backorder, pk=pk)
    done, refused = [], {}
    for backorder_id in ids:
        backorder = found.get(backorder_id)
        if backorder is None:
            refused[str(backorder_id)] = "No such backorder."
            continue
        try:
            backorder_actions.backorder_act(
                backorder=backorder,
                action=data.validated_data["action"],
                actor=BackorderEvent.Actor.MERCHANT,
                actor_label=_actor_label(request),
                expected_ship_date=data.validated_data.get("expected_ship_date"),
                reason=data.validated_data["reason"],
                refund=data.validated_data["refund"],
            )
            done.append(backorder_id)
        except (IllegalTransition, DjangoValidationError) as exc:
            refused[str(backorder_id)] = str(exc.messages[0] if hasattr(exc, "messages") else exc)
    return Response({"done": done, "refused": refused}, status=200 if done or not refused else 409)


class BackorderSummaryApi(APIView):
    @extend_schema(
        operation_id="backorders_summary",
        responses=inline_serializer("BackorderSummary", {
            "open_backorders": serializers.IntegerField(), "open_units": serializers.IntegerField(),
            "open_value": serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=False),
            "average_wait_days": serializers.FloatField(allow_null=True),
            "oldest_wait_days": serializers.FloatField(allow_null=True), "late": serializers.IntegerField(),
            "at_risk": serializers.IntegerField(help_text="Waiting, and past or within 3 days of their date."),
            "cancelled": serializers.IntegerField(), "cancellation_rate": serializers.FloatField(allow_null=True),
        }),
        summary="Open backorders, units, value, waits, late count, cancellation rate",
    )  # fmt: skip
    def get(self, request):
        return Response(backorders_summary(now=timezone.now(), today=store_today()))


urlpatterns = [
    path("", BackorderListApi.as_view(), name="backorders"),
    path("summary/", BackorderSummaryApi.as_view(), name="backorders-summary"),
    path("export/", BackorderExportApi.as_view(), name="backorders-export"),
    path("actions/", BackorderBulkActionApi.as_view(), name="backorders-bulk-actions"),
    path("<int:pk>/", BackorderDetailApi.as_view(), name="backorder"),
    path("<int:pk>/actions/", BackorderActionApi.as_view(), name="backorder-actions"),
]
