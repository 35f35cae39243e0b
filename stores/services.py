"""Writes of shared data: signing up, stores, memberships, handing a sign-in over to a store's host."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from stores import provisioning, selectors
from stores.models import Domain, OneTimeLogin, Store, StoreMembership, User

ONE_TIME_LOGIN_LIFETIME = timedelta(minutes=2)


@dataclass(frozen=True)
class SignUp:
    user: User
    store: Store


def store_slug_for_name(name: str) -> str:
    return slugify(name)[:40].strip("-")


def store_name_validate(*, name: str) -> str:
    """A store name must give a host name of its own: not empty, not reserved, not taken."""
    name = name.strip()
    slug = store_slug_for_name(name)
    if len(slug) < 3:
        raise ValidationError(
            "Use at least 3 letters or digits in the store name; it becomes your store's address.", code="too_short"
        )
    if slug in settings.RESERVED_STORE_SLUGS or slug.startswith(("pg-", "xn--")):
        raise ValidationError(f'"{name}" is reserved; please choose another store name.', code="reserved")
    if selectors.slug_taken(slug=slug):
        raise ValidationError(
            f'A store called "{name}" already exists ({slug}.{settings.APP_DOMAIN}); choose another name.',
            code="taken",
        )
    return slug


def email_validate_new(*, email: str) -> str:
    email = email.strip().lower()
    if selectors.web_login_exists(email=email):
        raise ValidationError(
            "An account with this e-mail already exists; sign in instead, or reset your password.", code="taken"
        )
    return email


def store_create(*, name: str, slug: str) -> Store:
    """Create a merchant store: its row, its schema (cloned from the template), its host."""
    store = Store(name=name.strip(), slug=slug, schema_name="store_" + slug.replace("-", "_"))
    store.save()
    provisioning.store_schema_create(store=store)
    Domain.objects.create(domain=store.host, tenant=store, is_primary=True)
    return store


def membership_grant(*, user: User, store: Store, role: str) -> StoreMembership:
    membership, created = StoreMembership.objects.get_or_create(user=user, store=store, defaults={"role": role})
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def store_sign_up(*, email: str, password: str, store_name: str) -> SignUp:
    """A merchant signs up on the web: an owner account and an empty store, all or nothing."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        email = email_validate_new(email=email)
    except ValidationError as exc:
        errors["email"] = [exc]
    try:
        slug = store_name_validate(name=store_name)
    except ValidationError as exc:
        errors["store_name"] = [exc]
    try:
        password_validation.validate_password(password, User(username=email, email=email))
    except ValidationError as exc:
        errors["password"] = exc.error_list
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, email=email, password=password)
            store = store_create(name=store_name, slug=slug)
    except IntegrityError as exc:
        # Someone took the e-mail or the name between our check and our insert.
        raise ValidationError("That e-mail or store name was just taken; please try again.", code="taken") from exc
    membership_grant(user=user, store=store, role=StoreMembership.Role.OWNER)
    return SignUp(user=user, store=store)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def one_time_login_create(*, user: User, store: Store, next_path: str = "/") -> str:
    """A single-use link, valid for two minutes, that signs `user` in on `store`'s host."""
    if not next_path.startswith("/") or next_path.startswith("//"):
        next_path = "/"
    token = secrets.token_urlsafe(32)
    OneTimeLogin.objects.create(
        token_hash=_token_hash(token),
        user=user,
        store=store,
        next_path=next_path[:200],
        expires_at=timezone.now() + ONE_TIME_LOGIN_LIFETIME,
    )
    return f"{store.base_url}/auth/handoff/{token}/"


@transaction.atomic
def one_time_login_redeem(*, token: str, store: Store) -> OneTimeLogin | None:
    """Use a sign-in link once, on the store it was made for, before it expires; None otherwise."""
    link = (
        OneTimeLogin.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=_token_hash(token), store_id=store.pk, used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if link is None or not link.user.is_active:
        return None
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return link


def store_details_change(*, store: Store, name: str | None = None, timezone_name: str | None = None,
                         language: str | None = None) -> Store:  # fmt: skip
    """The owner renames the store or sets its time zone (dates shown to shoppers) and language (the
    widget's and e-mails' default). The store's address (its slug) never changes."""
    from zoneinfo import available_timezones

    errors: dict[str, list[str]] = {}
    changes: dict[str, str] = {}
    if name is not None:
        if not name.strip():
            errors["name"] = ["The store needs a name."]
        changes["name"] = name.strip()[:100]
    if timezone_name is not None:
        if timezone_name not in available_timezones():
            errors["timezone"] = [f"{timezone_name!r} is not a time zone; use a name like Europe/Berlin."]
        changes["timezone"] = timezone_name
    if language is not None:
        codes = [code for code, _ in settings.LANGUAGES]
        if language not in codes:
            errors["language"] = [f"Choose one of: {', '.join(codes)}."]
        changes["language"] = language
    if errors:
        raise ValidationError(errors)
    changed = [field for field, value in changes.items() if getattr(store, field) != value]
    for field in changed:
        setattr(store, field, changes[field])
    if changed:
        store.save(update_fields=[*changed, "updated_at"])  # the tenant cache forgets it (stores.signals)
    return store
