"""« Message à tous les commerces » end to end with the reference client, on the real ASGI
server: an operator device publishes the commune's group key and grants it; merchant
devices hold live streams (maillage.client.stream); each receives `broadcast.sent` with
the sealed broadcast inline, the same bytes for every holder and as many bytes for 30
holders as for 3; each opens it. A merchant device revoked afterwards is rotated out:
its stream ends and it never receives what follows, sealed to the next generation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from maillage.client.broadcasts import BroadcastUnavailable
from maillage.client.device import MemberDevice
from maillage.client.http import ClientApiError, MaillageClient
from maillage.client.stream import StreamClient, StreamEvent, StreamRefused
from maillage.demo.seed import DemoSeed, seed_demo
from maillage.members.models import Role
from maillage.privacy.models import ContentAccess
from maillage.stream.action import CLI
from maillage.stream.tests.live import WAIT, LoopThread, live_db, serve, wait_until
from maillage.trust import revocations as trust_revocations
from maillage.trust import roots as trust_roots
from maillage.trust.models import Device, GroupKeyGrant

__all__ = ["live_db"]  # the fixture, shared with the stream tests

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


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


class Devices:
    """Signed-in demo devices, closed at the end."""

    def __init__(self, demo: DemoSeed, base: str) -> None:
        self.demo, self.base = demo, base
        self.opened: list[MemberDevice] = []

    def sign_in(self, role: Role, index: int = 0, label: str = "Client Python") -> MemberDevice:
        members = [m for m in self.demo.members if m.role == role]
        device = MemberDevice(MaillageClient(self.base), label=label)
        device.sign_in_demo(str(members[index % len(members)].public_id))
        self.opened.append(device)
        return device

    def close(self) -> None:
        for device in self.opened:
            device.client.close()


@pytest.fixture
def devices(demo: DemoSeed, server: str) -> Iterator[Devices]:
    made = Devices(demo, server)
    yield made
    made.close()


class Listener:
    """One device's live stream: its `broadcast.sent` events, as received."""

    def __init__(self, loop: LoopThread, base: str, device: MemberDevice) -> None:
        self.device = device
        self.events: list[StreamEvent] = []
        session = str(device.client.http.cookies.get("maillage_session"))

        def heard(event: StreamEvent) -> None:
            if event.event == "broadcast.sent":
                self.events.append(event)

        async def open_() -> StreamClient:
            client = StreamClient(base, session, on_event=heard, backoff_initial=0.05).start()
            await client.wait_connected(WAIT)
            return client

        self.loop = loop
        self.client: StreamClient = loop.call(open_())

    def received(self, broadcast: str) -> StreamEvent | None:
        return next((e for e in self.events if e.json()["target_id"] == broadcast), None)

    def close(self) -> None:
        self.loop.call(self.client.close())


def listen(loop: LoopThread, base: str, holders: list[MemberDevice]) -> list[Listener]:
    return [Listener(loop, base, device) for device in holders]


def delivered(listeners: list[Listener], broadcast: str, text: str) -> int:
    """Every listener got the broadcast inline, the same bytes, and opens it; the size of
    what each received (the frame's data, minus the server's receipt time)."""
    wait_until(
        lambda: all(listener.received(broadcast) for listener in listeners),
        what=f"la diffusion sur {len(listeners)} flux",
    )
    frames = {listener.received(broadcast).data for listener in listeners}  # type: ignore[union-attr]
    assert len(frames) == 1, "the same bytes for every holder"
    for listener in listeners:
        data = listener.received(broadcast).json()  # type: ignore[union-attr]
        assert data["sealed"]["broadcast"] == broadcast
        assert listener.device.broadcasts.open_event(data).text == text
    [frame] = frames
    data = json.loads(frame)
    return len(frame.encode()) - len(str(data["sealed"]["created_at"]))


def test_a_broadcast_reaches_every_holder_inline_with_the_same_bytes_whatever_their_number(
    devices: Devices, server: str, loop: LoopThread
) -> None:
    console = devices.sign_in(Role.OPERATOR, label="Console CSU")
    few = [devices.sign_in(Role.MERCHANT, i, f"Boutique {i}") for i in range(3)]
    assert console.broadcasts.ensure() == 1  # creates generation 1 and grants the three
    for merchant in few:
        assert merchant.broadcasts.receive() == 1
    listeners = listen(loop, server, few)
    try:
        text = "Message à tous les commerces : la rue du Marché ferme à 18 h."
        sent = console.broadcasts.send(text)
        assert sent.number == 1
        size_3 = delivered(listeners, sent.broadcast, text)

        # Ten times as many holders: each still receives as many bytes.
        many = [devices.sign_in(Role.MERCHANT, i, f"Boutique {i}") for i in range(3, 30)]
        assert console.broadcasts.ensure() == 1  # grants the newcomers, no rotation
        listeners += listen(loop, server, many)
        again = console.broadcasts.send(text.replace("18 h", "19 h"))
        size_30 = delivered(listeners, again.broadcast, text.replace("18 h", "19 h"))
        assert size_30 == size_3
        # Opened from the inline copy; a broadcast is not access-logged (nor is its fetch).
        assert not ContentAccess.objects.exists()

        # The same broadcast read back through GET /broadcasts opens the same way.
        assert [b.text for b in many[0].broadcasts.read()][:2] == [
            text.replace("18 h", "19 h"),
            text,
        ]

        # One merchant device is lost: revoked. Its stream ends; the console rotates.
        lost = listeners.pop(0)
        demo = devices.demo
        trust_revocations.revoke_devices_with_root(
            CLI,
            demo.commune,
            trust_roots.demo_root_key(demo.commune),
            [Device.objects.get(public_id=lost.device.device)],
        )
        wait_until(lambda: lost.client.refused is not None, what="le flux révoqué coupé")
        assert isinstance(lost.client.refused, StreamRefused)
        assert lost.client.refused.status == 401
        assert console.broadcasts.ensure() == 2
        assert not GroupKeyGrant.objects.filter(
            group_key__number=2, recipient_device__public_id=lost.device.device
        ).exists()

        after = console.broadcasts.send("Après la rotation : réunion à 20 h en mairie.")
        assert after.number == 2
        wait_until(
            lambda: all(listener.received(after.broadcast) for listener in listeners),
            what="la diffusion de la génération 2",
        )
        for listener in listeners[:3]:
            assert (
                listener.device.broadcasts.open_event(
                    listener.received(after.broadcast).json()  # type: ignore[union-attr]
                ).text
                == "Après la rotation : réunion à 20 h en mairie."
            )
        assert lost.received(after.broadcast) is None
        with pytest.raises(ClientApiError) as refused:
            lost.device.client.broadcasts()
        assert refused.value.status == 401
    finally:
        for listener in listeners:
            listener.close()
        if "lost" in locals():
            lost.close()


def test_a_device_without_its_grant_gets_the_event_alone_and_opens_once_granted(
    devices: Devices, server: str, loop: LoopThread
) -> None:
    console = devices.sign_in(Role.OPERATOR, label="Console CSU")
    assert console.broadcasts.ensure() == 1
    late = devices.sign_in(Role.MERCHANT, 0, "Boutique arrivée après")
    assert late.broadcasts.receive() is None  # no grant yet
    [listener] = listen(loop, server, [late])
    try:
        sent = console.broadcasts.send("Contrôle des vitrines cette nuit.")
        wait_until(lambda: listener.received(sent.broadcast) is not None, what="l'événement")
        data = listener.received(sent.broadcast).json()  # type: ignore[union-attr]
        assert "sealed" not in data
        with pytest.raises(BroadcastUnavailable) as waiting:
            late.broadcasts.open_event(data)
        assert waiting.value.code == "no_group_grant"
        assert console.broadcasts.ensure() == 1  # grants it on the way
        # The fallback: found in GET /broadcasts, opened with the grant now held.
        assert late.broadcasts.open_event(data).text == "Contrôle des vitrines cette nuit."
    finally:
        listener.close()
