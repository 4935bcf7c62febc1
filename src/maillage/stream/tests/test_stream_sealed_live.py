"""Sealed content in the live stream: a recipient device gets the envelope with the event
(and that delivery is in the access log, as a fetch is); a viewer that is not a recipient
gets the event without content; another shop's merchant, an agent not dispatched to it and
the DPO get nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from maillage.client.device import MemberDevice
from maillage.client.http import MaillageClient
from maillage.demo.seed import DemoSeed, seed_demo
from maillage.privacy.models import ContentAccess
from maillage.stream.tests.live import SseClient, serve
from maillage.stream.tests.test_stream_live import publish
from maillage.trust.models import Device

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_db")]


@pytest.fixture
def demo(settings: Any) -> DemoSeed:
    settings.DEMO_MODE = True
    return seed_demo()


@pytest.fixture
def server(settings: Any) -> Iterator[str]:
    settings.STREAM_POLL_SECONDS = 30.0
    # A reader thread notices close() at its next frame: a short heartbeat ends the test
    # quickly instead of each close waiting out its join.
    settings.STREAM_HEARTBEAT_SECONDS = 0.3
    with serve() as base:
        yield base


def signed_in(demo: DemoSeed, base: str, name: str, label: str) -> MemberDevice:
    member = next(m for m in demo.members if m.person.display_name == name)
    device = MemberDevice(MaillageClient(base), label=label)
    device.sign_in_demo(str(member.public_id))
    return device


def stream_of(base: str, device: MemberDevice) -> SseClient:
    return SseClient(base, str(device.client.http.cookies.get("maillage_session")))


def test_a_recipient_device_gets_the_envelope_and_the_delivery_is_logged(
    demo: DemoSeed, server: str
) -> None:
    console = signed_in(demo, server, "Lucas Moreau", "Console CSU")
    assert console.ensure_service_key() == 1
    agent = signed_in(demo, server, "Julie Leroy", "Tablette agent")
    other_shop = signed_in(demo, server, "Karim Benali", "Téléphone boutique A")
    dpo = signed_in(demo, server, "Nadia Haddad", "Poste DPO")
    reporter = signed_in(demo, server, "Sophie Martin", "Téléphone boutique B")
    streams = {
        name: stream_of(server, device)
        for name, device in {
            "console": console,
            "agent": agent,
            "other_shop": other_shop,
            "dpo": dpo,
        }.items()
    }
    try:
        report = reporter.send_report("Vol à l'étalage en cours, individu en fuite.")
        publish(demo.commune, "Fin de l'essai.")

        to_console = streams["console"].until("incident.reported")[-1]
        assert to_console.data["target_id"] == report.incident
        sealed = to_console.data["sealed"]
        fetched = console.client.messages(report.incident)[0]
        assert sealed["id"] == fetched["id"] == report.message
        assert sealed["envelope"] == fetched["envelope"]
        assert sealed["sender_device"] == fetched["sender_device"]
        assert sealed["attachments"] == fetched["attachments"]
        assert sealed["received_at"] == fetched["received_at"]
        # The stream's delivery is logged as the fetch is: one entry each.
        console_device = Device.objects.get(public_id=console.device)
        entries = ContentAccess.objects.filter(
            device=console_device, message_public_id=report.message
        )
        assert [entry.what for entry in entries] == [ContentAccess.What.ENVELOPE] * 2
        # And the console can open what the stream carried.
        assert console.read_incident(report.incident)[0].text == (
            "Vol à l'étalage en cours, individu en fuite."
        )

        # An agent sees a report only once dispatched to it (client/tests/test_dispatch_live.py).
        agent_device = Device.objects.get(public_id=agent.device)
        assert not ContentAccess.objects.filter(device=agent_device).exists()

        for name in ("agent", "other_shop", "dpo"):
            kinds = [event.event for event in streams[name].until("charter.published")]
            assert "incident.reported" not in kinds, name
    finally:
        for stream in streams.values():
            stream.close()
        for device in (console, agent, other_shop, dpo, reporter):
            device.client.close()


def test_one_events_deliveries_to_several_consoles_are_logged_in_one_append(
    demo: DemoSeed, server: str
) -> None:
    """Each delivery has its entry, and they share one append (one `at`, consecutive
    numbers): a console per device must not queue on the chain's lock once each."""
    first = signed_in(demo, server, "Lucas Moreau", "Console CSU 1")
    assert first.ensure_service_key() == 1
    consoles = [first] + [
        signed_in(demo, server, "Lucas Moreau", f"Console CSU {n}") for n in (2, 3)
    ]
    first.ensure_service_key()  # grants generation 1 to the two new devices
    for console in consoles[1:]:
        assert console.ensure_service_key() == 1
    reporter = signed_in(demo, server, "Sophie Martin", "Téléphone boutique B")
    streams = [stream_of(server, console) for console in consoles]
    try:
        report = reporter.send_report("Individu menaçant devant la vitrine.")
        for stream in streams:
            assert "sealed" in stream.until("incident.reported")[-1].data
        entries = list(
            ContentAccess.objects.filter(message_public_id=report.message).order_by("number")
        )
        assert sorted(str(entry.device.public_id) for entry in entries if entry.device) == sorted(
            console.device for console in consoles
        )
        assert len({entry.at for entry in entries}) == 1
        numbers = [entry.number for entry in entries]
        assert numbers == list(range(numbers[0], numbers[0] + len(consoles)))
    finally:
        for stream in streams:
            stream.close()
        for device in [*consoles, reporter]:
            device.client.close()
