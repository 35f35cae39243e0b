"""A real transaction-mode pooler for the hardening tests: Debian's PgBouncer (installed by bin/test), started
on loopback in front of the test database, with a pool smaller than the number of client threads, so that
server connections are shared between stores' transactions as in production."""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def pgbouncer_available() -> bool:
    return os.access(PGBOUNCER, os.X_OK)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgBouncer:
    """One PgBouncer process. `database_url(name)` is what the app's DATABASE_URL becomes behind it."""

    process: subprocess.Popen
    listen_address: str
    port: int
    directory: Path
    pool_size: int
    user: str | None = None  # the database user of database_url (default: the test database's)

    def database_url(self, dbname: str | None = None) -> str:
        dbname = dbname or connection.settings_dict["NAME"]
        user = self.user or connection.settings_dict["USER"]
        return f"postgresql://{user}@{self.listen_address}:{self.port}/{dbname}"

    def server_connections(self) -> int:
        """Server connections PgBouncer holds right now (SHOW POOLS through its admin console)."""
        import psycopg

        with psycopg.connect(
            host=self.listen_address, port=self.port, dbname="pgbouncer", user="pgbouncer", autocommit=True,
            prepare_threshold=None,
        ) as admin:  # fmt: skip
            rows = admin.execute("SHOW POOLS").fetchall()
            columns = [c.name for c in admin.execute("SHOW POOLS").description]
        active, idle = columns.index("sv_active"), columns.index("sv_idle")
        return sum(row[active] + row[idle] for row in rows)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)

    def log(self) -> str:
        path = self.directory / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""


def pgbouncer_start(
    *,
    pool_mode: str = "transaction",
    pool_size: int = 4,
    listen_address: str = "127.0.0.1",
    port: int | None = None,
    upstream_host: str | None = None,
    upstream_port: int | None = None,
    user: str | None = None,
    command_prefix: Sequence[str] = (),
    options: dict[str, str] | None = None,
) -> PgBouncer:
    """Start PgBouncer in front of this test's database server (its socket directory or host:port), or in front
    of `upstream_host`:`upstream_port` for `user`. `command_prefix` runs it elsewhere (`ip netns exec <host>`,
    tests/hardening/hosts.py); `options` are more `[pgbouncer]` settings."""
    settings = connection.settings_dict
    upstream_host = upstream_host or settings["HOST"] or "127.0.0.1"
    upstream_port = upstream_port or settings["PORT"] or 5432
    port = port or _free_port()
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    login = user or settings["USER"] or "postgres"
    (directory / "userlist.txt").write_text(f'"{login}" ""\n"pgbouncer" ""\n')
    (directory / "pgbouncer.ini").write_text(
        "\n".join([
            "[databases]",
            # every database name goes to the same server; the test database is created by pytest-django
            f"* = host={upstream_host} port={upstream_port}",
            "[pgbouncer]",
            f"listen_addr = {listen_address}",
            f"listen_port = {port}",
            "unix_socket_dir =",
            "auth_type = trust",
            f"auth_file = {directory / 'userlist.txt'}",
            "admin_users = pgbouncer",
            f"pool_mode = {pool_mode}",
            f"default_pool_size = {pool_size}",
            "min_pool_size = 0",
            "reserve_pool_size = 0",
            "max_client_conn = 500",
            "max_db_connections = 0",
            "ignore_startup_parameters = extra_float_digits",
            f"logfile = {directory / 'pgbouncer.log'}",
            f"pidfile = {directory / 'pgbouncer.pid'}",
            *(f"{name} = {value}" for name, value in (options or {}).items()),
            "",
        ])
    )  # fmt: skip
    command = [PGBOUNCER, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        run_as = "postgres"
        shutil.chown(directory, run_as)
        for path in directory.iterdir():
            shutil.chown(path, run_as)
        command = [PGBOUNCER, "-u", run_as, str(directory / "pgbouncer.ini")]
    process = subprocess.Popen(
        [*command_prefix, *command], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
    )
    bouncer = PgBouncer(process=process, listen_address=listen_address, port=port, directory=directory,
                        pool_size=pool_size, user=user)  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {process.returncode}: {bouncer.log()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection((listen_address, port), timeout=0.5):
            return bouncer
        time.sleep(0.1)
    bouncer.stop()
    raise RuntimeError("pgbouncer did not start")
