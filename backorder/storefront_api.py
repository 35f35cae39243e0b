"""Public storefront API (the store comes from the public key in the path; no cookies, no auth)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class StorefrontConfigApi(APIView):
    """What the storefront widget needs to know about the store before it asks about products."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        store_name = serializers.CharField()
        language = serializers.CharField()
        timezone = serializers.CharField()

    @extend_schema(operation_id="storefront_config", responses=OutputSerializer, summary="Widget configuration")
    def get(self, request, public_key: str):
        store = request.tenant
        data = {"store_name": store.name, "language": store.language, "timezone": store.timezone}
        return Response(self.OutputSerializer(data).data)
