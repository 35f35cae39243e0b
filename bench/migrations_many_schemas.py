"""Running migrations across many store schemas: 500 stores, a release's migration applied to all of them.

In a database of its own (`<DATABASE_URL's name>_migbench`, dropped at the end): `migrate`, then N stores
made the way sign-up makes them (cloned from the template schema), then, timed, with a throwaway tenant app
(bench/migration_probe, only in bench/settings_migrations_bench.py):
1. `migrate` with nothing to apply (what every deploy pays per schema just to check);
2. `migrate migration_probe 0001`: a new table in every store schema;
3. `migrate migration_probe 0002`: an index on it in every store schema (the "trivial migration");
4. the same index again (after unapplying it) with `--executor=multiprocessing` (django-tenants, 2 processes).
Run: ./bin/bench migrations [--stores 500]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def _admin_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))


def _recreate(url: str, name: str) -> str:
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _drop(url: str, name: str) -> None:
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(env: dict, *args: str, settings: str = "config.settings") -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": settings},
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


# Sign-up's path (clone the template, run the setup steps, add the host); the "is the template current?"
# check loads the whole migration graph, so it is made once here rather than for each of the N stores.
# A fresh connection per store, as sign-ups arrive in different requests: in one long session the clone
# function's cached plans went stale as the catalogs grew (2.5 s per clone at 30 stores, 35 s at 244), and
# the catalogs' statistics are refreshed every 100 stores (as autovacuum would, eventually).
MAKE_STORES = """
import os, sys, time, django
django.setup()
from django.db import connection
from stores import provisioning, services
assert not provisioning.template_pending_migrations()
provisioning.template_pending_migrations = lambda: []
count = int(sys.argv[1])
started = time.perf_counter()
for n in range(count):
    services.store_create(name=f"Migration Bench {n:04d}", slug=f"migbench-{n:04d}")
    connection.close()
    if n % 100 == 99:
        provisioning.catalog_statistics_refresh()
print(time.perf_counter() - started)
"""


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stores", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's database afterwards")
    args = parser.parse_args(argv)
    base_url = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/backorder"
    name = (urlsplit(base_url).path.lstrip("/") or "backorder") + "_migbench"
    url = _recreate(base_url, name)
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": os.environ.get("DEBUG", "0")}
    env.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 40)
    env.setdefault("ENCRYPTION_KEYS", "bench-encryption-key")
    probe = "bench.settings_migrations_bench"
    n = args.stores
    try:
        initial = _manage(env, "migrate", "--noinput", "-v", "0")
        made = subprocess.run([sys.executable, "-c", MAKE_STORES, str(n)], cwd=ROOT, check=True,
                              env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
                              capture_output=True, text=True)  # fmt: skip
        create_seconds = float(made.stdout.strip().splitlines()[-1])
        noop = _manage(env, "migrate", "--noinput", "-v", "0")
        table = _manage(env, "migrate", "migration_probe", "0001", "--noinput", "-v", "0", settings=probe)
        index = _manage(env, "migrate", "migration_probe", "0002", "--noinput", "-v", "0", settings=probe)
        unapply = _manage(env, "migrate", "migration_probe", "0001", "--noinput", "-v", "0", settings=probe)
        parallel = _manage(env, "migrate", "migration_probe", "0002", "--executor=multiprocessing", "--noinput",
                           "-v", "0", settings=probe)  # fmt: skip
        with psycopg.connect(url) as conn:
            indexed = conn.execute(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'probe_name' AND schemaname LIKE 'store\\_%%'"
            ).fetchone()[0]
    finally:
        if not args.keep:
            _drop(base_url, name)

    def per_schema(seconds: float) -> float:
        return round(seconds * 1000 / n, 1)

    result = {
        "stores": n,
        "schemas_with_the_new_index": indexed,
        "initial_migrate_seconds": round(initial, 1),
        "stores_created_seconds": round(create_seconds, 1),
        "store_create_ms_each": per_schema(create_seconds),
        "noop_migrate_seconds": round(noop, 1),
        "noop_migrate_ms_per_schema": per_schema(noop),
        "new_table_seconds": round(table, 1),
        "new_table_ms_per_schema": per_schema(table),
        "new_index_seconds": round(index, 1),
        "new_index_ms_per_schema": per_schema(index),
        "unapply_index_seconds": round(unapply, 1),
        "new_index_multiprocessing_seconds": round(parallel, 1),
        "new_index_multiprocessing_ms_per_schema": per_schema(parallel),
        "note": "each timing includes one `manage.py` start (about 1-2 s) besides the per-schema work",
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
