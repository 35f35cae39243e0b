"""The e-mail pipeline end to end: a restock webhook for a variant with 1,000 waiting backorders from 1,000
shoppers, to the last of the 1,000 "ready to ship" e-mails handed to an SMTP server on loopback.

As deployed: gunicorn (2 workers) receives the webhook at /bigcommerce/webhooks; `manage.py qcluster`
(Q_WORKERS, default 2) processes it (re-reads the product from the sandbox BigCommerce over loopback HTTP,
allocates FIFO, writes the 1,000 outbox rows in the same transaction, sends the stock adjustment) and then
runs the sender (render, SMTP over one connection per batch of 100, record each). The SMTP server is
aiosmtpd in this process; it notes when each message arrives.

Reported: seconds from the POST to the first and to the last e-mail received; e-mails per second over the
whole pipeline and over the sending phase (first to last e-mail).
Run: ./bin/bench email   (or: python -m bench.email_pipeline --runs 3 with DATABASE_URL set)
"""

import argparse
import json
import logging
import os
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import requests

from bench import _django
from bench.tenant_routing import free_port, wait_ready


class Sink:
    """An SMTP server's handler that notes when each message arrived."""

    def __init__(self):
        self.arrivals: list[float] = []
        self.recipients: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.arrivals.append(time.monotonic())
            self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


def store_prepare(*, sandbox, shoppers: int):
    """A store connected to a sandbox store, catalog mirrored, `shoppers` waiting for one variant (0 on hand)."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from backorder import sync
    from backorder.models import Backorder, Variant
    from stores import services
    from stores.bigcommerce.client import BigCommerceClient
    from stores.bigcommerce.webhooks import webhook_secret_digest
    from stores.models import Store

    tag = f"{time.time_ns()}"
    store_hash = f"mail{tag[-10:]}"
    sandbox.create_store(store_hash, name="Bench Mail Shop", seed=11, products=30)
    store = services.store_sign_up(email=f"{tag}@bench.example", password="bench-pass-2026!",
                                   store_name=f"Mail {tag}").store  # fmt: skip
    secret = secrets.token_urlsafe(24)
    store.bigcommerce_store_hash = store_hash
    store.access_token = sandbox.issue_token(store_hash)
    store.webhook_secret = secret
    store.webhook_secret_digest = webhook_secret_digest(secret)
    store.connection = Store.Connection.CONNECTED
    store.save()
    with schema_context(store.schema_name):
        client = BigCommerceClient(store_hash=store_hash, access_token=store.access_token)
        sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)
        variant = Variant.objects.filter(product__inventory_tracking="variant", is_deleted=False).order_by("id").first()
        sandbox.set_backorder_limit(store_hash, None, variant_id=variant.bigcommerce_id)
        sandbox.restock(store_hash, quantity=0, variant_id=variant.bigcommerce_id)
        sync.products_refresh(client=client, product_ids=[variant.product.bigcommerce_id])
        with connection.cursor() as cursor:  # set-based, as in bench/allocation.py
            cursor.execute(
                f"""INSERT INTO {Backorder._meta.db_table}
                    (order_id, order_line_id, order_created_at, cart_id, channel_id, product_id, variant_id, sku,
                     product_name, quantity, quantity_allocated, quantity_shipped, status, customer_id,
                     customer_email, customer_name, customer_locale, unit_price, currency, shipping_preference,
                     policy, cancellation_reason, created_at, updated_at)
                SELECT 100000 + n, n, %s::timestamptz + n * interval '1 second', '', 1, %s, %s, %s, %s, 1, 0, 0,
                       'waiting', 0, 'shopper' || n || '@bench.example', 'Shopper ' || n,
                       (ARRAY['en', 'de', 'fr', 'es'])[1 + n %% 4], 10, 'USD', 'together', '{{}}', '', now(), now()
                FROM generate_series(1, %s) AS n""",
                [datetime(2026, 1, 1, tzinfo=UTC), variant.product.bigcommerce_id, variant.bigcommerce_id,
                 variant.sku, variant.product.name, shoppers],
            )  # fmt: skip
    return store, secret, variant


def queue_drained(*, timeout: float) -> None:
    from django.db import connection
    from django_q.models import OrmQ

    deadline = time.monotonic() + timeout
    while OrmQ.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # the task last taken finishes
    connection.close()


def run_once(*, shoppers: int, workers: int, timeout: float) -> dict:
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.db import connection

    from stores.bigcommerce.sandbox import SandboxServer

    sink = Sink()
    smtp_port = free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    sandbox = SandboxServer(client_id=settings.BIGCOMMERCE_CLIENT_ID, client_secret=settings.BIGCOMMERCE_CLIENT_SECRET,
                            app_base_url="http://127.0.0.1:9")  # fmt: skip
    sandbox.start()
    settings.BIGCOMMERCE_API_URL = settings.BIGCOMMERCE_LOGIN_URL = sandbox.base_url
    processes: list[subprocess.Popen] = []
    try:
        store, secret, variant = store_prepare(sandbox=sandbox, shoppers=shoppers)
        with sandbox.state.lock:
            sandbox.state.store(store.bigcommerce_store_hash).muted = True  # the bench posts the webhook itself
        sandbox.restock(store.bigcommerce_store_hash, quantity=shoppers, variant_id=variant.bigcommerce_id)
        connection.close()
        env = {**os.environ, "BIGCOMMERCE_API_URL": sandbox.base_url, "BIGCOMMERCE_LOGIN_URL": sandbox.base_url,
               "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port), "Q_WORKERS": str(workers),
               "CONN_MAX_AGE": "600", "LOG_LEVEL": "WARNING"}  # fmt: skip
        web_port = free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{web_port}",
             "--log-level", "warning"], env=env, start_new_session=True,
        ))  # fmt: skip
        processes.append(subprocess.Popen([sys.executable, "manage.py", "qcluster"], env=env, start_new_session=True,
                                          stdout=subprocess.DEVNULL))  # fmt: skip
        wait_ready(web_port, settings.PUBLIC_HOST)
        queue_drained(timeout=60)  # set-up work (availability refresh, limits push) is not timed
        payload = {
            "scope": "store/sku/inventory/updated",
            "store_id": store.bigcommerce_store_id or "1",
            "data": {"type": "sku", "id": variant.bigcommerce_id,
                     "inventory": {"product_id": variant.product.bigcommerce_id, "variant_id": variant.bigcommerce_id,
                                   "method": "absolute", "value": shoppers}},
            "hash": secrets.token_hex(20),
            "created_at": int(time.time()),
            "producer": f"stores/{store.bigcommerce_store_hash}",
        }  # fmt: skip
        started = time.monotonic()
        response = requests.post(
            f"http://127.0.0.1:{web_port}/bigcommerce/webhooks", json=payload, timeout=10,
            headers={"Host": settings.PUBLIC_HOST, "X-Backorder-Webhook-Secret": secret},
        )  # fmt: skip
        acknowledged = time.monotonic()
        response.raise_for_status()
        deadline = started + timeout
        while len(sink.arrivals) < shoppers and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(1.0)  # anything beyond the expected count would be a duplicate
        with sink.lock:
            arrivals, recipients = list(sink.arrivals), list(sink.recipients)
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
        sandbox.stop()
        smtp.stop()
    if len(arrivals) < shoppers:
        raise RuntimeError(f"only {len(arrivals)} of {shoppers} e-mails arrived within {timeout} s")
    last = arrivals[shoppers - 1]
    return {
        "webhook_ack_ms": round((acknowledged - started) * 1000, 1),
        "seconds_to_first_email": round(arrivals[0] - started, 2),
        "seconds_to_last_email": round(last - started, 2),
        "emails_per_second_end_to_end": round(shoppers / (last - started), 1),
        "emails_per_second_sending": round((shoppers - 1) / (last - arrivals[0]), 1) if last > arrivals[0] else None,
        "emails_received": len(arrivals),
        "distinct_recipients": len(set(recipients)),
    }


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shoppers", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="django-q2 workers (Q_WORKERS)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    _django.setup()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-connection chatter
    logging.getLogger("stores.bigcommerce.client").setLevel(logging.WARNING)
    runs = [run_once(shoppers=args.shoppers, workers=args.workers, timeout=args.timeout) for _ in range(args.runs)]
    result = {
        "shoppers": args.shoppers,
        "q_workers": args.workers,
        "seconds_to_last_email_median": statistics.median(r["seconds_to_last_email"] for r in runs),
        "emails_per_second_end_to_end_median": statistics.median(r["emails_per_second_end_to_end"] for r in runs),
        "emails_per_second_sending_median": statistics.median(r["emails_per_second_sending"] for r in runs),
        "duplicates": sum(r["emails_received"] - r["distinct_recipients"] for r in runs),
        "runs": runs,
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
