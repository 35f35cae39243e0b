"""Merchant API about the store itself (store host)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from stores import selectors


class StoreDetailApi(APIView):
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
        your_role = serializers.CharField()

    @extend_schema(operation_id="store_retrieve", responses=OutputSerializer, summary="The store this host serves")
    def get(self, request):
        store = request.tenant
        data = {
            **{f: getattr(store, f) for f in ("id", "name", "slug", "status", "plan", "timezone", "language")},
            "public_key": store.public_key,
            "base_url": store.base_url,
            "your_role": selectors.membership_role(user=request.user, store=store),
        }
        return Response(self.OutputSerializer(data).data)
