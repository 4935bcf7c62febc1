"""The simulator against a live server: a burst of demo reports the police device opens,
and refusals or a stopped server that the loop logs and survives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from maillage.client.device import MemberDevice
from maillage.client.http import MaillageClient
from maillage.client.simulate import REPORTS, Simulator
from maillage.demo.seed import DemoSeed, seed_demo
from maillage.incidents.models import Incident
from maillage.members.models import Role
from maillage.members.sessions import end_sessions
from maillage.trust.models import Device
from maillage.wire import report_fields


@pytest.fixture
def demo(settings: Any) -> DemoSeed:
    settings.DEMO_MODE = True
    return seed_demo()


@pytest.fixture
def operator(demo: DemoSeed, live_server: Any) -> Iterator[MemberDevice]:
    """The demo's police operator on a console device holding the service key."""
    member = next(m for m in demo.members if m.role == Role.OPERATOR)
    with MaillageClient(live_server.url) as client:
        device = MemberDevice(client, label="Console CSU")
        device.sign_in_demo(str(member.public_id))
        device.ensure_service_key()
        yield device


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_reports_reaches_the_police_sealed(
    demo: DemoSeed, live_server: Any, operator: MemberDevice
) -> None:
    lines: list[str] = []
    with Simulator(live_server.url, seed=7, log=lines.append) as simulator:
        outcomes = simulator.run(burst=3)

    assert [o.ok for o in outcomes] == [True, True, True]
    incidents = Incident.objects.select_related("shop", "reported_by")
    assert {str(i.public_id) for i in incidents} == {o.incident for o in outcomes}
    merchants = {str(m.public_id): m.shop for m in demo.members if m.role == Role.MERCHANT}
    for incident in incidents:
        assert incident.shop == merchants[str(incident.reported_by.public_id)]

    for outcome in outcomes:
        assert outcome.incident is not None
        opened = operator.read_incident(outcome.incident)
        assert [message.text for message in opened] == [outcome.text]
        fields = opened[0].fields
        assert fields == {} or report_fields.validate_report(fields["report"])
        assert (outcome.category, outcome.text, outcome.neighbours) in REPORTS
    stored = {str(i.public_id): (i.category, i.neighbours) for i in incidents}
    assert stored == {o.incident: (o.category, o.neighbours) for o in outcomes}
    # One line per report with its incident, and never the text itself.
    assert len(lines) == 3
    assert all(str(o.incident) in line for o, line in zip(outcomes, lines, strict=True))
    assert not any(o.text in line for o in outcomes for line in lines)


@pytest.mark.django_db(transaction=True)
def test_a_refusal_is_logged_and_the_loop_goes_on(
    demo: DemoSeed, live_server: Any, settings: Any
) -> None:
    # One demo sign-in per address is left: the first shop played gets it, the other
    # is refused with 429 every time it comes up.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "demo_login": (1, 300)}
    lines: list[str] = []
    with Simulator(live_server.url, seed=3, log=lines.append, max_backoff=0) as simulator:
        outcomes = simulator.run(burst=8)

    assert len(outcomes) == 8
    refused = [o for o in outcomes if not o.ok]
    sent = [o for o in outcomes if o.ok]
    assert refused and sent
    assert {(o.status, o.error) for o in refused} == {(429, "rate_limited")}
    assert all(o.message for o in refused)
    assert len({o.shop for o in sent}) == 1
    assert Incident.objects.count() == len(sent)
    assert any("rate_limited" in line for line in lines)


@pytest.mark.django_db(transaction=True)
def test_an_expired_session_is_signed_in_again_with_the_same_device(
    demo: DemoSeed, live_server: Any
) -> None:
    with Simulator(live_server.url, seed=5, shops=1, log=lambda line: None) as simulator:
        first = simulator.run(burst=1)
        device = simulator.players[0].device
        assert device is not None
        # The session ends on the server side: the next calls get 401.
        assert end_sessions(device=Device.objects.get(public_id=device.device)) == 1
        second = simulator.run(burst=1)
        assert simulator.players[0].device is device

    assert [o.ok for o in first + second] == [True, True]
    reporters = {i.reported_by_id for i in Incident.objects.all()}
    assert Incident.objects.count() == 2 and len(reporters) == 1
    assert Device.objects.filter(public_id=device.device).count() == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_stopped_server_is_an_outcome_not_a_crash() -> None:
    lines: list[str] = []
    url = f"http://127.0.0.1:{_closed_port()}"
    with Simulator(url, seed=1, log=lines.append, max_backoff=0, timeout=2) as simulator:
        outcomes = simulator.run(burst=3)
        assert simulator.wait_for_server(timeout=0) is False

    assert [(o.ok, o.error) for o in outcomes] == [(False, "unreachable")] * 3
    assert len([line for line in lines if "unreachable" in line]) == 3


@pytest.mark.django_db(transaction=True)
def test_reports_with_the_switch_on_warn_the_sector_awaiting_validation(
    demo: DemoSeed, live_server: Any
) -> None:
    from maillage.neighbours.models import NeighbourAlert

    with Simulator(live_server.url, seed=11, log=lambda line: None) as simulator:
        outcomes = [simulator.send_one() for _ in range(8)]
    warned = [o for o in outcomes if o.neighbours]
    assert warned, "the seed gives at least one report with the switch on"
    assert all(o.ok for o in outcomes)
    assert [o.neighbour_alert for o in warned] == ["pending"] * len(warned)
    assert all(o.neighbour_alert is None for o in outcomes if not o.neighbours)
    alerts = NeighbourAlert.objects.select_related("incident")
    assert sorted(str(a.incident.public_id) for a in alerts if a.incident) == sorted(
        str(o.incident) for o in warned
    )
