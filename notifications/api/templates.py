"""Merchant API: e-mail templates per kind and language (read, save with validation, reset, preview)."""

from django.db import connection
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import kinds
from notifications.defaults import LANGUAGES
from notifications.message_templates import (
    UnknownTemplate,
    message_template_current,
    message_template_preview,
    message_template_reset,
    message_template_save,
    template_check_target,
)
from notifications.models import MessageTemplate

INVALID = OpenApiResponse(
    description="The template does not compile or uses something the e-mail does not have: 'fields' names each "
    'part at fault with its line, e.g. {"body_html": ["Line 3: unexpected \'}\'"]}.'
)


def _target_or_404(kind: str, language: str) -> kinds.Kind:
    try:
        return template_check_target(kind=kind, language=language)
    except UnknownTemplate as exc:
        raise exceptions.NotFound(str(exc)) from None


def _actor(request) -> str:
    return getattr(request.user, "email", "") or str(request.user)


class TemplateVariableSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="As written in a template, e.g. `line.product_name`.")
    description = serializers.CharField()


class TemplateLanguageSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=LANGUAGES)
    customized = serializers.BooleanField(help_text="True when the merchant's wording replaces the default.")
    updated_at = serializers.DateTimeField(allow_null=True)


class TemplateKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    audience = serializers.ChoiceField(choices=[kinds.SHOPPER, kinds.MERCHANT])
    transactional = serializers.BooleanField(help_text="False: the recipient may unsubscribe from it.")
    variables = TemplateVariableSerializer(many=True)
    languages = TemplateLanguageSerializer(many=True)


class TemplateOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    language = serializers.CharField()
    subject = serializers.CharField()
    body_html = serializers.CharField()
    body_text = serializers.CharField()
    customized = serializers.BooleanField()
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = serializers.CharField(allow_blank=True)


class TemplateInputSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=300, trim_whitespace=False)
    body_html = serializers.CharField(max_length=100_000, trim_whitespace=False, help_text="Jinja2, autoescaped.")
    body_text = serializers.CharField(max_length=100_000, trim_whitespace=False, help_text="Jinja2, plain text.")


class TemplatePreviewInputSerializer(serializers.Serializer):
    """Leave out a part to preview the saved (or default) wording of it."""

    subject = serializers.CharField(max_length=300, trim_whitespace=False, required=False)
    body_html = serializers.CharField(max_length=100_000, trim_whitespace=False, required=False)
    body_text = serializers.CharField(max_length=100_000, trim_whitespace=False, required=False)


class TemplatePreviewOutputSerializer(serializers.Serializer):
    subject = serializers.CharField()
    html = serializers.CharField(help_text="The whole e-mail, in the store's layout.")
    text = serializers.CharField()
    sample = serializers.JSONField(help_text="The sample data it was filled with.")


class TemplateListApi(APIView):
    """Every kind of e-mail: who gets it, its variables, and in which languages the merchant changed it."""

    @extend_schema(operation_id="notification_templates_list", summary="Kinds of e-mail and their templates",
                   responses=TemplateKindSerializer(many=True))  # fmt: skip
    def get(self, request):
        customized = {
            (kind, language): updated
            for kind, language, updated in MessageTemplate.objects.values_list("kind", "language", "updated_at")
        }
        data = [
            {
                "kind": spec.name,
                "label": spec.label,
                "audience": spec.audience,
                "transactional": spec.transactional,
                "variables": [{"name": n, "description": d} for n, d in spec.variables.items()],
                "languages": [
                    {
                        "language": lang,
                        "customized": (spec.name, lang) in customized,
                        "updated_at": customized.get((spec.name, lang)),
                    }
                    for lang in LANGUAGES
                ],
            }  # fmt: skip
            for spec in kinds.KINDS.values()
        ]
        return Response(TemplateKindSerializer(data, many=True).data)


class TemplateDetailApi(APIView):
    """One e-mail in one language: GET the wording in use, PUT the merchant's own, DELETE back to default."""

    @extend_schema(operation_id="notification_templates_retrieve", summary="A template",
                   responses=TemplateOutputSerializer)  # fmt: skip
    def get(self, request, kind: str, language: str):
        _target_or_404(kind, language)
        current = message_template_current(kind=kind, language=language)
        return Response(TemplateOutputSerializer({"kind": kind, "language": language, **current}).data)

    @extend_schema(
        operation_id="notification_templates_update",
        summary="Save the merchant's wording",
        request=TemplateInputSerializer,
        responses={200: TemplateOutputSerializer, 400: INVALID},
    )
    def put(self, request, kind: str, language: str):
        _target_or_404(kind, language)
        serializer = TemplateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message_template_save(kind=kind, language=language, updated_by=_actor(request), **serializer.validated_data)
        current = message_template_current(kind=kind, language=language)
        return Response(TemplateOutputSerializer({"kind": kind, "language": language, **current}).data)

    @extend_schema(operation_id="notification_templates_reset", summary="Back to the default wording",
                   responses={204: None})  # fmt: skip
    def delete(self, request, kind: str, language: str):
        _target_or_404(kind, language)
        message_template_reset(kind=kind, language=language)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplatePreviewApi(APIView):
    """The e-mail filled with sample data, as saved or with the unsaved parts sent in the body."""

    @extend_schema(
        operation_id="notification_templates_preview",
        summary="Preview with sample data",
        request=TemplatePreviewInputSerializer,
        responses={200: TemplatePreviewOutputSerializer, 400: INVALID},
    )
    def post(self, request, kind: str, language: str):
        spec = _target_or_404(kind, language)
        serializer = TemplatePreviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        store = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
        rendered = message_template_preview(
            kind=kind, language=language, store=store, template=serializer.validated_data or None
        )
        data = {"subject": rendered.subject, "html": rendered.html, "text": rendered.text, "sample": spec.sample}
        return Response(TemplatePreviewOutputSerializer(data).data)
