"""Merchant API: the store's API tokens for integrations (mounted at /api/v1/api-tokens/ on store hosts).

Only the owner, signed in as a person, manages tokens; the token itself appears once, in the POST answer.
"""

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from stores import api_tokens
from stores.models import ApiToken
from stores.permissions import IsStoreOwner


class ApiTokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The token's first characters, to recognise it.")
    created_by = serializers.EmailField(source="created_by.email", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True, help_text="Updated at most once a minute.")
    revoked_at = serializers.DateTimeField(allow_null=True)


class ApiTokenCreatedSerializer(ApiTokenOutputSerializer):
    token = serializers.CharField(source="plaintext", help_text="The token itself: shown this once, store it now.")


class ApiTokenInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="What the token is for, e.g. “ERP”.")


class ApiTokenListCreateApi(APIView):
    """GET lists the store's tokens (newest first, revoked ones included); POST makes one."""

    permission_classes = [IsStoreOwner]
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS
    InputSerializer = ApiTokenInputSerializer
    OutputSerializer = ApiTokenOutputSerializer

    @extend_schema(
        operation_id="api_tokens_list", summary="List API tokens", responses=ApiTokenOutputSerializer(many=True)
    )
    def get(self, request):
        tokens = ApiToken.objects.filter(store=request.tenant).select_related("created_by")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(tokens, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="api_tokens_create",
        summary="Make an API token (the token is in this answer only)",
        request=ApiTokenInputSerializer,
        responses={201: ApiTokenCreatedSerializer},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, plaintext = api_tokens.api_token_create(
            store=request.tenant, name=serializer.validated_data["name"], created_by=request.user
        )
        token.plaintext = plaintext  # for this answer only; never stored
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)


class ApiTokenRevokeApi(APIView):
    permission_classes = [IsStoreOwner]

    @extend_schema(
        operation_id="api_tokens_revoke",
        summary="Revoke an API token (it stops working at once)",
        responses={204: OpenApiResponse(description="Revoked.")},
    )
    def delete(self, request, token_id: int):
        token = ApiToken.objects.filter(store=request.tenant, pk=token_id).first()
        if token is None:
            raise exceptions.NotFound(f"This store has no API token {token_id}.")
        api_tokens.api_token_revoke(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("", ApiTokenListCreateApi.as_view(), name="api-token-list"),
    path("<int:token_id>/", ApiTokenRevokeApi.as_view(), name="api-token-revoke"),
]
