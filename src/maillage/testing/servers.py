"""Real `maillage serve` processes and the PostgreSQL databases they share, for the tests
and benchmarks that need several server processes (the bus, failover, a SIGKILL).

A server process sees only committed rows of a database it can connect to: a test that
runs servers gives them a database of its own (`own_database`), created on the test's
PostgreSQL server, migrated, and always dropped, even after a failure. Each server runs in
a process group of its own so that a kill leaves no child behind. On SQLite, the live tests
copy one file migrated per process (`migrated_sqlite`, `copy_sqlite`) instead of migrating
their own.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- PostgreSQL databases ----------------------------------------------------------------


def admin(pg: str) -> Any:
    """An autocommit connection to the `postgres` database of server `pg`
    (`postgres://user@host:port`, no database name)."""
    import psycopg

    return psycopg.connect(f"{pg}/postgres", autocommit=True)


def database_exists(pg: str, name: str) -> bool:
    with admin(pg) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        return row is not None


def drop_database(pg: str, name: str) -> None:
    with admin(pg) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_database(pg: str, name: str, template: str | None = None) -> None:
    """A new empty database (or a copy of `template`), replacing any of that name."""
    with admin(pg) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')


def server_url(settings_dict: Mapping[str, Any], *, with_name: bool = False) -> str:
    """`postgres://user[:password]@host:port` of a Django PostgreSQL settings dict (and
    `/NAME` with `with_name`)."""
    auth = str(settings_dict["USER"] or "postgres")
    if settings_dict.get("PASSWORD"):
        auth += f":{settings_dict['PASSWORD']}"
    host = settings_dict.get("HOST") or "127.0.0.1"
    url = f"postgres://{auth}@{host}:{settings_dict.get('PORT') or 5432}"
    return f"{url}/{settings_dict['NAME']}" if with_name else url


@contextlib.contextmanager
def own_database(prefix: str) -> Iterator[str]:
    """A migrated database `<prefix>_<random>` on the PostgreSQL server of Django's default
    connection, which this thread's default connection uses meanwhile; dropped on exit
    (with FORCE: a killed server's sessions may linger). Yields its URL for the servers.
    Needs database access (pytest-django: `django_db_blocker.unblock()`)."""
    from django.core.management import call_command
    from django.db import connections

    settings_dict = connections.settings["default"]
    pg = server_url(settings_dict)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    previous_name = settings_dict["NAME"]
    previous = connections["default"]
    create_database(pg, name)
    try:
        release(previous)
        settings_dict["NAME"] = name
        connections["default"] = connections.create_connection("default")
        try:
            call_command("migrate", interactive=False, verbosity=0)
            yield f"{pg}/{name}"
        finally:
            release(connections["default"])
            settings_dict["NAME"] = previous_name
            connections["default"] = previous
    finally:
        drop_database(pg, name)


# --- SQLite files --------------------------------------------------------------------------


@contextlib.contextmanager
def sqlite_named(path: str) -> Iterator[None]:
    """The default connection on another SQLite file meanwhile. Every thread's connection
    reads the same settings dict, so its NAME is switched in place; the test thread's
    in-memory connection is set aside, open, so that database survives for the others."""
    from django.db import connections

    settings_dict = connections.settings["default"]
    previous_name = settings_dict["NAME"]
    previous = connections["default"]
    settings_dict["NAME"] = path
    connections["default"] = connections.create_connection("default")
    try:
        yield
    finally:
        connections["default"].close()
        settings_dict["NAME"] = previous_name
        connections["default"] = previous


_migrated: str | None = None


def migrated_sqlite() -> str:
    """A SQLite file migrated once per process, for the live tests to copy: `migrate`
    rebuilds tables on SQLite and took some 10 s of CPU for each of them."""
    global _migrated
    if _migrated is None:
        from django.core.management import call_command

        folder = tempfile.mkdtemp(prefix="maillage-migrated-")
        atexit.register(shutil.rmtree, folder, True)
        path = os.path.join(folder, "migrated.sqlite3")
        with sqlite_named(path):
            call_command("migrate", interactive=False, verbosity=0)
        _migrated = path
    return _migrated


def copy_sqlite(source: str, target: str) -> None:
    """SQLite's online backup: a consistent copy whatever the journal (WAL) holds."""
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def release(connection: Any) -> None:
    """Close a Django connection and its pool: Django keeps one pool per alias, bound to
    the database it first connected to, so switching NAME alone would reuse it."""
    connection.close()
    close_pool = getattr(connection, "close_pool", None)  # PostgreSQL's backend only
    if close_pool is not None:
        close_pool()


# --- server processes --------------------------------------------------------------------


def maillage_command() -> list[str]:
    """The `maillage` console script of this interpreter's environment."""
    return [str(Path(sys.executable).with_name("maillage"))]


class ServerProcess:
    """One `maillage serve` on a fixed port, which survives a kill and a restart: clients
    that knew its URL find it again there."""

    def __init__(
        self,
        env: Mapping[str, str],
        log: Path,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        url_host: str | None = None,
        command: Sequence[str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.env = dict(env)
        self.log = log
        self.port = port or free_port()
        self.host = host
        self.url = f"http://{url_host or host}:{self.port}"
        self.command = list(command or maillage_command())
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._sink: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> ServerProcess:
        """Launch it (its output appended to `log`); `wait_ready` before using it."""
        if self.running:
            raise RuntimeError(f"{self.url} tourne déjà")
        self._close_sink()
        self._sink = self.log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            [*self.command, "serve", "--host", self.host, "--port", str(self.port)],
            cwd=self.cwd,
            env=self.env,
            stdout=self._sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed whole
        )
        self.starts += 1
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise RuntimeError(f"Le serveur {self.url} s'est arrêté :\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):  # noqa: S310
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"Le serveur {self.url} n'a pas démarré :\n{self.output()}"
                    ) from None
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL, as a crash: no graceful shutdown, its connections reset by the kernel."""
        self._signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def terminate(self) -> None:
        """SIGTERM: uvicorn's graceful shutdown begins (`stop` waits for its end)."""
        self._signal(signal.SIGTERM)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (uvicorn's graceful shutdown), then SIGKILL after `timeout`."""
        if self.process is None:
            return
        self.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._signal(signal.SIGKILL)  # anything left in its group
        self._close_sink()

    def _signal(self, number: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, number)

    def _close_sink(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def output(self, tail: int = 20_000) -> str:
        if not self.log.exists():
            return ""
        return self.log.read_text(errors="replace")[-tail:]


@contextlib.contextmanager
def server_processes(
    count: int, env: Mapping[str, str], logs: Path, *, ready: bool = True, **options: Any
) -> Iterator[list[ServerProcess]]:
    """`count` servers started and (unless `ready=False`: the caller does something else
    meanwhile, then calls `wait_ready`) ready; all stopped on exit, whatever happened."""
    servers = [
        ServerProcess(env, logs / f"server-{index}.log", **options) for index in range(count)
    ]
    try:
        for server in servers:
            server.start()
        for server in servers:
            if ready:
                server.wait_ready()
        yield servers
    finally:
        stop_all(servers)


def stop_all(servers: Sequence[ServerProcess]) -> None:
    """All shut down at once (each may take uvicorn's 5 s of graceful shutdown)."""
    for server in servers:
        server.terminate()
    for server in servers:
        server.stop()
