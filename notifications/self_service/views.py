"""The shopper's self-service page on the public host: `/s/<signed token>/`.

The store comes from the token; the request runs in that store's schema. Reading is a GET; every change is a
GET of a confirmation page, then a POST of its form (with Django's CSRF token), so link scanners that open
every link in an e-mail change nothing. Every response is throttled per link and IP, never cached and never
sent as a referrer.
"""

from __future__ import annotations

import functools

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_tenants.utils import tenant_context

from backorder.services.cancellation import CancellationNotAllowed
from backorder.services.lifecycle import IllegalTransition
from notifications.consent import DelayNotOpen, delay_accept
from notifications.rendering import branding
from notifications.self_service import services
from notifications.self_service.access import LinkProblem, OpenedLink, link_claims, link_lines, link_open, link_store
from notifications.self_service.forms import ConfirmForm
from notifications.self_service.selectors import order_page
from notifications.self_service.texts import Texts, language_for
from notifications.self_service.throttle import throttle_allows

DONE_MESSAGES = {"accepted": "done_accepted", "cancelled": "done_cancelled", "shipping": "done_shipping",
                 "not_possible": "not_possible"}  # fmt: skip
NOT_POSSIBLE = (CancellationNotAllowed, IllegalTransition, DelayNotOpen, services.ShippingChoiceClosed)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render(request, template, {**context, "language": context["t"].language}, status=status)


def _problem(request: HttpRequest, texts: Texts, reason: str, status: int, *, store=None, renew_token: str = ""):
    context = {
        "t": texts,
        "title": texts[f"{reason}_title"],
        "body": texts.get(f"{reason}_body", store=store.name if store else ""),
        "store": store,
        "renew_token": renew_token,
    }
    return _private(_render(request, "self_service/problem.html", context, status=status))


def _browser_texts(request: HttpRequest, store=None) -> Texts:
    return Texts(language_for(getattr(request, "LANGUAGE_CODE", ""), store.language if store else "en"))


def link_view(view):
    """Throttle, check the link, enter the store's schema and hand the view the opened link."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, token: str, **kwargs) -> HttpResponse:
        if not throttle_allows(token=token, ip=request.META.get("REMOTE_ADDR", "")):
            return _problem(request, _browser_texts(request), "throttled", 429)
        try:
            claims = link_claims(token)
            store = link_store(claims)
        except LinkProblem as problem:
            return _problem(request, _browser_texts(request, problem.store), problem.reason, problem.status,
                            store=problem.store)  # fmt: skip
        with tenant_context(store):
            try:
                opened = link_open(claims=claims, store=store)
            except LinkProblem as problem:
                return _problem(request, _browser_texts(request, store), problem.reason, problem.status, store=store,
                                renew_token=token if problem.renewable else "")  # fmt: skip
            texts = Texts(language_for(opened.backorders[0].customer_locale, store.language))
            return _private(view(request, token, opened=opened, texts=texts, **kwargs))

    return wrapper


def _page_url(token: str, done: str = "") -> str:
    url = reverse("self_service:page", kwargs={"token": token})
    return f"{url}?done={done}" if done else url


def _context(opened: OpenedLink, texts: Texts, **extra) -> dict:
    """The store's name and brand colour (the one its e-mails and widget use) frame every page."""
    return {"brand": branding(opened.store),"t": texts, "store": opened.store, "order_id": opened.claims.order_id,
            "title": texts.get("page_title", order=opened.claims.order_id), **extra}  # fmt: skip


@require_http_methods(["GET", "HEAD"])
@link_view
def page(request: HttpRequest, token: str, *, opened: OpenedLink, texts: Texts) -> HttpResponse:
    """Where each line of the order stands, its date history, and what the shopper may still do."""
    done = request.GET.get("done", "")
    view = order_page(backorders=opened.backorders, texts=texts, timezone_name=opened.store.timezone,
                      store_name=opened.store.name)  # fmt: skip
    message = DONE_MESSAGES.get(done)
    message = texts[message] if message else ""
    return _render(request, "self_service/page.html",
                  _context(opened, texts, page=view, message=message, token=token))  # fmt: skip


def _confirm(request, token, opened, texts, *, question: str, items, perform, done: str) -> HttpResponse:
    """GET: the confirmation page. POST (its form): do it, then back to the page with the outcome."""
    if request.method == "POST":
        form = ConfirmForm(request.POST)
        if form.is_valid():
            try:
                perform()
            except NOT_POSSIBLE:
                return HttpResponseRedirect(_page_url(token, "not_possible"), status=303)
            return HttpResponseRedirect(_page_url(token, done), status=303)
        status = 400
    else:
        form, status = ConfirmForm(), 200
    context = _context(opened, texts, question=question, items=items, form=form, back_url=_page_url(token))
    return _render(request, "self_service/confirm.html", context, status=status)


def _line(opened: OpenedLink, backorder_id: int):
    return next((b for b in opened.backorders if b.pk == backorder_id), None)


def _item(backorder) -> str:
    return backorder.product_name or backorder.sku or str(backorder.variant_id)


@require_http_methods(["GET", "HEAD", "POST"])
@link_view
def accept(request, token: str, backorder_id: int, *, opened: OpenedLink, texts: Texts) -> HttpResponse:
    """Accept the new date of a delayed line."""
    backorder = _line(opened, backorder_id)
    if backorder is None:
        return _problem(request, texts, "bad", 404, store=opened.store)
    if backorder.status != backorder.Status.WAITING and request.method != "POST":
        return HttpResponseRedirect(_page_url(token, "not_possible"), status=303)
    question = texts.get("confirm_accept", item=_item(backorder), date=texts.date(backorder.expected_ship_date))
    return _confirm(request, token, opened, texts, question=question, items=[backorder],
                    perform=lambda: delay_accept(backorder=backorder), done="accepted")  # fmt: skip


@require_http_methods(["GET", "HEAD", "POST"])
@link_view
def cancel_line(request, token: str, backorder_id: int, *, opened: OpenedLink, texts: Texts) -> HttpResponse:
    """Cancel one line for a full refund, where the policy (or a pending consent request) allows."""
    backorder = _line(opened, backorder_id)
    if backorder is None:
        return _problem(request, texts, "bad", 404, store=opened.store)
    if not services.may_cancel(backorder):
        return HttpResponseRedirect(_page_url(token, "not_possible"), status=303)
    question = texts.get("confirm_cancel_line", quantity=backorder.quantity, item=_item(backorder))
    return _confirm(request, token, opened, texts, question=question, items=[backorder],
                    perform=lambda: services.shopper_cancel(backorder=backorder), done="cancelled")  # fmt: skip


@require_http_methods(["GET", "HEAD", "POST"])
@link_view
def cancel_order(request, token: str, *, opened: OpenedLink, texts: Texts) -> HttpResponse:
    """Cancel every line the shopper may still cancel."""
    lines = [b for b in opened.backorders if services.may_cancel(b)]
    if not lines:
        return HttpResponseRedirect(_page_url(token, "not_possible"), status=303)
    return _confirm(request, token, opened, texts, question=texts["confirm_cancel_order"], items=lines,
                    perform=lambda: services.shopper_cancel_all(backorders=lines), done="cancelled")  # fmt: skip


@require_http_methods(["GET", "HEAD", "POST"])
@link_view
def shipping(request, token: str, preference: str, *, opened: OpenedLink, texts: Texts) -> HttpResponse:
    """Ship everything together, or what is ready first, while nothing has shipped."""
    if preference not in services.SHIPPING_CHOICES:
        return _problem(request, texts, "bad", 404, store=opened.store)
    if not services.shipping_choice_open(opened.backorders):
        return HttpResponseRedirect(_page_url(token, "not_possible"), status=303)
    question = texts.get("confirm_shipping", choice=texts[f"shipping_{preference}"])
    return _confirm(request, token, opened, texts, question=question, items=[],
                    perform=lambda: services.shipping_preference_change(backorders=opened.backorders,
                                                                        preference=preference),
                    done="shipping")  # fmt: skip


@require_POST
def renew(request: HttpRequest, token: str) -> HttpResponse:
    """An expired (but authentic, unrevoked) link asks for a fresh one, sent to the address on the order."""
    if not throttle_allows(token=token, ip=request.META.get("REMOTE_ADDR", "")):
        return _problem(request, _browser_texts(request), "throttled", 429)
    try:
        claims = link_claims(token)
        store = link_store(claims)
        with tenant_context(store):
            services.fresh_link_send(backorders=link_lines(claims=claims, store=store))
    except LinkProblem as problem:
        return _problem(request, _browser_texts(request, problem.store), problem.reason, problem.status,
                        store=problem.store)  # fmt: skip
    texts = _browser_texts(request, store)
    context = {"t": texts, "title": texts["expired_title"], "body": texts["renew_sent"], "store": store}
    return _private(_render(request, "self_service/problem.html", context))
