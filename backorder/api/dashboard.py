"""Merchant API: the dashboard in one call (figures, backorders over time, top variants, at-risk list) and
a new store's onboarding steps."""

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backorder import selectors_dashboard
from backorder.api.backorders import BackorderOutputSerializer
from backorder.selectors import backorders_summary
from backorder.services.availability import store_today


class DashboardQuerySerializer(serializers.Serializer):
    days = serializers.ChoiceField(choices=[7, 30, 90], default=30, help_text="How many days the chart covers.")


class TopVariantSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    product_name = serializers.CharField()
    sku = serializers.CharField()
    units_waiting = serializers.IntegerField()
    backorders = serializers.IntegerField()
    units_incoming = serializers.IntegerField(help_text="On open purchase orders, not received yet.")


class DashboardOutputSerializer(serializers.Serializer):
    summary = inline_serializer(
        "DashboardSummary",
        {
            "open_backorders": serializers.IntegerField(),
            "open_units": serializers.IntegerField(),
            "open_value": serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=False),
            "average_wait_days": serializers.FloatField(allow_null=True),
            "oldest_wait_days": serializers.FloatField(allow_null=True),
            "late": serializers.IntegerField(),
            "at_risk": serializers.IntegerField(),
            "cancelled": serializers.IntegerField(),
            "cancellation_rate": serializers.FloatField(allow_null=True),
        },
    )
    over_time = inline_serializer(
        "BackordersOverTime",
        {
            "days": serializers.IntegerField(),
            "dates": serializers.ListField(child=serializers.DateField()),
            "series": serializers.DictField(
                child=serializers.ListField(child=serializers.IntegerField()),
                help_text="Per status (waiting, allocated, shipped, cancelled): backorders placed each day.",
            ),
        },
    )
    top_variants = TopVariantSerializer(many=True)
    at_risk = inline_serializer(
        "BackordersAtRisk",
        {"count": serializers.IntegerField(), "results": BackorderOutputSerializer(many=True)},
    )
    today = serializers.DateField(help_text="Today in the store's time zone.")


class DashboardApi(APIView):
    QuerySerializer = DashboardQuerySerializer

    @extend_schema(
        operation_id="dashboard",
        parameters=[DashboardQuerySerializer],
        responses=DashboardOutputSerializer,
        summary="The dashboard: figures, backorders placed per day by status, top variants, backorders at risk",
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        store = request.tenant
        today = store_today(store)
        summary = backorders_summary(now=timezone.now(), today=today)
        data = {
            "summary": summary,
            "over_time": selectors_dashboard.backorders_over_time(
                days=int(query.validated_data["days"]), today=today, timezone_name=store.timezone
            ),
            "top_variants": selectors_dashboard.variants_most_backordered(),
            "at_risk": {"count": summary["at_risk"], "results": selectors_dashboard.backorders_at_risk(today=today)},
            "today": today,
        }
        return Response(DashboardOutputSerializer(data).data)


class OnboardingApi(APIView):
    @extend_schema(
        operation_id="onboarding",
        responses=inline_serializer(
            "Onboarding",
            {
                "steps": inline_serializer(
                    "OnboardingStep",
                    {
                        "key": serializers.CharField(),
                        "label": serializers.CharField(),
                        "done": serializers.BooleanField(),
                        "href": serializers.CharField(),
                    },  # fmt: skip
                    many=True,
                ),
                "complete": serializers.BooleanField(),
            },
        ),
        summary="A new store's first steps and which are done",
    )
    def get(self, request):
        steps = selectors_dashboard.onboarding_steps(store=request.tenant)
        return Response({"steps": steps, "complete": all(step["done"] for step in steps)})


urlpatterns = [
    path("", DashboardApi.as_view(), name="dashboard-api"),
    path("onboarding/", OnboardingApi.as_view(), name="onboarding"),
]
