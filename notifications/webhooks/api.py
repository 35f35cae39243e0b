"""Merchant API: outbound webhook endpoints (ARCHITECTURE.md, `/api/v1/webhooks/`), their delivery log, replay,
test events and secret rotation.

`GET/POST /api/v1/webhooks/`, `GET/PATCH/DELETE /api/v1/webhooks/<id>/`: `url`, `events`, `enabled`; the
create answer (and a rotation's) carries `secret` (`whsec_…`) once. Every member may read; the owner (signed
in) or the store's API token (an integration subscribing itself) may change. Every payload is documented as a
callback of the create operation, per event type group and payload version.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiCallback, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from backorder.api.pagination import Pagination, paginated
from notifications.automations import catalog
from notifications.webhooks import payloads, services
from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint
from stores import selectors
from stores.authentication import ApiClient
from stores.permissions import IsStoreMember

EVENT_TYPES = list(services.EVENT_TYPES)


class IsOwnerOrIntegrationToChange(IsStoreMember):
    """Members read; the owner (a person) or the store's API token change: an endpoint's secret is as
    sensitive as an API token."""

    message = "Only the store's owner or its API token may change webhooks."

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS") or isinstance(request.user, ApiClient):
            return True
        return selectors.membership_role(user=request.user, store=request.tenant) == "owner"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This cannot be done in the current state."
    default_code = "conflict"


class EndpointOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES),
                                   help_text="Event types sent to it (empty: only what rules send).")  # fmt: skip
    enabled = serializers.BooleanField()
    payload_version = serializers.IntegerField()
    disabled_reason = serializers.CharField(allow_blank=True, help_text="Why it is off, when it is.")
    last_success_at = serializers.DateTimeField(allow_null=True)
    failing_since = serializers.DateTimeField(allow_null=True)
    secret_rotated_until = serializers.DateTimeField(
        source="previous_secret_expires_at", allow_null=True, help_text="The previous secret also signs until then."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class EndpointCreatedSerializer(EndpointOutputSerializer):
    secret = serializers.CharField(help_text="`whsec_…`: shown this once; verify signatures with it.")


class EndpointInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000, help_text="https://… (no loopback or private networks).")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES), required=False, default=list)
    enabled = serializers.BooleanField(required=False, default=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class EndpointPatchSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000, required=False)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES), required=False)
    enabled = serializers.BooleanField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)


_HEADERS = (
    "Headers (Standard Webhooks): `webhook-id`, the message id, the same on every retry of this event to this "
    "endpoint (dedupe on it); `webhook-timestamp`, Unix seconds of this attempt (reject old ones); "
    "`webhook-signature`, `v1,<base64 HMAC-SHA256 of id.timestamp.body>` keyed with the bytes of the secret's "
    "base64 part, followed during a secret rotation by a second space-separated `v1,` signature. "
)


def _receiver(**kwargs):
    """extend_schema for the receiving end: the plain schema class, since the merchant API's error answers
    (stores.api_schema) are not the receiver's."""

    def decorate(view_class):
        view_class.schema = AutoSchema()
        return extend_schema(**kwargs)(view_class)

    return decorate


def _callback(subject: str, types: list[str]) -> OpenApiCallback:
    return OpenApiCallback(
        name=f"{subject}_events_v{payloads.PAYLOAD_VERSION}",
        path="{$request.body#/url}",
        decorator=_receiver(
            summary=f"Webhook: {', '.join(types)}",
            description=_HEADERS + "Any 2xx answer acknowledges the message; anything else is retried after 5 s, "
                                   "5 min, 30 min, 2 h, 5 h, 10 h and 10 h, then the delivery fails.",
            request=payloads.PAYLOADS_BY_SUBJECT[subject],
            responses={200: OpenApiResponse(description="Received (any 2xx).")},
        ),
    )  # fmt: skip


CALLBACKS = [
    _callback(subject, [name for name, t in catalog.TRIGGERS.items() if t.subject == subject]
              + ([catalog.TEST_EVENT] if subject == "backorder" else []))
    for subject in payloads.PAYLOADS_BY_SUBJECT
]  # fmt: skip


def _endpoint(pk: int) -> WebhookEndpoint:
    try:
        return services.endpoint_get(pk)
    except WebhookEndpoint.DoesNotExist:
        raise exceptions.NotFound("No webhook endpoint of that id.") from None


class EndpointListApi(APIView):
    permission_classes = [IsOwnerOrIntegrationToChange]
    pagination_class = Pagination

    @extend_schema(operation_id="webhooks_list", summary="Webhook endpoints",
                   responses=EndpointOutputSerializer(many=True))  # fmt: skip
    def get(self, request):
        return paginated(request, self, WebhookEndpoint.objects.filter(deleted_at__isnull=True).order_by("id"),
                         EndpointOutputSerializer)  # fmt: skip

    @extend_schema(operation_id="webhooks_create", summary="Subscribe a URL to events (the secret is shown once)",
                   request=EndpointInputSerializer, responses={201: EndpointCreatedSerializer},
                   callbacks=CALLBACKS)  # fmt: skip
    def post(self, request):
        serializer = EndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint = services.endpoint_create(url=data["url"], events=list(data["events"]), enabled=data["enabled"],
                                            description=data["description"])  # fmt: skip
        return Response(EndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointDetailApi(APIView):
    permission_classes = [IsOwnerOrIntegrationToChange]

    @extend_schema(operation_id="webhooks_retrieve", summary="A webhook endpoint", responses=EndpointOutputSerializer)
    def get(self, request, webhook_id: int):
        return Response(EndpointOutputSerializer(_endpoint(webhook_id)).data)

    @extend_schema(operation_id="webhooks_partial_update", summary="Change an endpoint, switch it on or off",
                   request=EndpointPatchSerializer, responses=EndpointOutputSerializer)  # fmt: skip
    def patch(self, request, webhook_id: int):
        endpoint = _endpoint(webhook_id)
        serializer = EndpointPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint = services.endpoint_update(
            endpoint=endpoint, url=data.get("url"), events=list(data["events"]) if "events" in data else None,
            enabled=data.get("enabled"), description=data.get("description"),
        )  # fmt: skip
        return Response(EndpointOutputSerializer(endpoint).data)

    @extend_schema(operation_id="webhooks_destroy", summary="Delete an endpoint (its secret is erased)",
                   responses={204: None})  # fmt: skip
    def delete(self, request, webhook_id: int):
        services.endpoint_delete(endpoint=_endpoint(webhook_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRotateApi(APIView):
    permission_classes = [IsOwnerOrIntegrationToChange]

    @extend_schema(operation_id="webhooks_rotate_secret",
                   summary="A new secret (shown once); the old one also signs for 24 hours", request=None,
                   responses=EndpointCreatedSerializer)  # fmt: skip
    def post(self, request, webhook_id: int):
        endpoint, secret = services.endpoint_secret_rotate(endpoint=_endpoint(webhook_id))
        endpoint.secret = secret
        return Response(EndpointCreatedSerializer(endpoint).data)


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    message_id = serializers.CharField(help_text="The `webhook-id` header.")
    event_type = serializers.CharField(source="event.type")
    event_id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField(source="event.occurred_at")
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    response_status = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class AttemptSerializer(serializers.Serializer):
    at = serializers.CharField()
    status = serializers.IntegerField(allow_null=True)
    ms = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)


class DeliveryDetailOutputSerializer(DeliveryOutputSerializer):
    response_body = serializers.CharField(allow_blank=True)
    attempt_log = AttemptSerializer(many=True)
    body = serializers.SerializerMethodField(help_text="The JSON body sent (and signed).")

    def get_body(self, delivery) -> str:
        event = delivery.event
        return payloads.body(event_type=event.type, occurred_at=event.occurred_at, data=event.data).decode()


class DeliveryFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices, required=False)


class DeliveryListApi(APIView):
    permission_classes = [IsOwnerOrIntegrationToChange]
    pagination_class = Pagination

    @extend_schema(operation_id="webhooks_deliveries_list", summary="An endpoint's delivery log, newest first",
                   parameters=[DeliveryFilterSerializer], responses=DeliveryOutputSerializer(many=True))  # fmt: skip
    def get(self, request, webhook_id: int):
        endpoint = _endpoint(webhook_id)
        filters = DeliveryFilterSerializer(data=request.GET)
        filters.is_valid(raise_exception=True)
        rows = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-created_at", "-id")
        if filters.validated_data.get("status"):
            rows = rows.filter(status=filters.validated_data["status"])
        return paginated(request, self, rows, DeliveryOutputSerializer)


def _delivery(webhook_id: int, delivery_id: int) -> WebhookDelivery:
    row = (
        WebhookDelivery.objects.select_related("event", "endpoint")
        .filter(pk=delivery_id, endpoint=_endpoint(webhook_id))
        .first()
    )
    if row is None:
        raise exceptions.NotFound("No delivery of that id.")
    return row


class DeliveryDetailApi(APIView):
    permission_classes = [IsOwnerOrIntegrationToChange]

    @extend_schema(operation_id="webhooks_deliveries_retrieve", summary="A delivery: body, attempts, answer",
                   responses=DeliveryDetailOutputSerializer)  # fmt: skip
    def get(self, request, webhook_id: int, delivery_id: int):
        return Response(DeliveryDetailOutputSerializer(_delivery(webhook_id, delivery_id)).data)


class DeliveryReplayApi(APIView):
    permission_classes = [IsOwnerOrIntegrationToChange]

    @extend_schema(
        operation_id="webhooks_deliveries_replay",
        summary="Send a delivered or failed delivery again (same webhook-id and body)",
        request=None,
        responses={
            202: DeliveryOutputSerializer,
            409: OpenApiResponse(description="Still on its way, or the endpoint is off."),
        },
    )
    def post(self, request, webhook_id: int, delivery_id: int):
        try:
            row = services.delivery_replay(delivery=_delivery(webhook_id, delivery_id))
        except services.DeliveryNotReplayable as exc:
            raise Conflict(str(exc)) from None
        return Response(DeliveryOutputSerializer(_delivery(webhook_id, row.pk)).data, status=status.HTTP_202_ACCEPTED)


class EndpointTestApi(APIView):
    permission_classes = [IsOwnerOrIntegrationToChange]

    @extend_schema(operation_id="webhooks_test", summary="Send a `webhook.test` event to this endpoint (one try)",
                   request=None, responses={202: DeliveryOutputSerializer})  # fmt: skip
    def post(self, request, webhook_id: int):
        row = services.endpoint_test_send(endpoint=_endpoint(webhook_id))
        return Response(DeliveryOutputSerializer(_delivery(webhook_id, row.pk)).data, status=status.HTTP_202_ACCEPTED)


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    about = serializers.CharField(help_text="What `data` holds: backorder, purchase_order, variant or stock_alert.")
    payload_schema = serializers.CharField(help_text="The body's schema in this OpenAPI document.")


class EventTypeListApi(APIView):
    @extend_schema(operation_id="webhooks_event_types", summary="Every event type an endpoint can subscribe to",
                   responses=EventTypeSerializer(many=True))  # fmt: skip
    def get(self, request):
        rows = [{"type": t.name, "label": t.label, "description": t.description, "about": t.subject,
                 "payload_schema": payloads.PAYLOADS_BY_SUBJECT[t.subject].__name__}
                for t in catalog.TRIGGERS.values()]  # fmt: skip
        return Response(EventTypeSerializer(rows, many=True).data)
