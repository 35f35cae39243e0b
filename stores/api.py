"""Merchant API about the store itself (store host)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from stores import selectors, services
from stores.permissions import IsStoreOwnerToChange


class StoreDetailApi(APIView):
    """GET: the store this host serves (every member). PATCH: its name, time zone and language (owner only;
    the plan and the address are not the merchant's to change here)."""

    permission_classes = [IsStoreOwnerToChange]

    class StoreChangeInputSerializer(serializers.Serializer):
        name = serializers.CharField(required=False, max_length=100)
        timezone = serializers.CharField(required=False, max_length=64)
        language = serializers.CharField(required=False, max_length=10)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        slug = serializers.CharField()
        status = serializers.CharField()
        plan = serializers.CharField()
        timezone = serializers.CharField()
        language = serializers.CharField()
        public_key = serializers.CharField()
        base_url = serializers.CharField()
        your_role = serializers.CharField(allow_null=True, help_text="null for an API token (not a person).")
        connection = serializers.CharField()
        bigcommerce_store_hash = serializers.CharField(allow_null=True)
        native_backorders = serializers.BooleanField()
        created_at = serializers.DateTimeField()

    @extend_schema(operation_id="store_retrieve", responses=OutputSerializer, summary="The store this host serves")
    def get(self, request):
        return Response(self._output(request))

    @extend_schema(
        operation_id="store_update",
        request=StoreChangeInputSerializer,
        responses=OutputSerializer,
        summary="Rename the store, set its time zone or language (owner only)",
    )
    def patch(self, request):
        data = self.StoreChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.store_details_change(
            store=request.tenant, name=values.get("name"), timezone_name=values.get("timezone"),
            language=values.get("language"),
        )  # fmt: skip
        return Response(self._output(request))

    def _output(self, request) -> dict:
        store = request.tenant
        fields = ("id", "name", "slug", "status", "plan", "timezone", "language", "connection",
                  "bigcommerce_store_hash", "native_backorders", "created_at")  # fmt: skip
        data = {
            **{f: getattr(store, f) for f in fields},
            "public_key": store.public_key,
            "base_url": store.base_url,
            "your_role": selectors.membership_role(user=request.user, store=store),
        }
        return self.OutputSerializer(data).data
