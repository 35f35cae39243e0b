"""The webhook storm (tests/hardening/storm.py) across several hosts (tests/hardening/hosts.py): two web hosts
behind a load balancer, two worker hosts, while shoppers read three stores' storefronts through both web
hosts; mid-run one worker host dies (every process on it SIGKILLed) and one web host loses its link.

Runs as its own process in the root namespace, against a database it reaches through the database host's
PgBouncer (DATABASE_URL, DATABASE_POOL_MODE=transaction) and Redis (REDIS_URL), as the storm does; the hosts
exist already (the layout file names them). The sandbox BigCommerce listens on the LAN's gateway address, so
the worker hosts call it over the LAN. Prints one JSON result: the storm's verdict plus what each web host
answered and what the shoppers read.

    python -m tests.hardening.storm_hosts --layout layout.json --events 2000 --kill-worker-at ""

The load balancer is the test driver's: round robin over the web hosts; a host that fails a connection is
left out for a few seconds (a passive health check), so a delivery or read that fails on one host is retried
on the other, as BigCommerce retries a webhook and a balancer retries an idempotent GET.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

from tests.hardening.hosts import Host
from tests.hardening.storm import Storm, _db_query, _setup_django, parse, run

WEB_PORT = 8000
READERS = 4  # shoppers' threads reading storefronts while the deliveries are posted


class Balancer:
    """Round robin over the web hosts, skipping for `hold` seconds one whose connection failed."""

    def __init__(self, targets: dict[str, str], *, hold: float = 5.0) -> None:
        self.targets = targets
        self.names = {url: name for name, url in targets.items()}
        self.hold = hold
        self.down_until: dict[str, float] = {}
        self.turn = itertools.cycle(list(targets))
        self.lock = threading.Lock()

    def pick(self) -> tuple[str, str]:
        with self.lock:
            now = time.monotonic()
            for _ in range(len(self.targets)):
                name = next(self.turn)
                if self.down_until.get(name, 0) <= now:
                    return name, self.targets[name]
            return name, self.targets[name]  # every host is held down: try anyway

    def failed(self, name: str) -> None:
        with self.lock:
            self.down_until[name] = time.monotonic() + self.hold


def is_connection_failure(outcome: str) -> bool:
    return "ConnectionError" in outcome or "Timeout" in outcome  # ConnectTimeout, ReadTimeout


class HostsStorm(Storm):
    post_timeout = (3, 20)  # connect, read: a pulled link shows as a timeout, not as a 30 s stall

    def __init__(self, args: argparse.Namespace, layout: dict) -> None:
        super().__init__(args)
        self.sandbox_address = layout["gateway"]
        self.web_hosts = [Host(**host) for host in layout["web"]]
        self.worker_hosts = [Host(**host) for host in layout["workers"]]
        self.tmp = Path(layout["directory"]) / "storm"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.balancer = Balancer({host.role: f"http://{host.address}:{WEB_PORT}" for host in self.web_hosts})
        self.lock = threading.Lock()
        self.deliveries_by_host: dict[str, Counter] = {host.role: Counter() for host in self.web_hosts}
        self.reads: Counter = Counter()
        self.read_examples: list[str] = []
        self.killed_worker_host: Host | None = None
        self.cut_web_host: Host | None = None
        self.cutting_at = self.cut_at = self.restored_at = float("inf")  # link going down, down, up again
        self.attempt = threading.local()  # when this thread's delivery attempt started
        self.stop_reading = threading.Event()

    def after_cut(self, role: str, *, started: float, ok: bool) -> str:
        """The label " after cut" for an attempt on the cut host that met its pulled link: a failure that ended
        once the link was going down, or a success that started while it was down (which must never happen)."""
        if self.cut_web_host is None or self.cut_web_host.role != role:
            return ""
        if ok:
            return " after cut" if self.cut_at <= started < self.restored_at else ""
        return " after cut" if time.monotonic() >= self.cutting_at else ""

    # -- set-up: the storm's store, and three shops whose storefronts are read --------------------------

    def set_up(self) -> None:
        super().set_up()
        from tests.hardening.shops import shop_make

        self.shops = [shop_make(products=2) for _ in range(3)]
        self.note("3 shops with their own markers made")

    # -- processes on the hosts -------------------------------------------------------------------------

    def web_start(self) -> None:
        """gunicorn (2 processes x 4 threads) on each web host, started together, each answering /livez."""
        from django.conf import settings

        from tests.hardening.servers import ROOT

        for host in self.web_hosts:
            log = open(self.tmp / f"gunicorn-{host.role}.log", "ab")  # noqa: SIM115 - the child keeps writing
            self.processes[f"web@{host.role}"] = host.popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2", "--threads", "4",
                 "--worker-class", "gthread", "--bind", f"{host.address}:{WEB_PORT}", "--log-level", "warning"],
                cwd=ROOT, env=self.env(), stdout=log, stderr=log,
            )  # fmt: skip
        for host in self.web_hosts:
            process, deadline = self.processes[f"web@{host.role}"], time.monotonic() + 120
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn on {host.role} exited with {process.returncode}")
                try:
                    request = urllib.request.Request(
                        f"http://{host.address}:{WEB_PORT}/livez", headers={"Host": settings.PUBLIC_HOST}
                    )
                    if urllib.request.urlopen(request, timeout=2).status == 200:
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"gunicorn on {host.role} did not answer /livez") from None
                    time.sleep(0.3)
        self.note(f"web started on {', '.join(f'{h.role} ({h.address})' for h in self.web_hosts)}")

    def worker_start(self) -> None:
        from tests.hardening.servers import ROOT

        for host in self.worker_hosts:
            log = open(self.tmp / f"qcluster-{host.role}.log", "ab")  # noqa: SIM115 - the child keeps writing
            self.processes[f"worker@{host.role}"] = host.popen(
                [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=self.env(), stdout=log, stderr=log
            )
        self.note(f"workers started on {', '.join(f'{h.role} ({h.address})' for h in self.worker_hosts)}")

    # -- what happens mid-run ---------------------------------------------------------------------------

    def triggers(self) -> list:
        return [
            *super().triggers(),
            (self.args.kill_worker_host_at, self.worker_host_kill),
            (self.args.cut_web_at, self.web_link_cut),
        ]

    def worker_host_kill(self) -> None:
        """The worker host that is draining the storm's inbox dies: every process on it SIGKILLed, none
        restarted. The other worker host carries on; the store's inbox comes back to it once the dead host's
        drain lease expires and the minute sweep re-queues the store."""
        from django.utils import timezone

        from stores.models import Lease, WebhookEvent

        def done() -> int:
            return WebhookEvent.objects.filter(store=self.store, status="done").count()

        def draining_host() -> Host | None:
            """The worker host whose process holds the store's drain lease (one pid space: a pid names one host)."""
            lease = Lease.objects.filter(name=f"webhook-drain:{self.store.pk}", expires_at__gte=timezone.now())
            holder = next(iter(lease.values_list("holder", flat=True)), None)
            pid = int(holder.split(":")[1]) if holder else None
            return next((host for host in self.worker_hosts if pid in host.pids()), None)

        deadline, host = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            if _db_query(done) > 0 and (host := _db_query(draining_host)) is not None:
                break
            time.sleep(0.2)
        draining = host is not None
        host = self.killed_worker_host = host or self.worker_hosts[0]
        killed = host.kill_all()
        self.processes.pop(f"worker@{host.role}").wait(timeout=10)
        self.note(
            f"worker host {host.role} died{' while draining the inbox' if draining else ''}: {killed} processes "
            f"SIGKILLed ({_db_query(done)} events processed)"
        )

    def web_link_cut(self) -> None:
        """The last web host's link goes down (for the rest of the run, or `--restore-web-after` seconds)."""
        host = self.cut_web_host = self.web_hosts[-1]
        self.cutting_at = time.monotonic()
        host.link_down()
        self.cut_at = time.monotonic()
        self.note(f"web host {host.role} cut off (link down)")
        if self.args.restore_web_after is not None:
            time.sleep(self.args.restore_web_after)
            host.link_up()
            self.restored_at = time.monotonic()
            self.note(f"web host {host.role} link up again")

    # -- the load balancer --------------------------------------------------------------------------------

    def web_target(self) -> str:
        self.attempt.started = time.monotonic()
        return self.balancer.pick()[1]

    def web_result(self, target: str, outcome: str) -> None:
        role = self.balancer.names[target]
        if is_connection_failure(outcome):
            self.balancer.failed(role)
        label = outcome + self.after_cut(role, started=self.attempt.started, ok=outcome == "acknowledged")
        with self.lock:
            self.deliveries_by_host[role][label] += 1

    # -- shoppers reading storefronts ---------------------------------------------------------------------

    def storefront_plan(self) -> list[tuple[object, str, str]]:
        """(shop, path, what the answer must contain to be that shop's): config, availability, alternatives."""
        plan = []
        for shop in self.shops:
            key = shop.store.public_key
            prefix = f"/api/storefront/v1/{key}"
            plan += [
                (shop, f"{prefix}/config/", f'"store_name":"{shop.store.name}"'),
                (shop, f"{prefix}/products/{shop.product_ids[0]}", f'"product_id":{shop.product_ids[0]}'),
                (
                    shop,
                    f"{prefix}/products/{shop.product_ids[1]}?variant_id={shop.variant_ids[2]}",
                    f'"variant_id":{shop.variant_ids[2]}',
                ),
                (shop, f"{prefix}/products/{shop.product_ids[0]}/alternatives/", ""),
            ]
        return plan

    def read_storefronts(self, seed: int) -> None:
        import requests
        from django.conf import settings

        rng, plan = random.Random(seed), self.storefront_plan()
        while not self.stop_reading.is_set():
            shop, path, must_contain = rng.choice(plan)
            for _attempt in range(6):
                role, base = self.balancer.pick()
                started = time.monotonic()
                try:
                    response = requests.get(
                        f"{base}{path}", headers={"Host": settings.PUBLIC_HOST, "Connection": "close"}, timeout=(2, 10)
                    )
                except requests.RequestException as exc:
                    self.balancer.failed(role)
                    outcome = f"{type(exc).__name__} on {role}{self.after_cut(role, started=started, ok=False)}"
                    with self.lock:
                        self.reads[outcome] += 1
                    continue
                body = response.text
                others = [other.marker for other in self.shops if other is not shop and other.marker in body]
                if others:
                    outcome = "another store's data"
                elif response.status_code == 200 and must_contain in body:
                    outcome = f"ok from {role}{self.after_cut(role, started=started, ok=True)}"
                else:
                    outcome = f"HTTP {response.status_code} from {role}"
                with self.lock:
                    self.reads[outcome] += 1
                    if not outcome.startswith("ok") and len(self.read_examples) < 10:
                        self.read_examples.append(f"{role} {path} -> {response.status_code} {body[:200]}")
                break
            else:
                with self.lock:
                    self.reads["no host answered"] += 1

    def post_all(self, deliveries: list[tuple[bytes, dict]]) -> Counter:
        readers = [threading.Thread(target=self.read_storefronts, args=(n,), daemon=True) for n in range(READERS)]
        for reader in readers:
            reader.start()
        try:
            return super().post_all(deliveries)
        finally:
            self.stop_reading.set()
            for reader in readers:
                reader.join(timeout=30)
            self.note(f"{sum(self.reads.values())} storefront reads")

    # -- verdict and tear-down ----------------------------------------------------------------------------

    def verdict(self, outcomes: Counter, drained: bool, resolved: list[dict]) -> dict:
        result = super().verdict(outcomes, drained, resolved)
        reads = dict(self.reads)
        result |= {
            "web_hosts": {host.role: host.address for host in self.web_hosts},
            "worker_hosts": {host.role: host.address for host in self.worker_hosts},
            "killed_worker_host": self.killed_worker_host.role if self.killed_worker_host else None,
            "cut_web_host": self.cut_web_host.role if self.cut_web_host else None,
            "deliveries_by_host": {role: dict(counts) for role, counts in self.deliveries_by_host.items()},
            "reads": reads,
            "reads_total": sum(reads.values()),
            "reads_wrong_store": reads.get("another store's data", 0),
            "read_examples": self.read_examples,
        }
        return result

    def tear_down(self) -> None:
        for host in self.web_hosts + self.worker_hosts:  # whatever runs on the app hosts, as the machines stop
            host.kill_all()
        for process in self.processes.values():
            process.wait(timeout=10)
        self.processes.clear()
        super().tear_down()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layout", type=Path, required=True, help="JSON: gateway, web and worker hosts, directory")
    parser.add_argument("--kill-worker-host-at", type=float, default=0.3, help="fraction of the posting")
    parser.add_argument("--cut-web-at", type=float, default=0.5, help="fraction of the posting")
    parser.add_argument("--restore-web-after", type=float, default=None, help="seconds (default: never)")
    own, rest = parser.parse_known_args(argv)
    args = parse(rest)
    for name, value in vars(own).items():
        setattr(args, name, value)
    _setup_django()
    return run(HostsStorm(args, json.loads(own.layout.read_text())))


if __name__ == "__main__":
    sys.exit(0 if main()["exactly_once"] else 1)
