"""Webhook acknowledgement: the real endpoint vs a minimal view doing the same single INSERT, same run.

One gunicorn (2 sync workers) serves both; wrk posts unique events at 32 connections, alternating
between the two endpoints. The real endpoint also finds the store, checks the secret header and queues
processing; no worker runs, so what is measured is the acknowledgement alone.
Run: ./bin/bench webhooks   (or: python -m bench.webhook_ack with DATABASE_URL set)
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

from bench import _django
from bench.tenant_routing import free_port, wait_ready

LUA = """
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"scope":"store/product/updated","store_id":"1","data":{"type":"product","id":%%d},'
    .. '"hash":"%%040d","created_at":%%d,"producer":"stores/%(store_hash)s"}',
    counter, counter, %(run)d * 10000000 + counter)
  return wrk.format("POST", "%(path)s", {["Content-Type"]="application/json", ["Host"]="%(host)s",
    ["X-Backorder-Webhook-Secret"]="%(secret)s", ["X-Bench-Store"]="%(store_id)s"}, body)
end
"""


def wrk_post(*, port: int, script: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    ).stdout  # fmt: skip
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p99_ms": float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)],
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("This benchmark needs wrk (Debian package 'wrk').")
    _django.setup()
    from django.conf import settings
    from django.db import connection

    from stores import services
    from stores.bigcommerce.webhooks import webhook_secret_digest
    from stores.models import Store, WebhookDrainQueued, WebhookEvent

    store = Store.objects.filter(slug="bench-webhooks").first() or services.store_create(
        name="Bench Webhooks", slug="bench-webhooks"
    )
    secret = secrets.token_urlsafe(24)
    store.bigcommerce_store_hash = "benchhooks"
    store.webhook_secret = secret
    store.webhook_secret_digest = webhook_secret_digest(secret)
    store.connection = Store.Connection.CONNECTED
    store.save()
    connection.close()

    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings_webhook_bench", "CONN_MAX_AGE": "600"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        env=env, start_new_session=True,
    )  # fmt: skip
    endpoints = {"webhook endpoint": "/bigcommerce/webhooks", "minimal INSERT view": "/bench/webhook-insert-only"}
    samples: dict[str, list[dict]] = {name: [] for name in endpoints}
    try:
        wait_ready(port, settings.PUBLIC_HOST)
        with tempfile.TemporaryDirectory() as tmp:
            run = 0
            for _ in range(args.rounds):
                for name, path in endpoints.items():
                    run += 1
                    script = os.path.join(tmp, f"post{run}.lua")
                    with open(script, "w") as f:
                        f.write(LUA % {"store_hash": "benchhooks", "run": run, "path": path, "secret": secret,
                                       "host": settings.PUBLIC_HOST, "store_id": store.pk})  # fmt: skip
                    samples[name].append(
                        wrk_post(port=port, script=script, seconds=args.seconds, connections=args.connections)
                    )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
        stored = WebhookEvent.objects.filter(store=store).count()
        WebhookEvent.objects.filter(store=store).delete()
        WebhookDrainQueued.objects.filter(store=store).delete()
    result = {
        name: {
            "rps_median": round(statistics.median(s["rps"] for s in runs)),
            "p99_ms_median": round(statistics.median(s["p99_ms"] for s in runs), 1),
            "non_2xx": sum(s["non_2xx"] for s in runs),
            "samples_rps": [round(s["rps"]) for s in runs],
        }
        for name, runs in samples.items()
    }
    result["ratio_rps"] = round(
        result["webhook endpoint"]["rps_median"] / result["minimal INSERT view"]["rps_median"], 3
    )
    result["events_stored"] = stored
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
