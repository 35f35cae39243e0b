"""The OpenAPI description of every API view documents the errors it can answer, without each view saying so.

Found by fuzzing the schemas (tests/hardening): views documented their success answers only, so a client
generated from the schema knew nothing of the 400/403/404 every merchant endpoint gives. The rules, from
how the API answers (stores.api_errors shapes every error as {"error", "message", ...}):
- 400 when the operation takes input (a body, or query parameters);
- 403 when the view needs a signed-in member or an API token (DRF answers 403 to anonymous callers here,
  because session authentication comes first); 401 too when the view takes API tokens (a bad token);
- 404 when the path names something (an id, a public key) or the answer is paginated (a page past the end);
- 429 when the view is throttled.
A view's own documentation of a status code always wins. (A plain APIView that paginates its list must
say so with `pagination_class`, as backorder.api.policies does, for the schema to show the page envelope.)
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from stores.authentication import BearerTokenAuthentication

ApiErrorSerializer = inline_serializer(
    "ApiError",
    {
        "error": serializers.CharField(help_text="A machine-readable code, e.g. invalid, not_found, throttled."),
        "message": serializers.CharField(help_text="What went wrong and what to do about it."),
        "fields": serializers.DictField(
            required=False, child=serializers.JSONField(),
            help_text="For `invalid`: the messages per field (nested like the input for lists and objects).",
        ),
        "retry_after_seconds": serializers.IntegerField(required=False, help_text="For `throttled`."),
    },
)  # fmt: skip

ERROR_DESCRIPTIONS = {
    "400": "The input is not valid (see `fields`).",
    "401": "The API token is not valid for this store, or was revoked.",
    "403": "Not signed in as a member of this store, or not allowed to do this.",
    "404": "Nothing of that id here (or a page past the end).",
    "429": "Too many requests; retry after `retry_after_seconds`.",
}


class DocumentedErrorsAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                response = self._get_response_for_code(ApiErrorSerializer, code, direction=direction)
                response["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = response
        return responses

    def _error_codes(self) -> list[str]:
        codes = []
        if self.method not in ("GET", "HEAD", "OPTIONS") or self.get_override_parameters():
            codes.append("400")
        if any(not issubclass(p, AllowAny) for p in self._permission_classes()):
            if any(issubclass(a, BearerTokenAuthentication) for a in self._authentication_classes()):
                codes.append("401")
            codes.append("403")
        if "{" in self.path or (self.method == "GET" and self._is_list_view() and self._get_paginator()):
            codes.append("404")
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        return codes

    def _permission_classes(self) -> list:
        return [type(p) for p in self.view.get_permissions()]

    def _authentication_classes(self) -> list:
        return [type(a) for a in self.view.get_authenticators()]
