"""Merchant API: the e-mail log (what was sent to whom, what failed) and resending."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from backorder.api.pagination import Pagination
from notifications import kinds
from notifications.models import Notification
from notifications.selectors import notifications_matching, notifications_needing_attention
from notifications.sending import NotResendable, notification_resend


class NotificationResendConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This e-mail cannot be resent."
    default_code = "conflict"


class NotificationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    recipient = serializers.EmailField()
    language = serializers.CharField(help_text="Empty: the store's language.")
    status = serializers.ChoiceField(choices=Notification.Status.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    order_id = serializers.IntegerField(allow_null=True)
    backorder_id = serializers.IntegerField(allow_null=True)
    subject = serializers.CharField(allow_blank=True, help_text="As sent (empty until it is sent).")
    message_id = serializers.CharField(allow_blank=True)
    resend_of = serializers.IntegerField(source="resend_of_id", allow_null=True)
    resendable = serializers.SerializerMethodField()
    is_test = serializers.BooleanField(help_text="A test e-mail a merchant sent (sample data, subject '[Test] …').")
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)

    def get_resendable(self, notification) -> bool:
        return notification.status in (Notification.Status.UNKNOWN, Notification.Status.FAILED)


class NotificationDetailOutputSerializer(NotificationOutputSerializer):
    body_text = serializers.CharField(allow_blank=True)
    body_html = serializers.CharField(allow_blank=True)
    context = serializers.JSONField()


class NotificationFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Notification.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=sorted(kinds.KINDS), required=False)
    email = serializers.CharField(required=False, max_length=254, help_text="Part of the recipient's address.")
    order_id = serializers.IntegerField(required=False, min_value=1)
    backorder_id = serializers.IntegerField(required=False, min_value=1)
    is_test = serializers.BooleanField(required=False, allow_null=True, default=None,
                                       help_text="true: only test e-mails; false: none of them.")  # fmt: skip


class NotificationListOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    needing_attention = serializers.DictField(
        child=serializers.IntegerField(), help_text="How many are `failed` and `unknown` (resend them)."
    )
    results = NotificationOutputSerializer(many=True)


class NotificationListApi(APIView):
    """The store's e-mails, newest first, filtered by status, kind, recipient, order or backorder."""

    pagination_class = Pagination

    @extend_schema(operation_id="notifications_list", summary="E-mail log", parameters=[NotificationFilterSerializer],
                   responses=NotificationListOutputSerializer)  # fmt: skip
    def get(self, request):
        filters = NotificationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(notifications_matching(**filters.validated_data), request, view=self)
        response = paginator.get_paginated_response(NotificationOutputSerializer(page, many=True).data)
        response.data["needing_attention"] = notifications_needing_attention()
        return response


class NotificationDetailApi(APIView):
    @extend_schema(operation_id="notifications_retrieve", summary="One e-mail, with what it said",
                   responses=NotificationDetailOutputSerializer)  # fmt: skip
    def get(self, request, notification_id: int):
        notification = get_object_or_404(Notification, pk=notification_id)
        return Response(NotificationDetailOutputSerializer(notification).data)


class NotificationResendApi(APIView):
    """Send an e-mail whose outcome is unknown, or that failed, once more (a new log entry)."""

    @extend_schema(
        operation_id="notifications_resend",
        summary="Resend",
        request=None,
        responses={201: NotificationOutputSerializer, 409: OpenApiResponse(description="Not unknown or failed.")},
    )
    def post(self, request, notification_id: int):
        notification = get_object_or_404(Notification, pk=notification_id)
        actor = getattr(request.user, "email", "") or str(request.user)
        try:
            resend = notification_resend(notification=notification, requested_by=actor)
        except NotResendable as exc:
            raise NotificationResendConflict(str(exc)) from None
        return Response(NotificationOutputSerializer(resend).data, status=status.HTTP_201_CREATED)
