"""Where the app may send a merchant's outbound requests (webhooks, Slack, Teams), and the one way to send them.

Rules:
- Only http(s) URLs without credentials; https unless private targets are allowed. A URL whose host is
  loopback, private, link-local, multicast, reserved or unspecified (or a name such as `localhost`) is refused
  when saved, and every address its name resolves to is checked again when sending, on the connection
  itself: the socket connects only to an address that passed the check (a name that resolves to a public
  address when saved and to 127.0.0.1 later is still refused). Redirects are never followed.
- Private targets are allowed only with DEBUG on (or OUTBOUND_PRIVATE_TARGETS, e.g. for tests and the demo
  against the sandbox on loopback).
- Short timeouts (connect 3 s, read 10 s); no proxies from the environment.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

TIMEOUT = (3.05, 10)
BLOCKED_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
BLOCKED_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan")
MAX_RESPONSE = 2000  # characters of a receiver's answer kept in the log


class TargetRefused(ValueError):
    """The URL, or an address it resolves to, is not one the app sends to."""


def private_targets_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "OUTBOUND_PRIVATE_TARGETS", False))


def address_allowed(address: str) -> bool:
    """A public unicast address (IPv4-mapped IPv6 addresses are judged as the IPv4 they carry)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


def url_validate(url: str) -> str:
    """The URL as it will be used, or TargetRefused with the reason (checked without resolving the name)."""
    if not isinstance(url, str) or len(url) > 2000:
        raise TargetRefused("A URL of at most 2,000 characters.")
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("This is not a valid URL.") from None
    allowed = private_targets_allowed()
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not allowed):
        raise TargetRefused("The URL must start with https://.")
    if parts.username or parts.password:
        raise TargetRefused("Put credentials in the endpoint's secret, not in the URL.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host or any(c in host for c in " /\\@"):
        raise TargetRefused("The URL needs a host name.")
    if port == 0:
        raise TargetRefused("The URL's port is not valid.")
    if allowed:
        return url
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None and not address_allowed(str(literal)):
        raise TargetRefused("Addresses on loopback or private networks are not allowed.")
    if literal is None and (host in BLOCKED_NAMES or host.endswith(BLOCKED_SUFFIXES) or "." not in host):
        raise TargetRefused("Hosts on loopback or private networks are not allowed.")
    return url


def _resolve_checked(host: str, port: int) -> list[tuple]:
    """Every address of `host`; TargetRefused if any of them is not public (unless private targets are
    allowed). Checking all of them means no address in the answer can be picked to reach a private one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NewConnectionError(None, f"Could not resolve {host}: {exc}") from exc
    if not private_targets_allowed():
        refused = [info[4][0] for info in infos if not address_allowed(info[4][0])]
        if refused:
            raise TargetRefused(f"{host} resolves to an address on a private network ({refused[0]}).")
    return infos


class _GuardedConnectionMixin:
    """Connect only to an address that passed the check (the name is resolved once, here)."""

    def _new_conn(self):  # urllib3's hook: the socket this connection uses
        error: Exception | None = None
        for family, kind, proto, _name, address in _resolve_checked(self._dns_host, self.port):
            sock = socket.socket(family, kind, proto)
            try:
                for option in self.socket_options or []:
                    sock.setsockopt(*option)
                if self.timeout is not None:
                    sock.settimeout(self.timeout)
                sock.connect(address)
                return sock
            except OSError as exc:
                error = exc
                sock.close()
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def session() -> requests.Session:
    """A session that only connects to allowed addresses, ignores proxy settings and never redirects."""
    s = requests.Session()
    s.trust_env = False
    s.max_redirects = 0
    adapter = _GuardedAdapter(max_retries=0, pool_maxsize=16)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s


@dataclass
class Answer:
    status: int
    text: str
    elapsed_ms: int


class NotSent(Exception):
    """The request provably never reached the receiver (refused target, no connection): safe to retry."""


class SentWithoutAnswer(Exception):
    """The request may have reached the receiver, but no answer came back (read timeout, reset)."""


def post(url: str, *, body: bytes, headers: dict[str, str], http: requests.Session | None = None) -> Answer:
    """POST `body` to `url` once. Raises TargetRefused (never sent: not allowed), NotSent or
    SentWithoutAnswer; any HTTP answer (also 3xx, 4xx, 5xx) comes back as an Answer."""
    url = url_validate(url)
    own = http is None
    http = http or session()
    try:
        response = http.post(url, data=body, headers={"Content-Type": "application/json", **headers},
                             timeout=TIMEOUT, allow_redirects=False)  # fmt: skip
    except TargetRefused:
        raise
    except requests.ConnectionError as exc:
        if isinstance(exc, requests.ConnectTimeout) or _never_sent(exc):
            raise NotSent(_reason(exc)) from None
        raise SentWithoutAnswer(_reason(exc)) from None
    except requests.Timeout as exc:
        raise SentWithoutAnswer(_reason(exc)) from None
    except requests.RequestException as exc:
        raise NotSent(_reason(exc)) from None
    finally:
        if own:
            http.close()
    return Answer(status=response.status_code, text=response.text[:MAX_RESPONSE],
                  elapsed_ms=int(response.elapsed.total_seconds() * 1000))  # fmt: skip


def _never_sent(exc: Exception) -> bool:
    """No connection was made (refused, unresolvable, not allowed): the receiver cannot have the request."""
    return _find(exc, (TargetRefused, NewConnectionError)) is not None


def _reason(exc: Exception) -> str:
    refused = _find(exc, TargetRefused)
    if refused is not None:
        return str(refused)
    return f"{type(exc).__name__}: {exc}"[:500]


def _find(exc: BaseException, cls) -> BaseException | None:
    seen, queue = set(), [exc]
    while queue:
        current = queue.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, cls):
            return current
        queue += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        queue += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
    return None
