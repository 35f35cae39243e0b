"""The merchant's "Connect your BigCommerce store" and "Try it with the sandbox store" buttons."""

from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from stores import selectors
from stores.bigcommerce.views import connect_link
from stores.models import StoreMembership


def sandbox_enabled() -> bool:
    """The sandbox plays BigCommerce only on loopback, and only where it is allowed (DEBUG, tests)."""
    host = urlsplit(settings.BIGCOMMERCE_API_URL).hostname
    return settings.BIGCOMMERCE_SANDBOX and host in ("127.0.0.1", "localhost", "::1")


def _owner_of_unconnected_store(request: HttpRequest) -> str | None:
    """Why this person may not connect this store now, or None when they may."""
    if selectors.membership_role(user=request.user, store=request.tenant) != StoreMembership.Role.OWNER:
        return "Only the store's owner can connect it to BigCommerce."
    if request.tenant.bigcommerce_store_hash:
        return "This store is already connected to a BigCommerce store."
    return None


@require_POST
def connect_bigcommerce(request: HttpRequest) -> HttpResponse:
    """Go to BigCommerce's install page; the install that follows attaches to this store."""
    if problem := _owner_of_unconnected_store(request):
        messages.error(request, problem)
        return redirect("dashboard")
    install_url = f"{settings.BIGCOMMERCE_LOGIN_URL}/app/{settings.BIGCOMMERCE_CLIENT_ID}/install"
    return HttpResponseRedirect(connect_link(store=request.tenant, next_url=install_url))


@require_POST
def connect_sandbox(request: HttpRequest) -> HttpResponse:
    """Create a seeded store in the built-in sandbox and install the app on it, as a merchant would."""
    if not sandbox_enabled():
        messages.error(request, "The sandbox store is only available in the demo and in development.")
        return redirect("dashboard")
    if problem := _owner_of_unconnected_store(request):
        messages.error(request, problem)
        return redirect("dashboard")
    base = f"{settings.BIGCOMMERCE_API_URL}/_sandbox"
    try:
        created = requests.post(
            f"{base}/stores",
            json={"name": f"{request.tenant.name} (sandbox)", "owner_email": request.user.email, "seed": 7},
            timeout=30,
        )
        created.raise_for_status()
        store_hash = created.json()["store_hash"]
        install = requests.post(f"{base}/stores/{store_hash}/install", json={"perform": False}, timeout=10)
        install.raise_for_status()
    except (requests.RequestException, KeyError, ValueError):
        messages.error(request, "The sandbox store is not answering. Is it running (bin/run starts it)?")
        return redirect("dashboard")
    return HttpResponseRedirect(connect_link(store=request.tenant, next_url=install.json()["auth_url"]))
