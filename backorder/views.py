"""The merchant's pages on the store host."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from stores import selectors


def dashboard(request: HttpRequest) -> HttpResponse:
    if selectors.membership_role(user=request.user, store=request.tenant) is None:
        return redirect_to_login(request.get_full_path())
    install_url = f"{settings.BIGCOMMERCE_LOGIN_URL}/app/{settings.BIGCOMMERCE_CLIENT_ID}/install"
    return render(request, "backorder/dashboard.html", {"bigcommerce_install_url": install_url})
