"""PostgreSQL session advisory locks: one holder at a time for a piece of work that spans transactions."""

import logging
from contextlib import contextmanager

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


@contextmanager
def session_advisory_lock(namespace: str, key: int, *, wait: bool = True):
    """Hold the lock (namespace, key) for the block. With `wait`, wait for it; without, yield False at once
    when another session holds it (the caller then does nothing). Released at the end; a connection lost
    meanwhile (a database restart) released it already, which is only logged."""
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(hashtext(%s), %s)", [namespace, key])
            acquired = True
        else:
            cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s), %s)", [namespace, key])
            acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(hashtext(%s), %s)", [namespace, key])
            except DatabaseError:
                logger.warning("Lock %s:%s went with its lost database connection", namespace, key)
