"""Webhook storm: thousands of BigCommerce events (a share of them redelivered) posted to the app while its
task worker is SIGKILLed and restarted, and optionally while its PostgreSQL restarts; afterwards every
event has had exactly one effect and nothing is lost.

Runs as its own process against a migrated database (DATABASE_URL), like production: gunicorn serves
`/bigcommerce/webhooks`, `manage.py qcluster` processes the inbox, the sandbox BigCommerce (in this
process, muted: only the events posted here reach the app) holds the truth. Prints one JSON result.

    python -m tests.hardening.storm --events 10000 --duplicates 0.2 --kill-worker-at 0.3,0.7
    python -m tests.hardening.storm --events 10000 --restart-db-at 0.5 --pg-ctl "runuser -u postgres -- pg_ctl -D …"

What "exactly one effect" is checked as, once the inbox is drained:
- the inbox holds each distinct event once (redeliveries stored nothing) and every one is `done`;
- every backordered order line in BigCommerce is one Backorder (none missing, none twice, one "captured"
  timeline entry each), and each such order carries one staff-note line and one app metafield;
- the stock mirror equals BigCommerce for every variant (on hand and backordered units), every stock
  adjustment the app sent is confirmed, and BigCommerce's backordered units equal the units still waiting
  in the app (allocation took each unit off BigCommerce once: not twice, not never). A stock change whose
  fate a restart made unknown must have raised a "check stock" task; the storm then follows the incident
  playbook (docs/operations.md) and the totals must agree afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

STORE_HASH = "storm01"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _db_query(func, *, attempts: int = 60):
    """Run a read in this process, surviving a database restart (the connection is replaced)."""
    from django.db import OperationalError, close_old_connections, connection

    for attempt in range(attempts):
        try:
            close_old_connections()
            return func()
        except OperationalError:
            connection.close()
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    return None


class Storm:
    """One storm. Subclasses change where it runs (tests/hardening/storm_hosts.py: several hosts) through
    `sandbox_address`, `web_start`, `worker_start`, `web_target`, `web_result` and `triggers`."""

    sandbox_address = "127.0.0.1"  # where the sandbox BigCommerce listens (the app's processes call it)
    post_timeout: float | tuple[float, float] = 30  # seconds per delivery attempt (requests' timeout)

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.tmp = Path(tempfile.mkdtemp(prefix="storm-"))
        self.processes: dict[str, subprocess.Popen] = {}
        self.processed_at_last_kill = 0
        self.restart_lock = threading.Lock()
        self.tasks_held_by_killed_workers = 0
        self.timeline: list[str] = []
        self.started = time.monotonic()

    def note(self, what: str) -> None:
        self.timeline.append(f"{time.monotonic() - self.started:6.1f}s {what}")

    # -- set-up -------------------------------------------------------------------------------------------

    def set_up(self) -> None:
        from django.conf import settings
        from django_tenants.utils import schema_context

        from backorder import sync
        from backorder.models import Policy
        from stores import provisioning, services
        from stores.bigcommerce.client import BigCommerceClient
        from stores.bigcommerce.sandbox import SandboxServer
        from stores.bigcommerce.webhooks import webhook_secret_digest
        from stores.models import Store

        provisioning.public_tenant_ensure()  # the public host (webhooks) is a tenant too
        provisioning.schedules_ensure()  # the minute sweep re-queues what a killed worker left behind
        self.sandbox = SandboxServer(
            host=self.sandbox_address,
            client_id=settings.BIGCOMMERCE_CLIENT_ID,
            client_secret=settings.BIGCOMMERCE_CLIENT_SECRET,
            app_base_url="http://127.0.0.1:9",
            rate_limit_quota=1_000_000,
        )
        self.sandbox.start()
        settings.BIGCOMMERCE_API_URL = settings.BIGCOMMERCE_LOGIN_URL = self.sandbox.base_url
        summary = self.sandbox.create_store(STORE_HASH, name="Storm Shop", seed=7, products=self.args.products)
        suffix = uuid.uuid4().hex[:8]
        self.store = services.store_create(name=f"Storm {suffix}", slug=f"storm-{suffix}")
        self.secret = uuid.uuid4().hex
        self.store.bigcommerce_store_hash = STORE_HASH
        self.store.bigcommerce_store_id = str(summary["store_id"])
        self.store.access_token = self.sandbox.issue_token(STORE_HASH)
        self.store.webhook_secret = self.secret
        self.store.webhook_secret_digest = webhook_secret_digest(self.secret)
        self.store.connection = Store.Connection.CONNECTED
        self.store.native_backorders = True
        self.store.save()
        with schema_context(self.store.schema_name):
            Policy.objects.filter(scope="store").update(enabled=True, max_units=None, lead_time_days=7)
            client = BigCommerceClient(store_hash=STORE_HASH, access_token=self.store.access_token)
            sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)
        self.note("store connected and catalog mirrored")

    def shop_in_bigcommerce(self) -> None:
        """Orders beyond stock (backordered lines), then restocks: what the events will announce."""
        state = self.sandbox.state
        with state.lock:
            bc = state.store(STORE_HASH)
            tracked = [
                (v["product_id"], v["id"])
                for v in bc.variants.values()
                if bc.products[v["product_id"]].get("inventory_tracking") == "variant"
            ]
        self.variants = self.rng.sample(tracked, min(self.args.variants, len(tracked)))
        for _product_id, variant_id in self.variants:
            self.sandbox.set_backorder_limit(STORE_HASH, None, variant_id=variant_id)
        with state.lock:
            bc.muted = True  # only the events posted by this storm reach the app
        self.orders = []
        for _ in range(self.args.orders):
            lines = self.rng.sample(self.variants, self.rng.choice((1, 1, 2)))
            order = self.sandbox.place_order(
                STORE_HASH,
                [{"variant_id": v, "quantity": self.rng.randint(1, 3)} for _p, v in lines],
                email=f"shopper{len(self.orders)}@storm.example",
            )
            self.orders.append(order["id"])
        restocked = self.rng.sample(self.variants, len(self.variants) // 3)
        for _product_id, variant_id in restocked:
            self.sandbox.restock(STORE_HASH, variant_id=variant_id, quantity=self.rng.randint(2, 12))
        self.note(f"{len(self.orders)} orders placed, {len(restocked)} variants restocked in BigCommerce")

    def events(self) -> list[tuple[bytes, dict]]:
        """`--events` deliveries: distinct events (order and stock events) plus redeliveries of some."""
        total = self.args.events
        duplicates = int(total * self.args.duplicates)
        distinct = total - duplicates
        now = int(time.time())
        bodies: list[dict] = []
        for order_id in self.orders:
            for scope in ("store/order/created", "store/order/statusUpdated"):
                bodies.append({"scope": scope, "data": {"type": "order", "id": order_id}})
        products = sorted({p for p, _v in self.variants})
        while len(bodies) < distinct:
            scope = self.rng.choice(("store/product/inventory/updated", "store/product/updated"))
            bodies.append({"scope": scope, "data": {"type": "product", "id": self.rng.choice(products)}})
        bodies = bodies[:distinct]
        deliveries = []
        for n, body in enumerate(bodies):
            body |= {
                "store_id": self.store.bigcommerce_store_id,
                "producer": f"stores/{STORE_HASH}",
                "created_at": now + n,  # one second apart: distinct events of one entity differ in time
                "hash": hashlib.sha1(json.dumps(body["data"], sort_keys=True).encode()).hexdigest(),
            }
            headers = {"Content-Type": "application/json", "X-Backorder-Webhook-Secret": self.secret}
            if n % 2 == 0:  # half carry a webhook-id, the others are recognised by store/scope/time/hash
                headers["webhook-id"] = f"msg_{uuid.uuid4().hex}"
            deliveries.append((json.dumps(body).encode(), headers))
        deliveries += [self.rng.choice(deliveries) for _ in range(duplicates)]  # redeliveries, same id
        self.rng.shuffle(deliveries)
        self.distinct = distinct
        return deliveries

    # -- processes ----------------------------------------------------------------------------------------

    def env(self) -> dict:
        from django.conf import settings

        return {
            **os.environ,
            "BIGCOMMERCE_API_URL": self.sandbox.base_url,
            "BIGCOMMERCE_LOGIN_URL": self.sandbox.base_url,
            "BIGCOMMERCE_CLIENT_ID": settings.BIGCOMMERCE_CLIENT_ID,
            "BIGCOMMERCE_CLIENT_SECRET": settings.BIGCOMMERCE_CLIENT_SECRET,
            "PYTHONUNBUFFERED": "1",
        }

    def worker_start(self) -> None:
        from tests.hardening.servers import qcluster_start

        self.processes["worker"] = qcluster_start(env=self.env(), log_path=self.tmp / "qcluster.log")
        self.note("worker started")

    def worker_kill(self) -> None:
        from stores.models import WebhookEvent
        from tests.hardening.servers import kill

        kill(self.processes.pop("worker"))
        done = _db_query(lambda: WebhookEvent.objects.filter(store=self.store, status="done").count())
        self.processed_at_last_kill = done
        self.note(f"worker SIGKILLed ({done} events processed by then)")

    def web_start(self) -> None:
        from tests.hardening.servers import free_port, gunicorn_start

        self.port = free_port()
        self.processes["web"] = gunicorn_start(port=self.port, workers=2, threads=4, env=self.env())
        self.note("web started")

    def database_restart(self) -> None:
        # One restart at a time: on a busy machine a fast shutdown can take a minute, and a second pg_ctl
        # started meanwhile leaves the first one waiting for a server that someone else restarted.
        with self.restart_lock:
            command = shlex.split(self.args.pg_ctl) + ["restart", "-m", "fast", "-w", "-t", "300"]
            self.note("database restarting (pg_ctl restart -m fast)")
            # Output to a file, not a pipe: the restarted server inherits pg_ctl's stdout and would hold a
            # pipe open for ever (subprocess.run would wait for its end).
            log_path = self.tmp / "pg_ctl.log"
            with open(log_path, "ab") as log:
                done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, timeout=360)
            if done.returncode:
                raise RuntimeError(f"pg_ctl restart exited {done.returncode}: {log_path.read_text()[-300:]}")
            self.note("database restarted")

    # -- the storm ----------------------------------------------------------------------------------------

    def web_target(self) -> str:
        """The base URL the next delivery attempt goes to."""
        return f"http://127.0.0.1:{self.port}"

    def web_result(self, target: str, outcome: str) -> None:
        """What a delivery attempt to `target` came to: "acknowledged" or "retried after <status or error>"."""

    def triggers(self) -> list[tuple[float, Callable[[], None]]]:
        """(fraction of the deliveries posted, action): what happens to the system during the posting."""
        return [(fraction, self.worker_restart) for fraction in self.args.kill_worker_at] + [
            (fraction, self.database_restart) for fraction in self.args.restart_db_at
        ]

    def post_all(self, deliveries: list[tuple[bytes, dict]]) -> Counter:
        """Post like BigCommerce: 8 senders; anything but a 200 is retried (as BigCommerce retries)."""
        import requests
        from django.conf import settings

        outcomes: Counter = Counter()
        lock = threading.Lock()
        cursor = iter(enumerate(deliveries))
        triggers = sorted(self.triggers(), key=lambda trigger: trigger[0])
        triggers_lock = threading.Lock()

        def sender() -> None:
            session = requests.Session()
            while True:
                with lock:
                    item = next(cursor, None)
                if item is None:
                    return
                index, (raw, headers) = item
                with triggers_lock:
                    while triggers and index >= triggers[0][0] * len(deliveries):
                        _fraction, action = triggers.pop(0)
                        threading.Thread(target=self.noting_failure, args=(action,), daemon=True).start()
                for attempt in range(200):
                    target = self.web_target()
                    try:
                        response = session.post(f"{target}/bigcommerce/webhooks", data=raw,
                                                headers={"Host": settings.PUBLIC_HOST, **headers},
                                                timeout=self.post_timeout)  # fmt: skip
                        if response.status_code == 200:
                            self.web_result(target, "acknowledged")
                            break
                        outcome = f"retried after {response.status_code}"
                    except requests.RequestException as exc:
                        outcome = f"retried after {type(exc).__name__}"
                        session = requests.Session()
                    self.web_result(target, outcome)
                    with lock:
                        outcomes[outcome] += 1
                    time.sleep(min(2.0, 0.05 * (attempt + 1)))
                else:
                    with lock:
                        outcomes["given up"] += 1
                    continue
                with lock:
                    outcomes["acknowledged"] += 1

        threads = [threading.Thread(target=sender) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.note(f"all {len(deliveries)} deliveries posted")
        return outcomes

    def noting_failure(self, action) -> None:
        try:
            action()
        except Exception as exc:  # shows in the verdict's timeline (and fails it: the event did not happen)
            self.note(f"{action.__name__} FAILED: {type(exc).__name__}: {str(exc)[:300]}")

    def worker_restart(self) -> None:
        """SIGKILL the worker while it is processing (once it has made progress since the last kill)."""
        from stores.models import WebhookEvent

        def done() -> int:
            return WebhookEvent.objects.filter(store=self.store, status="done").count()

        before, deadline = self.processed_at_last_kill, time.monotonic() + 60
        while _db_query(done) <= before and time.monotonic() < deadline:
            time.sleep(0.2)
        self.worker_kill()
        time.sleep(0.5)
        self.worker_start()

    def wait_until_drained(self) -> bool:
        """Until the inbox is empty and nothing is queued or owed to BigCommerce (bounded)."""
        from django.utils import timezone
        from django_q.models import OrmQ
        from django_tenants.utils import schema_context

        from backorder.models import StockAdjustment
        from stores.models import WebhookEvent

        def busy() -> tuple[int, int, int]:
            events = WebhookEvent.objects.filter(store=self.store).exclude(status=WebhookEvent.Status.DONE).count()
            with schema_context(self.store.schema_name):
                owed = StockAdjustment.objects.filter(status__in=["pending", "sending"]).count()
            # Queued and not taken. A task a killed worker had taken comes back after Q_CLUSTER's `retry`
            # (180 s) and runs again, harmlessly (tasks are idempotent); it is reported, not waited for.
            waiting = OrmQ.objects.filter(lock__lte=timezone.now()).count()
            return events, waiting, owed

        deadline, idle_since = time.monotonic() + self.args.drain_timeout, None
        while time.monotonic() < deadline:
            left = _db_query(busy)
            if left != (0, 0, 0):
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= 3:  # idle twice, 3 s apart: nothing was still running
                self.tasks_held_by_killed_workers = _db_query(OrmQ.objects.count)
                self.note("inbox drained")
                return True
            time.sleep(1)
        self.note(f"NOT drained: (events not done, tasks queued, adjustments owed) = {left}")
        return False

    def unknown_adjustments_resolve(self) -> list[dict]:
        """The incident playbook for stock changes whose fate is unknown (docs/operations.md): each has a
        "check stock" task for the merchant; compare BigCommerce with what the change would have made, mark it
        applied or send it again. (A database restart between claiming a change and recording BigCommerce's
        answer leaves one; it is never resent blindly.)"""
        from django_tenants.utils import schema_context

        from backorder.models import Backorder, MerchantTask, StockAdjustment
        from backorder.services.allocation import stock_adjustment_resolve, stock_adjustments_send
        from stores.bigcommerce.client import BigCommerceClient

        resolved = []
        with schema_context(self.store.schema_name):
            for row in StockAdjustment.objects.filter(status="unknown").order_by("id"):
                task = MerchantTask.objects.filter(
                    kind=MerchantTask.Kind.CHECK_STOCK, status=MerchantTask.Status.OPEN, details__adjustment_id=row.pk
                ).exists()
                in_bigcommerce = self.sandbox.inventory_item(STORE_HASH, variant_id=row.variant_id)["qty_backordered"]
                waiting = sum(
                    b.quantity - b.quantity_allocated
                    for b in Backorder.objects.filter(variant_id=row.variant_id, status__in=["waiting", "allocated"])
                )
                applied = in_bigcommerce == waiting  # BigCommerce already counts the allocation
                stock_adjustment_resolve(adjustment=row, applied=applied)
                resolved.append({"adjustment": row.pk, "merchant_task": task, "was_applied": applied})
            if resolved:
                client = BigCommerceClient(store_hash=STORE_HASH, access_token=self.store.access_token)
                stock_adjustments_send(client=client)
                self.note(f"{len(resolved)} unknown stock change(s) resolved by the playbook")
        return resolved

    # -- the verdict --------------------------------------------------------------------------------------

    def verdict(self, outcomes: Counter, drained: bool, resolved: list[dict]) -> dict:
        from django.db.models import Count
        from django_tenants.utils import schema_context

        from backorder.models import Backorder, BackorderEvent, StockAdjustment, Variant
        from stores.models import WebhookEvent

        everything = WebhookEvent.objects.filter(store=self.store)
        # reconciliation (hourly, and at once on a fresh schedule) feeds its own replays through the inbox
        events = everything.exclude(dedupe_key__startswith="reconcile:")
        with self.sandbox.state.lock:
            bc = self.sandbox.state.store(STORE_HASH)
            expected = {}
            notes, metafields = {}, Counter()
            for order_id in self.orders:
                order = bc.orders[order_id]
                for line in order["_lines"]:
                    if line["quantity_backordered"] > 0:
                        expected[(order_id, line["id"])] = line["quantity_backordered"]
                notes[order_id] = sum(
                    1 for text in str(order.get("staff_notes") or "").splitlines() if text.startswith("Backorder: ")
                )
            for metafield in bc.order_metafields.values():
                if metafield["namespace"] == "backorder" and metafield["key"] == "state":
                    metafields[metafield["resource_id"]] += 1
        stock = {v: self.sandbox.inventory_item(STORE_HASH, variant_id=v) for _p, v in self.variants}
        with schema_context(self.store.schema_name):
            captured = {(b.order_id, b.order_line_id): b.quantity for b in Backorder.objects.all()}
            captured_events = BackorderEvent.objects.filter(kind="captured").count()
            mirror = {
                v.bigcommerce_id: (v.on_hand, v.qty_backordered)
                for v in Variant.objects.filter(bigcommerce_id__in=list(stock))
            }
            adjustments = dict(StockAdjustment.objects.values_list("status").annotate(n=Count("id")))
            waiting_units = sum(
                b.quantity - b.quantity_allocated for b in Backorder.objects.filter(status__in=["waiting", "allocated"])
            )
        bc_stock = {v: (item["total_inventory_onhand"], item.get("qty_backordered", 0)) for v, item in stock.items()}
        orders_with_backorders = {order_id for order_id, _line in expected}
        result = {
            "deliveries": self.args.events,
            "distinct_events": self.distinct,
            "redeliveries": self.args.events - self.distinct,
            "post_outcomes": dict(outcomes),
            "drained": drained,
            "tasks_held_by_killed_workers": self.tasks_held_by_killed_workers,
            "inbox_rows": events.count(),
            "inbox_status": dict(events.values_list("status").annotate(n=Count("id"))),
            "inbox_attempts": dict(events.values_list("attempts").annotate(n=Count("id"))),
            "reconciliation_replays": everything.count() - events.count(),
            "reconciliation_replays_not_done": everything.exclude(status="done").count(),
            "orders": len(self.orders),
            "backordered_lines_in_bigcommerce": len(expected),
            "backorders_captured": len(captured),
            "captured_timeline_entries": captured_events,
            "missing_backorders": len(set(expected) - set(captured)),
            "unexpected_backorders": len(set(captured) - set(expected)),
            "wrong_quantities": sum(1 for key in expected if key in captured and captured[key] != expected[key]),
            "orders_with_not_one_staff_note_line": sum(1 for o in orders_with_backorders if notes[o] != 1),
            "orders_with_not_one_metafield": sum(1 for o in orders_with_backorders if metafields[o] != 1),
            "variants_compared": len(bc_stock),
            "mirror_differs_from_bigcommerce": sorted(v for v in bc_stock if mirror.get(v) != bc_stock[v]),
            "stock_adjustments": adjustments,
            "unknown_stock_changes_resolved_by_playbook": resolved,
            "bigcommerce_backordered_units": sum(q for _on_hand, q in bc_stock.values()),
            "app_waiting_units": waiting_units,
            "timeline": self.timeline,
            "seconds": round(time.monotonic() - self.started, 1),
        }
        result["exactly_once"] = (
            drained
            and result["inbox_rows"] == self.distinct
            and result["inbox_status"] == {"done": self.distinct}
            and result["reconciliation_replays_not_done"] == 0
            and outcomes.get("given up", 0) == 0
            and result["missing_backorders"] == result["unexpected_backorders"] == result["wrong_quantities"] == 0
            and captured_events == len(captured) == len(expected)
            and result["orders_with_not_one_staff_note_line"] == result["orders_with_not_one_metafield"] == 0
            and not result["mirror_differs_from_bigcommerce"]
            and set(adjustments) <= {"applied"}
            and all(r["merchant_task"] for r in resolved)
            and result["bigcommerce_backordered_units"] == waiting_units
        )
        return result

    def tear_down(self) -> None:
        from django.db import connection
        from django_tenants.utils import quote_schema_name

        from tests.hardening.servers import kill, stop

        for name, process in list(self.processes.items()):
            (kill if name == "worker" else stop)(process)
        self.sandbox.stop()
        if self.args.keep_data:
            return

        def drop() -> None:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {quote_schema_name(self.store.schema_name)} CASCADE")
            self.store.domains.all().delete()
            type(self.store).objects.filter(pk=self.store.pk).delete()

        _db_query(drop)


def parse(argv: list[str] | None) -> argparse.Namespace:
    def fractions(text: str) -> list[float]:
        return [float(x) for x in text.split(",") if x]

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000, help="deliveries posted, redeliveries included")
    parser.add_argument("--duplicates", type=float, default=0.2, help="share of deliveries that are redeliveries")
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--products", type=int, default=40)
    parser.add_argument("--variants", type=int, default=30)
    parser.add_argument("--kill-worker-at", type=fractions, default=[0.3, 0.7], help="fractions of the posting")
    parser.add_argument("--restart-db-at", type=fractions, default=[], help="fractions of the posting")
    parser.add_argument("--pg-ctl", default="", help="pg_ctl command prefix for --restart-db-at (… -D PGDATA)")
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep-data", action="store_true")
    args = parser.parse_args(argv)
    if args.restart_db_at and not args.pg_ctl:
        parser.error("--restart-db-at needs --pg-ctl")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse(argv)
    _setup_django()
    return run(Storm(args))


def run(storm: Storm) -> dict:
    """Set up, shop, post every delivery while the triggers strike, drain, judge, tear down; print the verdict."""
    storm.set_up()
    try:
        storm.shop_in_bigcommerce()
        deliveries = storm.events()
        storm.web_start()
        storm.worker_start()
        outcomes = storm.post_all(deliveries)
        drained = storm.wait_until_drained()
        resolved = _db_query(storm.unknown_adjustments_resolve) if drained else []
        result = storm.verdict(outcomes, drained, resolved)
    finally:
        storm.tear_down()
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    sys.exit(0 if main()["exactly_once"] else 1)
