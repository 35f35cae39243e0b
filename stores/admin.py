"""The support admin on the public host: find a store, see who can use it, open its data."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.html import format_html

from stores.models import Domain, StaffAuditEntry, Store, StoreMembership, User
from stores.store_admin import AuditedModelAdmin


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class MembershipInline(admin.TabularInline):
    model = StoreMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Store)
class StoreAdmin(AuditedModelAdmin):
    list_display = ["name", "slug", "status", "plan", "member_count", "primary_domain", "created_at", "open_data"]
    list_filter = ["status", "plan"]
    search_fields = ["name", "slug", "schema_name", "public_key", "domains__domain", "memberships__user__email"]
    readonly_fields = ["schema_name", "public_key", "created_at", "updated_at", "open_data"]
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
class StaffAuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "user_email", "store", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["user_email", "object_repr", "object_id", "store__name"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


admin.site.site_header = "Backorder support"
admin.site.site_title = "Backorder support"
admin.site.index_title = "Stores and people"
