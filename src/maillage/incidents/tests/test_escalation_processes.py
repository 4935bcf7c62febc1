"""Escalation across two `maillage serve` processes sharing PostgreSQL, with the timers'
clock moved by the test (`MAILLAGE_TIMER_CLOCK_FILE`): an escalation whose due time
passed while both servers were stopped fires once after they restart, the second one
fires once when its time comes, and an incident taken in charge never escalates."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from maillage.incidents import workflow
from maillage.incidents.models import Incident
from maillage.incidents.tests.helpers import make_incident
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.models import ActorKind, Event
from maillage.testing.servers import ServerProcess, server_processes, server_url, stop_all

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 30.0  # seconds: generous, a firing is checked here, never timed


@dataclass
class Servers:
    processes: list[ServerProcess]
    clock: Path

    def set_clock(self, at: datetime) -> None:
        self.clock.write_text(at.isoformat(), encoding="utf-8")

    def restart(self) -> None:
        for server in self.processes:
            server.start()
        for server in self.processes:
            server.wait_ready()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    if connection.vendor != "postgresql":
        pytest.skip("plusieurs processus serveurs : PostgreSQL seulement")
    clock = tmp_path / "clock"
    clock.write_text("", encoding="utf-8")
    env = {
        **os.environ,
        "DATABASE_URL": server_url(connection.settings_dict, with_name=True),
        "MAILLAGE_DATA_DIR": str(tmp_path),
        "MAILLAGE_TIMER_CLOCK_FILE": str(clock),
        "MAILLAGE_ESCALATION_TICK_SECONDS": "1",
    }
    with server_processes(2, env, tmp_path) as started:
        yield Servers(started, clock)


def levels(incident: Incident) -> list[int]:
    events = Event.objects.filter(kind="incident.escalated", target_id=str(incident.public_id))
    assert all(e.actor_kind == ActorKind.SYSTEM for e in events)
    return [int(e.payload["level"]) for e in events.order_by("seq")]


def wait_for(incidents: list[Incident], expected: list[int]) -> None:
    deadline = time.monotonic() + WAIT
    while any(levels(i) != expected for i in incidents) and time.monotonic() < deadline:
        time.sleep(0.2)
    # A few more ticks of both processes: nothing fires twice.
    time.sleep(3)
    assert [levels(i) for i in incidents] == [expected] * len(incidents)


def test_escalations_fire_once_across_processes_and_a_restart(servers: Servers) -> None:
    commune = factory.make_commune()
    factory.make_member(Role.COORDINATOR, commune)
    merchant = factory.make_member(Role.MERCHANT, commune)
    operator = factory.make_member(Role.OPERATOR, commune)
    waiting = [make_incident(merchant)[0] for _ in range(3)]
    taken, _ = make_incident(merchant)
    start = min(i.created_at for i in [*waiting, taken])
    time.sleep(2)  # both servers tick on the real clock: nothing is due yet
    assert [levels(i) for i in [*waiting, taken]] == [[]] * 4

    # Both stopped; meanwhile one incident is taken and the first delay runs out.
    stop_all(servers.processes)
    workflow.take(operator.membership, operator.device, taken)
    servers.set_clock(start + timedelta(seconds=120))
    servers.restart()
    wait_for(waiting, [1])
    assert levels(taken) == []

    servers.set_clock(start + timedelta(seconds=200))
    wait_for(waiting, [1, 2])
    for incident in waiting:
        incident.refresh_from_db()
        assert (incident.escalation_level, incident.escalation_due_at) == (2, None)
    servers.set_clock(start + timedelta(hours=3))
    wait_for(waiting, [1, 2])
    assert levels(taken) == []
