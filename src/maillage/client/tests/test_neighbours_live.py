"""Neighbour alerts end to end with the reference client on the real ASGI server: an
operator device creates the sector keys and grants them; a shop of sector A sends an
alert, held for validation; its neighbour's live stream hears nothing until the operator
validates it, then gets it inline and opens it; the operator's « fin d'alerte » with a
sealed message reaches the neighbour the same way; a shop of sector B hears nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from maillage.client.device import MemberDevice
from maillage.client.http import MaillageClient
from maillage.client.neighbours import NeighbourAlerts, sector_scope
from maillage.client.stream import StreamClient, StreamEvent
from maillage.demo.seed import DemoSeed, _demo_member, seed_demo
from maillage.members.models import Membership, Role
from maillage.stream.tests.live import WAIT, LoopThread, live_db, serve, wait_until
from maillage.territory.models import Shop
from maillage.trust.roots import demo_root_key

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
    with serve() as base:
        yield base


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


class Heard:
    """One device's `neighbour_alert.*` events, as its live stream received them."""

    def __init__(self, loop: LoopThread, base: str, device: MemberDevice) -> None:
        self.events: list[StreamEvent] = []
        session = str(device.client.http.cookies.get("maillage_session"))

        def heard(event: StreamEvent) -> None:
            if event.event.startswith("neighbour_alert."):
                self.events.append(event)

        async def open_() -> StreamClient:
            client = StreamClient(base, session, on_event=heard, backoff_initial=0.05).start()
            await client.wait_connected(WAIT)
            return client

        self.loop = loop
        self.client: StreamClient = loop.call(open_())

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [event.json() for event in self.events if event.event == kind]

    def close(self) -> None:
        self.loop.call(self.client.close())


def test_a_shop_alert_is_validated_heard_by_its_sector_only_and_ended(
    demo: DemoSeed, server: str, loop: LoopThread
) -> None:
    reporter_member = next(m for m in demo.members if m.role == Role.MERCHANT)
    assert reporter_member.shop is not None
    sector_a = reporter_member.shop.sector
    shops = Shop.objects.filter(commune=demo.commune, is_active=True)
    taken = Membership.objects.filter(commune=demo.commune, shop__isnull=False).values("shop")
    neighbour_shop = shops.filter(sector=sector_a).exclude(pk__in=taken).first()
    far_shop = shops.exclude(sector=sector_a).exclude(pk__in=taken).first()
    assert neighbour_shop is not None and far_shop is not None
    root = demo_root_key(demo.commune)
    neighbour_member = _demo_member(
        demo.commune, root, "Amélie Voisin", Role.MERCHANT, neighbour_shop
    )
    far_member = _demo_member(demo.commune, root, "Bruno Lointain", Role.MERCHANT, far_shop)
    operator_member = next(m for m in demo.members if m.role == Role.OPERATOR)

    opened: list[MemberDevice] = []

    def sign_in(membership: Membership, label: str) -> MemberDevice:
        device = MemberDevice(MaillageClient(server), label=label)
        device.sign_in_demo(str(membership.public_id))
        opened.append(device)
        return device

    listeners: list[Heard] = []
    try:
        reporter = sign_in(reporter_member, "Boutique A")
        neighbour = sign_in(neighbour_member, "Voisin A")
        far = sign_in(far_member, "Boutique B")
        console = sign_in(operator_member, "Console")
        scope_a, scope_b = sector_scope(sector_a.pk), sector_scope(far_shop.sector_id)
        assert console.broadcasts.ensure(scope_a) == 1
        assert console.broadcasts.ensure(scope_b) == 1
        assert reporter.broadcasts.receive(scope_a) == 1
        assert neighbour.broadcasts.receive(scope_a) == 1
        assert far.broadcasts.receive(scope_b) == 1
        near, away = Heard(loop, server, neighbour), Heard(loop, server, far)
        listeners += [near, away]

        text = "Vol à l'étalage : deux personnes parties vers la gare."
        sent = NeighbourAlerts(reporter).send(text, scope_a)
        assert sent["status"] == "pending"
        alert = str(sent["id"])
        police = NeighbourAlerts(console)
        [waiting] = police.list()
        assert (waiting["id"], police.open(waiting).text) == (alert, text)
        assert NeighbourAlerts(neighbour).list() == []

        assert police.validate(alert)["status"] == "active"
        wait_until(lambda: near.of("neighbour_alert.validated"), what="l'alerte validée")
        [validated] = near.of("neighbour_alert.validated")
        assert validated["sealed"]["id"] == alert
        assert NeighbourAlerts(neighbour).open(validated["sealed"]).text == text

        ending = "Fin d'alerte : les deux personnes ont été interpellées."
        ended = police.end(alert, ending, scope=scope_a)
        assert (ended["status"], ended["end_reason"]) == ("ended", "operator")
        wait_until(lambda: near.of("neighbour_alert.ended"), what="la fin d'alerte")
        [end] = near.of("neighbour_alert.ended")
        assert end["payload"]["reason"] == "operator"
        opened_end = NeighbourAlerts(neighbour).open_end(end["sealed"])
        assert opened_end is not None and opened_end.text == ending
        assert NeighbourAlerts(neighbour).list() == []

        # Sector B: nothing at any point (its stream is as fresh as the neighbour's).
        assert away.events == []
        assert NeighbourAlerts(far).list() == []
    finally:
        for listener in listeners:
            listener.close()
        for device in opened:
            device.client.close()
