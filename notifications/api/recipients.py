"""Merchant API: who gets the store's alerts (none configured: the owner)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import kinds
from notifications.alerts import (
    alert_recipient_create,
    alert_recipient_delete,
    alert_recipient_update,
    alert_recipients,
)
from notifications.models import AlertRecipient

KIND_CHOICES = list(kinds.MERCHANT_KINDS)


class AlertRecipientOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(allow_blank=True)
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=KIND_CHOICES),
                                  help_text="Empty: every alert.")  # fmt: skip
    created_at = serializers.DateTimeField()


class AlertRecipientInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=KIND_CHOICES), required=False,
                                  help_text="Empty or left out: every alert.")  # fmt: skip


class AlertRecipientListOutputSerializer(serializers.Serializer):
    results = AlertRecipientOutputSerializer(many=True)
    effective = serializers.ListField(
        child=serializers.EmailField(), help_text="Who gets alerts now (the owner when nobody is configured)."
    )


class AlertRecipientListApi(APIView):
    @extend_schema(operation_id="alert_recipients_list", summary="Alert recipients",
                   responses=AlertRecipientListOutputSerializer)  # fmt: skip
    def get(self, request):
        rows = AlertRecipient.objects.order_by("email")
        effective = sorted(set(alert_recipients(kind="merchant_new_backorder")) | {r.email for r in rows})
        return Response({"results": AlertRecipientOutputSerializer(rows, many=True).data, "effective": effective})

    @extend_schema(
        operation_id="alert_recipients_create",
        summary="Add an alert recipient",
        request=AlertRecipientInputSerializer,
        responses={201: AlertRecipientOutputSerializer, 400: OpenApiResponse(description="See 'fields'.")},
    )
    def post(self, request):
        serializer = AlertRecipientInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row = alert_recipient_create(email=data["email"], name=data.get("name", ""), kinds_wanted=data.get("kinds"))
        return Response(AlertRecipientOutputSerializer(row).data, status=status.HTTP_201_CREATED)


class AlertRecipientDetailApi(APIView):
    @extend_schema(operation_id="alert_recipients_retrieve", summary="An alert recipient",
                   responses=AlertRecipientOutputSerializer)  # fmt: skip
    def get(self, request, recipient_id: int):
        return Response(AlertRecipientOutputSerializer(get_object_or_404(AlertRecipient, pk=recipient_id)).data)

    @extend_schema(
        operation_id="alert_recipients_partial_update",
        summary="Change an alert recipient",
        request=AlertRecipientInputSerializer(partial=True),
        responses={200: AlertRecipientOutputSerializer, 400: OpenApiResponse(description="See 'fields'.")},
    )
    def patch(self, request, recipient_id: int):
        row = get_object_or_404(AlertRecipient, pk=recipient_id)
        serializer = AlertRecipientInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row = alert_recipient_update(recipient=row, email=data.get("email"), name=data.get("name"),
                                     kinds_wanted=data.get("kinds"))  # fmt: skip
        return Response(AlertRecipientOutputSerializer(row).data)

    @extend_schema(operation_id="alert_recipients_destroy", summary="Remove an alert recipient",
                   responses={204: None})  # fmt: skip
    def delete(self, request, recipient_id: int):
        alert_recipient_delete(recipient=get_object_or_404(AlertRecipient, pk=recipient_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
