"""Merchant API: purchase orders (incoming stock) and receiving them."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from backorder.api.pagination import Pagination, paginated
from backorder.models import PurchaseOrder, PurchaseOrderLine, PurchaseOrderReceipt
from backorder.services import purchase_orders as services
from backorder.services.availability import store_today


class LineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    variant_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    quantity_received = serializers.IntegerField()
    expected_date = serializers.DateField()


class PurchaseOrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    supplier = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.CharField()
    notes = serializers.CharField()
    location_id = serializers.IntegerField(help_text="The BigCommerce location that receives it.")
    lines = LineOutputSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ReceiptOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lines = serializers.JSONField(help_text='[{"variant_id", "quantity"}]')
    received_at = serializers.DateTimeField()


class ResultingAllocationSerializer(serializers.Serializer):
    backorder_id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    variant_id = serializers.IntegerField()
    customer_email = serializers.EmailField()
    quantity = serializers.IntegerField()
    backorder_status = serializers.CharField()
    created_at = serializers.DateTimeField()


class DetailLineOutputSerializer(LineOutputSerializer):
    product_name = serializers.CharField(default="")
    option_label = serializers.CharField(default="")
    sku = serializers.CharField(default="")


class PurchaseOrderDetailOutputSerializer(PurchaseOrderOutputSerializer):
    lines = DetailLineOutputSerializer(many=True)
    receipts = ReceiptOutputSerializer(many=True)
    allocations = ResultingAllocationSerializer(many=True, help_text="Units its receipts gave to backorders.")


def _output(order: PurchaseOrder) -> dict:
    return PurchaseOrderOutputSerializer(order).data


def _detail(pk: int) -> dict:
    from backorder.selectors_products import purchase_order_allocations, variant_labels

    lines_in_order = Prefetch("lines", queryset=PurchaseOrderLine.objects.order_by("id"))
    receipts_newest_first = Prefetch("receipts", queryset=PurchaseOrderReceipt.objects.order_by("-received_at", "-id"))
    order = PurchaseOrder.objects.prefetch_related(lines_in_order, receipts_newest_first).get(pk=pk)
    order.allocations = purchase_order_allocations(purchase_order=order)
    lines = list(order.lines.all())
    labels = variant_labels(variant_ids=[line.variant_id for line in lines])
    data = PurchaseOrderDetailOutputSerializer(order).data
    for line in data["lines"]:
        line.update(labels.get(line["variant_id"], {}))
    return data


class PurchaseOrderListCreateApi(APIView):
    pagination_class = Pagination  # the list is paginated (`paginated`); this tells the OpenAPI schema

    class PurchaseOrderCreateInputSerializer(serializers.Serializer):
        class PurchaseOrderLineInputSerializer(serializers.Serializer):
            variant_id = serializers.IntegerField(min_value=1)
            quantity = serializers.IntegerField(min_value=1)
            expected_date = serializers.DateField()

        supplier = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
        reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
        notes = serializers.CharField(required=False, allow_blank=True, default="")
        location_id = serializers.IntegerField(
            required=False, min_value=1, help_text="The BigCommerce location that receives it (default: location 1)."
        )
        lines = PurchaseOrderLineInputSerializer(many=True)

    InputSerializer = PurchaseOrderCreateInputSerializer

    @extend_schema(
        operation_id="purchase_orders_list", responses=PurchaseOrderOutputSerializer(many=True),
        summary="Purchase orders, newest first",
    )  # fmt: skip
    def get(self, request):
        orders = PurchaseOrder.objects.prefetch_related("lines").order_by("-created_at", "-id")
        if request.GET.get("status"):
            orders = orders.filter(status=request.GET["status"])
        return paginated(request, self, orders, PurchaseOrderOutputSerializer)

    @extend_schema(
        operation_id="purchase_orders_create", request=InputSerializer, responses={201: PurchaseOrderOutputSerializer},
        summary="Record stock ordered from a supplier",
    )  # fmt: skip
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lines = [services.LineInput(**line) for line in data.validated_data["lines"]]
        order = services.purchase_order_create(
            lines=lines,
            supplier=data.validated_data["supplier"],
            reference=data.validated_data["reference"],
            notes=data.validated_data["notes"],
            location_id=data.validated_data.get("location_id"),
            today=store_today(),
        )
        return Response(_output(order), status=status.HTTP_201_CREATED)


class PurchaseOrderDetailApi(APIView):
    class PurchaseOrderUpdateInputSerializer(serializers.Serializer):
        supplier = serializers.CharField(required=False, allow_blank=True, max_length=200)
        reference = serializers.CharField(required=False, allow_blank=True, max_length=100)
        notes = serializers.CharField(required=False, allow_blank=True)
        status = serializers.ChoiceField(choices=[PurchaseOrder.Status.CANCELLED], required=False)

    InputSerializer = PurchaseOrderUpdateInputSerializer

    @extend_schema(operation_id="purchase_orders_retrieve", responses=PurchaseOrderDetailOutputSerializer)
    def get(self, request, pk: int):
        get_object_or_404(PurchaseOrder, pk=pk)
        return Response(_detail(pk))

    @extend_schema(
        operation_id="purchase_orders_update", request=InputSerializer,
        responses=PurchaseOrderDetailOutputSerializer,
        summary="Change supplier, reference or notes, or cancel (status: cancelled)",
    )  # fmt: skip
    def patch(self, request, pk: int):
        order = get_object_or_404(PurchaseOrder, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k != "status"}
        services.purchase_order_update(order=order, **fields)
        if data.validated_data.get("status") == PurchaseOrder.Status.CANCELLED:
            services.purchase_order_cancel(order=order)
        return Response(_detail(pk))


class PurchaseOrderReceiveApi(APIView):
    class PurchaseOrderReceiveInputSerializer(serializers.Serializer):
        class ReceivedLineInputSerializer(serializers.Serializer):
            variant_id = serializers.IntegerField(min_value=1)
            quantity = serializers.IntegerField(min_value=1)

        lines = ReceivedLineInputSerializer(many=True, required=False)

    InputSerializer = PurchaseOrderReceiveInputSerializer

    @extend_schema(
        operation_id="purchase_orders_receive", request=InputSerializer,
        responses=PurchaseOrderDetailOutputSerializer,
        summary="Receive units (nothing given = everything outstanding); allocation follows within seconds",
    )  # fmt: skip
    def post(self, request, pk: int):
        order = get_object_or_404(PurchaseOrder, pk=pk)
        data = self.InputSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        lines = data.validated_data.get("lines")
        received = None if lines is None else [(line["variant_id"], line["quantity"]) for line in lines]
        services.purchase_order_receive(order=order, received=received)
        return Response(_detail(pk))


class PurchaseOrderLineRescheduleApi(APIView):
    class PurchaseOrderLineRescheduleInputSerializer(serializers.Serializer):
        expected_date = serializers.DateField(required=False)
        quantity = serializers.IntegerField(required=False, min_value=1, help_text="Not below the units received.")

        def validate(self, attrs):
            if not attrs:
                raise serializers.ValidationError("Send a new expected_date, a new quantity, or both.")
            return attrs

    InputSerializer = PurchaseOrderLineRescheduleInputSerializer

    @extend_schema(
        operation_id="purchase_orders_line_reschedule", request=InputSerializer,
        responses=PurchaseOrderDetailOutputSerializer,
        summary="Move a line's expected date or change its quantity (the waiting backorders' dates follow)",
    )  # fmt: skip
    def patch(self, request, pk: int, line_id: int):
        order = get_object_or_404(PurchaseOrder, pk=pk)
        line = get_object_or_404(order.lines, pk=line_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "quantity" in data.validated_data:
            services.purchase_order_line_quantity_change(line=line, quantity=data.validated_data["quantity"])
        if "expected_date" in data.validated_data:
            services.purchase_order_line_reschedule(
                line=line, expected_date=data.validated_data["expected_date"], today=store_today()
            )
        return Response(_detail(pk))


urlpatterns = [
    path("", PurchaseOrderListCreateApi.as_view(), name="purchase-orders"),
    path("<int:pk>/", PurchaseOrderDetailApi.as_view(), name="purchase-order"),
    path("<int:pk>/receive/", PurchaseOrderReceiveApi.as_view(), name="purchase-order-receive"),
    path("<int:pk>/lines/<int:line_id>/", PurchaseOrderLineRescheduleApi.as_view(), name="purchase-order-line"),
]
