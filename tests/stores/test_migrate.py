"""`python manage.py migrate` over many store schemas: nothing per up-to-date store, pending stores in parallel,
a failing store reported without stopping the others, the template first so that a sign-up during a deploy
clones the new template.

The deploy tests run the real command in a subprocess against a database of their own (copied for each test
from one that holds four stores made the way sign-up makes them); "a release" is the app plus a tenant app
with one new migration (tests/stores/deploy_probe)."""

import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection

from stores import schema_migrations
from stores.schema_migrations import migration_names, stores_missing_migrations
from tests.hardening.pooler import pgbouncer_available, pgbouncer_start
from tests.hardening.servers import ROOT, app_environment

RELEASE = "tests.stores.settings_deploy_probe"
STORES = 4
PROBE = "deploy_probe.0001_initial"


# -- finding what is pending ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_which_stores_lack_which_migrations_is_one_query_for_hundreds_of_stores(make_store, django_assert_num_queries):
    schemas = [make_store().schema_name for _ in range(3)]
    expected = migration_names()
    connection.set_schema_to_public()
    stores_missing_migrations(schemas=schemas[:1], expected=expected)  # the schema switch's SET is not counted

    with django_assert_num_queries(1):
        assert stores_missing_migrations(schemas=schemas[:1], expected=expected) == {}
    with django_assert_num_queries(1):
        assert stores_missing_migrations(schemas=schemas, expected=expected) == {}

    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{schemas[1]}".django_migrations WHERE app = %s AND name = %s',
                       ["backorder", "0001_initial"])  # fmt: skip
        cursor.execute(f'DROP TABLE "{schemas[2]}".django_migrations')
    with django_assert_num_queries(1):
        missing = stores_missing_migrations(schemas=schemas, expected=expected)
    assert missing == {schemas[1]: ["backorder.0001_initial"], schemas[2]: expected}


@pytest.mark.django_db
def test_stores_are_checked_hundreds_at_a_time_so_the_locks_held_stay_bounded(
    make_store, monkeypatch, django_assert_num_queries
):
    """Each query takes two locks per store it reads until its transaction ends (one query over 10,000 stores
    would need 20,000 lock slots): the stores go SCHEMAS_PER_QUERY at a time, each query its own transaction in
    autocommit."""
    schemas = [make_store().schema_name for _ in range(5)]
    expected = migration_names()
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{schemas[4]}".django_migrations WHERE app = %s AND name = %s',
                       ["backorder", "0001_initial"])  # fmt: skip
    monkeypatch.setattr(schema_migrations, "SCHEMAS_PER_QUERY", 2)
    connection.set_schema_to_public()
    stores_missing_migrations(schemas=schemas[:1], expected=expected)  # the schema switch's SET is not counted
    with django_assert_num_queries(3):  # 5 stores, 2 a query
        missing = stores_missing_migrations(schemas=schemas, expected=expected)
    assert missing == {schemas[4]: ["backorder.0001_initial"]}


# -- deploys ----------------------------------------------------------------------------------------------


def _url(name: str) -> str:
    parts = urlsplit(app_environment()["DATABASE_URL"])
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _admin() -> psycopg.Connection:
    return psycopg.connect(_url("postgres"), autocommit=True)


def _manage(env: dict, *args: str, settings: str = "config.settings", check: bool = True, **kwargs):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": settings},
        capture_output=True, text=True, check=check, timeout=600, **kwargs,
    )  # fmt: skip


MAKE_STORES = f"""
import django; django.setup()
from django.db import connection
from stores import services
for n in range({STORES}):
    services.store_create(name=f"Deploy {{n}}", slug=f"deploy-{{n}}")
    connection.close()
"""


@pytest.fixture(scope="module")
def deploy_template():
    """A migrated database with four stores, copied by `deployment` for each test."""
    name = f"{connection.settings_dict['NAME']}_deploy"
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    env = app_environment(DATABASE_URL=_url(name))
    _manage(env, "migrate", "--verbosity", "0")
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    subprocess.run([sys.executable, "-c", MAKE_STORES], cwd=ROOT, env=env, check=True, timeout=600)
    yield name
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def deployment(deploy_template):
    name = f"{deploy_template}_copy"
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{deploy_template}"')
    yield app_environment(DATABASE_URL=_url(name)), name
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _query(name: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(_url(name), autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _schemas_with_probe(name: str) -> set[str]:
    rows = _query(name, "SELECT schemaname FROM pg_tables WHERE tablename = 'deploy_probe_deployprobe'")
    return {schema for (schema,) in rows}


def _store_schemas(name: str) -> list[str]:
    rows = _query(name, "SELECT schema_name FROM stores_store WHERE schema_name <> 'public' ORDER BY id")
    return [schema for (schema,) in rows]


def test_a_deploy_with_nothing_to_do_checks_every_store_at_once_and_touches_none(deployment):
    env, _name = deployment
    out = _manage(env, "migrate").stdout
    assert f"{STORES} stores, {STORES} up to date, 0 to migrate" in out
    assert "migrated" not in out.split("Store schemas:")[1]


def test_a_release_migrates_the_template_then_every_store_in_parallel_and_a_rerun_has_nothing_left(deployment):
    env, name = deployment
    out = _manage(env, "migrate", "--jobs", "2", settings=RELEASE).stdout

    assert out.index("Store template:") < out.index("Store schemas:")
    assert f"{STORES} stores, 0 up to date, {STORES} to migrate" in out
    assert f"stores {STORES}/{STORES}" in out and "left" in out  # progress, a line per batch off a terminal
    assert f"{STORES} stores migrated, 0 failed" in out
    assert _schemas_with_probe(name) == {"tenant_template", *_store_schemas(name)}
    assert f"{STORES} stores, {STORES} up to date, 0 to migrate" in _manage(env, "migrate", settings=RELEASE).stdout


def test_a_store_that_fails_is_reported_the_others_are_migrated_and_a_rerun_continues_with_it(deployment):
    env, name = deployment
    broken = _store_schemas(name)[1]
    _query(name, f'CREATE TABLE "{broken}".deploy_probe_deployprobe (id int)')  # the migration will collide

    failed = _manage(env, "migrate", "--jobs", "2", settings=RELEASE, check=False)

    assert failed.returncode != 0
    assert f"1 of {STORES} store schemas failed to migrate" in failed.stderr
    assert broken in failed.stderr and "already exists" in failed.stderr
    assert _schemas_with_probe(name) == {"tenant_template", *_store_schemas(name)}  # the broken one has its own
    assert _query(name, f'SELECT count(*) FROM "{broken}".django_migrations WHERE app = %s', ["deploy_probe"]) == [(0,)]

    _query(name, f'DROP TABLE "{broken}".deploy_probe_deployprobe')
    out = _manage(env, "migrate", settings=RELEASE).stdout
    assert f"{STORES} stores, {STORES - 1} up to date, 1 to migrate" in out
    assert "1 stores migrated, 0 failed" in out


SIGN_UP = """
import django, time; django.setup()
from stores import services
started = time.monotonic()
services.store_sign_up(email="late@deploy.example", password="correct-horse-battery-staple", store_name="Late Shop")
print(time.monotonic() - started)
"""


def test_a_store_signed_up_while_the_template_migrates_is_cloned_from_the_new_template(deployment):
    env, name = deployment
    slow = {**env, "DEPLOY_PROBE_TEMPLATE_SECONDS": "4"}
    deploy = subprocess.Popen(
        [sys.executable, "manage.py", "migrate"], cwd=ROOT, env={**slow, "DJANGO_SETTINGS_MODULE": RELEASE},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not _query(name, "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ExclusiveLock'"):
            assert deploy.poll() is None and time.monotonic() < deadline, "the template's migration never started"
            time.sleep(0.05)
        release = {**env, "DJANGO_SETTINGS_MODULE": RELEASE}
        signed_up = subprocess.run([sys.executable, "-c", SIGN_UP], cwd=ROOT, env=release, capture_output=True,
                                   text=True, timeout=300, check=True)  # fmt: skip
        out, err = deploy.communicate(timeout=300)
    finally:
        deploy.kill()
    assert deploy.returncode == 0, err

    (late,) = _query(name, "SELECT schema_name FROM stores_store WHERE slug = 'late-shop'")[0]
    template_applied = _query(name, "SELECT applied FROM tenant_template.django_migrations WHERE app = 'deploy_probe'")
    late_applied = _query(name, f'SELECT applied FROM "{late}".django_migrations WHERE app = %s', ["deploy_probe"])
    assert late_applied == template_applied  # copied from the migrated template, not migrated afterwards
    assert late in _schemas_with_probe(name)
    assert float(signed_up.stdout.split()[-1]) > 0.5  # it waited for the template's migration to commit
    assert PROBE in [f"{app}.{n}" for app, n in _query(name, f'SELECT app, name FROM "{late}".django_migrations')]


@pytest.mark.skipif(not pgbouncer_available(), reason="Debian's pgbouncer is not installed (bin/test installs it)")
def test_a_release_migrates_through_a_transaction_pooler_too(deployment):
    env, name = deployment
    bouncer = pgbouncer_start(pool_mode="transaction", pool_size=2)
    try:
        pooled = {**env, "DATABASE_URL": bouncer.database_url(name), "DATABASE_POOL_MODE": "transaction"}
        out = _manage(pooled, "migrate", "--jobs", "2", settings=RELEASE).stdout
    finally:
        bouncer.stop()
    assert f"{STORES} stores migrated, 0 failed" in out
    assert _schemas_with_probe(name) == {"tenant_template", *_store_schemas(name)}
