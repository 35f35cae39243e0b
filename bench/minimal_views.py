"""Comparison points for benchmarks: the least a view can do for the same job."""

import json

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt


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
