"""A store's team: who has access, as owner or staff, and the owner's changes to it.

People who use the app from the BigCommerce control panel join by opening it there (BigCommerce says who
they are); people who use the web sign-in are added here by e-mail. A store always keeps an owner.
"""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from stores import services
from stores.models import Store, StoreMembership, User

Role = StoreMembership.Role


def team_members(*, store: Store) -> QuerySet[StoreMembership]:
    """The store's members, owners first, then by e-mail."""
    owners_first = Case(When(role=Role.OWNER, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (
        StoreMembership.objects.filter(store=store).select_related("user").order_by(owners_first, "user__email", "id")
    )


@transaction.atomic
def team_member_add(*, store: Store, email: str, role: str, added_by: User) -> StoreMembership:
    """Give a person access by e-mail. An existing web account gets access at once; a new e-mail gets an
    account without a password and an e-mail with a link to choose one. Someone who already has access
    is not added twice."""
    email = (email or "").strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": [f"Choose a role: {', '.join(Role.values)}."]})
    user = User.objects.filter(username=email).first()
    if user is not None and StoreMembership.objects.filter(store=store, user=user).exists():
        raise ValidationError({"email": [f"{email} already has access to {store.name}."]})
    if user is None:
        user = User.objects.create_user(email, email=email)
    membership = services.membership_grant(user=user, store=store, role=role)
    transaction.on_commit(lambda: _invitation_send(store=store, user=user, added_by=added_by))
    return membership


def _invitation_send(*, store: Store, user: User, added_by: User) -> None:
    if user.has_usable_password():
        link = f"{settings.APP_BASE_URL}{reverse('login', urlconf=settings.PUBLIC_SCHEMA_URLCONF)}"
        action = f"Sign in with your e-mail and password: {link}"
    else:
        path = reverse(
            "password_reset_confirm",
            urlconf=settings.PUBLIC_SCHEMA_URLCONF,
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        action = f"Choose a password to sign in (the link works once): {settings.APP_BASE_URL}{path}"
    send_mail(
        subject=f"You have access to {store.name} on Backorder",
        message=f"{added_by.email} gave you access to {store.name} on Backorder.\n\n{action}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


def _owners_locked(store: Store) -> list[StoreMembership]:
    return list(StoreMembership.objects.select_for_update().filter(store=store, role=Role.OWNER).order_by("pk"))


@transaction.atomic
def team_member_role_change(*, membership: StoreMembership, role: str) -> StoreMembership:
    """Make a member owner or staff; the last owner stays owner (a store always has one)."""
    if role not in Role.values:
        raise ValidationError({"role": [f"Choose a role: {', '.join(Role.values)}."]})
    owners = _owners_locked(membership.store)
    if membership.role == Role.OWNER and role != Role.OWNER and len(owners) <= 1:
        raise ValidationError({"role": ["A store needs an owner: make someone else owner first."]})
    return services.membership_grant(user=membership.user, store=membership.store, role=role)


@transaction.atomic
def team_member_remove(*, membership: StoreMembership) -> None:
    """Take a member's access away; the last owner cannot be removed."""
    owners = _owners_locked(membership.store)
    if membership.role == Role.OWNER and len(owners) <= 1:
        raise ValidationError({"member": ["A store needs an owner: make someone else owner first."]})
    membership.delete()
