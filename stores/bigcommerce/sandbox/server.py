"""The sandbox HTTP server: one port plays BigCommerce's API host, its login host and a control API.

- `/stores/{store_hash}/v2|v3/...`: REST API (X-Auth-Token, scopes, rate limit, injected faults).
- `/oauth2/token`, `/app/{client_id}/install[/succeeded|/failed]`: login host.
- `/_sandbox/...`: control API for demos and tests (see control_routes.py), and webhook receivers the app
  can send to (`/_sandbox/receivers/{name}`, receivers.py). Unauthenticated: bind it to loopback only.
Unknown routes answer 404 and log a WARNING naming method and path.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from stores.bigcommerce.sandbox import (
    control_routes,
    oauth,
    receivers,
    routes_catalog,
    routes_hooks,
    routes_inventory,
    routes_marketing,
    routes_orders,
    routes_orders_v3,
    routes_store,
    storefront,
)
from stores.bigcommerce.sandbox.control import ControlMixin
from stores.bigcommerce.sandbox.framework import PROBLEM_TYPE, ApiError, Ctx, Reply, Router, scope_allows
from stores.bigcommerce.sandbox.state import SandboxState, Store
from stores.bigcommerce.sandbox.webhooks import Dispatcher

logger = logging.getLogger("stores.bigcommerce.sandbox")

API_PATH = re.compile(r"^/stores/(?P<store_hash>[^/]+)/(?P<version>v2|v3)(?P<rest>/.*)?$")
INSTALL_PATH = re.compile(r"^/app/(?P<client_id>[^/]+)/install(?:/(?P<result>succeeded|failed))?$")

API_ROUTER = Router()
for _module in (
    routes_store,
    routes_catalog,
    routes_inventory,
    routes_orders,
    routes_orders_v3,
    routes_marketing,
    routes_hooks,
):
    API_ROUTER.routes.extend(_module.router.routes)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, Nagle plus delayed ACKs cost 40 ms each.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox http: " + format, *args)

    def _handle(self, method: str) -> None:
        sandbox = self.server.sandbox
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        query = parse_qs(split.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            if storefront.store_hash_for_host(self.headers.get("Host")):  # a store's storefront host
                reply = storefront.handle(sandbox, method, split.path, query, raw, self.headers)
            elif path.startswith("/stores/"):
                reply = sandbox.handle_api(method, path, query, raw, self.headers)
            elif path.startswith("/_sandbox/receivers/"):  # the app's outbound webhooks land here
                name = path.removeprefix("/_sandbox/receivers/").strip("/")
                reply = receivers.handle(sandbox.receivers, method, name, query, raw, self.headers)
            elif path.startswith("/_sandbox"):
                reply = control_routes.handle(sandbox, method, path, query, raw)
            elif path == "/oauth2/token" or path.startswith("/app/"):
                reply = sandbox.handle_login(method, path, query, raw, self.headers)
            else:
                logger.warning("sandbox: no route for %s %s", method, path)
                reply = Reply(404, ApiError(404, "Not found").body("v3"))
        except Exception:
            logger.exception("sandbox: error handling %s %s", method, path)
            reply = Reply(500, ApiError(500, "Internal sandbox error").body("v3"))
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        body = reply.body
        content_type = "application/json"
        if reply.status == 204 or body is None:
            data = b""
        elif isinstance(body, str):
            data, content_type = body.encode(), "text/html; charset=utf-8"
        else:
            data = json.dumps(body).encode()
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.status != 204:
                if "Content-Type" not in reply.headers:  # a reply may say its own (a JWT is text/plain)
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. a read timeout during an injected delay): nothing to answer.
            self.close_connection = True


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sandbox: SandboxServer


class SandboxServer(ControlMixin):
    """A fake BigCommerce on loopback. `start()` serves in a daemon thread and returns the base URL."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        client_id: str = "sandbox-client-id",
        client_secret: str = "sandbox-client-secret",
        app_base_url: str = "http://127.0.0.1:8000",
        rate_limit_quota: int = 150,
        rate_limit_window_ms: int = 30000,
        webhook_timeout: float = 10.0,
        code_ttl: float = 300.0,
        require_https_webhooks: bool = False,
        clock: Any = time.monotonic,
    ) -> None:
        self.state = SandboxState(clock=clock, code_ttl=code_ttl)
        self.state.require_https_webhooks = require_https_webhooks
        self.default_client_id = client_id
        self.rate_limit_defaults = (rate_limit_quota, rate_limit_window_ms)
        self.register_app(client_id, client_secret, app_base_url)
        self.dispatcher = Dispatcher(self.state, timeout=webhook_timeout)
        self.receivers = receivers.Receivers()
        self.state.emit = self.dispatcher.emit
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.sandbox = self
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # The API host and the login host are the same server.
    api_url = login_url = base_url

    def start(self) -> str:
        if self._thread is None:
            self.dispatcher.start()
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http", daemon=True
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self.dispatcher.stop()

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI); Ctrl-C stops."""
        self.dispatcher.start()
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()
            self.dispatcher.stop()

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- API host -----------------------------------------------------------------------------------------

    def handle_api(self, method: str, path: str, query: dict[str, list[str]], raw: bytes, headers: Any) -> Reply:
        found = API_PATH.match(path)
        if not found:
            logger.warning("sandbox: no route for %s %s", method, path)
            return Reply(404, ApiError(404, "Not found").body("v3"))
        store_hash, version = found["store_hash"], found["version"]
        route, args, path_exists = API_ROUTER.match(method, f"/{version}{found['rest'] or ''}")
        if route is None:
            if path_exists:
                return Reply(405, ApiError(405, f"Method {method} is not allowed here").body(version))
            logger.warning("sandbox: no route for %s %s", method, path)
            return Reply(404, ApiError(404, "The requested resource was not found.").body(version))

        with self.state.lock:
            store = self.state.stores.get(store_hash)
            if store is None:
                return Reply(404, ApiError(404, "Store not found.").body(version))
            faults = store.faults
            delay = faults.delay_ms / 1000 if faults.delay_ms and faults.delay_requests else 0
            if delay and faults.delay_requests > 0:
                faults.delay_requests -= 1
        if delay:
            time.sleep(delay)

        with self.state.lock:
            if faults.status_429 > 0:
                faults.status_429 -= 1
                return self._rate_limited(store, version, reset_ms=faults.storm_reset_ms)
            if faults.status_5xx > 0:
                faults.status_5xx -= 1
                status = faults.server_error_status
                return Reply(status, ApiError(status, "Injected sandbox server error").body(version))
            install = self.state.authenticate(store_hash, headers.get("X-Auth-Token"))
            if install is None:
                title = (
                    "Unauthorized - the v3 Auth client ID or token in the request are not a valid combination "
                    "for this store."
                )
                return Reply(401, ApiError(401, title).body(version), self._limit_headers(store))
            if not scope_allows(route, install.scopes):
                error = ApiError(403, "You don't have a required scope to access the endpoint")
                return Reply(403, error.body(version), self._limit_headers(store))
            if not self._consume(store):
                return self._rate_limited(store, version)
            try:
                body = json.loads(raw) if raw.strip() else None
            except ValueError:
                error = ApiError(422 if version == "v3" else 400, "JSON data is missing or invalid")
                return Reply(error.status, error.body(version), self._limit_headers(store))
            ctx = Ctx(self.state, store, install, method, version, path, query, body, args, self.base_url)
            try:
                result = route.handler(ctx)
                reply = result if isinstance(result, Reply) else Reply(200, result)
            except ApiError as error:
                reply = Reply(error.status, error.body(version), dict(error.headers))
            reply.headers.update(self._limit_headers(store))
            return reply

    def _consume(self, store: Store) -> bool:
        limit = store.rate_limit
        now = self.state.clock()
        if (now - limit.window_started) * 1000 >= limit.window_ms:
            limit.window_started, limit.used = now, 0
        if limit.used >= limit.quota:
            return False
        limit.used += 1
        return True

    def _limit_headers(self, store: Store, *, reset_ms: int | None = None) -> dict[str, str]:
        limit = store.rate_limit
        elapsed_ms = (self.state.clock() - limit.window_started) * 1000
        if reset_ms is None:
            reset_ms = max(0, math.ceil(limit.window_ms - elapsed_ms)) if elapsed_ms < limit.window_ms else 0
        left = limit.quota if elapsed_ms >= limit.window_ms else max(0, limit.quota - limit.used)
        return {
            "X-Rate-Limit-Time-Window-Ms": str(limit.window_ms),
            "X-Rate-Limit-Time-Reset-Ms": str(reset_ms),
            "X-Rate-Limit-Requests-Quota": str(limit.quota),
            "X-Rate-Limit-Requests-Left": str(left),
        }

    def _rate_limited(self, store: Store, version: str, *, reset_ms: int | None = None) -> Reply:
        headers = self._limit_headers(store, reset_ms=reset_ms)
        headers["X-Rate-Limit-Requests-Left"] = "0"
        headers["X-Retry-After"] = str(max(1, math.ceil(int(headers["X-Rate-Limit-Time-Reset-Ms"]) / 1000)))
        body = {
            "status": 429,
            "title": "Too many requests. Please retry after the rate-limit window resets.",
            "type": PROBLEM_TYPE,
            "errors": {},
        }
        return Reply(429, body if version == "v3" else [{"status": 429, "message": body["title"]}], headers)

    # -- login host ---------------------------------------------------------------------------------------

    def handle_login(self, method: str, path: str, query: dict[str, list[str]], raw: bytes, headers: Any) -> Reply:
        if path == "/oauth2/token" and method == "POST":
            body = oauth.parse_token_request(raw, headers.get("Content-Type") or "")
            with self.state.lock:
                status, payload = oauth.exchange_code(self.state, body)
            logger.info("sandbox: token exchange -> %s", status)
            return Reply(status, payload)
        found = INSTALL_PATH.match(path)
        if found and method == "GET":
            client_id, result = found["client_id"], found["result"]
            if client_id not in self.state.apps:
                return Reply(404, "<h1>Unknown app</h1>")
            if result:
                with self.state.lock:
                    self.state.external_install_results.append({"client_id": client_id, "result": result})
                return Reply(200, f"<h1>Install {result}</h1>")
            store_hash = (query.get("store_hash") or [""])[0]
            if store_hash in self.state.stores:
                url = self.begin_install(store_hash, external=True, client_id=client_id)
                return Reply(302, None, {"Location": url})
            return Reply(200, "<h1>Install the app</h1><p>Pass ?store_hash=... to start an external install.</p>")
        logger.warning("sandbox: no route for %s %s", method, path)
        return Reply(404, {"error": "not_found", "error_description": f"No route for {method} {path}"})
