"""The merchant's web app on the store host: server-rendered pages whose data comes from the merchant API.

Each view checks that the signed-in person is a member of this store, renders the page's shell (header,
navigation, headings, forms with their labels) and names the API calls its script makes. Nothing of the
store's data is computed here: the page's script asks the same API the tests and integrations use.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import ensure_csrf_cookie

from stores import selectors
from stores.bigcommerce.connect import sandbox_enabled

# The top navigation, in the merchant's order of work.
NAVIGATION = [
    ("dashboard", "Dashboard", "/"),
    ("backorders", "Backorders", "/backorders/"),
    ("products", "Products", "/products/"),
    ("policies", "Policies", "/policies/"),
    ("purchase_orders", "Purchase orders", "/purchase-orders/"),
    ("notifications", "Notifications", "/notifications/"),
    ("automations", "Automations", "/automations/"),
    ("settings", "Settings", "/settings/"),
]

SETTINGS_SECTIONS = [
    ("store", "Store"),
    ("widget", "Storefront widget"),
    ("catalog", "Catalog sync"),
    ("connection", "Connection"),
    ("team", "Team"),
    ("api-tokens", "API tokens"),
    ("webhooks", "Webhooks"),
]

NOTIFICATION_SECTIONS = [("templates", "E-mail templates"), ("log", "Message log"), ("recipients", "Alert recipients")]
AUTOMATION_SECTIONS = [("rules", "Rules"), ("templates", "Templates"), ("log", "Run log"), ("tasks", "Tasks")]


def email_preview_policy() -> str:
    """The app pages' policy (stores.middleware), plus what whole e-mails need in their preview: their own
    inline styles (already allowed) and remote images. The previews render in a sandboxed frame (no scripts,
    no access to this page), which inherits this page's policy."""
    from stores.middleware import FramingPolicyMiddleware

    policy = FramingPolicyMiddleware(get_response=None).page_policy
    return policy.replace("img-src 'self' data:", "img-src 'self' data: https:")


def api_available(path: str) -> bool:
    """Whether this host serves an API path (the notifications and widget APIs come from other apps,
    which the web app uses through their URLs only, never by importing them)."""
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def merchant_page(page: str):
    """A page for this store's members: others are sent to sign in on this host."""

    def decorate(view):
        @wraps(view)
        @ensure_csrf_cookie
        def run(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            role = selectors.membership_role(user=request.user, store=request.tenant)
            if role is None:
                return redirect_to_login(request.get_full_path())
            request.merchant_role = role
            return view(request, *args, **kwargs)  # the content security policy: stores.middleware

        run.merchant_page = page
        return run

    return decorate


def _page(request: HttpRequest, template: str, page: str, title: str, **context) -> HttpResponse:
    store = request.tenant
    context = {
        "page": page,
        "page_title": title,
        "navigation": NAVIGATION,
        "role": request.merchant_role,
        "is_owner": request.merchant_role == "owner",
        "connected": store.connection == store.Connection.CONNECTED,
        "notifications_available": api_available("/api/v1/notifications/"),
        "widget_api_available": api_available("/api/v1/widget-appearance/"),
        "automations_available": api_available("/api/v1/automations/rules/"),
        "webhooks_available": api_available("/api/v1/webhooks/"),
        **context,
    }
    return render(request, f"backorder/app/{template}", context)


@merchant_page("dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    return _page(request, "dashboard.html", "dashboard", "Dashboard", sandbox_enabled=sandbox_enabled())


def dashboard_redirect(request: HttpRequest) -> HttpResponse:
    """The old address of the dashboard."""
    return redirect("dashboard", permanent=False)


@merchant_page("backorders")
def backorders(request: HttpRequest) -> HttpResponse:
    return _page(request, "backorders.html", "backorders", "Backorders")


@merchant_page("backorders")
def backorder_detail(request: HttpRequest, backorder_id: int) -> HttpResponse:
    return _page(request, "backorder_detail.html", "backorders", "Backorder", backorder_id=backorder_id)


@merchant_page("products")
def products(request: HttpRequest) -> HttpResponse:
    return _page(request, "products.html", "products", "Products")


@merchant_page("policies")
def policies(request: HttpRequest) -> HttpResponse:
    return _page(request, "policies.html", "policies", "Policies")


@merchant_page("policies")
def policy_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    title = "Edit policy" if policy_id else "New policy"
    return _page(request, "policy_edit.html", "policies", title, policy_id=policy_id)


@merchant_page("purchase_orders")
def purchase_orders(request: HttpRequest) -> HttpResponse:
    return _page(request, "purchase_orders.html", "purchase_orders", "Purchase orders")


@merchant_page("purchase_orders")
def purchase_order_new(request: HttpRequest) -> HttpResponse:
    return _page(request, "purchase_order_new.html", "purchase_orders", "New purchase order")


@merchant_page("purchase_orders")
def purchase_order_detail(request: HttpRequest, purchase_order_id: int) -> HttpResponse:
    return _page(
        request, "purchase_order_detail.html", "purchase_orders", "Purchase order", purchase_order_id=purchase_order_id
    )


@merchant_page("notifications")
def notifications(request: HttpRequest, section: str = "templates") -> HttpResponse:
    sections = dict(NOTIFICATION_SECTIONS)
    if section not in sections:
        raise Http404("No such notifications page.")
    response = _page(
        request, "notifications.html", "notifications", sections[section], section=section,
        sections=NOTIFICATION_SECTIONS,
    )  # fmt: skip
    response["Content-Security-Policy"] = email_preview_policy()
    return response


@merchant_page("automations")
def automations(request: HttpRequest, section: str = "rules") -> HttpResponse:
    sections = dict(AUTOMATION_SECTIONS)
    if section not in sections:
        raise Http404("No such automations page.")
    return _page(request, "automations.html", "automations", sections[section], section=section,
                 sections=AUTOMATION_SECTIONS)  # fmt: skip


@merchant_page("automations")
def automation_rule(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    """The rule editor: a sentence (when …, if …, then …) built from the automations API's catalog."""
    return _page(request, "automation_rule.html", "automations", "Edit rule" if rule_id else "New rule",
                 rule_id=rule_id)  # fmt: skip


@merchant_page("settings")
def settings_page(request: HttpRequest, section: str = "store") -> HttpResponse:
    sections = dict(SETTINGS_SECTIONS)
    if section not in sections:
        raise Http404("No such settings page.")
    return _page(
        request, "settings.html", "settings", sections[section], section=section, sections=SETTINGS_SECTIONS,
        time_zones=_time_zones(), languages=_languages(),
    )  # fmt: skip


def _time_zones() -> list[str]:
    from zoneinfo import available_timezones

    return sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC")


def _languages() -> list[tuple[str, str]]:
    from django.conf import settings

    return list(settings.LANGUAGES)
