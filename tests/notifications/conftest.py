"""Fixtures for the notifications tests: a real SMTP server on loopback (aiosmtpd) that keeps what it gets."""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from tests.backorder.conftest import connected_store, sandbox, store  # noqa: F401  (fixtures for this folder)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpSink:
    """What the SMTP server accepted, as parsed messages (with the envelope recipients)."""

    messages: list = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.envelope_to]

    def recipients(self) -> list[str]:
        return sorted(r for m in self.messages for r in m.envelope_to)


def _smtp_settings(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 10


@pytest.fixture
def smtp_sink(settings):
    """Mail goes over SMTP to a server on loopback; the test reads what it received."""
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    _smtp_settings(settings, sink.port)
    yield sink
    controller.stop()


@pytest.fixture
def smtp_down(settings):
    """Mail goes over SMTP to a port where nobody listens (the server is down)."""
    _smtp_settings(settings, free_port())
