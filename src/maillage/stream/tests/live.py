"""A real server for the stream tests: the ASGI application (maillage.asgi) under uvicorn,
in a thread of the test process (same database), and a small SSE client over httpx."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from maillage.testing.servers import copy_sqlite, migrated_sqlite, sqlite_named

WAIT = 20.0  # generous: a delivery is checked, never timed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(*, lifespan: bool = False) -> Iterator[str]:
    """`lifespan=True` runs the ASGI lifespan too, hence the process's periodic jobs
    (stream.ticker), as `maillage serve` does."""
    from maillage.asgi import application

    port = free_port()
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        lifespan="on" if lifespan else "off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn n'a pas démarré")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # uvicorn stops once every request in flight has answered: only then may the test
        # database be flushed (on PostgreSQL, a query still running deadlocks the flush).
        server.should_exit = True
        thread.join(timeout=60)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=10)


@dataclass(frozen=True)
class SseEvent:
    id: str | None
    event: str
    data: Any


class SseClient:
    """Reads one stream in a thread; events (and the end of the stream) land in a queue."""

    def __init__(
        self,
        base: str,
        session_key: str | None,
        *,
        last_event_id: int | str | None = None,
        after: int | None = None,
    ) -> None:
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        cookies = {"maillage_session": session_key} if session_key else {}
        params = {"after": str(after)} if after is not None else {}
        self.http = httpx.Client(base_url=base, cookies=cookies, timeout=httpx.Timeout(60.0))
        self.events: queue.Queue[SseEvent | None] = queue.Queue()
        self.comments: list[str] = []
        self.heartbeats = 0
        self.status: int | None = None
        self.headers: httpx.Headers | None = None
        self.error_body: Any = None
        self.ended = threading.Event()
        self._opened = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, args=(headers, params), daemon=True)
        self._thread.start()
        if not self._opened.wait(WAIT):
            raise AssertionError("le flux ne répond pas")

    def _run(self, headers: dict[str, str], params: dict[str, str]) -> None:
        try:
            with self.http.stream("GET", "/api/v1/stream", headers=headers, params=params) as r:
                self.status, self.headers = r.status_code, r.headers
                if r.status_code != 200:
                    self.error_body = json.loads(r.read())
                    self._opened.set()
                    return
                self._opened.set()
                fields: dict[str, str] = {}
                for line in r.iter_lines():
                    if self._stop:
                        return
                    if line == "":
                        if fields.get("event") == "heartbeat":
                            self.heartbeats += 1
                        elif "event" in fields or "data" in fields:
                            data = fields.get("data")
                            self.events.put(
                                SseEvent(
                                    fields.get("id"),
                                    fields.get("event", "message"),
                                    json.loads(data) if data else None,
                                )
                            )
                        fields = {}
                    elif line.startswith(":"):
                        self.comments.append(line)
                    else:
                        name, _, value = line.partition(":")
                        fields[name] = value[1:] if value.startswith(" ") else value
        except httpx.HTTPError:
            pass
        finally:
            self._opened.set()
            self.ended.set()
            self.events.put(None)

    def next(self, timeout: float = WAIT) -> SseEvent | None:
        """The next event, or None once the stream ended."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("aucun événement reçu à temps") from None

    def until(self, kind: str, timeout: float = WAIT) -> list[SseEvent]:
        """Every event up to and including the first of this kind."""
        seen: list[SseEvent] = []
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(0.01, deadline - time.monotonic()))
            if event is None:
                raise AssertionError(f"flux terminé avant {kind} ; reçu {seen}")
            seen.append(event)
            if event.event == kind:
                return seen

    def pending(self) -> list[SseEvent]:
        """What arrived so far, without waiting."""
        got: list[SseEvent] = []
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return got
            if event is not None:
                got.append(event)

    def close(self) -> None:
        self._stop = True
        self.http.close()
        self._thread.join(timeout=5)


def session_key_of(client: Any) -> str:
    """The session cookie of a Django test client or an httpx client."""
    cookies = client.cookies
    if hasattr(cookies, "jar"):
        return str(cookies.get("maillage_session"))
    return str(cookies["maillage_session"].value)


@contextlib.contextmanager
def file_database(path: str) -> Iterator[None]:
    """SQLite only: the live tests run on a file database instead of the shared in-memory
    test database, whose table locks fail concurrent threads at once (the server's threads
    and the test's would trip over each other); a copy of the process's migrated file."""
    copy_sqlite(migrated_sqlite(), path)
    with sqlite_named(path):
        yield


@pytest.fixture
def live_db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[None]:
    """With `django_db(transaction=True)`: the database a live server shares with the test
    (rows committed; on SQLite, a file of its own)."""
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        with file_database(str(tmp_path / "live.sqlite3")):
            yield
        return
    yield


class LoopThread:
    """An asyncio loop in a thread of its own, for the asyncio stream clients
    (maillage.client.stream) while the test's thread acts on the database."""

    def __init__(self) -> None:
        import asyncio

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coroutine: Any, timeout: float = WAIT * 3) -> Any:
        """Run a coroutine on the loop and return its result."""
        import asyncio

        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def soon(self, function: Any, *args: Any) -> None:
        self.loop.call_soon_threadsafe(function, *args)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.loop.is_running():
            self.loop.close()


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    """An asyncio loop in its own thread for the test's stream clients."""
    thread = LoopThread()
    yield thread
    thread.close()


def wait_until(condition: Any, timeout: float = WAIT, what: str = "la condition") -> None:
    """Poll a condition with a generous timeout (a wait, never a timed assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} : pas atteinte en {timeout:.0f} s")
        time.sleep(0.05)
