"""The lifecycle end to end with the reference client on the real ASGI server: a shop
reports, an operator takes it from « signalé » to « clôturé » step by step, a second
operator's late « prendre en charge » is refused with the taker's name, and the shop's
live stream hears every step of its own report, in order, each with its server time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from maillage.client.device import MemberDevice
from maillage.client.http import ClientApiError, MaillageClient
from maillage.client.stream import StreamClient, StreamEvent
from maillage.demo.seed import DemoSeed, _demo_member, seed_demo
from maillage.members.models import Membership, Role
from maillage.stream.tests.live import WAIT, LoopThread, live_db, serve, wait_until
from maillage.trust.roots import demo_root_key

__all__ = ["live_db"]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_db")]

STEPS = [
    "incident.taken",
    "incident.doubt_lifted",
    "incident.intervention_engaged",
    "incident.on_site",
    "incident.closed",
]


@pytest.fixture
def demo(settings: Any, tmp_path: Any) -> DemoSeed:
    settings.DEMO_MODE = True
    settings.MEDIA_ROOT = tmp_path / "media"
    return seed_demo()


@pytest.fixture
def server(settings: Any) -> Iterator[str]:
    settings.STREAM_POLL_SECONDS = 30.0
    with serve() as base:
        yield base


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


def test_the_shop_hears_every_step_of_its_report(
    demo: DemoSeed, server: str, loop: LoopThread
) -> None:
    reporter_member = next(m for m in demo.members if m.role == Role.MERCHANT)
    operator_member = next(m for m in demo.members if m.role == Role.OPERATOR)
    second_member = _demo_member(
        demo.commune, demo_root_key(demo.commune), "Opérateur Second", Role.OPERATOR, None
    )
    opened: list[MemberDevice] = []

    def sign_in(membership: Membership, label: str) -> MemberDevice:
        device = MemberDevice(MaillageClient(server), label=label)
        device.sign_in_demo(str(membership.public_id))
        opened.append(device)
        return device

    heard: list[StreamEvent] = []
    stream: StreamClient | None = None
    try:
        shop = sign_in(reporter_member, "Boutique")
        console = sign_in(operator_member, "Console")
        late = sign_in(second_member, "Console 2")
        console.ensure_service_key()
        session = str(shop.client.http.cookies.get("maillage_session"))

        def on_event(event: StreamEvent) -> None:
            if event.event.startswith("incident."):
                heard.append(event)

        async def open_() -> StreamClient:
            client = StreamClient(server, session, on_event=on_event, backoff_initial=0.05)
            client.start()
            await client.wait_connected(WAIT)
            return client

        stream = loop.call(open_())
        report = shop.send_report("Individu menaçant devant la caisse.")
        incident = report.incident

        police = console.client
        assert police.take_incident(incident)["lifecycle"]["state"] == "taken"
        with pytest.raises(ClientApiError) as refused:
            late.client.take_incident(incident)
        assert refused.value.status == 409 and refused.value.code == "already_taken"
        assert operator_member.person.display_name in refused.value.message
        assert police.lift_doubt(incident, "founded")["lifecycle"]["verdict"] == "founded"
        assert police.engage_intervention(incident)["lifecycle"]["state"] == "intervention"
        assert police.mark_on_site(incident)["lifecycle"]["state"] == "on_site"
        closed = police.close_incident(incident, "arrest")["lifecycle"]
        assert (closed["state"], closed["outcome"], closed["next_steps"]) == (
            "closed",
            "arrest",
            [],
        )

        wait_until(lambda: len(heard) >= 1 + len(STEPS), what="toutes les étapes")
        events = [event.json() for event in heard]
        assert [e["kind"] for e in events] == ["incident.reported", *STEPS]
        assert {e["target_id"] for e in events} == {incident}
        times = [datetime.fromisoformat(e["at"]) for e in events]
        assert times == sorted(times)
        # What the shop holds matches: the times it shows are the log's (the API gives
        # milliseconds).
        [mine] = shop.client.incidents()
        assert mine["lifecycle"]["taken_by"]["name"] is None
        closed_at = datetime.fromisoformat(mine["lifecycle"]["closed_at"])
        assert abs((closed_at - times[-1]).total_seconds()) < 0.001
    finally:
        if stream is not None:
            loop.call(stream.close())
        for device in opened:
            device.client.close()
