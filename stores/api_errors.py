"""One error shape for every API answer: {"error": <code>, "message": <what to fix>, ...}."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    # Django's own 404/403 (get_object_or_404): DRF converts them too, but its code would then read "error".
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args[:1])
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args[:1])
    if isinstance(exc, DjangoValidationError):  # a service's field messages: 400 like any invalid input
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "error": "invalid",
            "message": "Some fields are not valid; see 'fields'.",
            "fields": response.data if isinstance(response.data, dict) else {"non_field_errors": response.data},
        }
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        code = getattr(exc, "default_code", "error")
        if isinstance(exc, exceptions.APIException) and hasattr(exc.detail, "code"):
            code = exc.detail.code or code
        response.data = {"error": code, "message": str(detail)}
        if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and getattr(exc, "wait", None):
            response.data["retry_after_seconds"] = int(exc.wait)
    return response


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def not_found(request, exception=None):
    """URLconf `handler404`: API paths answer JSON in the one error shape (a URL that matches no route, e.g.
    `/api/v1/policies/abc/`); pages keep Django's page."""
    if _is_api(request):
        return JsonResponse({"error": "not_found", "message": f"No API endpoint at {request.path_info}."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """URLconf `handler500`: an API client gets JSON it can parse (the error itself is logged by Django)."""
    if _is_api(request):
        return JsonResponse({"error": "server_error", "message": "Something went wrong on our side."}, status=500)
    return defaults.server_error(request)
