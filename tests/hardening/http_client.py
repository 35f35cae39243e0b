"""The few methods of Django's test client that the sweeps use, over real HTTP to a running server, so that a
sweep written for the in-process client also runs against gunicorn behind a pooler."""

from dataclasses import dataclass

import requests


def _header(meta_key: str) -> str:
    return meta_key.removeprefix("HTTP_").replace("_", "-").title()


@dataclass
class HttpResponse:
    status_code: int
    content: bytes
    streaming: bool = False


class HttpClient:
    """`HttpClient(base_url, HTTP_HOST=..., HTTP_AUTHORIZATION=...)`: defaults in the test client's META style."""

    def __init__(self, base_url: str, **defaults: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {_header(key): value for key, value in defaults.items()}
        self.cookies: dict[str, str] = {}

    def _send(self, method: str, path: str, *, params=None, data=None, content_type=None, **extra) -> HttpResponse:
        headers = {**self.headers, **{_header(k): v for k, v in extra.items()}, "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={getattr(v, 'value', v)}" for name, v in self.cookies.items())
        body = None
        if data is not None and content_type == "application/json":
            import json

            body, headers["Content-Type"] = json.dumps(data), content_type
        elif data is not None:
            body = data  # form-encoded, like the storefront's notify-me form
        response = requests.request(method, self.base_url + path, params=params, data=body, headers=headers,
                                    allow_redirects=False, timeout=30)  # fmt: skip
        return HttpResponse(status_code=response.status_code, content=response.content)

    def get(self, path: str, data=None, **extra) -> HttpResponse:
        return self._send("GET", path, params=data, **extra)

    def post(self, path: str, data=None, content_type=None, **extra) -> HttpResponse:
        return self._send("POST", path, data=data, content_type=content_type, **extra)

    def put(self, path: str, data=None, content_type=None, **extra) -> HttpResponse:
        return self._send("PUT", path, data=data, content_type=content_type, **extra)

    def patch(self, path: str, data=None, content_type=None, **extra) -> HttpResponse:
        return self._send("PATCH", path, data=data, content_type=content_type, **extra)

    def delete(self, path: str, data=None, content_type=None, **extra) -> HttpResponse:
        return self._send("DELETE", path, data=data, content_type=content_type, **extra)
