"""Sign-up and sign-in pages.

On the public host: landing, sign-up, sign-in (which hands over to the store's host: sessions are
host-only), password reset. On a store's host: sign-in, sign-out, and redeeming a hand-over link.
"""

import logging
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from stores import provisioning, selectors, services, sign_in_limits
from stores.bigcommerce.views import merchant_cookie_set
from stores.forms import EmailAuthenticationForm, LoginRefusedForm, SignUpForm
from stores.middleware import SESSION_STORE_KEY

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "stores/home.html")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and (refusal := sign_in_limits.signup_refusal(request)):
        form.add_error(None, refusal)
        return render(request, "stores/signup.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.store_sign_up(**form.cleaned_data)
        except provisioning.StaleTemplateError:
            logger.exception("Sign-up refused: the store template schema is not current")
            return render(request, "stores/signup_unavailable.html", status=503)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            response = HttpResponseRedirect(services.one_time_login_create(user=result.user, store=result.store))
            return merchant_cookie_set(response, request=request, user_id=result.user.pk)
    return render(request, "stores/signup.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def public_login(request: HttpRequest) -> HttpResponse:
    """Check the password here, then send the person to their store's host, signed in there."""
    form = EmailAuthenticationForm(request, data=request.POST or None)
    if refused := _login_refused(request, form):
        return refused
    if request.method == "POST" and _login_valid(request, form):
        user = form.get_user()
        stores = list(selectors.stores_for_user(user=user))
        if len(stores) == 1:
            response = HttpResponseRedirect(services.one_time_login_create(user=user, store=stores[0]))
            return merchant_cookie_set(response, request=request, user_id=user.pk)
        if not stores:
            form.add_error(None, "This account has no store yet. Sign up to create one.")
        else:
            links = [(store, services.one_time_login_create(user=user, store=store)) for store in stores]
            return render(request, "stores/choose_store.html", {"links": links})
    return render(request, "stores/login.html", {"form": form}, status=400 if form.errors else 200)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "stores/password_reset.html"
    email_template_name = "stores/password_reset_email.txt"
    subject_template_name = "stores/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "stores/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


@require_http_methods(["GET", "POST"])
def store_login(request: HttpRequest) -> HttpResponse:
    """Sign in directly on a store's host (members of this store only)."""
    form = EmailAuthenticationForm(request, data=request.POST or None)
    if refused := _login_refused(request, form):
        return refused
    if request.method == "POST" and _login_valid(request, form):
        user = form.get_user()
        if selectors.membership_role(user=user, store=request.tenant) is None:
            form.add_error(None, "This account has no access to this store.")
        else:
            login(request, user)
            request.session[SESSION_STORE_KEY] = request.tenant.pk
            return redirect(_safe_next(request.GET.get("next")))
    return render(request, "stores/login.html", {"form": form}, status=400 if form.errors else 200)


def _login_refused(request: HttpRequest, form: EmailAuthenticationForm) -> HttpResponse | None:
    """429 with the form when this e-mail or client address failed too often lately (stores.sign_in_limits)."""
    if request.method != "POST":
        return None
    refusal = sign_in_limits.login_refusal(request, email=request.POST.get("username", ""))
    if refusal is None:
        return None
    refused_form = LoginRefusedForm(request, data=request.POST, refusal=refusal)
    refused_form.is_valid()
    return render(request, "stores/login.html", {"form": refused_form}, status=429)


def _login_valid(request: HttpRequest, form: EmailAuthenticationForm) -> bool:
    email = request.POST.get("username", "")
    if form.is_valid():
        sign_in_limits.login_success_record(email=email)
        return True
    sign_in_limits.login_failure_record(request, email=email)
    return False


def handoff(request: HttpRequest, token: str) -> HttpResponse:
    link = services.one_time_login_redeem(token=token, store=request.tenant)
    if link is None:
        messages.error(request, "That sign-in link has expired or was already used. Please sign in.")
        return redirect("login")
    logout(request)
    login(request, link.user, backend="stores.auth.EmailBackend")
    request.session[SESSION_STORE_KEY] = request.tenant.pk
    # If the browser refuses our cookie (inside the control panel's iFrame), the check page offers a
    # fresh link that opens the app in a new tab.
    spare = services.one_time_login_create(user=link.user, store=request.tenant, next_path=link.next_path)
    query = urlencode({"next": _safe_next(link.next_path), "spare": urlsplit(spare).path})
    return redirect(f"{reverse('session-check')}?{query}")


def session_check(request: HttpRequest) -> HttpResponse:
    next_path = _safe_next(request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_path)
    spare = request.GET.get("spare", "")
    if not spare.startswith("/auth/handoff/"):
        return redirect("login")
    return render(request, "stores/open_in_new_tab.html", {"spare": spare})


@require_POST
def store_logout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("login")


def _safe_next(path: str | None) -> str:
    if path and path.startswith("/") and not path.startswith("//"):
        return path
    return "/"
