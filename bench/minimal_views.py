"""Comparison points for benchmarks: the least a view can do for the same job."""

import json

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


@csrf_exempt
def webhook_insert_only(request):
    """Parse the body and run the same single INSERT … ON CONFLICT into the inbox; nothing else."""
    payload = json.loads(request.body)
    key = f"h:{payload['scope']}:{payload['created_at']}:{payload['hash']}"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO public.stores_webhookevent "
            "(store_id, dedupe_key, scope, payload, received_at, status, attempts, next_attempt_at, last_error) "
            "VALUES (%s, %s, %s, %s, now(), 'pending', 0, now(), '') ON CONFLICT (dedupe_key) DO NOTHING",
            [int(request.headers["X-Bench-Store"]), key, payload["scope"], request.body.decode()],
        )
    return JsonResponse({"message": "Stored."})


class AvailabilityOneSelect(APIView):
    """A DRF view that does one indexed SELECT (the availability row by its unique variant id) in a fixed
    schema and returns a few of its columns: what any storefront read costs before any product logic."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def get(self, request, variant_id: int):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT variant_id, product_id, on_hand, enabled, mode, version "
                "FROM backorder_variantavailability WHERE variant_id = %s",
                [variant_id],
            )
            row = cursor.fetchone()
        names = ("variant_id", "product_id", "on_hand", "enabled", "mode", "version")
        return Response(dict(zip(names, row, strict=True)) if row else {}, status=200 if row else 404)
