"""Reads of shared data."""

from django.db.models import QuerySet

from stores.models import Store, StoreMembership, User


def membership_role(*, user: User, store: Store) -> str | None:
    """The person's role in the store ("owner" or "staff"), or None when they have no access."""
    if not user.is_authenticated:
        return None
    return StoreMembership.objects.filter(user_id=user.pk, store_id=store.pk).values_list("role", flat=True).first()


def stores_for_user(*, user: User) -> QuerySet[Store]:
    return Store.objects.merchants().filter(memberships__user=user).order_by("name")


def web_login_exists(*, email: str) -> bool:
    return User.objects.filter(username=email.strip().lower()).exists()


def slug_taken(*, slug: str) -> bool:
    return Store.objects.filter(slug=slug).exists()
