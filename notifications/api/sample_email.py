"""Merchant API: send a test e-mail (one kind, the store's current wording, sample data) to yourself.

Who may send where: any member of the store may send one to their own address (the default); only the owner
may send one to another address; an integration (API token) is no person, so it must say where (`to`).
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import kinds
from notifications.api.log import NotificationOutputSerializer
from notifications.defaults import LANGUAGES
from notifications.sample_email import DEFAULT_SAMPLE_KIND, SampleEmailThrottled, sample_email_send
from stores import selectors
from stores.api_schema import ApiErrorSerializer
from stores.authentication import ApiClient


class SampleEmailInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=sorted(kinds.KINDS), default=DEFAULT_SAMPLE_KIND, help_text="Which e-mail (default: the confirmation)."
    )
    language = serializers.ChoiceField(
        choices=LANGUAGES, required=False, help_text="Which language's wording (default: the store's language)."
    )
    to = serializers.EmailField(
        required=False, max_length=254,
        help_text="Where it goes (default: your own address). Only the owner may send to another address; "
        "an API token must give it.",
    )  # fmt: skip

    class Meta:
        ref_name = "TestEmailInput"  # in the schema, the merchant's words


def _recipient(request, asked: str) -> str:
    """Where the test e-mail goes, by who asks (see the module's docstring)."""
    user = request.user
    if isinstance(user, ApiClient):
        if not asked:
            raise exceptions.ValidationError({"to": ["An API token is not a person: say where the e-mail goes."]})
        return asked
    own = (getattr(user, "email", "") or "").strip()
    if not asked:
        if not own:
            raise exceptions.ValidationError({"to": ["Your account has no e-mail address: say where it goes."]})
        return own
    if asked.lower() != own.lower() and selectors.membership_role(user=user, store=request.tenant) != "owner":
        raise exceptions.PermissionDenied("Only the store's owner may send a test e-mail to another address.")
    return asked


class SampleEmailApi(APIView):
    """Send a test e-mail: it goes out through the outbox like any e-mail, shows in the message log (marked
    `is_test`, subject starting "[Test] "), and is retried like any e-mail."""

    @extend_schema(
        operation_id="notifications_test_email",
        summary="Send a test e-mail",
        request=SampleEmailInputSerializer,
        responses={
            202: OpenApiResponse(NotificationOutputSerializer,
                                 description="Queued: it is sent within seconds and shows in the e-mail log."),
            400: OpenApiResponse(ApiErrorSerializer, description="A bad address, kind or language (see `fields`), "
                                 "or an API token that did not say where (`to`)."),
            403: OpenApiResponse(ApiErrorSerializer, description="Not a member, or staff sending to another "
                                 "address than their own."),
            429: OpenApiResponse(ApiErrorSerializer, description="The store sent 10 test e-mails in the last hour; "
                                 "retry after `retry_after_seconds`."),
        },
    )  # fmt: skip
    def post(self, request):
        serializer = SampleEmailInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        to = _recipient(request, data.get("to", ""))
        actor = getattr(request.user, "email", "") or str(request.user)
        try:
            notification = sample_email_send(to=to, kind=data["kind"], language=data.get("language", ""),
                                             requested_by=actor)  # fmt: skip
        except SampleEmailThrottled as exc:
            raise exceptions.Throttled(wait=exc.retry_after, detail=str(exc)) from None
        notification.refresh_from_db()  # where the sender (woken at the commit) has got to
        return Response(NotificationOutputSerializer(notification).data, status=status.HTTP_202_ACCEPTED)
