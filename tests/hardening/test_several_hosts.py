"""The production shape across several hosts (network namespaces on a private LAN, tests/hardening/hosts.py):
a database host (its own PostgreSQL, PgBouncer in transaction mode with fewer server connections than the
app's client threads, Redis), two web hosts (gunicorn 2 x 4 threads, one public URL behind the driver's load
balancer), two worker hosts (`manage.py qcluster`). A webhook storm and shoppers' storefront reads go through
both web hosts; mid-run every process of one worker host is SIGKILLed and one web host's link is cut for the
rest of the run (tests/hardening/storm_hosts.py). Afterwards every event has had exactly one effect, the
mirror equals the sandbox BigCommerce, no answer carried another store's data, and the only failed reads are
connection failures to the cut host.

Marked slow (`-m slow`); skipped, saying why, where the machine refuses network namespaces (not root, no
CAP_NET_ADMIN) or lacks PostgreSQL's server binaries, PgBouncer or redis-server.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hardening import hosts
from tests.hardening.pooler import pgbouncer_available, pgbouncer_start
from tests.hardening.servers import ROOT, app_environment

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
ROLES = ["db", "web1", "web2", "worker1", "worker2"]
POOL_SIZE = 6  # server connections, against 16 gunicorn threads, 2 worker clusters and the driver
STORM = [
    "--events", "2000", "--duplicates", "0.2", "--orders", "120", "--variants", "16", "--kill-worker-at", "",
    "--kill-worker-host-at", "0.3", "--cut-web-at", "0.5", "--drain-timeout", "240", "--keep-data",
]  # fmt: skip


def _pg_bindir() -> Path | None:
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        if (Path(found) / "initdb").exists():
            return Path(found)
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


def _missing() -> str | None:
    """Why this machine cannot run the test (None when it can)."""
    refused = hosts.namespaces_refused()
    if refused:
        return f"no network namespaces here: {refused}"
    if _pg_bindir() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl) on this machine"
    if not pgbouncer_available():
        return "Debian's pgbouncer is not installed (bin/test installs it)"
    if not os.access(REDIS_SERVER, os.X_OK):
        return "redis-server is not installed (bin/test installs it)"
    return None


def _postgres_start(db: hosts.Host, home: Path) -> list[str]:
    """A cluster of our own on the database host (as `postgres`: PostgreSQL refuses root), listening on its
    loopback and LAN address, trusting the LAN; the pg_ctl command that stops it."""
    bindir = _pg_bindir()
    home.mkdir()
    shutil.chown(home, "postgres")
    pgdata = home / "data"
    as_pg = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_pg, bindir / "initdb", "-D", pgdata, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)  # fmt: skip
    with open(pgdata / "pg_hba.conf", "a") as hba:
        hba.write(f"host all all {db.address.rsplit('.', 1)[0]}.0/24 trust\n")
    pg_ctl = [*as_pg, str(bindir / "pg_ctl"), "-D", str(pgdata)]
    options = (
        f"-p 5432 -k {home} -c listen_addresses='127.0.0.1,{db.address}' -c max_connections=100 -c fsync=off "
        "-c synchronous_commit=off"
    )
    with open(home / "pg_ctl.log", "ab") as log:  # a file, not a pipe: the server inherits it
        db.run([*pg_ctl, "-l", home / "server.log", "-o", options, "-w", "start"], check=True, stdout=log, stderr=log)
    subprocess.run([bindir / "createdb", "-h", db.address, "-U", "postgres", "backorder"], check=True)
    return pg_ctl


def _redis_start(db: hosts.Host, home: Path) -> subprocess.Popen:
    home.mkdir()
    process = db.popen(
        [REDIS_SERVER, "--bind", f"127.0.0.1 {db.address}", "--port", "6379", "--protected-mode", "no",
         "--save", "", "--appendonly", "no", "--dir", home, "--logfile", home / "redis.log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    hosts.wait_reachable(db.address, 6379, seconds=20, process=process)
    return process


@pytest.fixture
def several_hosts():
    """The hosts, the database host's services, the migrated database: (storm environment, layout file, PgBouncer)."""
    missing = _missing()
    if missing:
        pytest.skip(missing)
    with hosts.network(ROLES) as network:
        db = network.host("db")
        pg_ctl, bouncer = None, None
        try:
            pg_ctl = _postgres_start(db, network.directory / "postgres")
            _redis_start(db, network.directory / "redis")
            bouncer = pgbouncer_start(
                pool_mode="transaction", pool_size=POOL_SIZE, listen_address=db.address, port=6432,
                upstream_host="127.0.0.1", upstream_port=5432, user="postgres", command_prefix=db.command([]),
            )  # fmt: skip
            # the documented deploy step, straight to PostgreSQL (session mode); everything else goes through
            # PgBouncer in transaction mode
            direct = app_environment(DATABASE_URL=f"postgresql://postgres@{db.address}:5432/backorder")
            subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=direct, check=True,
                           timeout=600)  # fmt: skip
            env = app_environment(
                DATABASE_URL=bouncer.database_url("backorder"), DATABASE_POOL_MODE="transaction",
                REDIS_URL=f"redis://{db.address}:6379/0", CONN_MAX_AGE="600", STOREFRONT_RATE_LIMIT="1000000/min",
            )  # fmt: skip
            layout = network.directory / "layout.json"
            layout.write_text(
                json.dumps({
                    "gateway": network.gateway,
                    "web": [network.host(role).as_dict() for role in ("web1", "web2")],
                    "workers": [network.host(role).as_dict() for role in ("worker1", "worker2")],
                    "directory": str(network.directory),
                })
            )  # fmt: skip
            yield env, layout, bouncer
        finally:
            if bouncer is not None:
                bouncer.stop()
            if pg_ctl is not None:
                db.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)
            # the network's tear-down SIGKILLs whatever still runs on the hosts (Redis, stragglers)


def _logs(layout: Path) -> str:
    tails = []
    for path in sorted((layout.parent / "storm").glob("*.log")):
        tails.append(f"--- {path.name}\n{path.read_text(errors='replace')[-1500:]}")
    return "\n".join(tails)


@pytest.mark.slow
def test_storm_and_storefront_reads_across_two_web_and_two_worker_hosts_survive_a_dead_worker_host_and_a_cut_link(
    several_hosts, capsys
):
    env, layout, bouncer = several_hosts
    finished = subprocess.run(
        [sys.executable, "-m", "tests.hardening.storm_hosts", "--layout", str(layout), *STORM],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=720,
    )  # fmt: skip
    assert finished.stdout.startswith("{") or "\n{" in finished.stdout, (
        finished.stdout[-3000:] + finished.stderr[-5000:] + _logs(layout)
    )
    result = json.loads(finished.stdout[finished.stdout.rfind("\n{") + 1 :])  # the last JSON object printed
    summary = json.dumps({k: v for k, v in result.items() if k != "timeline"}, indent=1)
    with capsys.disabled():
        shown = ("deliveries", "distinct_events", "inbox_status", "killed_worker_host", "cut_web_host",
                 "deliveries_by_host", "reads", "reads_total", "reads_wrong_store", "mirror_differs_from_bigcommerce",
                 "timeline", "seconds")  # fmt: skip
        print("\nseveral hosts:", json.dumps({k: result[k] for k in shown}, indent=1))
    details = summary + "\n" + _logs(layout)

    # every event exactly one effect, the mirror equal to the sandbox, nothing lost when a worker host died
    assert result["inbox_rows"] == result["distinct_events"], details
    assert result["inbox_status"] == {"done": result["distinct_events"]}, details
    assert result["missing_backorders"] == result["unexpected_backorders"] == result["wrong_quantities"] == 0, details
    assert result["backorders_captured"] == result["backordered_lines_in_bigcommerce"] > 0, details
    assert result["captured_timeline_entries"] == result["backorders_captured"], details
    assert result["orders_with_not_one_staff_note_line"] == result["orders_with_not_one_metafield"] == 0, details
    assert result["mirror_differs_from_bigcommerce"] == [], details
    assert result["bigcommerce_backordered_units"] == result["app_waiting_units"], details
    assert result["exactly_once"], details
    assert not any("FAILED" in line for line in result["timeline"]), details
    assert any(f"worker host {result['killed_worker_host']} died" in line for line in result["timeline"]), details
    assert any("web host web2 cut off" in line for line in result["timeline"]), details

    # both web hosts took deliveries; once cut, web2 acknowledged nothing and web1 took the rest
    by_host = result["deliveries_by_host"]
    assert by_host["web1"].get("acknowledged", 0) > 0 and by_host["web2"].get("acknowledged", 0) > 0, details
    assert by_host["web2"].get("acknowledged after cut", 0) == 0, details
    # a live host never refused a delivery: the only retries are connection failures to the cut host
    retried = {
        outcome: n for role, counts in by_host.items() for outcome, n in counts.items() if outcome != "acknowledged"
    }
    assert all(outcome.endswith("after cut") for outcome in retried), details  # only the cut host's get that

    # storefront reads: 0 wrong-store answers, no error from a live host, both hosts served before the cut
    reads = result["reads"]
    assert result["reads_wrong_store"] == 0, details
    assert reads.get("ok from web1", 0) > 0 and reads.get("ok from web2", 0) > 0, details
    failed = {outcome: n for outcome, n in reads.items() if not outcome.startswith("ok from")}
    assert all(outcome.endswith("on web2 after cut") for outcome in failed), details
    assert reads.get("ok from web2 after cut", 0) == 0, details  # the cut really cut
    answered = sum(n for outcome, n in reads.items() if outcome.startswith("ok from"))
    assert answered >= 0.9 * result["reads_total"], details
    assert 0 < bouncer.server_connections() <= POOL_SIZE, details
