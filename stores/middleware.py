"""Request routing to a store's schema, and keeping sessions on the host they were made for."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import set_script_prefix, set_urlconf
from django.urls.base import get_script_prefix

from stores import tenancy
from stores.models import Store

STOREFRONT_PATH = re.compile(r"^/(?:storefront|api/storefront/v1)/(?P<public_key>[^/]+)/")
STORE_ADMIN_PATH = re.compile(r"^/admin/store/(?P<store_id>\d+)(?P<rest>/.*)$")

SESSION_STORE_KEY = "_store_id"


def _activate(request: HttpRequest, store: Store, urlconf: str) -> None:
    request.tenant = store
    connection.set_tenant(store)
    request.urlconf = urlconf
    set_urlconf(urlconf)


class StoreResolutionMiddleware:
    """Selects the store (schema and URLs) for each request.

    - `/storefront/<public_key>/...` and `/api/storefront/v1/<public_key>/...` on the public host: the
      store that owns the key (the shopper's browser is on the store's own domain, so the host says nothing).
    - `/admin/store/<id>/...` on the public host: support staff looking at one store's data.
    - anything else: the store whose domain is the request's host (the public host is a store too).
    A warm request pays no query for this (stores.tenancy); the schema is set once per request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        connection.set_schema_to_public()
        try:
            hostname = request.get_host().rsplit(":", 1)[0].lower()
        except DisallowedHost:
            return HttpResponse("Unknown host.", status=400, content_type="text/plain")
        path = request.path_info
        if hostname == settings.PUBLIC_HOST:
            if match := STOREFRONT_PATH.match(path):
                store = tenancy.store_for_public_key(match["public_key"])
                if store is None or not store.is_active:
                    return JsonResponse(
                        {"error": "unknown_store", "message": "No active store has this public key."}, status=404
                    )
                _activate(request, store, settings.STOREFRONT_URLCONF)
                return self.get_response(request)
            if match := STORE_ADMIN_PATH.match(path):
                return self._store_admin(request, int(match["store_id"]), match["rest"])
        store = tenancy.store_for_host(hostname)
        if store is None:
            raise Http404(f'No store is served at "{hostname}".')
        _activate(request, store, settings.PUBLIC_SCHEMA_URLCONF if store.is_public else settings.ROOT_URLCONF)
        return self.get_response(request)

    def _store_admin(self, request: HttpRequest, store_id: int, rest: str) -> HttpResponse:
        store = Store.objects.merchants().filter(pk=store_id).first()
        if store is None:
            raise Http404("No such store.")
        # The store's admin is mounted at the root of its own URLconf, under this prefix, so the admin
        # builds its links with the store in them and every request names the store it acts on.
        # The prefix is thread-local and outlives the request: put the outer one back afterwards.
        outer = get_script_prefix()
        prefix = f"{outer}admin/store/{store_id}/"
        request.path_info = rest
        set_script_prefix(prefix)
        request.store_admin_prefix = prefix
        _activate(request, store, settings.STORE_ADMIN_URLCONF)
        try:
            return self.get_response(request)
        finally:
            set_script_prefix(outer)


class StoreSessionBindingMiddleware:
    """A session made on one store's host is worthless on any other host.

    Cookies are host-only already; this also refuses a session cookie replayed onto another host.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        staff_viewing_a_store = hasattr(request, "store_admin_prefix")  # public-host session, admin checks staff
        if tenant is not None and user is not None and not staff_viewing_a_store and user.is_authenticated:
            bound_to = request.session.get(SESSION_STORE_KEY)
            if bound_to is None:
                request.session[SESSION_STORE_KEY] = tenant.pk
            elif bound_to != tenant.pk:
                logout(request)
        return self.get_response(request)


class FramingPolicyMiddleware:
    """Only the store's own BigCommerce control panel (and BigCommerce's login host) may frame the app; the
    app's pages also get a Content-Security-Policy that allows only our own scripts (see `page_policy`).

    Replaces X-Frame-Options with CSP `frame-ancestors`; in production the session and CSRF cookies are
    `SameSite=None; Secure; Partitioned` so that they work inside the control panel's iFrame.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    @property
    def login_origin(self) -> str:
        login = urlsplit(settings.BIGCOMMERCE_LOGIN_URL)
        return f"{login.scheme}://{login.netloc}"

    @property
    def page_policy(self) -> str:
        """The app's own pages: scripts and styles from our static files only (no inline scripts), nothing
        embedded from elsewhere; forms may go on to the public host, a store host or BigCommerce's login host
        (Chrome checks form-action along the redirects that follow a submission). Read from the settings on
        each request, so that a changed APP_BASE_URL (a test's live server) is followed."""
        base = urlsplit(settings.APP_BASE_URL)
        port = f":{base.port}" if base.port else ""
        return "; ".join([
            "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
            "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'self'",
            f"form-action 'self' {settings.APP_BASE_URL} {base.scheme}://*.{settings.APP_DOMAIN}{port} "
            f"{self.login_origin}",
        ])  # fmt: skip

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        tenant = getattr(request, "tenant", None)
        ancestors = ["'self'"]
        if tenant is not None and not tenant.is_public and tenant.bigcommerce_store_hash:
            ancestors += [f"https://store-{tenant.bigcommerce_store_hash}.mybigcommerce.com", self.login_origin]
        elif tenant is not None and tenant.is_public and request.path_info.startswith("/bigcommerce/"):
            ancestors += ["https://*.mybigcommerce.com", self.login_origin]
        policy = response.get("Content-Security-Policy", "")
        if not policy and self._is_app_page(request, response):
            policy = self.page_policy
        if "frame-ancestors" not in policy:
            directive = "frame-ancestors " + " ".join(ancestors)
            response["Content-Security-Policy"] = f"{policy}; {directive}" if policy else directive
        if "X-Frame-Options" in response:
            del response["X-Frame-Options"]
        if settings.SESSION_COOKIE_SAMESITE == "None":
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                morsel = response.cookies.get(name)
                if morsel is not None and "Partitioned" not in morsel["samesite"]:
                    morsel["samesite"] = "None; Partitioned"  # Python 3.11's cookies know no Partitioned flag
        return response

    @staticmethod
    def _is_app_page(request: HttpRequest, response: HttpResponse) -> bool:
        """An HTML page of ours; the admin and the API docs (Django's and Swagger UI's inline scripts) are not."""
        return response.get("Content-Type", "").startswith("text/html") and not request.path_info.startswith(
            ("/admin/", "/api/docs/")
        )
