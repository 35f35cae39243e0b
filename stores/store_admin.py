"""Support staff's window into one store's own data, with every change recorded.

The middleware mounts this site under /admin/store/<id>/ and switches the connection into that store's
schema for the request, so each request names the store it acts on (nothing is kept in the session).
"""

from django.contrib import admin
from django.db import connection
from django.http import HttpRequest

from stores.models import StaffAuditEntry, Store


def _current_store() -> Store | None:
    tenant = getattr(connection, "tenant", None)
    return tenant if isinstance(tenant, Store) and not tenant.is_public else None


def audit_record(*, request: HttpRequest, action: str, obj, changes: dict | None = None) -> StaffAuditEntry:
    """Write down who changed what in which store, and when."""
    store = obj if isinstance(obj, Store) else _current_store()
    return StaffAuditEntry.objects.create(
        store_id=store.pk if store else None,
        user=request.user,
        user_email=request.user.email,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes or {},
    )


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose every add, change and delete leaves a StaffAuditEntry."""

    def save_model(self, request, obj, form, change):
        before = {name: form.initial.get(name) for name in form.changed_data} if change else {}
        super().save_model(request, obj, form, change)
        changes = {
            name: {"from": _plain(before.get(name)), "to": _plain(form.cleaned_data.get(name))}
            for name in form.changed_data
        }
        action = StaffAuditEntry.Action.CHANGE if change else StaffAuditEntry.Action.ADD
        audit_record(request=request, action=action, obj=obj, changes=changes)

    def delete_model(self, request, obj):
        audit_record(request=request, action=StaffAuditEntry.Action.DELETE, obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(request=request, action=StaffAuditEntry.Action.DELETE, obj=obj)
        super().delete_queryset(request, queryset)


class ReadOnlyAdminMixin:
    """Staff may look, not add, change or delete (the data is written elsewhere)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


class StoreDataAdminSite(admin.AdminSite):
    site_header = "Backorder support: store data"
    index_template = "admin/store_data_index.html"

    def each_context(self, request):
        context = super().each_context(request)
        context["viewed_store"] = _current_store()
        context["site_header"] = (
            f"Store data: {context['viewed_store']}" if context["viewed_store"] else self.site_header
        )
        return context

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff


store_admin_site = StoreDataAdminSite(name="storeadmin")
