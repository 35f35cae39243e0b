"""Merchant API: the health of the store's BigCommerce connection (mounted at /api/v1/connection/).

GET reads what the app last found (no call to BigCommerce); `check/` asks BigCommerce now; `repair/` queues
the reconciliation that re-creates missing webhooks and scripts and replays missed changes.
"""

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from stores.api_schema import ApiErrorSerializer
from stores.bigcommerce import connection_health
from stores.models import Store
from stores.tasks import enqueue_for_store


class NotConnected(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This store is not connected to BigCommerce yet; connect it from the dashboard first."
    default_code = "not_connected"


NOT_CONNECTED = OpenApiResponse(ApiErrorSerializer, description="`not_connected`: connect the store first.")


class ConnectionCheckSerializer(serializers.Serializer):
    checked_at = serializers.DateTimeField()
    token = serializers.ChoiceField(choices=["ok", "refused", "unknown"])
    webhooks = serializers.DictField(allow_null=True)
    scripts = serializers.DictField(allow_null=True)
    error = serializers.CharField(required=False)

    class Meta:
        ref_name = "ConnectionCheck"


class ConnectionHealthApi(APIView):
    @extend_schema(
        operation_id="connection_health",
        summary="The BigCommerce connection: status, scopes, last check of hooks and scripts, events received",
        responses=inline_serializer(
            "ConnectionHealth",
            {
                "connection": serializers.ChoiceField(choices=Store.Connection.choices),
                "store_hash": serializers.CharField(),
                "connected_at": serializers.DateTimeField(allow_null=True),
                "reconciled_at": serializers.DateTimeField(allow_null=True),
                "scopes": serializers.ListField(child=serializers.CharField()),
                "native_backorders": serializers.BooleanField(),
                "last_check": ConnectionCheckSerializer(allow_null=True, help_text="null before the first check."),
                "events": serializers.DictField(),
            },
        ),
    )
    def get(self, request):
        return Response(connection_health.connection_health_read(store=request.tenant))


def _connected(store: Store) -> Store:
    if not store.bigcommerce_store_hash or store.connection == Store.Connection.NOT_CONNECTED:
        raise NotConnected()
    return store


class ConnectionCheckApi(APIView):
    @extend_schema(
        operation_id="connection_check",
        summary="Ask BigCommerce now: token, webhooks, widget scripts (a few seconds at most)",
        request=None,
        responses={200: ConnectionCheckSerializer, 409: NOT_CONNECTED},
    )
    def post(self, request):
        return Response(connection_health.connection_health_check(store=_connected(request.tenant)))


class ConnectionRepairApi(APIView):
    @extend_schema(
        operation_id="connection_repair",
        summary="Re-create missing webhooks and scripts and replay missed changes (runs in the background)",
        request=None,
        responses={
            202: inline_serializer("ConnectionRepairQueued", {"queued": serializers.BooleanField()}),
            409: NOT_CONNECTED,
        },
    )
    def post(self, request):
        store = _connected(request.tenant)
        if store.connection != Store.Connection.CONNECTED:
            raise exceptions.ValidationError(
                {
                    "connection": [
                        "BigCommerce refuses the app's access: open Backorder from your control panel to reconnect."
                    ]
                }
            )
        enqueue_for_store("stores.bigcommerce.tasks.store_reconcile", schema_name=store.schema_name)
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    path("", ConnectionHealthApi.as_view(), name="connection"),
    path("check/", ConnectionCheckApi.as_view(), name="connection-check"),
    path("repair/", ConnectionRepairApi.as_view(), name="connection-repair"),
]
