"""The merchant's pages on the store host."""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from backorder.models import CatalogSync
from stores import selectors
from stores.bigcommerce.connect import sandbox_enabled


def dashboard(request: HttpRequest) -> HttpResponse:
    if selectors.membership_role(user=request.user, store=request.tenant) is None:
        return redirect_to_login(request.get_full_path())
    context = {
        "sandbox_enabled": sandbox_enabled(),
        "catalog_sync": CatalogSync.objects.first(),
    }
    return render(request, "backorder/dashboard.html", context)
