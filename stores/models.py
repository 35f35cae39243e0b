"""Shared (public schema) data: stores, their hosts, people and their access."""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone as django_timezone
from django_tenants.models import DomainMixin, TenantMixin

from stores.crypto import EncryptedTextField


def new_public_key() -> str:
    """A publishable storefront key: safe to put in a page, only identifies the store."""
    return "pk_" + secrets.token_urlsafe(18)


class StoreQuerySet(models.QuerySet):
    def merchants(self) -> "StoreQuerySet":
        return self.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)


class Store(TenantMixin):
    """One merchant: one BigCommerce store, one PostgreSQL schema, one host."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DEACTIVATED = "deactivated", "Deactivated"

    class Connection(models.TextChoices):
        NOT_CONNECTED = "not_connected", "Not connected"
        CONNECTED = "connected", "Connected"
        NEEDS_RECONNECTING = "needs_reconnecting", "Needs reconnecting"
        UNINSTALLED = "uninstalled", "Uninstalled"

    class Plan(models.TextChoices):
        TRIAL = "trial", "Trial"
        STANDARD = "standard", "Standard"
        PLUS = "plus", "Plus"

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=40, unique=True)
    public_key = models.CharField(max_length=40, unique=True, default=new_public_key)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.TRIAL)
    timezone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=10, default="en")
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # The BigCommerce connection (empty until the app is installed on a BigCommerce store).
    bigcommerce_store_hash = models.CharField(max_length=32, unique=True, null=True, blank=True)
    bigcommerce_store_id = models.CharField(max_length=32, blank=True, help_text="Numeric id used in webhooks.")
    connection = models.CharField(max_length=20, choices=Connection.choices, default=Connection.NOT_CONNECTED)
    access_token = EncryptedTextField(blank=True)
    scopes = models.TextField(blank=True)
    webhook_secret = EncryptedTextField(blank=True)
    webhook_secret_digest = models.CharField(max_length=64, blank=True)
    storefront_origins = models.JSONField(default=list, blank=True)
    native_backorders = models.BooleanField(default=True, help_text="BigCommerce's native backorders are on.")
    connected_at = models.DateTimeField(null=True, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    connection_health = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the app last found on BigCommerce (stores.bigcommerce.connection_health).",
    )

    # Schemas are created by stores.provisioning (cloned from the checked template), never by save().
    auto_create_schema = False
    auto_drop_schema = False

    objects = StoreQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == settings.PUBLIC_SCHEMA_NAME

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def host(self) -> str:
        return f"{self.slug}.{settings.APP_DOMAIN}"

    @property
    def base_url(self) -> str:
        """The store's own address: APP_BASE_URL's scheme and port, the store's host."""
        app = urlsplit(settings.APP_BASE_URL)
        port = f":{app.port}" if app.port else ""
        return f"{app.scheme}://{self.host}{port}"


class Domain(DomainMixin):
    """A host name that routes to a store (the store's own host, or the public host)."""


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username: str, email: str = "", password: str | None = None, **extra):
        """A person who signs in on the web has their e-mail as username; see User."""
        user = self.model(username=username.lower(), email=self.normalize_email(email or username), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, email: str = "", password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(username, email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: a merchant (owner or staff of stores) or one of our support staff.

    People who come from BigCommerce are identified by their BigCommerce user id and never merged with
    another account by e-mail; people who signed up on the web sign in with e-mail and password.
    """

    # The e-mail (lower case) for people who sign in on the web; "bc-<id>" for people from BigCommerce.
    username = models.CharField(max_length=254, unique=True)
    email = models.EmailField()
    full_name = models.CharField(max_length=150, blank=True)
    bigcommerce_user_id = models.BigIntegerField(unique=True, null=True, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Backorder support staff: may use the admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=django_timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["email"]

    def __str__(self) -> str:
        return self.email


class StoreMembership(models.Model):
    """Gives a person access to one store, as its owner or as staff."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        STAFF = "staff", "Staff"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "store"], name="one_membership_per_store")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()} of {self.store})"


class OneTimeLogin(models.Model):
    """A single-use, short-lived link that signs a person in on a store's host.

    Sessions are host-only, so signing in on the public host (or in the BigCommerce control panel)
    hands over to the store's host through one of these.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    next_path = models.CharField(max_length=200, default="/")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)

    def __str__(self) -> str:
        return f"sign-in link for {self.user_id} on store {self.store_id}"


class StaffAuditEntry(models.Model):
    """What a support engineer changed in a store's data, and when."""

    class Action(models.TextChoices):
        ADD = "add", "Added"
        CHANGE = "change", "Changed"
        DELETE = "delete", "Deleted"
        EXPORT = "export", "Exported"

    store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    user_email = models.EmailField()
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    changes = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=django_timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "staff audit entries"

    def __str__(self) -> str:
        return f"{self.user_email} {self.action} {self.object_type} {self.object_id}"


class CallbackTokenUse(models.Model):
    """A BigCommerce callback JWT that was used; its `jti` is refused ever after (replay protection)."""

    jti = models.CharField(max_length=128, unique=True)
    store_hash = models.CharField(max_length=32)
    expires_at = models.DateTimeField(db_index=True, help_text="After this the token is dead anyway; row may go.")
    used_at = models.DateTimeField(default=django_timezone.now)

    def __str__(self) -> str:
        return self.jti


class WebhookEvent(models.Model):
    """One webhook delivery from BigCommerce, stored as received and processed later, exactly once.

    `dedupe_key` is the `webhook-id` header when present, else (store, scope, created_at, hash): `hash`
    alone repeats across different events of the same entity.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed, will retry"
        DEAD = "dead", "Dead letter"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    dedupe_key = models.CharField(max_length=200, unique=True)
    scope = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=django_timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=django_timezone.now)
    last_error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["store", "next_attempt_at"],
                condition=models.Q(status__in=["pending", "failed"]),
                name="webhook_event_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} ({self.get_status_display()})"


class WebhookDrainQueued(models.Model):
    """Present while a task to process a store's inbox is queued and has not started yet.

    The acknowledgement queues that task only when it creates this row, so a burst of events queues
    one task; the task deletes the row before it reads the inbox, so no event is left waiting.
    """

    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="+")
    queued_at = models.DateTimeField(default=django_timezone.now)

    def __str__(self) -> str:
        return f"inbox processing queued for store {self.store_id}"


class ApiToken(models.Model):
    """A store's key for an integration (an ERP, a script): `Authorization: Bearer <token>` on its host.

    Only the SHA-256 digest is kept; the token itself is shown once, when it is made. Revoked tokens are
    kept (revoked_at set) so the merchant can see what existed.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “ERP”.")
    prefix = models.CharField(max_length=8, help_text="The token's first characters, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Lease(models.Model):
    """One holder at a time for work that spans several transactions (a store's webhook inbox drain, the
    BigCommerce follow-up of one cancellation). A row rather than a session advisory lock, so that it holds
    behind a transaction-mode pooler and across hosts; a holder that dies leaves it to expire (stores.leases).
    """

    name = models.CharField(max_length=200, primary_key=True)
    holder = models.CharField(max_length=100, help_text="host:process:random, of whoever holds it")
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.expires_at:%H:%M:%S}"
