"""Merchant API: the store's BigCommerce locations and whether each sells online (mounted at /api/v1/locations/)."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backorder.models import Location
from backorder.services.locations import location_update


class LocationOutputSerializer(serializers.Serializer):
    location_id = serializers.IntegerField(source="bigcommerce_id")
    code = serializers.CharField()
    label = serializers.CharField()
    is_default = serializers.BooleanField(help_text="BigCommerce's default location, the shipping origin.")
    enabled = serializers.BooleanField(help_text="BigCommerce's: it takes orders and its stock can change.")
    sells_online = serializers.BooleanField(
        help_text="Its stock counts for the storefront (BigCommerce counts the default location only, unless "
        "support switched on aggregated stock: then every enabled location)."
    )
    counts_online = serializers.BooleanField(help_text="Sells online and is enabled.")


class LocationListApi(APIView):
    @extend_schema(operation_id="locations_list", responses=LocationOutputSerializer(many=True),
                   summary="The store's BigCommerce locations")  # fmt: skip
    def get(self, request):
        locations = Location.objects.filter(is_removed=False).order_by("bigcommerce_id")
        return Response(LocationOutputSerializer(locations, many=True).data)


class LocationDetailApi(APIView):
    class LocationUpdateInputSerializer(serializers.Serializer):
        sells_online = serializers.BooleanField()

    InputSerializer = LocationUpdateInputSerializer

    @extend_schema(operation_id="locations_update", request=InputSerializer, responses=LocationOutputSerializer,
                   summary="Say whether the storefront sells a location's stock")  # fmt: skip
    def patch(self, request, location_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            location = get_object_or_404(Location.objects.select_for_update(), bigcommerce_id=location_id,
                                         is_removed=False)  # fmt: skip
            location = location_update(location=location, sells_online=data.validated_data["sells_online"])
        return Response(LocationOutputSerializer(location).data)


urlpatterns = [
    path("", LocationListApi.as_view(), name="locations"),
    path("<int:location_id>/", LocationDetailApi.as_view(), name="location"),
]
