"""Merchant API: the storefront widget's appearance (mounted at /api/v1/widget-appearance/ on store hosts).

Thin views: the serializers check types, backorder.services.widget_appearance checks the rules and writes.
"""

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backorder.models.storefront import SUPPORTED_LANGUAGES
from backorder.selectors_storefront import widget_appearance_get
from backorder.services.widget_appearance import appearance_warnings, text_on, widget_appearance_update

COLOUR_HELP = "Hex colour, #RRGGBB (or #RGB)."
LABEL_HELP = "Button label for this state; empty = the built-in, translated label. A policy's own label wins."


class WidgetAppearanceOutputSerializer(serializers.Serializer):
    accent_color = serializers.CharField(help_text="Buttons, the message box's edge, the focus ring.")
    accent_text_color = serializers.CharField(help_text="Text on accent-coloured buttons (chosen for contrast).")
    text_color = serializers.CharField()
    background_color = serializers.CharField(help_text="Behind the widget's messages.")
    label_backorder = serializers.CharField(allow_blank=True, help_text=LABEL_HELP)
    label_preorder = serializers.CharField(allow_blank=True, help_text=LABEL_HELP)
    label_unavailable = serializers.CharField(allow_blank=True, help_text=LABEL_HELP)
    show_split = serializers.BooleanField(help_text='Show "2 ready to ship, 3 backordered".')
    show_notify_me = serializers.BooleanField(help_text="Offer an e-mail alert for sold-out items.")
    show_alternatives = serializers.BooleanField(help_text="Show up to 4 in-stock products of the same category.")
    languages = serializers.ListField(child=serializers.ChoiceField(choices=SUPPORTED_LANGUAGES))
    updated_at = serializers.DateTimeField(allow_null=True, help_text="Null while the defaults apply.")
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="Allowed, but worth a second look (e.g. a faint accent colour)."
    )


class WidgetAppearanceInputSerializer(serializers.Serializer):
    accent_color = serializers.CharField(required=False, max_length=7, help_text=COLOUR_HELP)
    text_color = serializers.CharField(required=False, max_length=7, help_text=COLOUR_HELP)
    background_color = serializers.CharField(required=False, max_length=7, help_text=COLOUR_HELP)
    label_backorder = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text=LABEL_HELP)
    label_preorder = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text=LABEL_HELP)
    label_unavailable = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text=LABEL_HELP)
    show_split = serializers.BooleanField(required=False)
    show_notify_me = serializers.BooleanField(required=False)
    show_alternatives = serializers.BooleanField(required=False)
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=SUPPORTED_LANGUAGES), required=False, allow_empty=False,
        help_text="The storefront's language is used when listed here, else the store's language.",
    )  # fmt: skip


def _output(appearance, warnings: list[str]) -> dict:
    data = {name: getattr(appearance, name) for name in WidgetAppearanceOutputSerializer().fields if name not in (
        "accent_text_color", "warnings", "updated_at")}  # fmt: skip
    data |= {
        "accent_text_color": text_on(appearance.accent_color),
        "updated_at": appearance.updated_at if appearance.pk and appearance.updated_at else None,
        "warnings": warnings,
    }
    return WidgetAppearanceOutputSerializer(data).data


class WidgetAppearanceApi(APIView):
    """How the storefront widget looks and speaks in this store: read it, or change some of it."""

    InputSerializer = WidgetAppearanceInputSerializer
    OutputSerializer = WidgetAppearanceOutputSerializer

    @extend_schema(operation_id="widget_appearance_retrieve", summary="The widget's appearance",
                   responses=OutputSerializer)  # fmt: skip
    def get(self, request):
        appearance = widget_appearance_get()
        return Response(_output(appearance, appearance_warnings(appearance)))

    @extend_schema(
        operation_id="widget_appearance_partial_update",
        summary="Change the widget's colours, labels, switches or languages",
        description="Refused: colours that are not hex, text with less than 4.5:1 contrast on the background, "
        "labels over 40 characters, unknown or no languages. Allowed with a warning: a faint accent colour.",
        request=InputSerializer,
        responses={200: OutputSerializer, 400: OpenApiResponse(description="Invalid fields (see 'fields').")},
    )
    def patch(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appearance, warnings = widget_appearance_update(data=data.validated_data)
        return Response(_output(appearance, warnings))


urlpatterns = [path("", WidgetAppearanceApi.as_view(), name="widget-appearance")]
