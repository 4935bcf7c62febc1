"""The feed without a server: cursors, the wire form of an event, one query per read
whatever the audience, and each connection's filter (visibility, closing, recheck)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from django.utils import timezone

from maillage.members.models import Membership, Role
from maillage.members.tests.factory import add_device, make_cast, make_member, suspend
from maillage.stream.fanout import Hub, Item, event_data, read_after, render
from maillage.stream.models import Event
from maillage.stream.sse import Closed, Connection, StreamAccess, parse_cursor
from maillage.stream.tests.helpers import events, head
from maillage.stream.tests.live import WAIT, live_db
from maillage.stream.tests.test_stream_live import publish
from maillage.stream.visibility import visible_to
from maillage.trust.models import Device

pytestmark = pytest.mark.django_db
__all__ = ["live_db"]  # the fixture


def test_cursors_parse_to_a_seq_none_or_bad() -> None:
    assert parse_cursor(None) is None
    assert parse_cursor(" ") is None
    assert parse_cursor("42") == 42
    assert parse_cursor("0") == 0
    for bad in ("-1", "4.2", "abc", "9" * 19):
        assert parse_cursor(bad) == "bad"


def test_an_event_frame_carries_its_seq_kind_and_json() -> None:
    cast = make_cast()
    event = events(cast.commune)[-1]
    [item] = render([event], None)
    lines = item.frame.decode().split("\n")
    assert lines[0] == f"id: {event.seq}"
    assert lines[1] == f"event: {event.kind}"
    assert lines[2].startswith("data: ")
    assert lines[3:] == ["", ""]
    data = json.loads(lines[2][len("data: ") :])
    assert data == json.loads(json.dumps(event_data(event)))
    assert data["seq"] == event.seq
    assert data["at"].endswith("Z")


def test_one_read_is_one_query_in_seq_order(django_assert_num_queries: Any) -> None:
    cast = make_cast()
    commune = cast.commune
    last = head(commune)
    with django_assert_num_queries(1):
        items = read_after(commune.pk, 0, None, None)
    assert [item.seq for item in items] == list(range(1, last + 1))
    assert [item.seq for item in read_after(commune.pk, 3, 5, None)] == [4, 5]
    assert read_after(commune.pk, last, None, None) == []


class _Hub:
    """Offer() never touches the hub: no query per connection per event."""


def _access(persona: Any) -> StreamAccess:
    """As loaded when the stream connected: its own rows, not the test's objects."""
    membership = Membership.objects.select_related("commune", "shop").get(pk=persona.membership.pk)
    return StreamAccess("key", membership, Device.objects.get(pk=persona.device.pk))


def _connection(persona: Any) -> Connection:
    return Connection(_Hub(), _access(persona), send=None)  # type: ignore[arg-type]


def _offered(connection: Connection, rows: list[Event]) -> list[int]:
    for item in render(rows, None):
        connection.offer(item)
    seqs = []
    while not connection.queue.empty():
        seqs.append(connection.queue.get_nowait().seq)
    return seqs


def test_each_connection_gets_exactly_what_visible_to_allows(
    django_assert_num_queries: Any,
) -> None:
    cast = make_cast()
    other = make_member(Role.MERCHANT, cast.commune)  # another shop
    rows = list(Event.objects.filter(commune=cast.commune).select_related("member", "shop"))
    outsider_rows = list(
        Event.objects.filter(commune=cast.outsider.commune).select_related("member", "shop")
    )
    for persona in [*cast.everyone, other]:
        connection = _connection(persona)
        with django_assert_num_queries(0):
            offered = _offered(connection, rows + outsider_rows)
        expected = [row.seq for row in rows if visible_to(row, persona.membership)]
        assert offered == expected, persona.membership.role
    merchant = _connection(cast[Role.MERCHANT])
    shops = {row.shop_id for row in rows if row.seq in _offered(merchant, rows)}
    assert other.shop.pk not in shops


def test_a_connection_skips_what_it_already_has() -> None:
    cast = make_cast()
    connection = _connection(cast[Role.COORDINATOR])
    rows = events(cast.commune)
    connection.cursor = rows[-2].seq
    assert _offered(connection, rows) == [rows[-1].seq]


def test_a_device_not_yet_certified_sees_only_what_is_about_its_member() -> None:
    cast = make_cast()
    coordinator = cast[Role.COORDINATOR]
    coordinator.refresh()
    pending = add_device(coordinator.membership, label="Nouveau poste")
    connection = Connection(
        _Hub(),  # type: ignore[arg-type]
        StreamAccess("key", coordinator.membership, pending),
        send=None,  # type: ignore[arg-type]
    )
    rows = list(Event.objects.filter(commune=cast.commune).select_related("member", "shop"))
    offered = _offered(connection, rows)
    assert offered
    assert all(row.member_id == coordinator.membership.pk for row in rows if row.seq in offered)


def test_suspension_closes_and_a_revocation_list_rechecks() -> None:
    cast = make_cast()
    merchant = cast[Role.MERCHANT]
    connection = _connection(merchant)
    before = head(cast.commune)
    suspend(merchant)
    [item] = render(list(Event.objects.filter(commune=cast.commune, seq__gt=before)), None)
    assert item.event.kind == "member.suspended"
    assert connection.control(item) == "close"
    assert connection.visible(item)  # sent before the stream closes
    bystander = _connection(cast[Role.AGENT])
    assert bystander.control(item) is None


def test_the_delivery_closes_after_sending_the_suspension() -> None:
    cast = make_cast()
    merchant = cast[Role.MERCHANT]
    sent: list[bytes] = []

    async def send(message: Any) -> None:
        sent.append(message["body"])

    connection = Connection(_Hub(), _access(merchant), send)  # type: ignore[arg-type]
    before = head(cast.commune)
    suspend(merchant)
    [item] = render(list(Event.objects.filter(commune=cast.commune, seq__gt=before)), None)
    with pytest.raises(Closed):
        asyncio.run(connection.deliver(item))
    assert sent == [item.frame]


def test_a_revoked_device_closes_its_stream_and_a_new_list_rechecks_every_one() -> None:
    """Kinds the trust actions emit once converted; the rule is the connection's."""
    cast = make_cast()
    merchant = _connection(cast[Role.MERCHANT])
    agent = _connection(cast[Role.AGENT])
    device = merchant.access.device

    def unsaved(kind: str, target_type: str, target_id: str, member: Any = None) -> Any:
        event = Event(
            commune=cast.commune, seq=10_000, kind=kind, actor_kind="cli", at=timezone.now(),
            target_type=target_type, target_id=target_id, member=member, payload={},
        )  # fmt: skip
        return render([event], None)[0]

    revoked = unsaved("device.revoked", "device", str(device.public_id), merchant.access.membership)
    assert merchant.control(revoked) == "close"
    assert agent.control(revoked) is None
    published = unsaved("revocation_list.published", "revocationlist", "7")
    assert merchant.control(published) == agent.control(published) == "recheck"


class _Recorder:
    def __init__(self) -> None:
        self.seqs: list[int] = []

    def offer(self, item: Item) -> None:
        self.seqs.append(item.seq)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_db")
def test_a_stream_that_left_never_drops_the_reader_another_is_joining() -> None:
    """A stream's clean-up runs twice; the second call came while a reconnecting stream
    of the same commune was joining a fresh reader, dropped it, and the new stream heard
    nothing more (the client test's failover flaked on it in CI)."""
    cast = make_cast()
    commune_id = cast.commune.pk

    async def scenario() -> tuple[int, list[int]]:
        hub = Hub(asyncio.get_running_loop())
        left, joining = _Recorder(), _Recorder()
        try:
            await hub.subscribe(commune_id, left)
            hub.unsubscribe(commune_id, left)  # the last one: its reader goes
            assert commune_id not in hub.readers
            joined = asyncio.ensure_future(hub.subscribe(commune_id, joining))
            await asyncio.sleep(0)  # it created the fresh reader and waits for it
            reader = hub.readers[commune_id]
            assert joining in reader.subscribers  # counted before the reader is ready
            await reader.ready.wait()
            hub.unsubscribe(commune_id, left)  # the old stream's second clean-up
            live_from = await joined
            assert hub.readers.get(commune_id) is reader
            assert reader.task is not None and not reader.task.done()
            await hub.db(publish, cast.commune, "Charte après la reconnexion.")
            hub.wake(commune_id, None)
            async with asyncio.timeout(WAIT):
                while not joining.seqs:
                    await asyncio.sleep(0.01)
            return live_from, joining.seqs
        finally:
            for each in list(hub.readers.values()):
                hub.drop(each)
            hub.executor.shutdown(wait=True)

    live_from, seqs = asyncio.run(scenario())
    assert seqs == [head(cast.commune)] == [live_from + 1]
