"""Webhook delivery: payloads, Standard Webhooks signatures, a background worker and retries (§3.2, §3.3).

`emit()` runs inside the mutating request (holding the state lock) and only queues one message per
matching active hook; a worker thread POSTs them, so no request waits on the app. A failed delivery
(non-2xx, timeout, connection error) is retried on BigCommerce's schedule, measured on a manual clock
that tests move with `advance_clock()`; after the last retry fails the hook is deactivated.

Body: {"scope", "store_id" (string), "data", "hash" (sha1 of compact JSON of data), "created_at",
"producer": "stores/{hash}"}. Headers: the hook's own headers + `webhook-id` (`msg_<uuid>`, kept across
retries and redeliveries), `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256>` keyed with
the app's client secret over "{id}.{timestamp}.{body}".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stores.bigcommerce.sandbox.state import SandboxState, Store

logger = logging.getLogger("stores.bigcommerce.sandbox.webhooks")

RETRY_SCHEDULE = (60, 180, 300, 600, 900, 1800, 3600, 7200, 21600, 50400, 86400)


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def payload_hash(data: Any) -> str:
    return hashlib.sha1(compact_json(data).encode()).hexdigest()


def sign(secret: str, message_id: str, timestamp: int, body: bytes | str) -> str:
    """Standard Webhooks v1 signature with the raw client secret bytes as key."""
    raw = body.decode() if isinstance(body, bytes) else body
    digest = hmac.new(secret.encode(), f"{message_id}.{timestamp}.{raw}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def scope_matches(pattern: str, scope: str) -> bool:
    """'store/order/*' matches every store/order/... scope; an inner '*' matches one segment."""
    wanted, actual = pattern.split("/"), scope.split("/")
    for index, part in enumerate(wanted):
        if part == "*" and index == len(wanted) - 1:
            return len(actual) > index
        if index >= len(actual) or (part != "*" and part != actual[index]):
            return False
    return len(wanted) == len(actual)


@dataclass
class Message:
    id: str
    store_hash: str
    client_id: str
    hook_id: int
    scope: str
    destination: str
    headers: dict[str, str]
    body: bytes
    data_hash: str
    created_at: int
    state: str = "queued"
    retries: int = 0
    next_attempt_at: float | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "store_hash": self.store_hash,
            "hook_id": self.hook_id,
            "scope": self.scope,
            "destination": self.destination,
            "hash": self.data_hash,
            "created_at": self.created_at,
            "state": self.state,
            "retries": self.retries,
            "next_attempt_at": self.next_attempt_at,
            "attempts": list(self.attempts),
            "body": json.loads(self.body),
        }


class Dispatcher:
    def __init__(self, state: SandboxState, *, timeout: float = 10.0) -> None:
        self.state = state
        self.timeout = timeout
        self.clock = 0.0
        self.messages: dict[str, Message] = {}
        self._queue: queue.Queue[Message | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._worker: threading.Thread | None = None
        # No proxies: deliveries go to loopback even when the environment sets HTTP(S)_PROXY.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def start(self) -> None:
        self._worker = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        if self._worker:
            self._queue.put(None)
            self._worker.join(timeout=self.timeout + 1)
            self._worker = None

    def emit(self, store: Store, scope: str, data: dict[str, Any]) -> list[str]:
        """Queue `scope` for every active hook that subscribes to it (called holding the state lock)."""
        created_at = int(time.time())
        body = {
            "scope": scope,
            "store_id": str(store.store_id),
            "data": data,
            "hash": payload_hash(data),
            "created_at": created_at,
            "producer": f"stores/{store.store_hash}",
        }
        ids = []
        for hook in list(store.hooks.values()):
            if hook["is_active"] and scope_matches(hook["scope"], scope):
                ids.append(self._enqueue_new(store.store_hash, hook, scope, body).id)
        return ids

    def _enqueue_new(self, store_hash: str, hook: dict[str, Any], scope: str, body: dict[str, Any]) -> Message:
        message = Message(
            id=f"msg_{uuid.uuid4().hex}",
            store_hash=store_hash,
            client_id=hook["client_id"],
            hook_id=hook["id"],
            scope=scope,
            destination=hook["destination"],
            headers=dict(hook.get("headers") or {}),
            body=compact_json(body).encode(),
            data_hash=body["hash"],
            created_at=body["created_at"],
        )
        self.messages[message.id] = message
        self._put(message)
        return message

    def _put(self, message: Message) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(message)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued delivery attempt has finished; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def advance_clock(self, seconds: float) -> list[str]:
        """Move the retry clock forward and queue every retry that has become due."""
        with self.state.lock:
            self.clock += seconds
            due = [
                m
                for m in self.messages.values()
                if m.state == "retrying" and m.next_attempt_at is not None and m.next_attempt_at <= self.clock
            ]
            for message in due:
                message.state = "queued"
                message.next_attempt_at = None
                self._put(message)
        return [m.id for m in due]

    def redeliver(self, message_id: str) -> Message:
        """Send the same message again: same webhook-id, same body and hash."""
        with self.state.lock:
            message = self.messages[message_id]
            message.state = "queued"
            message.next_attempt_at = None
            self._put(message)
            return message

    def duplicate(self, message_id: str, count: int = 1) -> list[str]:
        """Emit `count` copies of a message as BigCommerce's duplicates do: new webhook-id, same body/hash."""
        with self.state.lock:
            original = self.messages[message_id]
            ids = []
            for _ in range(count):
                copy = Message(
                    id=f"msg_{uuid.uuid4().hex}",
                    store_hash=original.store_hash,
                    client_id=original.client_id,
                    hook_id=original.hook_id,
                    scope=original.scope,
                    destination=original.destination,
                    headers=dict(original.headers),
                    body=original.body,
                    data_hash=original.data_hash,
                    created_at=original.created_at,
                )
                self.messages[copy.id] = copy
                self._put(copy)
                ids.append(copy.id)
            return ids

    def list(self, *, store_hash: str | None = None, scope: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            return [
                m.as_dict()
                for m in self.messages.values()
                if (store_hash is None or m.store_hash == store_hash) and (scope is None or m.scope == scope)
            ]

    # -- worker -------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            message = self._queue.get()
            if message is None:
                return
            try:
                self._deliver(message)
            except Exception:
                logger.exception("sandbox webhook %s crashed", message.id)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, message: Message) -> None:
        with self.state.lock:
            app = self.state.apps.get(message.client_id)
            secret = app.client_secret if app else ""
        timestamp = int(time.time())
        headers = {
            **message.headers,
            "Content-Type": "application/json",
            "webhook-id": message.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, message.id, timestamp, message.body),
        }
        request = urllib.request.Request(message.destination, data=message.body, headers=headers, method="POST")
        started = time.monotonic()
        status: int | None = None
        error = ""
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        duration_ms = int((time.monotonic() - started) * 1000)
        ok = status is not None and 200 <= status < 300
        logger.info("sandbox webhook %s %s -> %s (%s)", message.scope, message.destination, status or error, message.id)
        with self.state.lock:
            message.attempts.append(
                {"at": timestamp, "clock": self.clock, "status": status, "error": error, "duration_ms": duration_ms}
            )
            if ok:
                message.state = "delivered"
                return
            if message.retries < len(RETRY_SCHEDULE):
                message.next_attempt_at = self.clock + RETRY_SCHEDULE[message.retries]
                message.retries += 1
                message.state = "retrying"
                return
            message.state = "failed"
            hook = self.state.stores[message.store_hash].hooks.get(message.hook_id)
            if hook is not None:
                hook["is_active"] = False
