"""Public storefront API (the store comes from the public key in the path; no cookies, no auth)."""

import hashlib
import json
import re

from django.core.exceptions import ValidationError
from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from backorder import storefront_answers, texts
from backorder.api.availability_serializers import ProductAvailabilityOutputSerializer
from backorder.models import VariantAvailability
from backorder.selectors_storefront import (
    availability_rows,
    widget_appearance_get,
    widget_appearance_public,
    widget_languages,
    widget_strings,
)
from backorder.services.availability import (
    availability_answer,
    cart_summary,
    policy_pending_annotated,
    rows_for_customer_group,
    rows_under_saved_policies,
    store_today,
)
from backorder.services.locations import rows_at_location
from backorder.storefront_answers import window_count
from stores.bigcommerce.customers import GUESTS, CustomerTokenRefused, current_customer_verify

LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
MAX_QUANTITY = 100_000
ERROR_FIELDS = {"error": serializers.CharField(), "message": serializers.CharField()}
# Answers change when stock, policies or purchase orders do; browsers and CDNs may reuse one briefly.
CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=60"
# The answer for a signed-in shopper (customer_jwt) is theirs: no shared cache may keep it, and nothing in the
# request's headers says whom it is for (the token is in the URL), so `Vary: *` (RFC 9110 §12.5.5).
PRIVATE_CACHE_CONTROL = "private, max-age=30"
CUSTOMER_JWT_HELP = (
    "The token the storefront's /customer/current.jwt?app_client_id=<the app's client id> returned for a "
    "signed-in shopper (BigCommerce's Current Customer API): the answer is then for the shopper's customer "
    "group, private to them. Absent: the guests' answer. Forged, expired or another store's: 401."
)
MAX_TOKEN_LENGTH = 4096
LOCATION_HELP = (
    "BigCommerce location id: the answer about that location's stock, its own backorders, incoming purchase "
    "orders and cap (e.g. a pick-up-in-store page); without it, the storefront's answer (the locations that "
    "sell online). Unknown location: 404."
)
CONFIG_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=3600"


class StorefrontThrottle(SimpleRateThrottle):
    """Per store and client IP, so one busy shopper (or bot) cannot starve a store's product pages.

    Counted in fixed windows of the rate's period with one counter step per request (one round trip to
    Redis): DRF's sliding log stores the time of every request in the window again on each request, which
    costs the most for the busiest clients. A client may therefore reach twice the rate across a window's
    edge."""

    scope = "storefront"
    wait_seconds = 0.0

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": f"{request.tenant.pk}:{self.get_ident(request)}"}

    def allow_request(self, request, view) -> bool:
        if self.rate is None or (key := self.get_cache_key(request, view)) is None:
            return True
        now = self.timer()
        window = f"{key}:{int(now // self.duration)}"
        self.wait_seconds = self.duration - now % self.duration
        if getattr(view, "counts_with_the_answer", False) and storefront_answers.enabled():
            request.storefront_count = (self, (window, self.duration + 1))  # stepped with the cache lookup
            return True
        return window_count(self.cache, window, ttl=self.duration + 1) <= self.num_requests

    def check(self, view, counted: int | None) -> None:
        """The deferred step's verdict (see allow_request): over the rate, the request is throttled."""
        if counted is not None and counted > self.num_requests:
            view.throttled(view.request, self.wait())

    def wait(self) -> float:
        return self.wait_seconds


class StorefrontApi(APIView):
    """The storefront API's manners: no cookies or sign-in (the public key names the store), throttled."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [StorefrontThrottle]


class WidgetColorsSerializer(serializers.Serializer):
    accent = serializers.CharField()
    on_accent = serializers.CharField(help_text="Text colour on accent-coloured buttons (white or black).")
    text = serializers.CharField()
    background = serializers.CharField()


class WidgetLabelsSerializer(serializers.Serializer):
    backorder = serializers.CharField(allow_blank=True)
    preorder = serializers.CharField(allow_blank=True)
    unavailable = serializers.CharField(allow_blank=True)


class WidgetSwitchesSerializer(serializers.Serializer):
    split = serializers.BooleanField()
    notify_me = serializers.BooleanField()
    alternatives = serializers.BooleanField()


class StorefrontConfigApi(StorefrontApi):
    """What the storefront widget needs to know about the store before it asks about products: its
    colours, label overrides, switches, and its own words in the shopper's language."""

    class StorefrontConfigOutputSerializer(serializers.Serializer):
        store_name = serializers.CharField()
        language = serializers.CharField()
        timezone = serializers.CharField()
        widget_language = serializers.CharField(help_text="The language of `strings`.")
        languages = serializers.ListField(child=serializers.CharField(), help_text="Languages the widget speaks.")
        colors = WidgetColorsSerializer()
        labels = WidgetLabelsSerializer(help_text="The merchant's button labels; empty = the built-in ones.")
        show = WidgetSwitchesSerializer()
        strings = serializers.DictField(child=serializers.CharField())

    OutputSerializer = StorefrontConfigOutputSerializer

    @extend_schema(
        operation_id="storefront_config", responses=OutputSerializer, summary="Widget configuration",
        parameters=[OpenApiParameter("locale", str, description="The storefront's language, e.g. de-DE")],
    )  # fmt: skip
    def get(self, request, public_key: str):
        store = request.tenant
        locale = request.GET.get("locale") or ""
        if locale and not LOCALE.match(locale):
            return _bad_request("locale must look like en or en-US.")
        appearance = widget_appearance_get(cached=True)
        languages, fallback = widget_languages(appearance, store.language)
        wanted = texts.language_for(locale, fallback)
        language = wanted if wanted in languages else fallback
        data = {
            "store_name": store.name, "language": store.language, "timezone": store.timezone,
            "widget_language": language, "languages": languages, **widget_appearance_public(appearance),
            "strings": widget_strings(appearance, language),
        }  # fmt: skip
        return Response(self.OutputSerializer(data).data, headers={"Cache-Control": CONFIG_CACHE_CONTROL})


def _bad_request(message: str) -> Response:
    return Response({"error": "invalid", "message": message}, status=400)


def shopper_group(request) -> int | None:
    """The customer group of the signed-in shopper a storefront question is for (its `customer_jwt`, checked
    against the app's client secret and the store), or None for a guest (no token). A token that cannot be
    trusted raises CustomerTokenRefused."""
    token = request.GET.get("customer_jwt", "").strip()
    if not token:
        return None
    if len(token) > MAX_TOKEN_LENGTH:
        raise CustomerTokenRefused("customer_jwt is too long to be a Current Customer token.")
    return current_customer_verify(token, store_hash=request.tenant.bigcommerce_store_hash).customer_group_id


def _refused(view, request, refused: CustomerTokenRefused) -> Response:
    """401 for a customer token that cannot be trusted; the request still counts for the throttle (its step may
    have been left to the warm lookup: StorefrontThrottle.allow_request)."""
    throttle, count = getattr(request, "storefront_count", (None, None))
    if throttle is not None:
        throttle.check(view, window_count(throttle.cache, count[0], ttl=count[1]))
    body = {"error": "unauthorized", "message": str(refused)}
    return Response(body, status=401, headers={"Cache-Control": "no-store"})


def _private(headers: dict) -> dict:
    """Caching headers of an answer for a signed-in shopper (see PRIVATE_CACHE_CONTROL)."""
    return {**headers, "Cache-Control": PRIVATE_CACHE_CONTROL, "Vary": "*"}


class ProductAvailabilityApi(StorefrontApi):
    """State, split, label, message and expected ship date of a product (or one of its variants)."""

    OutputSerializer = ProductAvailabilityOutputSerializer
    counts_with_the_answer = True  # the throttle's counter is stepped in the warm lookup's round trip

    @extend_schema(
        operation_id="storefront_product_availability",
        summary="Availability of a product for a requested quantity",
        parameters=[
            OpenApiParameter("variant_id", int, description="BigCommerce variant id; optional for a single variant"),
            OpenApiParameter("quantity", int, description="Units the shopper wants (default 1)"),
            OpenApiParameter("locale", str, description="Language of the texts, e.g. en, de-DE (default: the store's)"),
            OpenApiParameter("customer_jwt", str, description=CUSTOMER_JWT_HELP),
            OpenApiParameter("location_id", int, description=LOCATION_HELP),
        ],
        responses={
            200: OutputSerializer,
            400: inline_serializer("StorefrontError", ERROR_FIELDS),
            304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)"),
            401: inline_serializer("StorefrontUnauthorized", ERROR_FIELDS),
            404: inline_serializer("StorefrontNotFound", ERROR_FIELDS),
            429: inline_serializer("StorefrontThrottled", ERROR_FIELDS),
        },
    )  # fmt: skip
    def get(self, request, public_key: str, product_id: str):
        try:
            product = int(product_id)
            variant = int(request.GET["variant_id"]) if request.GET.get("variant_id", "") != "" else None
            quantity = int(request.GET.get("quantity") or 1)
            location = int(request.GET["location_id"]) if request.GET.get("location_id", "") != "" else None
        except ValueError:
            return _bad_request("product_id, variant_id, quantity and location_id must be whole numbers.")
        if not 1 <= quantity <= MAX_QUANTITY:
            return _bad_request(f"quantity must be between 1 and {MAX_QUANTITY}.")
        locale = request.GET.get("locale") or ""
        if locale and not LOCALE.match(locale):
            return _bad_request("locale must look like en or en-US.")
        language = texts.language_for(locale, request.tenant.language)
        try:
            group = shopper_group(request)
        except CustomerTokenRefused as refused:
            return _refused(self, request, refused)
        today = store_today(request.tenant)
        if not storefront_answers.enabled():
            return self._answer(request, product, variant, quantity, language, today, group=group, location=location)
        # Warm: the answer from the shared cache, no query (backorder/storefront_answers.py).
        store, question = request.tenant.schema_name, (product, variant or "", quantity, language, today)
        if group:  # a customer group's answer is kept under its group: it never reaches another group's shopper
            question += (f"group-{group}",)
        if location is not None:  # one location's answer is kept under its location
            question += (f"location-{location}",)
        throttle, count = getattr(request, "storefront_count", (None, None))
        cached, generations, counted = storefront_answers.answer_get(
            store=store, product_id=product, question=question, count=count
        )
        if throttle is not None:
            throttle.check(self, counted)
        if cached is None:
            cached = self._answer(
                request, product, variant, quantity, language, today, rendered=False, group=group, location=location
            )
            storefront_answers.answer_put(store=store, question=question, generations=generations, answer=cached)
        return self._from_parts(request, cached, private=group is not None)

    def _answer(
        self, request, product, variant, quantity, language, today, *, rendered=True, group=None, location=None
    ):
        """The answer from the database: the variants' availability rows, one SELECT (the guests'; a signed-in
        shopper's group other than 0 adds its policy lookup, three queries). `rendered=False` gives its parts
        (status, body, ETag) for the cache instead of a response. With `location`, the answer is about that
        location's stock (the same SELECT: the rows carry each location's figures)."""
        rows = availability_rows(product_id=product, variant_id=variant)
        live = any(row.policy_pending for row in rows)  # a large policy change is being applied: answer by it
        if group:  # the precomputed rows are the guests': another group's are answered from its policies
            rows, live = rows_for_customer_group(rows, group), True
        elif live:
            rows = rows_under_saved_policies(rows)
        if location is not None and rows:
            rows = rows_at_location(rows, location)
            if not rows:
                message = f"This store has no location {location}."
                parts = {"status": 404, "body": {"error": "not_found", "message": message}}
                return parts if not rendered else self._from_parts(request, parts, private=group is not None)
        if not rows:
            what = f"variant {variant} of product {product}" if variant else f"product {product}"
            parts = {"status": 404, "body": {"error": "not_found", "message": f"This store has no {what}."}}
            return parts if not rendered else self._from_parts(request, parts, private=group is not None)
        if live:  # the rows' versions do not know the policy answered by: the tag is the answer's own (and group's)
            answer = availability_answer(
                rows=rows, product_id=product, variant_id=variant, quantity=quantity, language=language, today=today
            )
            tagged = [group, answer] if group else answer
            etag = '"' + hashlib.sha1(json.dumps(tagged, sort_keys=True, default=str).encode(),
                                      usedforsecurity=False).hexdigest()[:20] + '"'  # fmt: skip
            parts = {"status": 200, "etag": etag, "body": answer}
            return parts if not rendered else self._from_parts(request, parts, private=group is not None)
        # Cheap ETag: the rows' versions and the question asked; a match answers 304 before any work.
        versions = ",".join(f"{row.variant_id}.{row.version}" for row in rows)
        at = "" if location is None else f":at-{location}"
        etag = (
            '"'
            + hashlib.sha1(
                f"{product}:{variant}:{quantity}:{language}:{today}:{versions}{at}".encode(), usedforsecurity=False
            ).hexdigest()[:20]
            + '"'
        )
        private = group is not None  # a signed-in shopper in no group (0) gets the guests' answer, privately
        if rendered and etag in request.headers.get("If-None-Match", ""):
            return self._from_parts(request, {"status": 200, "etag": etag}, private=private)
        answer = availability_answer(
            rows=rows, product_id=product, variant_id=variant, quantity=quantity, language=language, today=today
        )
        parts = {"status": 200, "etag": etag, "body": answer}
        return parts if not rendered else self._from_parts(request, parts, private=private)

    @staticmethod
    def _from_parts(request, parts: dict, *, private: bool = False) -> Response:
        if parts["status"] != 200:
            return Response(parts["body"], status=parts["status"])
        headers = {"ETag": parts["etag"], "Cache-Control": CACHE_CONTROL}
        if private:
            headers = _private(headers)
        if parts["etag"] in request.headers.get("If-None-Match", ""):
            return Response(status=304, headers=headers)
        return Response(parts["body"], headers=headers)


LINE = re.compile(r"^(?P<product>\d{1,12}):(?P<variant>\d{0,12}):(?P<quantity>\d{1,6})$")
MAX_CART_LINES = 100


class CartSummaryApi(StorefrontApi):
    """Each cart line's state and split, the order's ships-by date (the latest line date), and whether the
    shopper may choose how to ship (ship together, or what is available first)."""

    class CartSummaryOutputSerializer(serializers.Serializer):
        state = serializers.CharField()
        lines = ProductAvailabilityOutputSerializer(many=True)
        ships_by = serializers.DateField(allow_null=True)
        ships_by_known = serializers.BooleanField()
        shipping_choice_offered = serializers.BooleanField()
        shipping_choice = serializers.CharField(allow_null=True)

    OutputSerializer = CartSummaryOutputSerializer

    @extend_schema(
        operation_id="storefront_cart_summary",
        summary="Availability of every cart line and the order's ships-by date",
        parameters=[
            OpenApiParameter("lines", str, required=True,
                             description="Comma-separated product_id:variant_id:quantity (variant may be empty)"),
            OpenApiParameter("cart_id", str, description="The BigCommerce cart id, to show the shopper's choice"),
            OpenApiParameter("locale", str, description="Language of the texts (default: the store's)"),
            OpenApiParameter("customer_jwt", str, description=CUSTOMER_JWT_HELP),
        ],
        responses={
            200: OutputSerializer,
            400: inline_serializer("StorefrontCartError", ERROR_FIELDS),
            401: inline_serializer("StorefrontCartUnauthorized", ERROR_FIELDS),
        },
    )  # fmt: skip
    def get(self, request, public_key: str):
        from backorder.models import CartChoice

        raw = [part for part in (request.GET.get("lines") or "").split(",") if part]
        if not raw or len(raw) > MAX_CART_LINES:
            return _bad_request(f"lines must list 1 to {MAX_CART_LINES} product_id:variant_id:quantity items.")
        wanted = []
        for part in raw:
            match = LINE.match(part)
            if not match or int(match["quantity"]) < 1:
                return _bad_request(f"{part!r} is not product_id:variant_id:quantity (quantity at least 1).")
            wanted.append((int(match["product"]), int(match["variant"]) if match["variant"] else None,
                           int(match["quantity"])))  # fmt: skip
        locale = request.GET.get("locale") or ""
        if locale and not LOCALE.match(locale):
            return _bad_request("locale must look like en or en-US.")
        try:
            group = shopper_group(request)
        except CustomerTokenRefused as refused:
            return _refused(self, request, refused)
        rows: dict[int, list] = {}
        found = policy_pending_annotated(
            VariantAvailability.objects.filter(product_id__in={product for product, _, _ in wanted})
        )
        for row in rows_for_customer_group(list(found), group or GUESTS):
            rows.setdefault(row.product_id, []).append(row)
        language, today = texts.language_for(locale, request.tenant.language), store_today()
        answers = []
        for product, variant, quantity in wanted:
            candidates = [r for r in rows.get(product, []) if variant is None or r.variant_id == variant]
            if not candidates:
                return Response({"error": "not_found", "message": f"This store has no product {product}"
                                 + (f" variant {variant}" if variant else "") + "."}, status=404)  # fmt: skip
            answers.append(availability_answer(rows=candidates, product_id=product, variant_id=variant,
                                               quantity=quantity, language=language, today=today))  # fmt: skip
        summary = cart_summary(answers=answers)
        if summary["shipping_choice_offered"] and request.GET.get("cart_id"):
            summary["shipping_choice"] = (
                CartChoice.objects.filter(cart_id=request.GET["cart_id"][:64])
                .values_list("shipping_preference", flat=True)
                .first()
            )
        return Response(summary, headers=_private({}) if group is not None else {})


class CartShippingChoiceApi(StorefrontApi):
    """The shopper's choice (ship together, or available items first), kept by cart id for order capture.
    Form-encoded, so the browser sends it without a CORS preflight."""

    parser_classes = [FormParser, MultiPartParser, JSONParser]

    class CartShippingChoiceInputSerializer(serializers.Serializer):
        cart_id = serializers.CharField(max_length=64)
        shipping_preference = serializers.ChoiceField(choices=["together", "available_first"])

    InputSerializer = CartShippingChoiceInputSerializer

    @extend_schema(
        operation_id="storefront_cart_shipping_choice", request=InputSerializer,
        responses={200: InputSerializer, 400: inline_serializer("StorefrontChoiceError", ERROR_FIELDS)},
        summary="Remember how the shopper wants this cart shipped",
    )  # fmt: skip
    def post(self, request, public_key: str):
        from backorder.services.cart import cart_choice_record

        data = self.InputSerializer(data=request.data)
        if not data.is_valid():
            return Response({"error": "invalid", "message": "Send cart_id and shipping_preference "
                             "(together or available_first).", "fields": data.errors}, status=400)  # fmt: skip
        choice = cart_choice_record(**data.validated_data)
        return Response({"cart_id": choice.cart_id, "shipping_preference": choice.shipping_preference})


class ProductAlternativesApi(StorefrontApi):
    """Up to four in-stock products from the same categories, for a shopper facing a sold-out product."""

    class AlternativeOutputSerializer(serializers.Serializer):
        product_id = serializers.IntegerField(source="bigcommerce_id")
        name = serializers.CharField()
        url = serializers.CharField()
        price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)

    OutputSerializer = AlternativeOutputSerializer

    @extend_schema(
        operation_id="storefront_product_alternatives",
        summary="In-stock products from the same categories",
        parameters=[OpenApiParameter("limit", int, description="1 to 4 (default 4)")],
        responses={
            200: inline_serializer("StorefrontAlternatives", {"alternatives": AlternativeOutputSerializer(many=True)}),
            400: inline_serializer("StorefrontAlternativesError", ERROR_FIELDS),
            404: inline_serializer("StorefrontAlternativesNotFound", ERROR_FIELDS),
        },
    )  # fmt: skip
    def get(self, request, public_key: str, product_id: str):
        from backorder.models import Product

        try:
            product_id_value = int(product_id)
            limit = int(request.GET.get("limit") or 4)
        except ValueError:
            return _bad_request("product_id and limit must be whole numbers.")
        if not 1 <= limit <= 4:
            return _bad_request("limit must be between 1 and 4.")
        product = Product.objects.filter(bigcommerce_id=product_id_value, is_deleted=False).only("category_ids").first()
        if product is None:
            return Response({"error": "not_found", "message": f"This store has no product {product_id}."}, status=404)
        in_stock = VariantAvailability.objects.filter(purchasable=True).filter(
            Q(tracked=False) | Q(on_hand__gt=0)
        ).values("product_id")  # fmt: skip
        alternatives = (
            Product.objects.filter(category_ids__overlap=product.category_ids or [0], is_deleted=False, is_visible=True)
            .exclude(bigcommerce_id=product_id_value)
            .filter(bigcommerce_id__in=in_stock)
            .order_by("name", "bigcommerce_id")[:limit]
        )
        return Response({"alternatives": self.OutputSerializer(alternatives, many=True).data})


class StockAlertThrottle(StorefrontThrottle):
    """Every sign-up may cost an e-mail (the address is confirmed): a few per shopper and hour per store."""

    scope = "storefront_stock_alert"
    rate = "30/hour"


class NotifyMeApi(StorefrontApi):
    """Sign a shopper up for an e-mail when a sold-out item can be bought again. Form-encoded, so the
    browser sends it without a CORS preflight; signing up twice is harmless and answers the same."""

    parser_classes = [FormParser, MultiPartParser]
    throttle_classes = [StorefrontThrottle, StockAlertThrottle]

    class NotifyMeInputSerializer(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        variant_id = serializers.IntegerField(min_value=1, required=False, help_text="The sold-out variant.")
        product_id = serializers.IntegerField(min_value=1, required=False, help_text="When no variant is chosen.")
        locale = serializers.CharField(max_length=16, required=False, allow_blank=True)

    class NotifyMeOutputSerializer(serializers.Serializer):
        subscribed = serializers.BooleanField()
        product_id = serializers.IntegerField()
        variant_id = serializers.IntegerField(allow_null=True)

    InputSerializer, OutputSerializer = NotifyMeInputSerializer, NotifyMeOutputSerializer

    @extend_schema(
        operation_id="storefront_notify_me", request={"application/x-www-form-urlencoded": InputSerializer},
        summary="E-mail me when this item is back in stock",
        responses={
            200: OutputSerializer,
            400: inline_serializer("StorefrontNotifyMeError", ERROR_FIELDS),
            404: inline_serializer("StorefrontNotifyMeNotFound", ERROR_FIELDS),
            429: inline_serializer("StorefrontNotifyMeThrottled", ERROR_FIELDS),
        },
    )  # fmt: skip
    def post(self, request, public_key: str):
        from backorder.services.stock_alerts import UnknownItem, stock_alert_subscribe

        data = self.InputSerializer(data=request.data)
        if not data.is_valid():
            return Response({"error": "invalid", "message": "Send email and variant_id or product_id "
                             "(whole numbers).", "fields": data.errors}, status=400)  # fmt: skip
        fields = data.validated_data
        locale = fields.get("locale") or ""
        if locale and not LOCALE.match(locale):
            return _bad_request("locale must look like en or en-US.")
        try:
            subscription = stock_alert_subscribe(
                email=fields["email"], product_id=fields.get("product_id"), variant_id=fields.get("variant_id"),
                locale=texts.language_for(locale, request.tenant.language),
            )  # fmt: skip
        except UnknownItem as error:
            return Response({"error": "not_found", "message": str(error)}, status=404)
        except ValidationError as error:
            messages = [message for field in error.message_dict.values() for message in field]
            return Response({"error": "invalid", "message": " ".join(messages), "fields": error.message_dict},
                            status=400)  # fmt: skip
        return Response(
            {"subscribed": True, "product_id": subscription.product_id, "variant_id": subscription.variant_id}
        )
