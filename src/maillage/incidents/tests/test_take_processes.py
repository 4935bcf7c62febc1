"""Two operators, on two `maillage serve` processes sharing PostgreSQL, take charge of the
same incident at the same instant: exactly one succeeds, exactly one `incident.taken` is
in the log, and the other is told who took it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.db import connection

from maillage.incidents.models import Incident
from maillage.incidents.tests.helpers import make_incident
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.models import Event
from maillage.stream.tests.test_stream_live import key
from maillage.testing.servers import server_processes, server_url

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5


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


def test_two_processes_taking_the_same_incident_make_one_taker(urls: list[str]) -> None:
    commune = factory.make_commune()
    merchant = factory.make_member(Role.MERCHANT, commune)
    operators = [
        factory.make_member(Role.OPERATOR, commune, name="Opératrice Martin"),
        factory.make_member(Role.OPERATOR, commune, name="Opérateur Durand"),
    ]
    names = {op.membership.pk: op.membership.person.display_name for op in operators}
    clients = [
        httpx.Client(base_url=url, cookies={"maillage_session": key(operator)})
        for url, operator in zip(urls, operators, strict=True)
    ]
    for client in clients:
        client.get("/api/v1/session")
    try:
        for _ in range(ROUNDS):
            incident, _ = make_incident(merchant)
            barrier = threading.Barrier(2)
            answers: list[httpx.Response | None] = [None, None]

            def race(
                index: int,
                public_id: str,
                barrier: threading.Barrier,
                answers: list[httpx.Response | None],
            ) -> None:
                client = clients[index]
                barrier.wait()
                answers[index] = client.post(
                    f"/api/v1/incidents/{public_id}/take",
                    headers={"X-CSRFToken": client.cookies["maillage_csrf"]},
                )

            threads = [
                threading.Thread(target=race, args=(i, str(incident.public_id), barrier, answers))
                for i in range(2)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            statuses = sorted(a.status_code for a in answers if a is not None)
            assert statuses == [200, 409], [a.text for a in answers if a is not None]
            taken = Event.objects.filter(kind="incident.taken", target_id=str(incident.public_id))
            assert taken.count() == 1
            stored = Incident.objects.get(pk=incident.pk)
            assert stored.state == "taken"
            assert stored.taken_at == taken.get().at
            loser = next(a for a in answers if a is not None and a.status_code == 409)
            assert loser.json()["code"] == "already_taken"
            assert stored.taken_by_id is not None
            assert names[stored.taken_by_id] in loser.json()["message"]
    finally:
        for client in clients:
            client.close()
