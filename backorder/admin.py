from django.contrib import admin

from backorder.models import Policy
from stores.store_admin import AuditedModelAdmin, store_admin_site


@admin.register(Policy, site=store_admin_site)
class PolicyAdmin(AuditedModelAdmin):
    list_display = ["scope", "bigcommerce_id", "enabled", "mode", "lead_time_days", "max_units", "updated_at"]
    list_filter = ["scope", "enabled", "mode"]
    search_fields = ["bigcommerce_id"]
