"""Two `maillage serve` processes on one PostgreSQL: an event committed through one (or by
any other process) reaches a client connected to the other, through LISTEN/NOTIFY. The
servers' safety poll is set to ten minutes, so only the bus can deliver in time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.db import connection

from maillage.members.models import Role
from maillage.members.tests.factory import make_cast
from maillage.stream.tests.live import SseClient, free_port
from maillage.stream.tests.test_stream_live import key, publish

pytestmark = pytest.mark.django_db(transaction=True)


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    if connection.vendor != "postgresql":
        pytest.skip("plusieurs processus serveurs : PostgreSQL seulement")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MAILLAGE_DATA_DIR": str(tmp_path),
        "MAILLAGE_STREAM_POLL_SECONDS": "600",
        "MAILLAGE_STREAM_HEARTBEAT_SECONDS": "1",
    }
    script = Path(sys.executable).with_name("maillage")
    started: list[tuple[subprocess.Popen[bytes], str, Path]] = []
    try:
        for n in range(2):
            port = free_port()
            log = tmp_path / f"server-{n}.log"
            with log.open("wb") as sink:
                process = subprocess.Popen(
                    [str(script), "serve", "--port", str(port)], env=env, stdout=sink, stderr=sink
                )
            started.append((process, f"http://127.0.0.1:{port}", log))
        for process, base, log in started:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    pytest.fail(f"Le serveur s'est arrêté :\n{log.read_text(errors='replace')}")
                try:
                    httpx.get(f"{base}/api/v1/meta", timeout=2)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"Le serveur n'a pas démarré :\n{log.read_text()}")
                    time.sleep(0.2)
        yield [(base, process) for process, base, _ in started]
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, _ in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_an_event_committed_through_one_process_reaches_a_client_of_the_other(
    servers: list[tuple[str, subprocess.Popen[bytes]]],
) -> None:
    (first, _), (second, second_process) = servers
    cast = make_cast()
    listener = SseClient(second, key(cast[Role.MERCHANT]))
    try:
        assert listener.status == 200
        coordinator = httpx.Client(
            base_url=first, cookies={"maillage_session": key(cast[Role.COORDINATOR])}
        )
        coordinator.get("/api/v1/session")
        answer = coordinator.post(
            "/api/v1/charter",
            json={"text": "Charte v2 : publiée par le premier processus."},
            headers={"X-CSRFToken": coordinator.cookies["maillage_csrf"]},
        )
        coordinator.close()
        assert answer.status_code == 201, answer.text
        through_first = listener.until("charter.published")[-1]
        # And one committed by a third process (this test's), through the bus as well.
        publish(cast.commune, "Publiée hors des serveurs.")
        through_test = listener.until("charter.published")[-1]
        assert int(through_test.data["seq"]) == int(through_first.data["seq"]) + 1
        # A restart is not held up by open streams: they are cut, their clients reconnect.
        second_process.terminate()
        assert listener.ended.wait(30)
        assert second_process.wait(timeout=30) is not None
    finally:
        listener.close()
