"""Installing, opening, uninstalling the app: the BigCommerce side of a store's life."""

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from stores import services
from stores.bigcommerce import client as bigcommerce_client
from stores.bigcommerce.callbacks import CallbackClaims
from stores.bigcommerce.webhooks import webhook_secret_digest
from stores.models import Store, StoreMembership, User
from stores.tasks import enqueue_for_store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Installation:
    store: Store
    user: User
    created: bool


def auth_redirect_uri() -> str:
    return f"{settings.APP_BASE_URL}/bigcommerce/auth"


def bigcommerce_user_ensure(*, bigcommerce_user_id: int, email: str) -> User:
    """The person with this BigCommerce user id (never matched by e-mail: two accounts may share one)."""
    user = User.objects.filter(bigcommerce_user_id=bigcommerce_user_id).first()
    if user is None:
        user = User.objects.create_user(
            f"bc-{bigcommerce_user_id}", email=email, bigcommerce_user_id=bigcommerce_user_id
        )
    elif email and user.email != email:
        user.email = email
        user.save(update_fields=["email"])
    return user


def unique_slug(name: str) -> str:
    base = services.store_slug_for_name(name) or "store"
    if len(base) < 3 or base in settings.RESERVED_STORE_SLUGS:
        base = f"store-{base}".strip("-")
    slug, n = base, 1
    while Store.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base[:36]}-{n}"
    return slug


def store_install(*, code: str, scope: str, context: str, attach_to: Store | None = None) -> Installation:
    """Exchange the code for a token and connect the BigCommerce store: reactivate the store it was
    connected to before, or attach it to a web-signed-up store that is not connected yet (`attach_to`), or
    create a new store. The installing user and the owner become its members. Webhooks, scripts and the
    first catalog sync follow in a task.
    """
    token = bigcommerce_client.exchange_auth_code(
        code=code, scope=scope, context=context, redirect_uri=auth_redirect_uri()
    )
    store_hash = (token.get("context") or context).removeprefix("stores/")
    info = bigcommerce_client.BigCommerceClient(store_hash=store_hash, access_token=token["access_token"]).get(
        "/v2/store"
    )
    return _store_connect(store_hash=store_hash, token=token, info=info or {}, attach_to=attach_to)


@transaction.atomic
def _store_connect(*, store_hash: str, token: dict, info: dict, attach_to: Store | None) -> Installation:
    store = Store.objects.select_for_update().filter(bigcommerce_store_hash=store_hash).first()
    created = False
    if store is None and attach_to is not None:
        store = Store.objects.select_for_update().get(pk=attach_to.pk)
        if store.bigcommerce_store_hash:
            store = None  # connected to another BigCommerce store meanwhile: do not take it over
    if store is None:
        name = (info.get("name") or f"Store {store_hash}")[:100]
        store = services.store_create(name=name, slug=unique_slug(name))
        created = True
    secret = secrets.token_urlsafe(32)
    store.bigcommerce_store_hash = store_hash
    store.bigcommerce_store_id = str(info.get("store_id") or info.get("id") or "")[:32]
    store.access_token = token["access_token"]
    store.scopes = token.get("scope", "")
    store.webhook_secret = secret
    store.webhook_secret_digest = webhook_secret_digest(secret)
    store.status = Store.Status.ACTIVE
    store.connection = Store.Connection.CONNECTED
    store.connected_at = store.reconciled_at = timezone.now()
    tz = info.get("timezone") or {}
    if isinstance(tz, dict) and tz.get("name"):
        store.timezone = tz["name"][:64]
    if info.get("language"):
        store.language = str(info["language"])[:10]
    store.save()
    installer = token.get("user") or {}
    owner = token.get("owner") or installer
    user = bigcommerce_user_ensure(bigcommerce_user_id=int(installer["id"]), email=installer.get("email", ""))
    services.membership_grant(user=user, store=store, role=StoreMembership.Role.OWNER)
    if owner.get("id") and int(owner["id"]) != user.bigcommerce_user_id:
        owner_user = bigcommerce_user_ensure(bigcommerce_user_id=int(owner["id"]), email=owner.get("email", ""))
        services.membership_grant(user=owner_user, store=store, role=StoreMembership.Role.OWNER)
    enqueue_for_store("stores.bigcommerce.tasks.store_connection_set_up", schema_name=store.schema_name)
    logger.info("Store %s connected to BigCommerce store %s (new: %s)", store.slug, store_hash, created)
    return Installation(store=store, user=user, created=created)


@transaction.atomic
def store_load(*, claims: CallbackClaims) -> tuple[Store, User]:
    """The merchant opens the app in the control panel: the user (new ones too, multi-user) gets in."""
    store = Store.objects.merchants().filter(bigcommerce_store_hash=claims.store_hash).first()
    if store is None or store.connection != Store.Connection.CONNECTED:
        raise LookupError("This BigCommerce store has not installed the app.")
    user = bigcommerce_user_ensure(bigcommerce_user_id=claims.user_id, email=claims.user_email)
    if not StoreMembership.objects.filter(user=user, store=store).exists():
        role = StoreMembership.Role.OWNER if claims.user_id == claims.owner_id else StoreMembership.Role.STAFF
        services.membership_grant(user=user, store=store, role=role)
    return store, user


@transaction.atomic
def store_uninstall(*, store_hash: str) -> Store | None:
    """Uninstalled: the store is deactivated and its token dropped; its data is kept; events are ignored."""
    store = Store.objects.merchants().select_for_update().filter(bigcommerce_store_hash=store_hash).first()
    if store is None:
        return None
    store.access_token = ""
    store.webhook_secret = ""
    store.webhook_secret_digest = ""
    store.connection = Store.Connection.UNINSTALLED
    store.status = Store.Status.DEACTIVATED
    store.save()
    logger.info("Store %s uninstalled from BigCommerce store %s", store.slug, store_hash)
    return store


def user_remove(*, store_hash: str, bigcommerce_user_id: int) -> bool:
    """The store owner removed a user's access in BigCommerce: their membership goes."""
    deleted, _ = StoreMembership.objects.filter(
        store__bigcommerce_store_hash=store_hash, user__bigcommerce_user_id=bigcommerce_user_id
    ).delete()
    return bool(deleted)
