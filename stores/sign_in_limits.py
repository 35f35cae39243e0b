"""Limits on guessing passwords and on mass sign-ups, counted in the cache (Redis when REDIS_URL is set, so
every web process shares the counts).

- Sign-in: at most LOGIN_FAILURES_PER_EMAIL failed attempts for one e-mail, and LOGIN_FAILURES_PER_IP from
  one client address, per LOGIN_WINDOW_SECONDS; past either, sign-in is refused with 429 before the
  password is even checked (so guessing stops being useful), and a success clears the e-mail's count.
- Sign-up: at most SIGNUPS_PER_IP attempts from one client address per SIGNUP_WINDOW_SECONDS.
The client address is DRF's (REMOTE_ADDR, or X-Forwarded-For as set by the proxy in front; set DRF's
NUM_PROXIES to the number of trusted proxies so that a client cannot choose its own address).
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _client_address(request: HttpRequest) -> str:
    return BaseThrottle().get_ident(request)


def _key(kind: str, who: str, window: int) -> str:
    digest = hashlib.sha256(who.strip().lower().encode()).hexdigest()[:32]  # no e-mail address in cache keys
    return f"limits:{kind}:{digest}:{int(time.time() // window)}"


def _count(key: str) -> int:
    return int(cache.get(key) or 0)


def _bump(key: str, window: int) -> None:
    if not cache.add(key, 1, timeout=window):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window)


def _minutes(window: int) -> int:
    return max(1, round(window / 60))


def login_refusal(request: HttpRequest, *, email: str) -> str | None:
    """Why this sign-in attempt is refused without checking the password, or None to go ahead."""
    window = _limit("LOGIN_WINDOW_SECONDS", 15 * 60)
    if _count(_key("login-email", email, window)) >= _limit("LOGIN_FAILURES_PER_EMAIL", 5) or _count(
        _key("login-ip", _client_address(request), window)
    ) >= _limit("LOGIN_FAILURES_PER_IP", 20):
        return f"Too many failed sign-in attempts. Please wait {_minutes(window)} minutes, or reset your password."
    return None


def login_failure_record(request: HttpRequest, *, email: str) -> None:
    window = _limit("LOGIN_WINDOW_SECONDS", 15 * 60)
    _bump(_key("login-email", email, window), window)
    _bump(_key("login-ip", _client_address(request), window), window)


def login_success_record(*, email: str) -> None:
    cache.delete(_key("login-email", email, _limit("LOGIN_WINDOW_SECONDS", 15 * 60)))


def signup_refusal(request: HttpRequest) -> str | None:
    """Count this sign-up attempt; say why it is refused when the client address made too many."""
    window = _limit("SIGNUP_WINDOW_SECONDS", 60 * 60)
    key = _key("signup-ip", _client_address(request), window)
    if _count(key) >= _limit("SIGNUPS_PER_IP", 10):
        return f"Too many sign-ups from your network. Please try again in {_minutes(window)} minutes."
    _bump(key, window)
    return None
