"""Dispatch end to end with the reference client on the real ASGI server: the agent's
stream, open since before, shows nothing of the commune's reports until the operator's
device sends it to one (with real content-key grants); then it resyncs, lists and opens
that report, and its every later event, but still nothing of the others; its status
reaches the console live; the closure releases it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from maillage.client.device import MemberDevice
from maillage.demo.seed import DemoSeed, seed_demo
from maillage.stream.tests.live import SseClient, live_db, serve
from maillage.stream.tests.test_stream_sealed_live import signed_in, stream_of

__all__ = ["live_db"]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_db")]


@pytest.fixture
def demo(settings: Any, tmp_path: Any) -> DemoSeed:
    settings.DEMO_MODE = True
    settings.MEDIA_ROOT = tmp_path / "media"
    return seed_demo()


@pytest.fixture
def server(settings: Any) -> Iterator[str]:
    settings.STREAM_POLL_SECONDS = 30.0
    settings.STREAM_HEARTBEAT_SECONDS = 0.3
    with serve() as base:
        yield base


def member_id(demo: DemoSeed, name: str) -> str:
    return str(next(m for m in demo.members if m.person.display_name == name).public_id)


def test_the_agent_sees_a_report_only_once_dispatched_and_its_status_reaches_the_console(
    demo: DemoSeed, server: str
) -> None:
    console = signed_in(demo, server, "Lucas Moreau", "Console CSU")
    assert console.ensure_service_key() == 1
    agent = signed_in(demo, server, "Julie Leroy", "Téléphone agent")
    reporter = signed_in(demo, server, "Sophie Martin", "Téléphone boutique B")
    devices: list[MemberDevice] = [console, agent, reporter]
    streams: list[SseClient] = [stream_of(server, agent), stream_of(server, console)]
    to_agent, to_console = streams
    try:
        text = "Deux individus, rayon parfumerie, l'un en blouson rouge."
        report = reporter.send_report(text)
        other = reporter.send_report("Autre commerce, autre affaire.")
        console.client.take_incident(report.incident)
        console.client.take_incident(other.incident)
        assert agent.client.incidents() == []

        agent_member = member_id(demo, "Julie Leroy")
        dispatched = console.dispatch(report.incident, [agent_member])
        assert [d["status"] for d in dispatched["dispatches"]] == ["dispatched"]

        before = to_agent.until("incident.dispatched")
        assert {e.event for e in before} <= {"incident.dispatched"}, before
        assert before[-1].data["payload"]["agents"] == [agent_member]
        resync = to_agent.next()
        assert resync is not None and resync.event == "resync"
        assert [i["id"] for i in agent.client.incidents()] == [report.incident]
        assert agent.read_incident(report.incident)[0].text == text

        agent.client.dispatch_status(report.incident, "en_route")
        status = to_console.until("dispatch.status_changed")[-1]
        assert status.data["payload"] == {
            "agent": agent_member,
            "status": "en_route",
            "outcome": "",
        }

        console.client.lift_doubt(other.incident, "unfounded")
        console.client.close_incident(report.incident, "referred")
        closed = to_agent.until("incident.closed")
        assert all(e.data["target_id"] == report.incident for e in closed if "target_id" in e.data)
        assert closed[-1].data["payload"]["released"] == [agent_member]
    finally:
        for stream in streams:
            stream.close()
        for device in devices:
            device.client.close()
