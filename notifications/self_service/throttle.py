"""Throttling the self-service page per link and IP address (fixed one-minute windows in the shared cache,
so every web process counts together when REDIS_URL is set)."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60


def requests_per_minute() -> int:
    return int(getattr(settings, "SELF_SERVICE_REQUESTS_PER_MINUTE", 30))


def throttle_allows(*, token: str, ip: str, now: float | None = None) -> bool:
    """Count this request; False once the link has been used more than the limit this minute from this IP."""
    window = int((now or time.time()) // WINDOW_SECONDS)
    digest = hashlib.sha256(f"{token}|{ip}".encode()).hexdigest()[:32]
    key = f"selfservice:throttle:{digest}:{window}"
    cache.add(key, 0, WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this one as the first
        cache.set(key, 1, WINDOW_SECONDS * 2)
        count = 1
    return count <= requests_per_minute()
