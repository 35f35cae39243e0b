"""Requests/s of trivial store-host endpoints through the tenant middleware vs a fixed schema, same run.

Two gunicorn servers (2 sync workers each) serve the same code; only the first middleware differs. They
are measured one after the other, alternating, so both see the same machine; loopback only.
Run: ./bin/bench routing   (or: python -m bench.tenant_routing with DATABASE_URL set)
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

from bench import _django
from bench._load import run_load

ENDPOINTS = {"livez (no query)": "/livez", "healthz (2 queries)": "/healthz"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, settings_module: str, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        env={**env, "DJANGO_SETTINGS_MODULE": settings_module}, start_new_session=True,
    )  # fmt: skip
    return process


def wait_ready(port: int, host: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/livez", headers={"Host": host})
            if urllib.request.urlopen(request, timeout=1).status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    _django.setup()
    from django.db import connection

    from stores import services
    from stores.models import Store

    store = Store.objects.filter(slug="bench-routing").first()
    if store is None:
        store = services.store_sign_up(email="routing@bench.example", password="bench-pass-2026!",
                                       store_name="Bench Routing").store  # fmt: skip
    connection.close()

    # No task worker runs here: tasks other benchmarks left queued must not turn /healthz into a 503
    # ("queue stale"); its two queries are what is measured, not the queue's age.
    env = {**os.environ, "BENCH_FIXED_SCHEMA": store.schema_name, "CONN_MAX_AGE": "600",
           "QUEUE_STALE_AFTER_SECONDS": str(10**9)}  # fmt: skip
    servers = {"tenant middleware": free_port(), "fixed schema": free_port()}
    processes = [
        start_server(servers["tenant middleware"], "config.settings", env),
        start_server(servers["fixed schema"], "bench.settings_fixed_schema", env),
    ]
    results: dict = {}
    try:
        for port in servers.values():
            wait_ready(port, store.host)
        for label, path in ENDPOINTS.items():
            samples = {name: [] for name in servers}
            for _ in range(args.rounds):
                for name, port in servers.items():
                    run_load(port=port, path=path, host=store.host, seconds=1, connections=args.connections)  # warm
                    load = run_load(port=port, path=path, host=store.host, seconds=args.seconds,
                                    connections=args.connections)  # fmt: skip
                    assert load.non_2xx == 0, f"{name} {path}: {load.non_2xx} errors"
                    samples[name].append(load.requests_per_second)
            tenant = statistics.median(samples["tenant middleware"])
            fixed = statistics.median(samples["fixed schema"])
            results[label] = {
                "tenant_middleware_rps": round(tenant),
                "fixed_schema_rps": round(fixed),
                "ratio": round(tenant / fixed, 3),
                "samples": {k: [round(v) for v in vs] for k, vs in samples.items()},
            }
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
