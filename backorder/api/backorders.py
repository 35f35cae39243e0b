"""Merchant API: backorders (list, detail with timeline, actions one by one or in bulk, summary)."""

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from backorder.api.pagination import paginated
from backorder.models import Backorder, BackorderEvent
from backorder.selectors import backorders_summary, late_backorders_condition
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


class BackorderDetailOutputSerializer(BackorderOutputSerializer):
    timeline = EventOutputSerializer(many=True, source="events.all")
    cancellation_reason = serializers.CharField()


def _actor_label(request) -> str:
    user = request.user
    return getattr(user, "email", "") or getattr(user, "name", "") or "integration"


class BackorderListApi(APIView):
    class BackorderFilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Backorder.Status.choices, required=False)
        product_id = serializers.IntegerField(required=False)
        variant_id = serializers.IntegerField(required=False)
        older_than_days = serializers.IntegerField(required=False, min_value=0)
        late = serializers.BooleanField(required=False)
        q = serializers.CharField(required=False, max_length=200)
        sort = serializers.ChoiceField(choices=list(SORTS), required=False, default="age")

    FilterSerializer = BackorderFilterSerializer

    @extend_schema(
        operation_id="backorders_list",
        parameters=[FilterSerializer],
        responses=BackorderOutputSerializer(many=True),
        summary="Backorders: filter by status, product, variant, age, lateness; search; sort; paginate",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.GET)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        queryset = Backorder.objects.all()
        if "status" in f:
            queryset = queryset.filter(status=f["status"])
        for field in ("product_id", "variant_id"):
            if field in f:
                queryset = queryset.filter(**{field: f[field]})
        if "older_than_days" in f:
            queryset = queryset.filter(order_created_at__lte=timezone.now() - timedelta(days=f["older_than_days"]))
        if f.get("late"):
            queryset = queryset.filter(late_backorders_condition(today=store_today()))
        if f.get("q"):
            term = f["q"].strip()
            match = Q(customer_email__icontains=term) | Q(sku__icontains=term) | Q(product_name__icontains=term)
            if term.isdigit():
                match |= Q(order_id=int(term))
            queryset = queryset.filter(match)
        queryset = queryset.order_by(SORTS[f["sort"]], "id")
        return paginated(request, self, queryset, BackorderOutputSerializer)


class BackorderDetailApi(APIView):
    @extend_schema(operation_id="backorders_retrieve", responses=BackorderDetailOutputSerializer)
    def get(self, request, pk: int):
        backorder = get_object_or_404(Backorder.objects.prefetch_related("events"), pk=pk)
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
        operation_id="backorders_bulk_act", request=BackorderActionInputSerializer, responses=ACTION_RESULT,
        summary="Act on several backorders (ids) at once",
    )  # fmt: skip
    def post(self, request):
        return _act(request, pk=None)


class BackorderActionApi(APIView):
    @extend_schema(
        operation_id="backorders_act", request=BackorderActionInputSerializer, responses=ACTION_RESULT,
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
            "open_value": serializers.DecimalField(max_digits=14, decimal_places=2),
            "average_wait_days": serializers.FloatField(allow_null=True),
            "oldest_wait_days": serializers.FloatField(allow_null=True), "late": serializers.IntegerField(),
            "cancelled": serializers.IntegerField(), "cancellation_rate": serializers.FloatField(allow_null=True),
        }),
        summary="Open backorders, units, value, waits, late count, cancellation rate",
    )  # fmt: skip
    def get(self, request):
        return Response(backorders_summary(now=timezone.now(), today=store_today()))


urlpatterns = [
    path("", BackorderListApi.as_view(), name="backorders"),
    path("summary/", BackorderSummaryApi.as_view(), name="backorders-summary"),
    path("actions/", BackorderBulkActionApi.as_view(), name="backorders-bulk-actions"),
    path("<int:pk>/", BackorderDetailApi.as_view(), name="backorder"),
    path("<int:pk>/actions/", BackorderActionApi.as_view(), name="backorder-actions"),
]
