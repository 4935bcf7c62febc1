"""Two `maillage serve` processes on one PostgreSQL: an event committed through one (or by
any other process) reaches a client connected to the other, through LISTEN/NOTIFY. The
servers' safety poll is set to ten minutes, so only the bus can deliver in time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.db import connection

from maillage.members.models import Role
from maillage.members.tests.factory import make_cast
from maillage.stream.tests.live import SseClient
from maillage.stream.tests.test_stream_live import key, publish
from maillage.testing.servers import ServerProcess, server_processes, server_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[tuple[str, ServerProcess]]]:
    if connection.vendor != "postgresql":
        pytest.skip("plusieurs processus serveurs : PostgreSQL seulement")
    env = {
        **os.environ,
        "DATABASE_URL": server_url(connection.settings_dict, with_name=True),
        "MAILLAGE_DATA_DIR": str(tmp_path),
        "MAILLAGE_STREAM_POLL_SECONDS": "600",
        "MAILLAGE_STREAM_HEARTBEAT_SECONDS": "1",
    }
    with server_processes(2, env, tmp_path) as started:
        yield [(server.url, server) for server in started]


def test_an_event_committed_through_one_process_reaches_a_client_of_the_other(
    servers: list[tuple[str, ServerProcess]],
) -> None:
    (first, _), (second, second_server) = servers
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
        second_server.terminate()
        assert listener.ended.wait(30)
        assert second_server.process is not None
        assert second_server.process.wait(timeout=30) is not None
    finally:
        listener.close()
