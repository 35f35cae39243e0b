"""Automations: what matching costs, and how fast a burst of events goes through rules and webhooks.

1. Matching: a store with 100 enabled rules on one trigger (3 conditions each: SKU, quantity, e-mail domain),
   one event's facts checked against all of them (RuleSet.matching, what the listener does in the capture
   transaction). Reported: median and p99 per event over 20,000 events; the target is a median of 1 ms or less.
   Also the whole listener for one event (facts, match, the one INSERT statement), median per event.
2. A burst of 10,000 `backorder.created` events (100 orders of 100 lines, one transaction each, as capture
   writes them), with the 100 rules (one of which matches each event, whose action makes a task) and one
   webhook endpoint subscribed to the event type: recorded (events/s), then the runs done by the runner
   (runs/s, one process), then the 10,000 signed deliveries POSTed to an HTTP receiver on loopback
   (deliveries/s, one process, connections kept alive). The receiver runs in a process of its own, so its
   work does not compete with the sender's threads for one interpreter. The phases run one after another
   (in production the runner and the sender are separate tasks on the workers, so they overlap).

Run: python -m bench.automations [--events N] [--rules N] (DATABASE_URL: a database of its own; it is migrated
first, and each run adds a store to it). bin/bench automations does the same with the bench settings.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import statistics
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench import _django


class _Receiver(BaseHTTPRequestHandler):
    """Answers 200 to every POST and counts them; `GET /count` says how many it got."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm holds the body until the
    # sender's delayed ACK (about 40 ms a request on Linux), which would measure the receiver, not the sender.
    disable_nagle_algorithm = True
    received = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _Receiver.lock:
            _Receiver.received += 1
        self._answer(b"ok")

    def do_GET(self):  # noqa: N802
        self._answer(str(_Receiver.received).encode())

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _serve(ports) -> None:
    """The receiver's process: a threading HTTP server on a free loopback port (sent back through `ports`)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    ports.put(server.server_address[1])
    server.serve_forever()


def receiver_start() -> tuple[multiprocessing.Process, int]:
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    process = context.Process(target=_serve, args=(ports,), daemon=True)
    process.start()
    return process, ports.get(timeout=30)


def receiver_count(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/count", timeout=10) as answer:
        return int(answer.read())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=100)
    args = parser.parse_args()
    receiver, port = receiver_start()  # before Django: the spawned process imports nothing of the app
    _django.setup()
    logging.getLogger("django-q").setLevel(logging.WARNING)  # a line per queued wake-up task otherwise

    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from backorder.models import Backorder, BackorderEvent, Product, Variant
    from notifications.automations import recording
    from notifications.automations.models import AutomationRun
    from notifications.automations.runner import automation_runs_process
    from notifications.automations.services import rule_create
    from notifications.webhooks import services as webhooks
    from notifications.webhooks.delivery import webhook_deliveries_send
    from notifications.webhooks.models import WebhookDelivery
    from stores import services

    settings.OUTBOUND_PRIVATE_TARGETS = True
    settings.AUTOMATION_DAILY_ACTIONS = 10**9
    call_command("migrate", verbosity=0)
    stamp = int(time.time())
    signup = services.store_sign_up(email=f"bench{stamp}@automations.example", password="bench-password-123",
                                     store_name=f"Automations bench {stamp}")  # fmt: skip
    store = signup.store
    result: dict = {"rules": args.rules, "events": args.events, "cpus": os.cpu_count(),
                    "load_average_at_start": round(os.getloadavg()[0], 2)}  # fmt: skip
    with schema_context(store.schema_name):
        now = timezone.now()
        product = Product.objects.create(bigcommerce_id=1, name="Tent", inventory_tracking="variant", synced_at=now)
        Variant.objects.create(bigcommerce_id=11, product=product, sku="TENT-2P", on_hand=0, synced_at=now)
        for n in range(args.rules):  # one rule matches (n == 0); the others fail on one of their 3 conditions
            rule_create(name=f"Rule {n}", trigger="backorder.created", enabled=True, conditions=[
                {"field": "sku", "op": "starts_with", "value": "TENT" if n == 0 else f"OTHER-{n}"},
                {"field": "quantity", "op": "gte", "value": 1},
                {"field": "email_domain", "op": "ends_with", "value": "example.com"},
            ], actions=[{"type": "task", "title": "Pick order {order_id}"}])  # fmt: skip
        webhooks.endpoint_create(url=f"http://127.0.0.1:{port}/hook", events=["backorder.created"])
        recording.ruleset_forget()
        rules, raw = recording.ruleset()

        # -- 1. matching --------------------------------------------------------------------------------------
        sample = Backorder(pk=1, order_id=1, order_line_id=1, order_created_at=now, product_id=1, variant_id=11,
                           sku="TENT-2P", quantity=2, customer_email="ada@shop.example.com")  # fmt: skip
        occurrence = recording.backorder_occurrence(trigger="backorder.created", key="x", backorder=sample, raw=raw)
        facts = occurrence.facts
        timings = []
        for _ in range(20_000):
            started = time.perf_counter()
            matched = rules.matching("backorder.created", facts)
            timings.append((time.perf_counter() - started) * 1e6)
        assert [rule.id for rule in matched] and len(matched) == 1
        result["match_median_us"] = round(statistics.median(timings), 1)
        result["match_p99_us"] = round(percentile(timings, 0.99), 1)
        result["match_goal_1ms_met"] = result["match_median_us"] <= 1000

        # -- 2. the burst -------------------------------------------------------------------------------------
        per_order, orders = 100, args.events // 100
        created_at = timezone.now()
        with transaction.atomic():
            Backorder.objects.bulk_create(
                Backorder(order_id=1000 + o, order_line_id=line, order_created_at=created_at, product_id=1,
                          variant_id=11, sku="TENT-2P", quantity=1, customer_email=f"s{o}-{line}@shop.example.com")
                for o in range(orders) for line in range(per_order)
            )  # fmt: skip
        backorders = list(Backorder.objects.filter(order_id__gte=1000).order_by("order_id", "order_line_id"))
        listener_timings = []
        started = time.perf_counter()
        for o in range(orders):
            with transaction.atomic():
                for backorder in backorders[o * per_order : (o + 1) * per_order]:
                    event = BackorderEvent.objects.create(backorder=backorder, kind="captured", actor="bigcommerce")
                    began = time.perf_counter()
                    recording.on_timeline(name="backorder.captured", backorder=backorder, event=event)
                    listener_timings.append((time.perf_counter() - began) * 1000)
        recorded = time.perf_counter() - started
        result["listener_median_ms"] = round(statistics.median(listener_timings), 3)
        result["record_events_per_s"] = round(args.events / recorded)
        assert AutomationRun.objects.filter(status="pending").count() == args.events

        started = time.perf_counter()
        while AutomationRun.objects.filter(status="pending").exists():
            automation_runs_process(store=store)
        ran = time.perf_counter() - started
        assert AutomationRun.objects.filter(status="succeeded").count() == args.events
        result["runs_per_s"] = round(args.events / ran)

        started = time.perf_counter()
        while WebhookDelivery.objects.filter(status="pending").exists():
            webhook_deliveries_send()
        sent = time.perf_counter() - started
        received = receiver_count(port)
        assert received == args.events, received
        result["deliveries_per_s"] = round(args.events / sent)
        result["burst_total_s"] = round(recorded + ran + sent, 1)
        result["burst_events_per_s"] = round(args.events / (recorded + ran + sent))
        result["load_average_at_end"] = round(os.getloadavg()[0], 2)
    receiver.terminate()
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
