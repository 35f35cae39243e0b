"""What a webhook delivery says: the body `{"type", "timestamp", "data"}` and, per event type, its `data`.

Payload version 1 (an endpoint's `payload_version`): events about a backorder carry
`{"backorder": <the merchant API's backorder>}` (GET /api/v1/backorders/<id>/ without its timeline); a
purchase order's `{"purchase_order": …, "lines": […]}` (the lines the event is about); a variant's
`{"variant": …}`; a notify-me sign-up's `{"stock_alert": …}`. `data` is a snapshot taken when the event
happened (stored with the event), so a retry a day later says what was true then. Fields are only ever added
within a version; a change that removes or renames one makes version 2, which endpoints opt into.

The same serializers document the payloads in the merchant OpenAPI schema (callbacks of
`POST /api/v1/webhooks/`), so the schema and the bytes sent cannot drift apart.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework import serializers

from backorder.api.backorders import BackorderOutputSerializer

PAYLOAD_VERSION = 1


class PurchaseOrderPayloadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    supplier = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.CharField()


class PurchaseOrderLinePayloadSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="The line's id (null in a receipt).")
    variant_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField(help_text="Units ordered (overdue) or received (received).")
    quantity_outstanding = serializers.IntegerField()
    expected_date = serializers.DateField(allow_null=True)


class VariantPayloadSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    sku = serializers.CharField()
    product_name = serializers.CharField()
    on_hand = serializers.IntegerField(allow_null=True)


class StockAlertPayloadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    product_id = serializers.IntegerField()
    variant_id = serializers.IntegerField(allow_null=True)
    locale = serializers.CharField()
    created_at = serializers.DateTimeField()


class BackorderDataSerializer(serializers.Serializer):
    backorder = BackorderOutputSerializer()


class PurchaseOrderDataSerializer(serializers.Serializer):
    purchase_order = PurchaseOrderPayloadSerializer()
    lines = PurchaseOrderLinePayloadSerializer(many=True)


class VariantDataSerializer(serializers.Serializer):
    variant = VariantPayloadSerializer()


class StockAlertDataSerializer(serializers.Serializer):
    stock_alert = StockAlertPayloadSerializer()


def _envelope(name: str, data_serializer, types: str) -> type[serializers.Serializer]:
    return type(name, (serializers.Serializer,), {
        "type": serializers.CharField(help_text=f"The event type: {types}."),
        "timestamp": serializers.DateTimeField(help_text="When the event happened (ISO 8601, UTC)."),
        "data": data_serializer(),
        "__doc__": f"Webhook body (payload version {PAYLOAD_VERSION}) of {types}.",
    })  # fmt: skip


def _plain(data) -> dict:
    """DRF output (ReturnDict, Decimal, dates) as plain JSON values."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def backorder_data(backorder) -> dict:
    return {"backorder": _plain(BackorderOutputSerializer(backorder).data)}


def purchase_order_data(order, lines: list[dict]) -> dict:
    return {"purchase_order": _plain(PurchaseOrderPayloadSerializer(order).data), "lines": _plain(lines)}


def variant_data(variant: dict) -> dict:
    return {"variant": _plain(variant)}


def stock_alert_data(subscription) -> dict:
    return {"stock_alert": _plain(StockAlertPayloadSerializer(subscription).data)}


def body(*, event_type: str, occurred_at: datetime, data: dict) -> bytes:
    """The exact bytes sent (and signed): compact JSON, the same on every attempt."""
    envelope = {"type": event_type, "timestamp": occurred_at.isoformat().replace("+00:00", "Z"), "data": data}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


# -- the schema's documentation of each body -------------------------------------------------------------------

BackorderEventPayload = _envelope("BackorderWebhookV1", BackorderDataSerializer, "backorder.*, webhook.test")
PurchaseOrderEventPayload = _envelope("PurchaseOrderWebhookV1", PurchaseOrderDataSerializer, "purchase_order.*")
VariantEventPayload = _envelope("VariantWebhookV1", VariantDataSerializer, "variant.back_in_stock")
StockAlertEventPayload = _envelope("StockAlertWebhookV1", StockAlertDataSerializer, "stock_alert.subscribed")

PAYLOADS_BY_SUBJECT = {
    "backorder": BackorderEventPayload,
    "purchase_order": PurchaseOrderEventPayload,
    "variant": VariantEventPayload,
    "stock_alert": StockAlertEventPayload,
}
