"""The support admin on the public host: find a store, see who can use it, open its data."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.html import format_html

from stores.models import ApiToken, Domain, StaffAuditEntry, Store, StoreMembership, User, WebhookEvent
from stores.store_admin import AuditedModelAdmin, ReadOnlyAdminMixin, audit_record


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class MembershipInline(admin.TabularInline):
    model = StoreMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Store)
class StoreAdmin(AuditedModelAdmin):
    list_display = [
        "name", "slug", "status", "connection", "plan", "member_count", "primary_domain", "created_at", "open_data"
    ]  # fmt: skip
    list_filter = ["status", "connection", "plan"]
    search_fields = [
        "name", "slug", "schema_name", "public_key", "bigcommerce_store_hash", "domains__domain",
        "memberships__user__email",
    ]  # fmt: skip
    readonly_fields = [
        "schema_name", "public_key", "bigcommerce_store_hash", "bigcommerce_store_id", "connection", "scopes",
        "storefront_origins", "connected_at", "reconciled_at", "created_at", "updated_at", "open_data",
    ]  # fmt: skip
    fields = ["name", "slug", "status", "plan", "timezone", "language", *readonly_fields]
    inlines = [DomainInline, MembershipInline]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).merchants().annotate(member_total=Count("memberships", distinct=True))

    def has_add_permission(self, request) -> bool:
        return False  # stores are made by sign-up or by installing the app, which also create their schema

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: a store's data is kept

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, store: Store) -> int:
        return store.member_total

    @admin.display(description="Host")
    def primary_domain(self, store: Store) -> str:
        return store.host

    @admin.display(description="Store data")
    def open_data(self, store: Store) -> str:
        if not store.pk:
            return "-"
        return format_html('<a href="/admin/store/{}/">Open backorders, policies, notifications</a>', store.pk)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["username"]
    list_display = ["username", "email", "full_name", "bigcommerce_user_id", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_active"]
    search_fields = ["username", "email", "full_name", "bigcommerce_user_id"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["email", "full_name", "bigcommerce_user_id"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["username", "email", "password1", "password2"]})]
    inlines = [MembershipInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj else []


@admin.register(StaffAuditEntry)
class StaffAuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user_email", "store", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["user_email", "object_repr", "object_id", "store__name"]
    date_hierarchy = "at"


admin.site.site_header = "Backorder support"
admin.site.site_title = "Backorder support"
admin.site.index_title = "Stores and people"


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """The webhook inbox: what arrived, what failed, and the dead letters staff can send again."""

    list_display = ["received_at", "store", "scope", "status", "attempts", "next_attempt_at", "short_error"]
    list_filter = ["status", "scope"]
    search_fields = ["store__name", "store__slug", "scope", "dedupe_key"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]
    date_hierarchy = "received_at"
    actions = ["redrive"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Last error")
    def short_error(self, event: WebhookEvent) -> str:
        return event.last_error[:80]

    @admin.action(description="Re-drive the selected dead letters")
    def redrive(self, request, queryset):
        from stores.bigcommerce.tasks import webhook_events_redrive

        ids = list(queryset.values_list("pk", flat=True))
        count = webhook_events_redrive(event_ids=ids)
        for event in queryset.filter(pk__in=ids):
            audit_record(request=request, action=StaffAuditEntry.Action.CHANGE, obj=event, changes={"redrive": True})
        self.message_user(request, f"{count} dead letter(s) queued again.")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Integration tokens: staff can see and revoke them, never read them (only a hash is stored)."""

    list_display = ["name", "store", "prefix", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["name", "store__name", "prefix"]
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name != "revoked_at"]

    def has_add_permission(self, request) -> bool:
        return False
