"""Leases: one holder at a time for work that spans transactions, kept in a row of the public schema.

A session advisory lock would do this on a dedicated connection, but behind a transaction-mode pooler the
lock stays on whichever server connection took it (and the unlock goes elsewhere). A lease works anywhere:
taking it is one statement, it ends when its holder releases it, or when it expires because its holder died
(a killed worker). Every time is the database's clock, never a host's, so hosts with skewed clocks agree.
A holder whose work outlasts the lease renews it, and stops when a renewal finds it lost.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection

from stores.models import Lease as LeaseRow

logger = logging.getLogger(__name__)
# No task runs longer than Q_CLUSTER's timeout (the cluster kills it): a lease taken for one task's work and
# this long is never lost by a live holder, and a killed holder's is free soon after its task was retried.
TASK_LIFETIME_BOUND = timedelta(seconds=settings.Q_CLUSTER["timeout"] + 30)
_TABLE = LeaseRow._meta.db_table

_ACQUIRE_SQL = f"""
    INSERT INTO public.{_TABLE} (name, holder, acquired_at, expires_at)
    VALUES (%(name)s, %(holder)s, clock_timestamp(), clock_timestamp() + %(ttl)s * interval '1 second')
    ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, acquired_at = EXCLUDED.acquired_at,
                                     expires_at = EXCLUDED.expires_at
    WHERE {_TABLE}.expires_at < clock_timestamp()
    RETURNING holder
"""
_RENEW_SQL = f"""
    UPDATE public.{_TABLE} SET expires_at = clock_timestamp() + %(ttl)s * interval '1 second'
    WHERE name = %(name)s AND holder = %(holder)s AND expires_at >= clock_timestamp()
"""
_RELEASE_SQL = f"DELETE FROM public.{_TABLE} WHERE name = %(name)s AND holder = %(holder)s"


def _holder() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass
class Lease:
    name: str
    holder: str
    ttl: timedelta

    def renew(self) -> bool:
        """Extend the lease by its time to live; False when it was lost (expired and perhaps taken)."""
        with connection.cursor() as cursor:
            cursor.execute(_RENEW_SQL, {"name": self.name, "holder": self.holder, "ttl": self.ttl.total_seconds()})
            return cursor.rowcount == 1

    def release(self) -> None:
        """End the lease now (a lost connection is only logged: the lease then expires on its own)."""
        try:
            with connection.cursor() as cursor:
                cursor.execute(_RELEASE_SQL, {"name": self.name, "holder": self.holder})
        except DatabaseError:
            logger.warning("Lease %s not released (database unreachable); it expires on its own", self.name)


def lease_acquire(*, name: str, ttl: timedelta, wait: float = 0) -> Lease | None:
    """Take the lease `name` for `ttl`, waiting up to `wait` seconds while someone else holds it; None when it
    stayed taken. Call it outside a transaction, so that others see the lease as soon as it is taken."""
    holder, deadline, pause = _holder(), time.monotonic() + wait, 0.02
    params = {"name": name, "holder": holder, "ttl": ttl.total_seconds()}
    while True:
        with connection.cursor() as cursor:
            cursor.execute(_ACQUIRE_SQL, params)
            if cursor.fetchone() is not None:
                return Lease(name=name, holder=holder, ttl=ttl)
        if time.monotonic() + pause > deadline:
            return None
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


@contextmanager
def leased(name: str, *, ttl: timedelta, wait: float = 0) -> Iterator[Lease | None]:
    """`with leased(...) as lease:` the lease for the block, or None when someone else kept it (see
    lease_acquire); released at the end."""
    lease = lease_acquire(name=name, ttl=ttl, wait=wait)
    try:
        yield lease
    finally:
        if lease is not None:
            lease.release()
