"""BigCommerce's calls to the app: install (auth), load, uninstall, remove-user, webhooks.

Only `auth` talks to BigCommerce inside the request (the token exchange and the store-info read).
"""

import logging

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from stores import services
from stores.bigcommerce import errors, install
from stores.bigcommerce.callbacks import InvalidCallback, callback_token_consume, callback_verify
from stores.bigcommerce.webhooks import body_too_large, webhook_body_limit, webhook_receive
from stores.models import Store

logger = logging.getLogger(__name__)

CONNECT_COOKIE = "bo_connect"
CONNECT_SALT = "stores.bigcommerce.connect"
CONNECT_MAX_AGE = 30 * 60
MERCHANT_COOKIE = "bo_merchant"
MERCHANT_SALT = "stores.bigcommerce.merchant"
MERCHANT_MAX_AGE = 30 * 24 * 3600


def _error(status: int, message: str) -> HttpResponse:
    return JsonResponse({"error": "bigcommerce_callback", "message": message}, status=status)


def _attach_target(request: HttpRequest) -> Store | None:
    """The web-signed-up store an install from this browser attaches to: the one the merchant asked to
    connect ("Connect your BigCommerce store"), else the only unconnected store the merchant signed in to
    on this browser owns (they may install from BigCommerce's marketplace directly)."""
    unconnected = Store.objects.merchants().filter(bigcommerce_store_hash__isnull=True)
    try:
        data = signing.loads(request.COOKIES.get(CONNECT_COOKIE, ""), salt=CONNECT_SALT, max_age=CONNECT_MAX_AGE)
        return unconnected.filter(pk=data.get("store")).first()
    except signing.BadSignature:
        pass
    try:
        user_id = signing.loads(request.COOKIES.get(MERCHANT_COOKIE, ""), salt=MERCHANT_SALT, max_age=MERCHANT_MAX_AGE)
    except signing.BadSignature:
        return None
    owned = list(unconnected.filter(memberships__user_id=user_id, memberships__role="owner")[:2])
    return owned[0] if len(owned) == 1 else None


def merchant_cookie_set(response: HttpResponse, *, request: HttpRequest, user_id: int) -> HttpResponse:
    """Remember on the public host who signed in here, so a later install can find their store."""
    response.set_cookie(
        MERCHANT_COOKIE,
        signing.dumps(user_id, salt=MERCHANT_SALT),
        max_age=MERCHANT_MAX_AGE,
        httponly=True,
        secure=request.is_secure(),
        samesite="None" if request.is_secure() else "Lax",
    )
    return response


@require_GET
def auth(request: HttpRequest) -> HttpResponse:
    missing = [name for name in ("code", "scope", "context") if not request.GET.get(name)]
    if missing:
        return _error(400, f"Missing query parameter(s): {', '.join(missing)}.")
    if not request.GET["context"].startswith("stores/"):
        return _error(400, "`context` must look like stores/<store_hash>.")
    try:
        result = install.store_install(
            code=request.GET["code"],
            scope=request.GET["scope"],
            context=request.GET["context"],
            attach_to=_attach_target(request),
        )
    except errors.TokenExchangeError as exc:
        logger.warning("Install refused by BigCommerce: %s", exc)
        return render(request, "stores/install_failed.html", {"reason": str(exc)}, status=401)
    except errors.BigCommerceError as exc:
        logger.warning("Install could not reach BigCommerce: %s", exc)
        return render(request, "stores/install_failed.html", {"reason": str(exc)}, status=502)
    if request.GET.get("external_install"):
        response = HttpResponseRedirect(
            f"{settings.BIGCOMMERCE_LOGIN_URL}/app/{settings.BIGCOMMERCE_CLIENT_ID}/install/succeeded"
        )
    else:
        response = HttpResponseRedirect(services.one_time_login_create(user=result.user, store=result.store))
    response.delete_cookie(CONNECT_COOKIE)
    return response


def _verified(request: HttpRequest):
    claims = callback_verify(request.GET.get("signed_payload_jwt", ""))
    callback_token_consume(claims)
    return claims


@require_GET
def load(request: HttpRequest) -> HttpResponse:
    try:
        claims = _verified(request)
        store, user = install.store_load(claims=claims)
    except (InvalidCallback, LookupError) as exc:
        logger.warning("Load callback refused: %s", exc)
        return _error(401, str(exc))
    path = claims.url if claims.url.startswith("/") else "/"
    return HttpResponseRedirect(services.one_time_login_create(user=user, store=store, next_path=path))


@require_GET
def uninstall(request: HttpRequest) -> HttpResponse:
    try:
        claims = _verified(request)
    except InvalidCallback as exc:
        logger.warning("Uninstall callback refused: %s", exc)
        return _error(401, str(exc))
    store = install.store_uninstall(store_hash=claims.store_hash)
    return JsonResponse({"status": "uninstalled" if store else "unknown store"})


@require_GET
def remove_user(request: HttpRequest) -> HttpResponse:
    try:
        claims = _verified(request)
    except InvalidCallback as exc:
        logger.warning("Remove-user callback refused: %s", exc)
        return _error(401, str(exc))
    removed = install.user_remove(store_hash=claims.store_hash, bigcommerce_user_id=claims.user_id)
    return JsonResponse({"status": "removed" if removed else "no such member"})


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


@csrf_exempt
@require_POST
def webhooks(request: HttpRequest) -> HttpResponse:
    declared = _declared_length(request)
    if declared is not None and declared > webhook_body_limit():
        # Refused on the declared length, before reading the body (Django would refuse one over its own
        # limit with an HTML 400; a smaller one would be read into memory only to be refused).
        receipt = body_too_large(size=declared)
    else:
        receipt = webhook_receive(raw_body=request.body, headers=request.headers)
    return JsonResponse(receipt.as_json(), status=receipt.status)


@require_GET
def connect(request: HttpRequest, token: str) -> HttpResponse:
    """Remember, in this browser on the public host, which store the next install should attach to."""
    try:
        data = signing.loads(token, salt=CONNECT_SALT, max_age=CONNECT_MAX_AGE)
    except signing.BadSignature:
        return _error(400, "This connect link has expired; start again from your dashboard.")
    response = HttpResponseRedirect(data["next"])
    response.set_cookie(
        CONNECT_COOKIE,
        signing.dumps({"store": data["store"]}, salt=CONNECT_SALT),
        max_age=CONNECT_MAX_AGE,
        httponly=True,
        secure=request.is_secure(),
        samesite="None" if request.is_secure() else "Lax",
    )
    return response


def connect_link(*, store: Store, next_url: str) -> str:
    """A link (on the public host) that marks this browser as connecting `store`, then goes to `next_url`."""
    token = signing.dumps({"store": store.pk, "next": next_url}, salt=CONNECT_SALT)
    return f"{settings.APP_BASE_URL}/bigcommerce/connect/{token}/"
