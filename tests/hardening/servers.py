"""Real servers for the hardening tests: the app under gunicorn (threads, persistent database connections)
and a django-q2 worker, both as subprocesses against the test database, as in production."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_environment(**overrides: str) -> dict:
    """The environment of a subprocess that shares this test's database, keys and BigCommerce URLs.

    It runs with DEBUG off and is not a test process (no synchronous task queue); SECRET_KEY and
    ENCRYPTION_KEYS are those of this process, so it decrypts what this process encrypted."""
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    # a socket directory (the project-local PostgreSQL of bin/test) is a percent-encoded host in a URL
    host = urllib.parse.quote(host, safe="") if host.startswith("/") else host
    url = f"postgresql://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "ENCRYPTION_KEYS": ",".join(settings.ENCRYPTION_KEYS) or settings.SECRET_KEY,
        "APP_BASE_URL": settings.APP_BASE_URL,
        "BIGCOMMERCE_API_URL": settings.BIGCOMMERCE_API_URL,
        "BIGCOMMERCE_LOGIN_URL": settings.BIGCOMMERCE_LOGIN_URL,
        "BIGCOMMERCE_CLIENT_ID": settings.BIGCOMMERCE_CLIENT_ID,
        "BIGCOMMERCE_CLIENT_SECRET": settings.BIGCOMMERCE_CLIENT_SECRET,
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }
    if db.get("PASSWORD"):
        env["DATABASE_URL"] = url.replace(f"{db['USER']}@", f"{db['USER']}:{db['PASSWORD']}@")
    return env


def gunicorn_start(*, port: int, workers: int = 2, threads: int = 4, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(workers), "--threads", str(threads),
         "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 90  # a busy 2-core machine starts gunicorn slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/livez", headers={"Host": settings.PUBLIC_HOST})
            if urllib.request.urlopen(request, timeout=1).status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError("gunicorn did not start")


def qcluster_start(*, env: dict, log_path: Path) -> subprocess.Popen:
    """`manage.py qcluster` in its own process group (so that a SIGKILL takes its children too)."""
    log = open(log_path, "ab")  # noqa: SIM115 - the child keeps writing to it
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the whole process group: no cleanup, no acknowledgement, as when a machine dies."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        kill(process)


def redis_start():
    """A private redis-server on a free loopback port (nothing kept on disk); None without the binary.
    Returns (url, stop)."""
    import shutil
    import tempfile

    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port, directory = free_port(), tempfile.mkdtemp(prefix="test-redis-")
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", directory],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip

    def stop_redis() -> None:
        kill(process)
        shutil.rmtree(directory, ignore_errors=True)

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return f"redis://127.0.0.1:{port}/0", stop_redis
        except OSError:
            time.sleep(0.05)
    stop_redis()
    raise RuntimeError("redis-server did not start")
