"""Fixtures: a sandbox BigCommerce and a minimal fake app, both real HTTP servers on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from stores.bigcommerce.client import BigCommerceClient, exchange_auth_code
from stores.bigcommerce.errors import TokenExchangeError
from stores.bigcommerce.sandbox import SandboxServer

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
STORE_HASH = "abc123"


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeApp:
    """Records every request; `/bigcommerce/auth` exchanges the code against the sandbox like the app will."""

    base_url: str = ""
    login_url: str = ""
    redirect_uri: str = ""
    webhook_status: int = 200
    received: list[Received] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)
    exchange_errors: list[TokenExchangeError] = field(default_factory=list)

    def requests_to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def respond(self, request: Received) -> tuple[int, dict[str, str]]:
        if request.path == "/bigcommerce/auth":
            try:
                self.tokens.append(
                    exchange_auth_code(
                        code=request.query["code"],
                        scope=request.query["scope"],
                        context=request.query["context"],
                        redirect_uri=self.redirect_uri or f"{self.base_url}/bigcommerce/auth",
                        client_id=CLIENT_ID,
                        client_secret=CLIENT_SECRET,
                        login_url=self.login_url,
                    )
                )
            except TokenExchangeError as error:
                self.exchange_errors.append(error)
                return 401, {}
            return 302, {"Location": "/app/"}
        if request.path == "/webhooks":
            return self.webhook_status, {}
        return 200, {}


def _serve(app: FakeApp) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Received(
                self.command,
                split.path,
                {k: v[-1] for k, v in parse_qs(split.query).items()},
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length) if length else b"",
            )
            app.received.append(request)
            status, headers = app.respond(request)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@pytest.fixture
def fake_app() -> Iterator[FakeApp]:
    app = FakeApp()
    server = _serve(app)
    app.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield app
    server.shutdown()
    server.server_close()


@pytest.fixture
def sandbox(fake_app: FakeApp) -> Iterator[SandboxServer]:
    server = SandboxServer(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, app_base_url=fake_app.base_url)
    server.start()
    fake_app.login_url = server.base_url
    server.create_store(STORE_HASH, seed=7, products=40)
    yield server
    server.stop()


class SleepRecorder:
    """Stands in for time.sleep so that retry tests take no time."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def access_token(sandbox: SandboxServer) -> str:
    return sandbox.issue_token(STORE_HASH)


@pytest.fixture
def client(sandbox: SandboxServer, access_token: str, sleeps: SleepRecorder) -> Iterator[BigCommerceClient]:
    with BigCommerceClient(
        store_hash=STORE_HASH, access_token=access_token, api_url=sandbox.base_url, sleep=sleeps, timeout=(2, 5)
    ) as api:
        yield api
