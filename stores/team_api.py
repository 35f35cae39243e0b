"""Merchant API: the store's team (mounted at /api/v1/team/ on store hosts).

Every member sees the team; only the owner, signed in as a person, adds, changes or removes members.
"""

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from stores import selectors, team
from stores.models import StoreMembership
from stores.permissions import IsStoreOwnerToChange


class TeamMemberOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The membership's id.")
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    role = serializers.ChoiceField(choices=StoreMembership.Role.choices)
    signs_in_with = serializers.SerializerMethodField(help_text="bigcommerce or password.")
    joined_at = serializers.DateTimeField(source="created_at")
    is_you = serializers.SerializerMethodField()

    def get_signs_in_with(self, membership) -> str:
        return "bigcommerce" if membership.user.bigcommerce_user_id else "password"

    def get_is_you(self, membership) -> bool:
        return membership.user_id == self.context.get("user_id")


class TeamListOutputSerializer(serializers.Serializer):
    your_role = serializers.CharField(allow_null=True)
    results = TeamMemberOutputSerializer(many=True)


class TeamMemberAddInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=StoreMembership.Role.choices, default=StoreMembership.Role.STAFF)


class TeamMemberChangeInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=StoreMembership.Role.choices)


def _membership_or_404(request, member_id: int) -> StoreMembership:
    membership = (
        StoreMembership.objects.select_related("user", "store").filter(store=request.tenant, pk=member_id).first()
    )
    if membership is None:
        raise exceptions.NotFound(f"This store has no team member {member_id}.")
    return membership


def _member_data(request, membership) -> dict:
    return TeamMemberOutputSerializer(membership, context={"user_id": request.user.pk}).data


class TeamListAddApi(APIView):
    permission_classes = [IsStoreOwnerToChange]

    @extend_schema(operation_id="team_list", summary="The store's team", responses=TeamListOutputSerializer)
    def get(self, request):
        members = team.team_members(store=request.tenant)
        return Response(
            {
                "your_role": selectors.membership_role(user=request.user, store=request.tenant),
                "results": TeamMemberOutputSerializer(members, many=True, context={"user_id": request.user.pk}).data,
            }
        )

    @extend_schema(
        operation_id="team_add",
        summary="Give a person access by e-mail (owner only); a new person gets an e-mail to choose a password",
        request=TeamMemberAddInputSerializer,
        responses={201: TeamMemberOutputSerializer},
    )
    def post(self, request):
        data = TeamMemberAddInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = team.team_member_add(store=request.tenant, added_by=request.user, **data.validated_data)
        return Response(_member_data(request, membership), status=status.HTTP_201_CREATED)


class TeamMemberApi(APIView):
    permission_classes = [IsStoreOwnerToChange]

    @extend_schema(
        operation_id="team_change_role",
        summary="Make a member owner or staff (owner only; a store keeps at least one owner)",
        request=TeamMemberChangeInputSerializer,
        responses=TeamMemberOutputSerializer,
    )
    def patch(self, request, member_id: int):
        membership = _membership_or_404(request, member_id)
        data = TeamMemberChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = team.team_member_role_change(membership=membership, role=data.validated_data["role"])
        return Response(_member_data(request, membership))

    @extend_schema(
        operation_id="team_remove",
        summary="Take a member's access away (owner only; not the last owner)",
        responses={204: OpenApiResponse(description="Removed.")},
    )
    def delete(self, request, member_id: int):
        team.team_member_remove(membership=_membership_or_404(request, member_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("", TeamListAddApi.as_view(), name="team"),
    path("<int:member_id>/", TeamMemberApi.as_view(), name="team-member"),
]
