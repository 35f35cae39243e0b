"""10,000 stores on one database: what grows with the number of stores, measured at N stores (default 2,000)
and projected to 10,000.

`./bin/bench scale [--stores 2000]` (not part of `./bin/bench all`: it runs for an hour or more on 2 cores;
`--stores 100` is a smoke run of a few minutes). Everything happens in a database of its own
(`<DATABASE_URL's name>_scale`, dropped at the end unless `--keep`), `migrate`d first. Loopback only.

1. Sign-up (`stores.services.store_sign_up`, the web sign-up's path: owner account, clone of the template
   schema, setup steps, host) timed at 0, N/2 and N existing stores (median of `--signups` each, a fresh
   database connection for each, as sign-ups arrive in different requests). The stores in between are made
   with `store_create` (the same clone, no password hashing) by `--fill-jobs` processes, each store on a fresh
   connection. On a server without autovacuum (the shared development server) the benchmark does autovacuum's
   work on the system catalogs itself, with its default thresholds (`CatalogAutovacuum`), and vacuums them before
   each measured point: with stale statistics and no vacuum the clone slowed from 2.5 to 11 s per store between
   100 and 190 stores (an ANALYZE brought it back to 1.9 s, as bench/migrations_many_schemas.py found). Every
   store gets one product with two variants, a waiting backorder and its store policy switched on, so it has
   something to serve.
2. Catalog size at each point: `pg_class` rows, `pg_attribute` rows, the database's size, relations per store
   schema, what the catalogs hold on disk, their dead rows before the vacuum and how long that vacuum took.
3. Tenant routing at N stores vs 3 stores, same run: two gunicorn servers (2 sync workers, persistent database
   connections, Redis as the shared host cache when `redis-server` is installed, as in production), one
   serving 3 stores and one serving all N; wrk (or a Python client) spreads requests at random over the stores:
   `/livez` on each store's host (routing only) and the storefront availability endpoint over each store's
   public key (routing plus one SELECT in that store's schema). Alternating rounds; medians; ratios.
4. Backend memory: one connection serves the storefront availability answer, the backorder list and the
   policy list (Django test client, API tokens) for `--memory-stores` different stores; its backend's
   `pg_backend_memory_contexts` (CacheMemoryContext and its children; all contexts) and `/proc/<pid>`
   (RssAnon, Pss) are read from the same connection after 1, 100, 250 and 500 stores; then a reconnect
   (what CONN_MAX_AGE does); then the same through PgBouncer (transaction mode, one server connection,
   `server_lifetime`/`server_idle_timeout` short for the demonstration) to show the pooler recycling its
   server connections.
5. pg_dump of one store schema and of `--dump-sample` store schemas at each point, and the restore of the
   sample into a scratch database (a full-database dump is not run: it takes a lock per table in one
   transaction, more than this shared server's lock table holds; the locks it needs are counted instead).
6. Deploys over N stores: `migrate` with nothing to apply (`--jobs 1`, `--jobs 2`; also at 0 stores, for the
   fixed cost), today's per-store path (django-tenants' standard executor, `migrate --tenant --executor
   standard`) on a sample of `--today-sample` stores, then a release (the throwaway tenant app
   bench/migration_probe: a table and an index, `DJANGO_SETTINGS_MODULE=bench.settings_migrations_bench`)
   with `--jobs 1`, rolled back, and with `--jobs 2`, and the same release through today's path on the
   sample. The rollback drops the table and its migration records directly, 50 schemas per transaction:
   `migrate migration_probe zero` would go store by store through today's path (its per-store cost times N,
   longer than anything measured here) for a state that two statements per schema restore exactly.

Prints one table (measured at what N, projected to 10,000 and how) and the JSON summary last; the JSON is also
saved to bench/results/scale.json. `--write-doc` puts the table into docs/operations.md between the
`<!-- bench/scale.py table -->` markers (only there); `--write-doc-from bench/results/scale.json` does it from a
saved run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "scale.json"
DOC = ROOT / "docs" / "operations.md"
DOC_BEGIN = "<!-- bench/scale.py table: begin -->"
DOC_END = "<!-- bench/scale.py table: end -->"
TARGET = 10_000
PROBE_SETTINGS = "bench.settings_migrations_bench"
PROBE_TABLE = "migration_probe_probe"
PASSWORD = "bench-pass-2026!"
TEMPLATE = "tenant_template"


# -- databases ----------------------------------------------------------------------------------------------


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _host(url: str) -> str:
    """The server's host, or its socket directory (percent-encoded in the URL, as bin/_setup.sh writes it)."""
    host = unquote(urlsplit(url).netloc.rpartition("@")[2])
    if not host.startswith("/"):
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return host or "127.0.0.1"


def _recreate(url: str, name: str) -> str:
    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return _with_db(url, name)


def _drop(url: str, name: str) -> None:
    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _scalar(url: str, sql: str, params=None):
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchone()[0]


def _store_schemas(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT schema_name FROM public.stores_store WHERE schema_name <> 'public' ORDER BY id"
        ).fetchall()
    return [row[0] for row in rows]


def _catalog_tables(conn) -> list[str]:
    rows = conn.execute(
        "SELECT quote_ident(relname) FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace "
        "AND relkind = 'r' AND NOT relisshared ORDER BY relname"
    ).fetchall()
    return [row[0] for row in rows]


def _catalog_vacuum(url: str) -> dict:
    """What autovacuum would have done to PostgreSQL's own catalogs by now: their dead rows before, and the time
    a VACUUM ANALYZE of them takes."""
    with psycopg.connect(url, autocommit=True) as conn:
        dead = dict(
            conn.execute(
                "SELECT relname, n_dead_tup FROM pg_stat_sys_tables WHERE schemaname = 'pg_catalog' "
                "AND relname IN ('pg_class', 'pg_attribute', 'pg_depend', 'pg_type', 'pg_index')"
            ).fetchall()
        )
        started = time.perf_counter()
        for table in _catalog_tables(conn):
            conn.execute(f"VACUUM (ANALYZE) pg_catalog.{table}")
        seconds = time.perf_counter() - started
    return {"dead_rows_before": dead, "vacuum_analyze_seconds": round(seconds, 2)}


class CatalogAutovacuum(threading.Thread):
    """PostgreSQL's autovacuum for the system catalogs, by hand, for servers that run without it (the shared
    development server does): every `naptime` seconds, VACUUM a catalog with more dead rows than 50 + 20 % of
    its rows and ANALYZE one changed by more than 50 + 10 % (autovacuum's default thresholds). Without it the
    catalogs' statistics go stale and pg_class bloats (half of it dead rows at 560 stores), and the clone
    function slows down several times over: what production's autovacuum prevents."""

    def __init__(self, url: str, *, naptime: float = 30.0) -> None:
        super().__init__(daemon=True)
        self.url, self.naptime = url, naptime
        self.stopped = threading.Event()
        self.vacuums = self.analyzes = 0
        self.seconds = 0.0

    def run(self) -> None:
        while not self.stopped.wait(self.naptime):
            try:
                self.once()
            except psycopg.Error as exc:  # the database may be busy or gone at the end; try again next time
                _log(f"catalog autovacuum: {type(exc).__name__}: {exc}")

    def once(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            due = conn.execute(
                "SELECT quote_ident(relname), n_dead_tup > 50 + 0.2 * n_live_tup FROM pg_stat_sys_tables "
                "WHERE schemaname = 'pg_catalog' AND (n_dead_tup > 50 + 0.2 * n_live_tup "
                "OR n_mod_since_analyze > 50 + 0.1 * n_live_tup)"
            ).fetchall()
            for table, vacuum in due:
                if self.stopped.is_set():
                    return
                started = time.perf_counter()
                conn.execute(f"VACUUM (ANALYZE) pg_catalog.{table}" if vacuum else f"ANALYZE pg_catalog.{table}")
                self.seconds += time.perf_counter() - started
                self.vacuums += bool(vacuum)
                self.analyzes += 1

    def stop(self) -> dict:
        self.stopped.set()
        self.join(timeout=600)
        return {"vacuums": self.vacuums, "analyzes": self.analyzes, "seconds": round(self.seconds, 1)}


def _catalog(url: str) -> dict:
    with psycopg.connect(url, autocommit=True) as conn:

        def one(sql, params=None):
            return conn.execute(sql, params).fetchone()[0]

        template = TEMPLATE
        kinds = dict(
            conn.execute(
                "SELECT relkind::text, count(*) FROM pg_class WHERE relnamespace = %s::regnamespace GROUP BY 1",
                [template],
            ).fetchall()
        )
        toast = one(
            "SELECT count(*) FROM pg_class t JOIN pg_class c ON c.reltoastrelid = t.oid "
            "WHERE c.relnamespace = %s::regnamespace",
            [template],
        )
        catalog_bytes = one(
            "SELECT sum(pg_total_relation_size(oid)) FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace "
            "AND relkind = 'r'"
        )
        return {
            "store_schemas": one("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'store\\_%%'"),
            "pg_class_rows": one("SELECT count(*) FROM pg_class"),
            "pg_attribute_rows": one("SELECT count(*) FROM pg_attribute"),
            "pg_depend_rows": one("SELECT count(*) FROM pg_depend"),
            "database_bytes": one("SELECT pg_database_size(current_database())"),
            "catalog_bytes": int(catalog_bytes or 0),
            "pg_class_bytes": one("SELECT pg_total_relation_size('pg_catalog.pg_class')"),
            "pg_attribute_bytes": one("SELECT pg_total_relation_size('pg_catalog.pg_attribute')"),
            # one store schema, as the template that every store is cloned from holds it
            "relations_per_store": sum(kinds.values()) + 2 * toast,  # a TOAST table and its index each
            "relations_per_store_by_kind": {**kinds, "toast tables and their indexes": 2 * toast},
            "tables_per_store": kinds.get("r", 0) + kinds.get("p", 0),
        }


def _server_settings(url: str) -> dict:
    with psycopg.connect(url, autocommit=True) as conn:
        names = ["max_connections", "max_locks_per_transaction", "max_prepared_transactions", "autovacuum",
                 "shared_buffers", "server_version"]  # fmt: skip
        return {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in names}


# -- subprocesses -------------------------------------------------------------------------------------------


def _worker(env: dict, name: str, payload: dict, *, settings: str = "config.settings", timeout: int = 36_000) -> dict:
    """Run one of this module's workers in a process of its own; its result is the last `RESULT` line."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--worker", name, "--payload", json.dumps(payload)],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": settings}, stdout=subprocess.PIPE, text=True,
        timeout=timeout,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"worker {name} failed (exit {done.returncode}): {done.stdout[-2000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def _manage(env: dict, *args: str, settings: str = "config.settings") -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": settings},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stdout[-3000:]}")
    return seconds, done.stdout


def _log(message: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- workers (each runs in its own process, Django set up from the environment) ----------------------------


def _seed(store) -> None:
    """One product, two variants, a waiting backorder, the store policy on: something to serve."""
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from backorder.models import Backorder, Policy, Product, Variant
    from backorder.services.availability import availability_refresh

    with schema_context(store.schema_name):
        now = timezone.now()
        product = Product.objects.create(bigcommerce_id=1, name="Scale bench lamp", inventory_tracking="variant",
                                         synced_at=now)  # fmt: skip
        Variant.objects.bulk_create([
            Variant(bigcommerce_id=101, product=product, sku="LAMP-1", on_hand=0, synced_at=now),
            Variant(bigcommerce_id=102, product=product, sku="LAMP-2", on_hand=3, synced_at=now),
        ])  # fmt: skip
        Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=14, max_units=50)
        Backorder.objects.create(order_id=1, order_line_id=1, order_created_at=now, product_id=1, variant_id=101,
                                 quantity=2, customer_email="shopper@scale.example")  # fmt: skip
        availability_refresh(variant_ids=[101, 102])


def worker_signups(payload: dict) -> dict:
    """Up to `count` web sign-ups, each timed whole and its schema step (clone + setup steps) apart; no new one is
    started when it would not end within `budget` seconds (judged by the last one). Each is printed as it ends."""
    from bench import _django

    _django.setup()
    from django.db import connection

    from stores import provisioning, services

    schema_seconds: list[float] = []
    original = provisioning.store_schema_create

    def timed(**kwargs):
        started = time.perf_counter()
        try:
            return original(**kwargs)
        finally:
            schema_seconds.append(time.perf_counter() - started)

    provisioning.store_schema_create = timed
    seconds: list[float] = []
    began = time.perf_counter()
    for i in range(payload["count"]):
        if seconds and time.perf_counter() - began + seconds[-1] > payload["budget"]:
            break
        connection.close()  # a new request, a new connection
        started = time.perf_counter()
        made = services.store_sign_up(email=f"owner-{payload['tag']}-{i}@scale.example", password=PASSWORD,
                                      store_name=f"Scale signup {payload['tag']} {i:02d}")  # fmt: skip
        seconds.append(time.perf_counter() - started)
        print("SIGNUP " + json.dumps({"ms": round(seconds[-1] * 1000, 1), "schema_step_ms":
                                      round(schema_seconds[-1] * 1000, 1)}), flush=True)  # fmt: skip
        _seed(made.store)
    connection.close()
    return {"done": len(seconds)}


def _copy_template(schema_name: str, sql: str) -> None:
    """The template schema's tables, indexes, constraints, sequences and rows (its pg_dump, renamed) in one
    transaction: what the clone function makes, without the clone function's catalog searches."""
    from django.db import connection
    from django_tenants.utils import schema_exists

    if schema_exists(schema_name, case_sensitive=False):
        raise ValueError(f"A schema named {schema_name!r} already exists.")
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        conn.execute(re.sub(r"\btenant_template\b", schema_name, sql))
    connection.set_schema_to_public()


def worker_fill(payload: dict) -> dict:
    """Stores number start, start + step, ... < end by `store_create`, each on a fresh connection; with `copy_sql`
    the template is copied from its pg_dump instead of by the clone function (see `_template_copy_sql`)."""
    from bench import _django

    _django.setup()
    from django.db import connection

    from stores import provisioning, services

    assert not provisioning.template_pending_migrations()
    provisioning.template_pending_migrations = lambda: []  # checked once here; each check loads the graph
    if payload.get("copy_sql"):
        sql = Path(payload["copy_sql"]).read_text()
        provisioning._clone_template = lambda schema_name: _copy_template(schema_name, sql)
    made: list[tuple[int, float]] = []
    numbers = range(payload["start"], payload["end"], payload["step"])
    for k, n in enumerate(numbers):
        connection.close()
        started = time.perf_counter()
        store = services.store_create(name=f"Scale {n:05d}", slug=f"scale-{n:05d}")
        made.append((n, round((time.perf_counter() - started) * 1000, 1)))
        _seed(store)
        if k % 100 == 99:
            print(f"  fill {payload['start']}+{payload['step']}: {k + 1}/{len(numbers)}, store {n}: {made[-1][1]} ms",
                  file=sys.stderr, flush=True)  # fmt: skip
    connection.close()
    return {"store_create_ms": made}


def _memory_contexts(cursor) -> dict:
    """This backend's memory contexts: CacheMemoryContext with everything under it, and all of them."""
    cursor.execute("SELECT name, level, total_bytes FROM pg_backend_memory_contexts")
    rows = cursor.fetchall()  # depth-first, parents before their children
    cache, inside, level = 0, False, None
    for name, row_level, total in rows:
        if inside and row_level <= level:
            inside = False
        if name == "CacheMemoryContext" and not inside:
            inside, level = True, row_level
        if inside:
            cache += total
    return {"cache_bytes": cache, "all_contexts_bytes": sum(total for _name, _level, total in rows)}


def _proc_memory(pid: int) -> dict:
    """RssAnon (the backend's private memory) and Pss from /proc (readable as root or as postgres)."""
    found: dict = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssShmem"):
                found[key] = int(value.split()[0]) * 1024
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("Pss", "Pss_Anon"):
                found[key] = int(value.split()[0]) * 1024
    except OSError as exc:
        found["error"] = f"{type(exc).__name__}: {exc}"
    return found


def _backend_memory() -> dict:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:  # one transaction: one server connection
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
        contexts = _memory_contexts(cursor)
    return {"pid": pid, **contexts, **_proc_memory(pid)}


def worker_memory(payload: dict) -> dict:
    """One connection serves `count` stores (3 requests each); its backend's memory along the way."""
    from bench import _django

    _django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from stores.api_tokens import api_token_create
    from stores.models import Store

    every = Store.objects.merchants().order_by("pk")
    step = max(1, every.count() // payload["count"])
    stores = list(every)[::step][: payload["count"]]
    tokens = {store.pk: api_token_create(store=store, name="scale bench", created_by=None)[1] for store in stores}
    connection.close()
    client = Client()
    failures: list[str] = []

    def serve(store) -> None:
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens[store.pk]}"}
        for host, path, extra in [
            (settings.PUBLIC_HOST, f"/api/storefront/v1/{store.public_key}/products/1?variant_id=101&quantity=2", {}),
            (store.host, "/api/v1/backorders/?status=waiting", bearer),
            (store.host, "/api/v1/policies/", bearer),
        ]:
            try:
                response = client.get(path, HTTP_HOST=host, **extra)
                problem = "" if response.status_code == 200 else f"{response.status_code} {response.content[:200]!r}"
            except Exception as exc:  # noqa: BLE001 - counted and reported; the memory figures still mean something
                problem = f"{type(exc).__name__}: {exc}"
            if problem:
                failures.append(f"{store.slug} {path}: {problem}"[:300])

    checkpoints = set(payload.get("checkpoints", [1, 100, 250, payload["count"]]))
    timeline_every = payload.get("timeline_every", 0)
    samples, timeline = {}, []
    started = time.perf_counter()
    for n, store in enumerate(stores, start=1):
        serve(store)
        if n in checkpoints:
            samples[n] = _backend_memory()
        if timeline_every and n % timeline_every == 0:
            memory = _backend_memory()
            timeline.append({"stores_served": n, "seconds": round(time.perf_counter() - started, 1),
                             "pid": memory["pid"], "cache_bytes": memory["cache_bytes"],
                             "all_contexts_bytes": memory["all_contexts_bytes"]})  # fmt: skip
    serving_seconds = time.perf_counter() - started
    result = {"stores_served": len(stores), "serving_seconds": round(serving_seconds, 1), "samples": samples,
              "timeline": timeline, "failed_requests": len(failures), "failures": failures[:5]}  # fmt: skip
    if payload.get("idle_seconds"):  # the pooler's server_idle_timeout: wait, then one more store
        time.sleep(payload["idle_seconds"])
        serve(stores[0])
        result["after_idle"] = _backend_memory()
    if payload.get("reconnect"):  # what CONN_MAX_AGE does when the connection's age is up
        connection.close()
        serve(stores[0])
        result["after_reconnect"] = _backend_memory()
    return result


def worker_today(payload: dict) -> dict:
    """Today's per-store path (django-tenants' standard executor, `migrate --tenant --executor standard`),
    restricted to the sample's schemas; the executor's run is timed (no process start-up in it)."""
    from bench import _django

    _django.setup()
    from django.core.management import call_command
    from django_tenants.migration_executors.standard import StandardExecutor

    wanted = set(payload["schemas"])
    original = StandardExecutor.run_migrations
    timing: dict = {}

    def sampled(self, tenants=None):
        chosen = [schema for schema in (tenants or []) if schema in wanted]
        started = time.perf_counter()
        original(self, tenants=chosen)
        timing["seconds"] = time.perf_counter() - started
        timing["stores"] = len(chosen)

    StandardExecutor.run_migrations = sampled
    with open(os.devnull, "w") as quiet:
        call_command("migrate", "--tenant", "--executor", "standard", "--noinput", "-v", "0", stdout=quiet)
    return {"stores": timing["stores"], "seconds": round(timing["seconds"], 2),
            "ms_per_store": round(timing["seconds"] * 1000 / max(timing["stores"], 1), 1)}  # fmt: skip


WORKERS = {"signups": worker_signups, "fill": worker_fill, "memory": worker_memory, "today": worker_today}


# -- phases --------------------------------------------------------------------------------------------------


def _fill(env: dict, *, start: int, end: int, jobs: int, copy_sql: str | None) -> list[tuple[int, float]]:
    """Stores start..end-1, `jobs` processes side by side (interleaved numbers, so both see the catalog grow)."""
    if end <= start:
        return []
    results: list[dict] = [{}] * jobs
    errors: list[str] = []

    def run(j: int) -> None:
        try:
            results[j] = _worker(env, "fill", {"start": start + j, "end": end, "step": jobs, "copy_sql": copy_sql})
        except Exception as exc:  # reported below
            errors.append(str(exc))

    threads = [threading.Thread(target=run, args=(j,)) for j in range(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(errors[0])
    made = sorted(pair for result in results for pair in result["store_create_ms"])
    return [tuple(pair) for pair in made]


def _template_copy_sql(url: str) -> str:
    """The template schema as SQL (pg_dump of its definitions and rows), for `_copy_template`; saved to a file."""
    parts = []
    for what in (["--schema-only"], ["--data-only", "--inserts"]):
        done = subprocess.run(["pg_dump", *what, "-n", TEMPLATE, "--no-owner", "--no-privileges", f"--dbname={url}"],
                              check=True, capture_output=True, text=True, timeout=600)  # fmt: skip
        parts.append(done.stdout)
    lines = [line for line in "\n".join(parts).splitlines() if not line.startswith(("\\", "--"))]
    handle, path = tempfile.mkstemp(prefix="scale-template-", suffix=".sql")
    with os.fdopen(handle, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def _schema_fingerprint(url: str, schema: str) -> dict:
    """What a store schema is made of, its own name taken out: relations by kind, and md5s of its columns, of its
    indexes and constraints (their structure; their names apart, since the clone function renames named unique
    constraints; a partial index's condition as present or not, since PostgreSQL may print an equal condition
    differently after a dump) and of its migration records. Equal fingerprints = the same schema."""

    def strip(expression: str) -> str:
        return f"regexp_replace({expression}, '\\m' || %(s)s || '\\.', '', 'g')"

    def md5_of(expression: str, source: str) -> str:
        return f"SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (SELECT {expression} AS x {source}) t"

    columns = md5_of(
        "c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) || a.attnotnull::text || "
        f"a.attidentity::text || coalesce({strip('pg_get_expr(d.adbin, d.adrelid)')}, '')",
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid "
        "AND d.adnum = a.attnum WHERE c.relnamespace = %(s)s::regnamespace AND c.relkind IN ('r', 'p') "
        "AND a.attnum > 0 AND NOT a.attisdropped",
    )
    index_shape = strip(
        "regexp_replace(regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON ', "
        "'CREATE \\1INDEX ON '), ' WHERE .*$', ' WHERE (condition)')"
    )
    indexes_from = "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = %(s)s::regnamespace"
    constraint_shape = strip(
        "contype::text || ':' || conrelid::regclass::text || ':' || conkey::text || ':' || "
        "coalesce(confrelid::regclass::text, '')"
    )
    constraints_from = "FROM pg_constraint WHERE connamespace = %(s)s::regnamespace"
    with psycopg.connect(url, autocommit=True) as conn:

        def one(sql: str):
            return conn.execute(sql, {"s": schema}).fetchone()[0]

        kinds = dict(conn.execute("SELECT relkind::text, count(*) FROM pg_class WHERE relnamespace = "
                                  "%(s)s::regnamespace GROUP BY 1", {"s": schema}).fetchall())  # fmt: skip
        found = {
            "relations": dict(sorted(kinds.items())),
            "columns": one(columns),
            "indexes": one(md5_of(index_shape, indexes_from)),
            "constraints": one(md5_of(constraint_shape, constraints_from)),
            "migrations": conn.execute(
                pgsql.SQL("SELECT md5(string_agg(app || '.' || name, ',' ORDER BY app, name)) FROM {}.{}").format(
                    pgsql.Identifier(schema), pgsql.Identifier("django_migrations")
                )
            ).fetchone()[0],
        }
        names = conn.execute(
            "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relnamespace = %(s)s::regnamespace UNION SELECT conname::text " + constraints_from,
            {"s": schema},
        ).fetchall()
    return {**found, "names": sorted(row[0] for row in names)}


HOTSPOT = """SELECT old.indexname, new.indexname FROM pg_indexes old, pg_indexes new
WHERE old.schemaname = %(source)s AND new.schemaname = %(dest)s AND old.tablename = new.tablename
AND old.tablename = %(table)s AND old.indexname <> new.indexname
AND regexp_replace(old.indexdef, E'.*USING','') = regexp_replace(new.indexdef, E'.*USING','')
ORDER BY old.indexdef, new.indexdef"""


def _clone_hotspot(url: str, *, timeout_s: int) -> dict:
    """The clone function's costliest statement (it runs it for every table of the template: the indexes of the
    template's table and of its copy, found by joining pg_indexes with itself on the table's name), timed for one
    table whose name the planner believes rare. PostgreSQL keeps the 100 commonest values of pg_class.relname;
    every store repeats each of its relation names, so a schema with more than 100 of them leaves the rest with
    an estimate of one row: a nested loop over every store's indexes of that name, twice, O(stores²)."""
    with psycopg.connect(url, autocommit=True) as conn:
        common = set(conn.execute(
            "SELECT unnest(most_common_vals::text::text[]) FROM pg_stats WHERE schemaname = 'pg_catalog' "
            "AND tablename = 'pg_class' AND attname = 'relname'"
        ).fetchall())  # fmt: skip
        common = {row[0] for row in common}
        names = conn.execute(
            "SELECT relkind::text, relname FROM pg_class WHERE relnamespace = %s::regnamespace ORDER BY relname",
            [TEMPLATE],
        ).fetchall()
        tables = [name for kind, name in names if kind in ("r", "p")]
        rare = [name for name in tables if name not in common]
        dest = conn.execute("SELECT min(schema_name) FROM stores_store WHERE schema_name <> 'public'").fetchone()[0]
        found = {"template_tables": len(tables), "tables_estimated_rare": len(rare),
                 "repeated_names_per_store": len([n for k, n in names if not n.startswith("pg_toast")]),
                 "timeout_s": timeout_s}  # fmt: skip
        if not dest or not tables:
            return found
        table = (rare or tables)[0]
        conn.execute(f"SET statement_timeout = '{int(timeout_s)}s'")
        started = time.perf_counter()
        try:
            conn.execute(HOTSPOT, {"source": TEMPLATE, "dest": dest, "table": table}).fetchall()
            found["seconds"] = round(time.perf_counter() - started, 2)
        except psycopg.errors.QueryCanceled:
            found["seconds"] = None
            found["timed_out"] = True
        found["table"] = table
    return found


def _signups(url: str, env: dict, *, tag: str, count: int, budget: int) -> dict:
    """Sign-ups through the real path (a worker process), within `budget` seconds: the one still running then is
    stopped (the process killed, its database session ended: the sign-up's transaction rolls back)."""
    app = f"scale-signups-{tag}"
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.scale", "--worker", "signups", "--payload",
         json.dumps({"count": count, "tag": tag, "budget": budget})],
        cwd=ROOT, env={**env, "PGAPPNAME": app, "DJANGO_SETTINGS_MODULE": "config.settings"}, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    started = time.perf_counter()
    try:
        process.wait(timeout=budget + 60)
        stopped = False
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", [app])
        stopped = True
    reader.join(timeout=10)
    done = [json.loads(line[len("SIGNUP ") :]) for line in lines if line.startswith("SIGNUP ")]
    found = {"budget_s": budget, "signup_ms": [d["ms"] for d in done], "schema_step_ms": [d["schema_step_ms"]
             for d in done], "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
    if stopped:
        found["unfinished_after_s"] = round(time.perf_counter() - started - sum(d["ms"] for d in done) / 1000, 1)
    elif process.returncode:
        raise RuntimeError(f"the sign-up worker failed (exit {process.returncode}): {''.join(lines)[-2000:]}")
    if done:
        found["signup_median_ms"] = round(statistics.median(found["signup_ms"]), 1)
        found["schema_step_median_ms"] = round(statistics.median(found["schema_step_ms"]), 1)
    return found


def _fill_trend(made: list[tuple[int, float]], buckets: int = 8) -> list[dict]:
    if not made:
        return []
    size = max(1, len(made) // buckets)
    trend = []
    for i in range(0, len(made), size):
        chunk = made[i : i + size]
        trend.append({"stores": f"{chunk[0][0]}-{chunk[-1][0]}", "middle": statistics.median(n for n, _ms in chunk),
                      "median_ms": round(statistics.median(ms for _n, ms in chunk), 1)})  # fmt: skip
    return trend


def _dump(url: str, schemas: list[str], label: str) -> dict:
    """pg_dump -Fc of these schemas (timed), and pg_restore of it into a scratch database (timed)."""
    directory = Path(tempfile.mkdtemp(prefix="scale-dump-"))
    path = directory / "dump.fc"
    dbname = urlsplit(url).path.lstrip("/")
    args = ["pg_dump", "-Fc", "-f", str(path)]
    for schema in schemas:
        args += ["-n", schema]
    try:
        started = time.perf_counter()
        subprocess.run([*args, f"--dbname={url}"], check=True, capture_output=True, timeout=3600)
        dump_seconds = time.perf_counter() - started
        scratch = f"{dbname}_{label}"
        scratch_url = _recreate(url, scratch)
        try:
            started = time.perf_counter()
            subprocess.run(["pg_restore", "--no-owner", f"--dbname={scratch_url}", str(path)], check=True,
                           capture_output=True, timeout=3600)  # fmt: skip
            restore_seconds = time.perf_counter() - started
            restored = _scalar(scratch_url, "SELECT count(*) FROM pg_namespace WHERE nspname = ANY(%s)", [schemas])
        finally:
            _drop(url, scratch)
        return {"schemas": len(schemas), "restored_schemas": restored, "dump_seconds": round(dump_seconds, 2),
                "restore_seconds": round(restore_seconds, 2), "dump_bytes": path.stat().st_size}  # fmt: skip
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _dumps(url: str, sample: int) -> dict:
    schemas = _store_schemas(url)
    one = ["tenant_template"] if not schemas else schemas[:1]
    found = {"one_schema": _dump(url, one, "restore1")}
    if len(schemas) >= sample > 1:
        step = len(schemas) // sample
        found["sample"] = _dump(url, schemas[::step][:sample], "restoren")
    return found


def _missing_migrations_locks(url: str) -> dict:
    """Locks held by one of the queries that find stores lacking migrations (they last until its transaction ends):
    `migrate` sends one per SCHEMAS_PER_QUERY stores, each in a transaction of its own; also what a single query
    over every store would hold."""
    # stores.schema_migrations.SCHEMAS_PER_QUERY, read from its source (this process has no Django settings)
    source = (Path(__file__).resolve().parents[1] / "stores" / "schema_migrations.py").read_text()
    per_query = int(re.search(r"^SCHEMAS_PER_QUERY = ([\d_]+)$", source, re.M).group(1))

    def held(conn, schemas: list[str], expected: list[str]) -> tuple[int, float]:
        started = time.perf_counter()
        conn.execute("SELECT count(*) FROM public.store_schemas_missing_migrations(%s::text[], %s::text[])",
                     [schemas, expected])  # fmt: skip
        seconds = time.perf_counter() - started
        locks = conn.execute("SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()").fetchone()[0]
        conn.rollback()
        return locks, seconds

    with psycopg.connect(url) as conn:
        expected = [f"{app}.{name}" for app, name in conn.execute("SELECT app, name FROM django_migrations")]
        conn.rollback()
        schemas = _store_schemas(url)
        locks, seconds = held(conn, schemas[:per_query], expected)
        all_locks, all_seconds = held(conn, schemas, expected)
    return {"stores": len(schemas), "per_query": per_query, "queries": -(-len(schemas) // per_query),
            "locks": locks, "seconds": round(seconds, 2), "one_query_locks": all_locks,
            "one_query_seconds": round(all_seconds, 2)}  # fmt: skip


MIGRATE_CHECK = re.compile(r"(\d+) stores, (\d+) up to date, (\d+) to migrate \(checked in ([\d.]+) s\)")
MIGRATE_DONE = re.compile(r"(\d+) stores migrated, (\d+) failed, in ([\d.]+) s with (\d+) job")


def _migrate(env: dict, *, jobs: int, settings: str = "config.settings") -> dict:
    seconds, output = _manage(env, "migrate", "--noinput", "--jobs", str(jobs), settings=settings)
    check, done = MIGRATE_CHECK.search(output), MIGRATE_DONE.search(output)
    return {
        "jobs": jobs,
        "seconds": round(seconds, 2),
        "stores": int(check.group(1)) if check else None,
        "to_migrate": int(check.group(3)) if check else None,
        "check_seconds": float(check.group(4)) if check else None,
        "stores_seconds": float(done.group(3)) if done else (float(check.group(4)) if check else None),
        "failed": int(done.group(2)) if done else 0,
    }


def _probe_rollback(url: str, schemas: list[str], *, public: bool) -> float:
    """The probe app's table and migration records gone from these schemas, 50 schemas per transaction."""
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        for i in range(0, len(schemas), 50):
            with conn.transaction():
                for schema in schemas[i : i + 50]:
                    quoted = '"' + schema.replace('"', '""') + '"'
                    conn.execute(f"DROP TABLE IF EXISTS {quoted}.{PROBE_TABLE}")
                    conn.execute(f"DELETE FROM {quoted}.django_migrations WHERE app = 'migration_probe'")
        if public:
            conn.execute("DELETE FROM public.django_migrations WHERE app = 'migration_probe'")
            conn.commit()
    return time.perf_counter() - started


def _probe_indexed(url: str) -> int:
    return _scalar(url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'probe_name'")


def _deploys(url: str, env: dict, *, today_sample: int) -> dict:
    found: dict = {}
    stores = _store_schemas(url)
    step = max(1, len(stores) // today_sample)
    sample = stores[::step][:today_sample]
    everything = ["tenant_template", *stores]
    if _probe_indexed(url) or _scalar(url, "SELECT count(*) FROM django_migrations WHERE app = 'migration_probe'"):
        _log("deploys: the probe app from an earlier run rolled back first")
        _probe_rollback(url, everything, public=True)
        _catalog_vacuum(url)
    _log("deploys: no-op migrate --jobs 1, --jobs 2")
    found["noop_jobs1"] = _migrate(env, jobs=1)
    found["noop_jobs2"] = _migrate(env, jobs=2)
    found["missing_migrations_query"] = _missing_migrations_locks(url)
    _log(f"deploys: today's per-store path (standard executor) over {len(sample)} stores")
    found["today_noop"] = _worker(env, "today", {"schemas": sample})
    _log("deploys: release (a table and an index) --jobs 1")
    found["release_jobs1"] = _migrate(env, jobs=1, settings=PROBE_SETTINGS)
    found["release_jobs1"]["schemas_indexed"] = _probe_indexed(url)
    found["rollback_seconds"] = round(_probe_rollback(url, everything, public=True), 1)
    found["rollback_catalog_vacuum"] = _catalog_vacuum(url)
    _log("deploys: release --jobs 2")
    found["release_jobs2"] = _migrate(env, jobs=2, settings=PROBE_SETTINGS)
    found["release_jobs2"]["schemas_indexed"] = _probe_indexed(url)
    _probe_rollback(url, sample, public=False)
    _log(f"deploys: the release through today's path over {len(sample)} stores")
    found["today_release"] = _worker(env, "today", {"schemas": sample}, settings=PROBE_SETTINGS)
    found["today_release"]["schemas_indexed_after"] = _probe_indexed(url)
    return found


# -- routing ------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_start() -> tuple[subprocess.Popen | None, str | None]:
    server = shutil.which("redis-server")
    if not server:
        return None, None
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"redis://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.terminate()
    return None, None


def _wrk_script(targets: list[tuple[str, str]]) -> str:
    lines = ["local targets = {"]
    for host, path in targets:
        lines.append(f'  {{"{host}", "{path}"}},')
    lines += [
        "}",
        "math.randomseed(7)",
        "request = function()",
        "  local t = targets[math.random(#targets)]",
        '  return wrk.format("GET", t[2], {Host = t[1]})',
        "end",
    ]
    handle, name = tempfile.mkstemp(prefix="scale-", suffix=".lua")
    with os.fdopen(handle, "w") as f:
        f.write("\n".join(lines) + "\n")
    return name


def _load(port: int, targets: list[tuple[str, str]], *, seconds: int, connections: int) -> dict:
    """Requests/s, p99 and non-2xx with requests spread at random over (host, path) targets."""
    if shutil.which("wrk"):
        script = _wrk_script(targets)
        try:
            out = subprocess.run(
                ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script,
                 f"http://127.0.0.1:{port}/"],
                capture_output=True, text=True, check=True, timeout=seconds + 60,
            ).stdout  # fmt: skip
        finally:
            os.unlink(script)
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return {"rps": rps, "p99_ms": round(float(p99.group(1)) * scale[p99.group(2)], 2) if p99 else None,
                "non_2xx": int(non_2xx.group(1)) if non_2xx else 0, "tool": "wrk"}  # fmt: skip
    import http.client

    deadline = time.monotonic() + seconds
    counts, errors, latencies = [0] * connections, [0] * connections, [[] for _ in range(connections)]

    def client(i: int) -> None:
        rng = random.Random(i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            host, path = targets[rng.randrange(len(targets))]
            started = time.perf_counter()
            conn.request("GET", path, headers={"Host": host})
            response = conn.getresponse()
            response.read()
            latencies[i].append((time.perf_counter() - started) * 1000)
            counts[i] += 1
            errors[i] += not 200 <= response.status < 300

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = sorted(x for lat in latencies for x in lat)
    return {"rps": sum(counts) / seconds, "p99_ms": round(merged[int(len(merged) * 0.99)], 2) if merged else None,
            "non_2xx": sum(errors), "tool": "python"}  # fmt: skip


def _warm(port: int, targets: list[tuple[str, str]]) -> None:
    """Each target requested once, one after another (the shared host cache then knows every store)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for host, path in targets:
        conn.request("GET", path, headers={"Host": host})
        conn.getresponse().read()
    conn.close()


def _routing(url: str, env: dict, *, seconds: int, rounds: int, connections: int) -> dict:
    from bench.tenant_routing import start_server, wait_ready

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT s.public_key, d.domain FROM stores_store s JOIN stores_domain d ON d.tenant_id = s.id "
            "AND d.is_primary WHERE s.schema_name <> 'public' ORDER BY s.id"
        ).fetchall()
    public_host = urlsplit(env.get("APP_BASE_URL") or "http://localhost:8000").hostname
    availability = "/api/storefront/v1/{key}/products/1?variant_id=101&quantity=2"
    few = rows[:: max(1, len(rows) // 3)][:3]
    endpoints = {
        "livez (routing only)": lambda chosen: [(domain, "/livez") for _key, domain in chosen],
        "storefront availability (routing + 1 SELECT)": lambda chosen: [
            (public_host, availability.format(key=key)) for key, _domain in chosen
        ],
    }
    redis, redis_url = _redis_start()
    base = {**env, "CONN_MAX_AGE": "600", "STOREFRONT_RATE_LIMIT": "1000000/s",
            "QUEUE_STALE_AFTER_SECONDS": str(10**9)}  # fmt: skip
    servers = {"3 stores": (_free_port(), few), f"{len(rows)} stores": (_free_port(), rows)}
    processes = []
    for i, (_name, (port, _chosen)) in enumerate(servers.items()):
        server_env = {**base, **({"REDIS_URL": f"{redis_url}/{i}"} if redis_url else {})}
        processes.append(start_server(port, "config.settings", server_env))
    found: dict = {"stores": len(rows), "shared_cache": "redis" if redis_url else "local memory (no redis-server)",
                   "endpoints": {}}  # fmt: skip
    try:
        for port, _chosen in servers.values():
            wait_ready(port, public_host)
        for label, make in endpoints.items():
            samples: dict[str, list] = {name: [] for name in servers}
            for port, chosen in servers.values():  # warm: every store looked up once, then a second of load
                _warm(port, make(chosen))
                _load(port, make(chosen), seconds=1, connections=connections)
            for _ in range(rounds):
                for name, (port, chosen) in servers.items():
                    samples[name].append(_load(port, make(chosen), seconds=seconds, connections=connections))
            names = list(servers)
            few_rps = statistics.median(s["rps"] for s in samples[names[0]])
            many_rps = statistics.median(s["rps"] for s in samples[names[1]])
            found["endpoints"][label] = {
                "rps_3_stores": round(few_rps),
                "rps_n_stores": round(many_rps),
                "ratio": round(many_rps / few_rps, 3),
                "p99_ms_3_stores": statistics.median(s["p99_ms"] for s in samples[names[0]]),
                "p99_ms_n_stores": statistics.median(s["p99_ms"] for s in samples[names[1]]),
                "non_2xx": sum(s["non_2xx"] for runs in samples.values() for s in runs),
                "samples_rps": {name: [round(s["rps"]) for s in runs] for name, runs in samples.items()},
                "tool": samples[names[0]][0]["tool"],
            }
        found["gunicorn_backends"] = _gunicorn_backends(url)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        if redis:
            redis.terminate()
            redis.wait(timeout=10)
    return found


def _gunicorn_backends(url: str) -> list[dict]:
    """Memory of the web workers' backends (persistent connections) right after the load, from /proc."""
    with psycopg.connect(url, autocommit=True) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        ).fetchall()]  # fmt: skip
    return [{"pid": pid, **_proc_memory(pid)} for pid in pids]


# -- PgBouncer ---------------------------------------------------------------------------------------------


def _pgbouncer_start(url: str, *, lifetime: int, idle_timeout: int) -> tuple[subprocess.Popen, int, Path]:
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.access(binary, os.X_OK):
        raise RuntimeError("PgBouncer is not installed (Debian: apt-get install pgbouncer)")
    parts = urlsplit(url)
    user = parts.username or "postgres"
    port = _free_port()
    directory = Path(tempfile.mkdtemp(prefix="scale-pgbouncer-"))
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    (directory / "pgbouncer.ini").write_text("\n".join([
        "[databases]",
        f"* = host={_host(url)} port={parts.port or 5432}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = trust",
        f"auth_file = {directory / 'userlist.txt'}",
        "pool_mode = transaction",
        "default_pool_size = 1",
        "min_pool_size = 0",
        "reserve_pool_size = 0",
        "max_client_conn = 50",
        f"server_lifetime = {lifetime}",
        f"server_idle_timeout = {idle_timeout}",
        "ignore_startup_parameters = extra_float_digits",
        f"logfile = {directory / 'pgbouncer.log'}",
        f"pidfile = {directory / 'pgbouncer.pid'}",
        "",
    ]))  # fmt: skip
    command = [binary, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        shutil.chown(directory, "postgres")
        for path in directory.iterdir():
            shutil.chown(path, "postgres")
        command = [binary, "-u", "postgres", str(directory / "pgbouncer.ini")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port, directory
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("PgBouncer did not start")


def _memory(url: str, env: dict, *, count: int, lifetime: int, idle_timeout: int) -> dict:
    found: dict = {}
    direct_env = {**env, "CONN_MAX_AGE": "600", "STOREFRONT_RATE_LIMIT": "1000000/s"}
    found["direct"] = _worker(direct_env, "memory", {"count": count, "reconnect": True,
                                                     "checkpoints": sorted({1, 100, 250, count})})  # fmt: skip
    _log(f"memory: through PgBouncer (transaction mode, server_lifetime={lifetime}, "
         f"server_idle_timeout={idle_timeout})")  # fmt: skip
    process, port, directory = _pgbouncer_start(url, lifetime=lifetime, idle_timeout=idle_timeout)
    try:
        parts = urlsplit(url)
        pooled_url = urlunsplit((parts.scheme, f"{parts.username or 'postgres'}@127.0.0.1:{port}", parts.path,
                                 parts.query, ""))  # fmt: skip
        pooled_env = {**direct_env, "DATABASE_URL": pooled_url, "DATABASE_POOL_MODE": "transaction"}
        found["pgbouncer"] = _worker(pooled_env, "memory", {
            "count": count, "checkpoints": [1, count], "timeline_every": 25, "idle_seconds": idle_timeout + 3,
        })  # fmt: skip
        found["pgbouncer"]["settings"] = {"pool_mode": "transaction", "default_pool_size": 1,
                                          "server_lifetime": lifetime, "server_idle_timeout": idle_timeout}  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)
    return found


# -- the table ----------------------------------------------------------------------------------------------


def _mb(b: float | None) -> str:
    return "—" if b is None else f"{b / 1e6:,.1f} MB"


def _s(x: float | None) -> str:
    return "—" if x is None else (f"{x:,.1f} s" if x >= 10 else f"{x:,.2f} s")


def _fit(points: list[tuple[float, float]], at: float) -> float | None:
    """Least-squares line through (x, y) points, evaluated at `at`."""
    if len(points) < 2:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    if not den:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den
    return my + slope * (at - mx)


def _fit_poly(points: list[tuple[float, float]], degree: int):
    """Least-squares polynomial (degree 1 or 2) through (x, y) points, as a function."""
    size = degree + 1
    a = [[sum(x ** (i + j) for x, _y in points) for j in range(size)] for i in range(size)]
    b = [sum(y * x**i for x, y in points) for i in range(size)]
    for col in range(size):  # Gauss-Jordan on the normal equations (3x3 at most)
        pivot = max(range(col, size), key=lambda row: abs(a[row][col]))
        a[col], a[pivot], b[col], b[pivot] = a[pivot], a[col], b[pivot], b[col]
        for row in range(size):
            if row != col and a[col][col]:
                factor = a[row][col] / a[col][col]
                a[row] = [x - factor * y for x, y in zip(a[row], a[col], strict=True)]
                b[row] -= factor * b[col]
    coefficients = [b[i] / a[i][i] if a[i][i] else 0.0 for i in range(size)]
    return lambda x: sum(c * x**i for i, c in enumerate(coefficients))


def _poly_at(points: list[tuple[float, float]], at: float) -> float:
    return _fit_poly(points, 2 if len(points) >= 3 else 1)(at) if len(points) >= 2 else float("nan")


def _projected_ms(points: list[tuple[float, float]]) -> str:
    """The linear fit at 10,000 stores; no growth above the noise when the fitted line falls."""
    at_target, at_last = _fit(points, TARGET), _fit(points, max(x for x, _y in points))
    if at_target is None or at_last is None:
        return "—"
    if at_target <= at_last:
        return f"≈ {statistics.median(y for _x, y in points):,.0f} ms (no growth above the noise)"
    return f"{at_target:,.0f} ms"


def rows(r: dict) -> list[dict]:
    """(figure, measured, at, comparison, projected to 10,000, how) for the table and the doc."""
    out: list[dict] = []
    n = r.get("stores")

    def add(figure, measured, at, comparison="—", projected="—", how="—"):
        out.append({"figure": figure, "measured": measured, "at": at, "comparison": comparison,
                    "projected": projected, "how": how})  # fmt: skip

    signups = sorted((r.get("signups") or {}).values(), key=lambda v: v["existing_stores"])
    points = [(v["existing_stores"], v["signup_median_ms"]) for v in signups if "signup_median_ms" in v]
    schema_points = [
        (v["existing_stores"], v["schema_step_median_ms"]) for v in signups if "schema_step_median_ms" in v
    ]
    for v in signups:
        at = f"{v['existing_stores']:,} stores"
        if "skipped" in v:
            add("sign-up → usable store (real path)", "not timed", at, v["skipped"])
            continue
        unfinished = v.get("unfinished_after_s")
        if v.get("signup_ms"):
            median = statistics.median(v["signup_ms"])
            extra = f"; one more unfinished after {unfinished:,.0f} s" if unfinished else ""
            add(f"sign-up → usable store (real path), median of {len(v['signup_ms'])}", f"{median:,.0f} ms", at,
                f"clone + setup {statistics.median(v['schema_step_ms']):,.0f} ms{extra}")  # fmt: skip
        elif unfinished:
            add("sign-up → usable store (real path)", f"> {unfinished:,.0f} s", at,
                f"stopped unfinished (budget {v['budget_s']} s)")  # fmt: skip
    if len(points) >= 2:
        fitted = _fit_poly(points, 2 if len(points) >= 3 else 1)
        kind = "quadratic" if len(points) >= 3 else "linear"
        n_here = max((v["existing_stores"] for v in signups), default=0)
        add("sign-up → usable store (real path)", "—", "—",
            f"the fit gives {fitted(n_here / 2) / 1000:,.0f} s at {n_here // 2:,}, {fitted(n_here) / 1000:,.0f} s at "
            f"{n_here:,}; clone + setup {_poly_at(schema_points, TARGET) / 1000:,.0f} s at 10,000",
            f"{fitted(TARGET) / 1000:,.0f} s", f"{kind} fit of the medians above (the clone is O(N²))")  # fmt: skip
    for key, v in sorted((r.get("clone_hotspot") or {}).items(), key=lambda kv: int(kv[0])):
        if not v or "table" not in v:
            continue
        measured = f"{v['seconds']:,.1f} s" if v.get("seconds") is not None else f"> {v['timeout_s']} s"
        add("clone function's costliest statement, one table", measured, f"{int(key):,} stores",
            f"{v['tables_estimated_rare']} of {v['template_tables']} template tables estimated rare: each pays it; "
            f"{v['repeated_names_per_store']} repeated names per store (statistics keep 100)")  # fmt: skip
    trend = r.get("fill", {}).get("trend") or []
    if trend:
        by = r.get("fill", {}).get("by", "clone function")
        add(f"fill: store_create, {by}, median",
            f"{trend[0]['median_ms']:,.0f} → {trend[-1]['median_ms']:,.0f} ms",
            f"store #{trend[0]['stores']} → #{trend[-1]['stores']}",
            f"{r['args']['fill_jobs']} processes side by side, {len(trend)} groups")  # fmt: skip
    if "fingerprints_equal" in r:
        renamed = ", ".join(f"{label} {len(f.get('names_not_in_template', []))}"
                            for label, f in r.get("fingerprints", {}).items() if label != "template")  # fmt: skip
        add("store schemas (fill copy, sign-up clone) built like the template", "yes" if r["fingerprints_equal"]
            else "NO", ", ".join(f["schema"] for f in r.get("fingerprints", {}).values()),
            "relations, columns, indexes, constraints, migration records; index/constraint names differing from "
            f"the template: {renamed}")  # fmt: skip

    routing = r.get("routing") or {}
    for label, m in (routing.get("endpoints") or {}).items():
        add(
            f"routing: {label}",
            f"{m['rps_n_stores']:,} req/s",
            f"{routing['stores']:,} stores",
            f"3 stores {m['rps_3_stores']:,} req/s (ratio {m['ratio']:.2f})",
            "not projected",
            "depends on caches, not linearly on N (see the text)",
        )

    catalogs = r.get("catalog") or {}
    first, last = catalogs.get("0"), catalogs.get(str(n)) if n is not None else None
    if first and last and last["store_schemas"]:
        made = last["store_schemas"] - first["store_schemas"]

        def linear(key):
            per = (last[key] - first[key]) / made
            return per, first[key] + per * TARGET

        per, proj = linear("pg_class_rows")
        add(
            "pg_class rows",
            f"{last['pg_class_rows']:,}",
            f"{last['store_schemas']:,} stores",
            f"{per:,.0f} per store ({last['relations_per_store']} relations per store schema)",
            f"{proj:,.0f}",
            "linear: rows per store × stores",
        )
        per, proj = linear("pg_attribute_rows")
        add(
            "pg_attribute rows",
            f"{last['pg_attribute_rows']:,}",
            f"{last['store_schemas']:,} stores",
            f"{per:,.0f} per store",
            f"{proj:,.0f}",
            "linear",
        )
        per, proj = linear("catalog_bytes")
        add(
            "system catalogs on disk",
            _mb(last["catalog_bytes"]),
            f"{last['store_schemas']:,} stores",
            f"{per / 1e3:,.0f} kB per store",
            _mb(proj),
            "linear",
        )
        per, proj = linear("database_bytes")
        add(
            "database size (stores nearly empty)",
            _mb(last["database_bytes"]),
            f"{last['store_schemas']:,} stores",
            f"{per / 1e3:,.0f} kB per store",
            _mb(proj),
            "linear, before any merchant data",
        )
        vacuum = r.get("catalog_vacuum", {}).get(str(n))
        if vacuum:
            stores_then = last["store_schemas"]
            dead_class = vacuum["dead_rows_before"].get("pg_class", 0)
            add("VACUUM ANALYZE of the system catalogs", _s(vacuum["vacuum_analyze_seconds"]),
                f"{stores_then:,} stores", f"pg_class dead rows before: {dead_class:,}",
                _s(vacuum["vacuum_analyze_seconds"] * TARGET / stores_then), "linear in catalog size")  # fmt: skip
        tables = last["tables_per_store"]
        server = r.get("server", {})
        slots = int(server.get("max_locks_per_transaction", 64)) * (
            int(server.get("max_connections", 100)) + int(server.get("max_prepared_transactions", 0)))  # fmt: skip
        add(
            "locks a whole-database pg_dump takes (one per table)",
            f"{tables * last['store_schemas']:,}",
            f"{last['store_schemas']:,} stores",
            f"this server's lock table: {slots:,}",
            f"{tables * TARGET:,}",
            f"{tables} tables per store × stores (counted, not run)",
        )

    memory = r.get("memory") or {}
    direct = memory.get("direct")
    if direct and direct.get("samples"):
        samples = {int(k): v for k, v in direct["samples"].items()}
        served = max(samples)
        fresh, full = samples[min(samples)], samples[served]
        per = (full["cache_bytes"] - fresh["cache_bytes"]) / max(served - 1, 1)
        add(
            "backend CacheMemoryContext",
            _mb(full["cache_bytes"]),
            f"after {served} stores on one connection",
            f"fresh backend {_mb(fresh['cache_bytes'])}; {per / 1e3:,.0f} kB per store"
            + (f"; {direct['failed_requests']} requests failed" if direct.get("failed_requests") else ""),
            _mb(fresh["cache_bytes"] + per * TARGET),
            "linear: kB per store served × stores served by one backend",
        )
        per_anon = (full.get("RssAnon", 0) - fresh.get("RssAnon", 0)) / max(served - 1, 1)
        add(
            "backend private memory (RssAnon)",
            _mb(full.get("RssAnon")),
            f"after {served} stores",
            f"fresh {_mb(fresh.get('RssAnon'))}",
            _mb(fresh.get("RssAnon", 0) + per_anon * TARGET),
            "linear",
        )
        again = direct.get("after_reconnect")
        if again:
            add(
                "backend CacheMemoryContext after a reconnect (CONN_MAX_AGE)",
                _mb(again["cache_bytes"]),
                "1 store on the new connection",
                f"RssAnon {_mb(again.get('RssAnon'))}",
            )
    pooled = memory.get("pgbouncer")
    if pooled and pooled.get("timeline"):
        peak = max(t["cache_bytes"] for t in pooled["timeline"])
        pids = len({t["pid"] for t in pooled["timeline"]})
        settings = pooled["settings"]
        add(
            f"through PgBouncer (server_lifetime {settings['server_lifetime']} s), peak CacheMemoryContext",
            _mb(peak),
            f"{pooled['stores_served']} stores in {pooled['serving_seconds']} s",
            f"{pids} server connections used in turn",
            "bounded",
            "stores served within server_lifetime × kB each",
        )
        if pooled.get("after_idle"):
            add(
                f"after server_idle_timeout ({settings['server_idle_timeout']} s)",
                _mb(pooled["after_idle"]["cache_bytes"]),
                "1 store on the next server connection",
            )

    dumps = r.get("dumps") or {}
    last_dump = dumps.get(str(n)) if n is not None else None
    first_dump = dumps.get("0")
    if last_dump:
        one = last_dump["one_schema"]
        comparison = f"at 0 stores {_s(first_dump['one_schema']['dump_seconds'])}" if first_dump else "—"
        projected = "—"
        if first_dump and last:
            projected = _s(first_dump["one_schema"]["dump_seconds"] + (one["dump_seconds"] - first_dump["one_schema"]
                           ["dump_seconds"]) * TARGET / last["store_schemas"])  # fmt: skip
        add("pg_dump -Fc of one store schema", _s(one["dump_seconds"]), f"{last['store_schemas']:,} stores" if last
            else "—", comparison, projected, "linear in catalog size (pg_dump reads every catalog)")  # fmt: skip
        sample = last_dump.get("sample")
        if sample:
            per = max(sample["dump_seconds"] - one["dump_seconds"], 0) / max(sample["schemas"] - 1, 1)
            add(f"pg_dump -Fc of {sample['schemas']} store schemas / pg_restore of them",
                f"{_s(sample['dump_seconds'])} / {_s(sample['restore_seconds'])}", f"{last['store_schemas']:,} stores"
                if last else "—", f"{per * 1000:,.0f} ms per extra schema",
                _s(one["dump_seconds"] * TARGET / max(last["store_schemas"], 1) + per * TARGET) if last else "—",
                "whole database: one-schema cost at 10,000 + per schema × 10,000 (needs the locks above)")  # fmt: skip

    deploys = r.get("deploys") or {}
    noop0 = r.get("noop_migrate_at_0")
    for key in ("noop_jobs1", "noop_jobs2"):
        m = deploys.get(key)
        if not m or not m.get("stores"):
            continue
        fixed = m["seconds"] - (m["check_seconds"] or 0)  # process start, public schema, template, schedules
        at0 = f"at 0 stores {_s(noop0['seconds'])}; " if noop0 else ""
        add(
            f"no-op migrate --jobs {m['jobs']}, total",
            _s(m["seconds"]),
            f"{m['stores']:,} stores",
            f"{at0}stores checked in {_s(m['check_seconds'])}; ≤ 20 s: {'yes' if m['seconds'] <= 20 else 'NO'}",
            _s(fixed + (m["check_seconds"] or 0) * TARGET / m["stores"]),
            "the rest as measured + the stores' check × 10,000 / N",
        )
    today = deploys.get("today_noop")
    if today and n:
        stores = deploys.get("noop_jobs1", {}).get("stores") or n
        add(
            "no-op migrate, today's path (standard executor), per store",
            f"{today['ms_per_store']:,.0f} ms",
            f"sample of {today['stores']} of {stores:,} stores",
            f"× {stores:,} = {_s(today['ms_per_store'] * stores / 1000)}",
            _s(today["ms_per_store"] * TARGET / 1000),
            "per store × stores",
        )
    missing = deploys.get("missing_migrations_query")
    if missing and "per_query" in missing:
        add(
            "locks held by one 'which stores lack migrations' query",
            f"{missing['locks']:,}",
            f"{missing['per_query']:,} of {missing['stores']:,} stores ({missing['queries']} queries)",
            f"in {_s(missing['seconds'])}; one query over every store: {missing['one_query_locks']:,} locks, "
            f"{_s(missing['one_query_seconds'])}",
            f"{missing['locks']:,} ({-(-TARGET // missing['per_query'])} queries)",
            f"bounded: {missing['per_query']} stores a query, each its own transaction",
        )
    elif missing:
        add(
            "locks held by the 'which stores lack migrations' query",
            f"{missing['locks']:,}",
            f"{missing['stores']:,} stores",
            f"in {_s(missing['seconds'])}",
            f"{round(missing['locks'] * TARGET / max(missing['stores'], 1)):,}",
            "one per store schema",
        )
    for key in ("release_jobs1", "release_jobs2"):
        m = deploys.get(key)
        if not m:
            continue
        per = m["stores_seconds"] / max(m["to_migrate"] or 1, 1) if m.get("stores_seconds") else None
        add(
            f"release (a table + an index) --jobs {m['jobs']}, total",
            _s(m["seconds"]),
            f"{m['stores']:,} stores",
            f"{per * 1000:,.0f} ms per store; {m['schemas_indexed']:,} schemas indexed" if per else "—",
            _s(m["seconds"] - m["stores_seconds"] + per * TARGET) if per else "—",
            "per store × 10,000 + fixed",
        )
    today = deploys.get("today_release")
    if today and n:
        stores = deploys.get("noop_jobs1", {}).get("stores") or n
        add(
            "the same release, today's path, per store",
            f"{today['ms_per_store']:,.0f} ms",
            f"sample of {today['stores']} stores",
            f"× {stores:,} = {_s(today['ms_per_store'] * stores / 1000)}",
            _s(today["ms_per_store"] * TARGET / 1000),
            "per store × stores",
        )
    return out


def table(lines: list[dict]) -> str:
    head = {"figure": "figure", "measured": "measured", "at": "at", "comparison": "comparison (same run)",
            "projected": "10,000 stores", "how": "projected how"}  # fmt: skip
    columns = list(head)
    cells = [[row[c] for c in columns] for row in [head, *lines]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    text = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in cells]
    text.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(text)


def markdown(r: dict) -> str:
    lines = rows(r)
    out = [
        f"Measured {r.get('finished_at', '?')[:10]} with `./bin/bench scale --stores {r.get('stores')}` "
        f"({r.get('seconds_total', 0) / 60:,.0f} minutes; load average {r.get('load_average_start')} at the start, "
        f"{r.get('load_average_end')} at the end, on {r.get('cpus')} vCPUs).",
        "",
        "| figure | measured | at | comparison (same run) | 10,000 stores | projected how |",
        "|---|---|---|---|---|---|",
    ]
    for row in lines:
        cells = [row[c].replace("|", "\\|") for c in ("figure", "measured", "at", "comparison", "projected", "how")]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def write_doc(r: dict) -> None:
    """Replace the table between the markers in docs/operations.md (re-read right before writing)."""
    text = DOC.read_text()
    if DOC_BEGIN not in text or DOC_END not in text:
        raise SystemExit(f"{DOC} has no {DOC_BEGIN} … {DOC_END} block to fill")
    before, rest = text.split(DOC_BEGIN, 1)
    _old, after = rest.split(DOC_END, 1)
    DOC.write_text(f"{before}{DOC_BEGIN}\n{markdown(r)}\n{DOC_END}{after}")


# -- main ---------------------------------------------------------------------------------------------------


def _save(result: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str))


def _phase(result: dict, name: str, func, *args, **kwargs):
    """Run one phase; an error is recorded and the run goes on (the figures so far are kept)."""
    _log(f"{name} …")
    started = time.perf_counter()
    try:
        value = func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported in the result, the other phases still run
        _log(f"{name} FAILED: {type(exc).__name__}: {str(exc)[:1500]}")
        result.setdefault("errors", {})[name] = f"{type(exc).__name__}: {str(exc)[:3000]}"
        value = None
    result.setdefault("phase_seconds", {})[name] = round(time.perf_counter() - started, 1)
    _save(result)
    return value


def _signup_points(args) -> list[int]:
    if args.signup_points:
        return sorted({int(p) for p in args.signup_points.split(",")} | {0})
    n = args.stores
    return sorted({0, n // 20, n // 10, n // 5, n // 2, n})


def _provision(result: dict, url: str, env: dict, args) -> None:
    """migrate, then stores up to N with sign-ups timed along the way; catalog, the clone's costliest statement
    and pg_dump at each point."""
    n = args.stores
    initial = _phase(result, "initial migrate", _manage, env, "migrate", "--noinput")
    result["initial_migrate_seconds"] = round(initial[0], 1) if initial else None
    result["noop_migrate_at_0"] = _phase(result, "no-op migrate at 0 stores", _migrate, env, jobs=1)
    for key in ("catalog", "catalog_vacuum", "dumps", "signups", "clone_hotspot", "fingerprints"):
        result[key] = {}
    result["catalog"]["0"] = _phase(result, "catalog at 0 stores", _catalog, url)
    result["dumps"]["0"] = _phase(result, "pg_dump at 0 stores", _dumps, url, args.dump_sample)
    copy_sql = None if args.fill_by_clone else _template_copy_sql(url)
    made_all: list = []
    existing = 0
    skip_from = None
    try:
        for point in _signup_points(args):
            if point > existing:
                _log(f"filling stores {existing}..{point - 1} with {args.fill_jobs} processes "
                     f"({'clone function' if args.fill_by_clone else 'template copied from its pg_dump'})")  # fmt: skip
                made_all += _phase(result, f"fill to {point}", _fill, env, start=existing, end=point,
                                   jobs=args.fill_jobs, copy_sql=copy_sql) or []  # fmt: skip
                result["fill"] = {"stores": len(made_all), "jobs": args.fill_jobs, "trend": _fill_trend(made_all),
                                  "by": "clone function" if args.fill_by_clone else "template copy",
                                  "store_create_ms": made_all}  # fmt: skip
                _log(f"fill trend: {result['fill']['trend']}")
                existing = len(_store_schemas(url))
            if point:
                result["catalog_vacuum"][str(point)] = _phase(result, f"catalog vacuum at {point}", _catalog_vacuum,
                                                              url)  # fmt: skip
                result["catalog"][str(point)] = _phase(result, f"catalog at {point}", _catalog, url)
                result["clone_hotspot"][str(point)] = _phase(result, f"clone hotspot at {point}", _clone_hotspot,
                                                             url, timeout_s=args.hotspot_timeout)  # fmt: skip
            if point == n:
                result["dumps"][str(point)] = _phase(result, f"pg_dump at {point}", _dumps, url, args.dump_sample)
            if skip_from is not None and not args.signup_always:
                result["signups"][str(point)] = {"existing_stores": existing, "skipped": f"a sign-up at {skip_from} "
                                                 f"stores already took longer than {args.signup_budget} s"}  # fmt: skip
                continue
            signups = _phase(result, f"sign-ups at {existing}", _signups, url, env, tag=f"p{point}",
                             count=args.signups, budget=args.signup_budget)  # fmt: skip
            if signups:
                result["signups"][str(point)] = {"existing_stores": existing, **signups}
                _log(f"sign-ups at {existing} stores: {signups['signup_ms']} ms"
                     + (f", one unfinished after {signups['unfinished_after_s']} s" if "unfinished_after_s" in signups
                        else ""))  # fmt: skip
                if "unfinished_after_s" in signups and not signups["signup_ms"]:
                    skip_from = existing
            existing = len(_store_schemas(url))
    finally:
        if copy_sql:
            os.unlink(copy_sql)
    schemas = _store_schemas(url)
    copied = [s for s in schemas if s.startswith("store_scale_0")]
    cloned = [s for s in schemas if s.startswith("store_scale_signup")]
    for label, schema in (("template", TEMPLATE), ("copied (fill)", copied[-1] if copied else None),
                          ("cloned (sign-up)", cloned[-1] if cloned else None)):  # fmt: skip
        if schema:
            result["fingerprints"][label] = {"schema": schema, **_schema_fingerprint(url, schema)}
    prints = [{k: v for k, v in f.items() if k not in ("schema", "names")} for f in result["fingerprints"].values()]
    result["fingerprints_equal"] = all(p == prints[0] for p in prints)
    template_names = set(result["fingerprints"].get("template", {}).get("names", []))
    for print_ in result["fingerprints"].values():
        names = set(print_.pop("names"))
        print_["names_not_in_template"] = sorted(names - template_names)
        print_["template_names_missing"] = sorted(template_names - names)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=2000)
    parser.add_argument("--signups", type=int, default=10, help="timed sign-ups at each point (median)")
    parser.add_argument(
        "--signup-points", default="", help="store counts to time sign-ups at (default: 0, N/20, N/10, N/5, N/2, N)"
    )
    parser.add_argument(
        "--signup-budget",
        type=int,
        default=900,
        help="seconds of sign-ups at each point; later points are skipped once one does not finish",
    )
    parser.add_argument("--signup-always", action="store_true", help="time sign-ups at every point regardless")
    parser.add_argument(
        "--hotspot-timeout",
        type=int,
        default=300,
        help="seconds allowed to the clone function's costliest statement, timed at each point",
    )
    parser.add_argument(
        "--fill-by-clone",
        action="store_true",
        help="fill with the clone function, as sign-up does (O(N²): hours at 2,000 stores)",
    )
    parser.add_argument("--fill-jobs", type=int, default=2, help="processes making the stores in between")
    parser.add_argument("--today-sample", type=int, default=50, help="stores migrated through today's path")
    parser.add_argument("--memory-stores", type=int, default=500)
    parser.add_argument("--dump-sample", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=8, help="seconds per routing round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pgbouncer-lifetime", type=int, default=15, help="server_lifetime for the demonstration")
    parser.add_argument("--pgbouncer-idle-timeout", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="use the database a `--keep` run left (and its saved JSON); implies --keep"
    )
    parser.add_argument("--phases", default="provision,routing,memory,deploys",
                        help="comma-separated: provision (migrate, stores, sign-ups, catalog, pg_dump), routing, "
                             "memory, deploys")  # fmt: skip
    parser.add_argument("--write-doc", action="store_true", help="put the table into docs/operations.md")
    parser.add_argument("--write-doc-from", metavar="JSON", help="only write the doc's table from a saved result")
    parser.add_argument("--table-from", metavar="JSON", help="only print the table of a saved result")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--payload", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        value = WORKERS[args.worker](json.loads(args.payload or "{}"))
        print("RESULT " + json.dumps(value, default=str), flush=True)
        return value
    if args.write_doc_from or args.table_from:
        saved = json.loads(Path(args.write_doc_from or args.table_from).read_text())
        print(table(rows(saved)))
        if args.write_doc_from:
            write_doc(saved)
        return saved

    base_url = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/backorder"
    name = (urlsplit(base_url).path.lstrip("/") or "backorder") + "_scale"
    phases = {phase.strip() for phase in args.phases.split(",") if phase.strip()}
    if "provision" not in phases and not args.reuse:
        raise SystemExit("without the provision phase there are no stores: add --reuse (after a --keep run)")
    keep = args.keep or args.reuse
    n = args.stores
    started = time.perf_counter()
    result: dict = json.loads(RESULTS.read_text()) if args.reuse and RESULTS.exists() else {}
    result.update({
        "stores": n,
        "args": {k: v for k, v in vars(args).items() if k not in ("worker", "payload")},
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpus": os.cpu_count(),
        "load_average_start": _load_average(),
        "database": name,
    })  # fmt: skip
    url = _with_db(base_url, name) if args.reuse else _recreate(base_url, name)
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": os.environ.get("DEBUG", "0")}
    env.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 40)
    env.setdefault("ENCRYPTION_KEYS", "bench-encryption-key")
    env.pop("DATABASE_POOL_MODE", None)
    autovacuum = None
    try:
        result["server"] = _server_settings(url)
        if result["server"].get("autovacuum") != "on":
            autovacuum = CatalogAutovacuum(url)
            autovacuum.start()
        if "provision" in phases:
            _provision(result, url, env, args)
        existing = len(_store_schemas(url))
        if "routing" in phases:
            result["routing"] = _phase(result, "routing", _routing, url, env, seconds=args.seconds,
                                       rounds=args.rounds, connections=args.connections)  # fmt: skip
        if "memory" in phases:
            result["memory"] = _phase(result, "backend memory", _memory, url, env,
                                      count=min(args.memory_stores, existing), lifetime=args.pgbouncer_lifetime,
                                      idle_timeout=args.pgbouncer_idle_timeout)  # fmt: skip
        if "deploys" in phases:
            result["deploys"] = _phase(result, "deploys", _deploys, url, env, today_sample=args.today_sample)
    finally:
        if autovacuum:
            result["catalog_autovacuum_by_hand"] = autovacuum.stop()
        if not keep:
            _drop(base_url, name)
        result["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        result["seconds_total"] = round(time.perf_counter() - started, 1) + (
            result.get("seconds_total", 0) if args.reuse else 0)  # fmt: skip
        result["load_average_end"] = _load_average()
        _save(result)
    print(table(rows(result)))
    if args.write_doc:
        write_doc(result)
    print(json.dumps(result, indent=2, default=str))
    return result


if __name__ == "__main__":
    main()
