"""Webhook receivers: URLs on the sandbox that the app's outbound webhooks (and Slack/Teams actions) can target in
tests and the demo, like an ERP, a 3PL or a chat channel would be.

`POST /_sandbox/receivers/{name}` records the request (headers and the exact body bytes) and answers as the
receiver is configured: `fail_times` answers of `fail_status` first (500 by default), then `status` (200);
`delay_ms` before answering (a slow receiver, for timeouts). `PUT` configures, `GET` lists what arrived,
`DELETE` forgets it all. Unauthenticated, like the rest of `/_sandbox`: bind the sandbox to loopback.
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from stores.bigcommerce.sandbox.framework import Reply


@dataclass
class Receiver:
    name: str
    status: int = 200
    fail_times: int = 0
    fail_status: int = 500
    delay_ms: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)

    def settings(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "fail_times": self.fail_times,
                "fail_status": self.fail_status, "delay_ms": self.delay_ms}  # fmt: skip


class Receivers:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_name: dict[str, Receiver] = {}

    def get(self, name: str) -> Receiver:
        with self._lock:
            return self._by_name.setdefault(name, Receiver(name))

    def configure(self, name: str, **settings: Any) -> dict[str, Any]:
        receiver = self.get(name)
        with self._lock:
            for key in ("status", "fail_times", "fail_status", "delay_ms"):
                if key in settings and settings[key] is not None:
                    setattr(receiver, key, int(settings[key]))
            return receiver.settings()

    def reset(self, name: str) -> None:
        with self._lock:
            self._by_name.pop(name, None)

    def requests(self, name: str) -> list[dict[str, Any]]:
        receiver = self.get(name)
        with self._lock:
            return [dict(r) for r in receiver.requests]

    def receive(self, name: str, method: str, raw: bytes, headers: Any) -> Reply:
        receiver = self.get(name)
        with self._lock:
            failing = receiver.fail_times > 0
            if failing:
                receiver.fail_times -= 1
            status = receiver.fail_status if failing else receiver.status
            delay = receiver.delay_ms
            receiver.requests.append({
                "at": time.time(), "method": method,
                "headers": {k.lower(): v for k, v in headers.items()},
                "body": raw.decode("utf-8", "replace"), "body_base64": base64.b64encode(raw).decode(),
                "answered": status,
            })  # fmt: skip
        if delay:
            time.sleep(delay / 1000)
        return Reply(status, {"ok": status < 300, "receiver": name})


def handle(receivers: Receivers, method: str, name: str, query: dict, raw: bytes, headers: Any) -> Reply:
    import json

    if method == "POST":
        return receivers.receive(name, method, raw, headers)
    if method == "GET":
        return Reply(200, {**receivers.get(name).settings(), "requests": receivers.requests(name)})
    if method == "PUT":
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return Reply(400, {"status": 400, "title": "Body is not JSON"})
        return Reply(200, receivers.configure(name, **(body if isinstance(body, dict) else {})))
    if method == "DELETE":
        receivers.reset(name)
        return Reply(204)
    return Reply(405, {"status": 405, "title": f"{method} is not allowed here"})
