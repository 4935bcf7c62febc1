"""The limits on reports hold across two `maillage serve` processes sharing PostgreSQL:
a device racing ten reports through both gets exactly its limit in, the rest refused with
the time of its next report, and the police learns of it once."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.db import connection

from maillage.incidents import alert_settings
from maillage.incidents.models import Incident
from maillage.incidents.tests.helpers import Draft
from maillage.members.models import Role
from maillage.members.tests.factory import make_cast
from maillage.stream.action import CLI
from maillage.stream.models import Event
from maillage.stream.tests.test_stream_live import key
from maillage.testing.servers import server_processes, server_url

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 3
RACERS = 10


@pytest.fixture
def urls(tmp_path: Path) -> Iterator[list[str]]:
    if connection.vendor != "postgresql":
        pytest.skip("plusieurs processus serveurs : PostgreSQL seulement")
    env = {
        **os.environ,
        "DATABASE_URL": server_url(connection.settings_dict, with_name=True),
        "MAILLAGE_DATA_DIR": str(tmp_path),
    }
    with server_processes(2, env, tmp_path) as started:
        yield [server.url for server in started]


def test_a_device_limit_holds_across_two_server_processes(urls: list[str]) -> None:
    cast = make_cast()
    merchant = cast[Role.MERCHANT]
    current = alert_settings.for_commune(cast.commune).as_dict()
    current["limits"]["report_device"] = {"count": LIMIT, "minutes": 10}
    alert_settings.change(CLI, cast.commune, current)
    session = key(merchant)
    clients = [httpx.Client(base_url=url, cookies={"maillage_session": session}) for url in urls]
    for client in clients:
        client.get("/api/v1/session")
    drafts = [Draft(merchant) for _ in range(RACERS)]
    forms = [
        [
            ("incident", (None, draft.incident)),
            ("category", (None, "vol")),
            ("envelope", (None, json.dumps(draft.seal().wire))),
        ]
        for draft in drafts
    ]
    barrier = threading.Barrier(RACERS)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def race(index: int) -> None:
        client = clients[index % 2]
        barrier.wait()
        answer = client.post(
            "/api/v1/incidents",
            files=forms[index],
            headers={"X-CSRFToken": client.cookies["maillage_csrf"]},
        )
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for client in clients:
        client.close()

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * LIMIT + [429] * (RACERS - LIMIT), [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 429:
            assert answer.json()["code"] == "rate_limited"
            assert "appelez le 17" in answer.json()["message"]
    assert Incident.objects.count() == LIMIT
    assert Event.objects.filter(kind="incident.reported").count() == LIMIT
    assert Event.objects.filter(kind="alert_limit.reached").count() == 1
