"""Support staff, in one store's admin (/admin/store/<id>/): revoke a shopper's self-service links, and export
or erase everything the store holds about a shopper's e-mail address. Every use is in the staff audit log."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from backorder.models import Backorder
from notifications import shopper_data
from notifications.self_service.models import SelfServiceAccess
from notifications.self_service.services import access_revoke
from notifications.self_service.tokens import email_digest
from stores.models import StaffAuditEntry
from stores.store_admin import AuditedModelAdmin, audit_record, store_admin_site

EXPORT_ACTION = "export"  # StaffAuditEntry.action for a data export (nothing changed, but it is audited)


class RevokeForm(forms.Form):
    order_id = forms.IntegerField(min_value=1, label="Order number")
    email = forms.EmailField(label="Shopper's e-mail address")


class ShopperDataForm(forms.Form):
    email = forms.EmailField(label="Shopper's e-mail address")


@admin.register(SelfServiceAccess, site=store_admin_site)
class SelfServiceAccessAdmin(AuditedModelAdmin):
    """Links are versioned per order and address; revoking bumps the version (old links stop working)."""

    list_display = ["order_id", "email", "version", "revoked_at", "revoked_by"]
    search_fields = ["order_id", "email"]
    readonly_fields = ["order_id", "email", "version", "revoked_at", "revoked_by", "created_at", "updated_at"]
    change_list_template = "admin/notifications/self_service/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        return [
            path("revoke/", self.admin_site.admin_view(self.revoke_view), name=f"{prefix}_revoke"),
            path("shopper-data/", self.admin_site.admin_view(self.shopper_data_view), name=f"{prefix}_shopper_data"),
        ] + super().get_urls()

    def _changelist_url(self) -> str:
        return reverse(f"{self.admin_site.name}:notifications_selfserviceaccess_changelist")

    def revoke_view(self, request: HttpRequest) -> HttpResponse:
        """Revoke every link of one order for one address (e.g. a forwarded e-mail); new e-mails get new links."""
        form = RevokeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            order_id, email = form.cleaned_data["order_id"], form.cleaned_data["email"]
            if not Backorder.objects.filter(order_id=order_id, customer_email__iexact=email).exists():
                form.add_error(None, "This store has no backorder of that order for that address.")
            else:
                access = access_revoke(order_id=order_id, email=email, revoked_by=request.user.email)
                changes = {"version": {"to": access.version}, "operation": "self_service_links_revoked"}
                audit_record(request=request, action=StaffAuditEntry.Action.CHANGE, obj=access, changes=changes)
                self.message_user(request, f"Every self-service link of order {order_id} for that address is revoked.")
                return HttpResponseRedirect(self._changelist_url())
        context = {**self.admin_site.each_context(request), "title": "Revoke self-service links", "form": form,
                   "opts": self.model._meta}  # fmt: skip
        return TemplateResponse(request, "admin/notifications/self_service/revoke.html", context)

    def shopper_data_view(self, request: HttpRequest) -> HttpResponse:
        """Export (JSON download) or erase (after a confirmation page) a shopper's data in this store."""
        form = ShopperDataForm(request.POST or None)
        step = request.POST.get("step", "")
        if request.method == "POST" and form.is_valid():
            email = form.cleaned_data["email"]
            if step == "export":
                return self._export(request, email)
            if step == "erase_confirmed":
                counts = shopper_data.shopper_data_erase(email=email, erased_by=request.user.email)
                _audit(request, StaffAuditEntry.Action.DELETE, "shopper_data_erased", counts)
                summary = (
                    f"Erased: {counts['backorders_anonymised']} backorders anonymised, "
                    f"{counts['notifications_emptied']} e-mails emptied."
                )
                self.message_user(request, summary, messages.SUCCESS)
                return HttpResponseRedirect(self._changelist_url())
            if step == "erase":
                document = shopper_data.shopper_data_export(email=email)
                context = {
                    **self.admin_site.each_context(request), "title": "Erase a shopper's data", "form": form,
                    "opts": self.model._meta, "email": email, "document": document,
                    "open_backorders": sum(b["status"] in ("waiting", "allocated") for b in document["backorders"]),
                }  # fmt: skip
                return TemplateResponse(request, "admin/notifications/self_service/erase_confirm.html", context)
        context = {**self.admin_site.each_context(request), "title": "Shopper data", "form": form,
                   "opts": self.model._meta}  # fmt: skip
        return TemplateResponse(request, "admin/notifications/self_service/shopper_data.html", context)

    def _export(self, request: HttpRequest, email: str) -> HttpResponse:
        document = shopper_data.shopper_data_export(email=email)
        _audit(request, EXPORT_ACTION, "shopper_data_exported",
               {"email_digest": email_digest(email), "backorders": len(document["backorders"])})  # fmt: skip
        response = HttpResponse(json.dumps(document, cls=DjangoJSONEncoder, indent=2), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="shopper-data-{connection.tenant.slug}.json"'
        response["Cache-Control"] = "no-store"
        return response


def _audit(request: HttpRequest, action: str, operation: str, details: dict) -> None:
    """On the store itself: the shopper's address is not repeated in the log (only its digest)."""
    audit_record(request=request, action=action, obj=connection.tenant, changes={"operation": operation, **details})
