"""Merchant API: the store's BigCommerce customer groups, for choosing whom a policy is for (mounted at
/api/v1/customer-groups/)."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backorder.services.customer_groups import customer_groups_offered


class CustomerGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="BigCommerce's customer group id; 0 = guests and shoppers in no group.")
    name = serializers.CharField()
    is_group_for_guests = serializers.BooleanField(
        help_text="BigCommerce's group for guests (its prices and access); guests are still 0 for policies."
    )
    in_bigcommerce = serializers.BooleanField(help_text="False for a group a policy names that BigCommerce lacks.")


class CustomerGroupsOutputSerializer(serializers.Serializer):
    groups = CustomerGroupSerializer(many=True)
    bigcommerce = serializers.BooleanField(help_text="The list is BigCommerce's (false: only guests and saved ids).")
    message = serializers.CharField(allow_blank=True, help_text="Why BigCommerce could not be asked, if it could not.")


class CustomerGroupsApi(APIView):
    """The customer groups a policy can be for: guests (0), the store's BigCommerce customer groups (read from
    BigCommerce, kept five minutes), and any group a saved policy names."""

    OutputSerializer = CustomerGroupsOutputSerializer

    @extend_schema(
        operation_id="customer_groups_list", responses=CustomerGroupsOutputSerializer,
        summary="Customer groups a policy can be for",
    )  # fmt: skip
    def get(self, request):
        return Response(self.OutputSerializer(customer_groups_offered(store=request.tenant)).data)


urlpatterns = [path("", CustomerGroupsApi.as_view(), name="customer-groups")]
