"""/healthz: is the database answering, and is the task queue being worked?"""

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.models import OrmQ


def _database() -> dict:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 2)}


def _queue() -> dict:
    # A row's lock is its enqueue time until a worker takes it (then it moves into the future).
    queued = OrmQ.objects.using(settings.Q_CLUSTER["orm"]).filter(lock__lte=timezone.now())
    pending = queued.count()
    oldest = queued.order_by("lock").values_list("lock", flat=True).first() if pending else None
    waited = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    stale = waited > settings.QUEUE_STALE_AFTER_SECONDS
    return {
        "status": "stale" if stale else "ok",
        "pending": pending,
        "oldest_pending_seconds": round(waited, 1),
        "message": "Tasks are waiting longer than expected: is `manage.py qcluster` running?" if stale else "",
    }


@never_cache
@require_GET
def healthz(request):
    checks = {}
    try:
        checks["database"] = _database()
        checks["queue"] = _queue()
    except Exception as exc:  # any failure to reach the database is "unhealthy", not a 500
        checks.setdefault("database", {"status": "error", "message": exc.__class__.__name__})
    healthy = all(check.get("status") == "ok" for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unhealthy", "checks": checks}, status=200 if healthy else 503)


@never_cache
@require_GET
def livez(request):
    """The process answers (no database); for load balancers and for measuring routing overhead."""
    return JsonResponse({"status": "ok"})
