"""The Python stream client: the frame parser on awkward chunkings, and against a real
server (uvicorn in a thread): it fails over past a dead address, resumes after its last
event id with nothing lost or repeated, counts heartbeats, and stops on a refused session.
Deliveries are awaited with generous timeouts, never timed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from maillage.client.stream import SseParser, StreamClient, StreamEvent, StreamRefused
from maillage.members.models import Role
from maillage.members.tests.factory import make_cast
from maillage.stream.tests.helpers import head, since
from maillage.stream.tests.live import WAIT, LoopThread, free_port, live_db, loop, serve, wait_until
from maillage.stream.tests.test_stream_live import key, publish

__all__ = ["live_db", "loop"]  # the fixtures, shared with the stream tests

# --- the parser -------------------------------------------------------------------------


def frames_of(chunks: list[bytes]) -> list[tuple[str | None, str, str, bool]]:
    parser = SseParser()
    out = []
    for chunk in chunks:
        out += [(f.id, f.event, f.data, f.has_data) for f in parser.feed(chunk)]
    return out


STREAM = (
    b"retry: 3000\n\n"
    b": a comment\n"
    b'id: 7\nevent: charter.published\ndata: {"seq":7}\n\n'
    b"event: heartbeat\ndata: {}\n\n"
    b"data: first line\ndata: second\n\n"
    b"id: 9\n\n"
    b'id: 10\nevent: resync\ndata:{"seq":10}\n\n'
)
EXPECTED = [
    ("7", "charter.published", '{"seq":7}', True),
    (None, "heartbeat", "{}", True),
    (None, "message", "first line\nsecond", True),
    ("9", "message", "", False),
    ("10", "resync", '{"seq":10}', True),
]


def test_the_parser_reads_every_kind_of_frame_in_one_chunk() -> None:
    parser = SseParser()
    got = [(f.id, f.event, f.data, f.has_data) for f in parser.feed(STREAM)]
    assert got == EXPECTED
    assert parser.comments == 1
    assert parser.retry_ms == 3000


def test_the_parser_gives_the_same_frames_byte_by_byte_and_with_crlf_or_cr() -> None:
    assert frames_of([STREAM[i : i + 1] for i in range(len(STREAM))]) == EXPECTED
    crlf = STREAM.replace(b"\n", b"\r\n")
    assert frames_of([crlf[i : i + 1] for i in range(len(crlf))]) == EXPECTED
    assert frames_of([crlf[i : i + 5] for i in range(0, len(crlf), 5)]) == EXPECTED
    # A lone CR at the very end may be half of a CRLF: the frame waits for the next byte.
    assert frames_of([STREAM.replace(b"\n", b"\r"), b": more\r"]) == EXPECTED


def test_the_parser_skips_a_bom_keeps_utf8_split_across_chunks_and_ignores_a_nul_id() -> None:
    text = 'data: {"texte":"Événement à l\'étalage"}\n\n'.encode()
    cut = text.index("É".encode()) + 1  # inside the two bytes of É
    got = frames_of([b"\xef\xbb", b"\xbf" + text[:cut], text[cut:], b"id: 1\x002\ndata: x\n\n"])
    assert got == [
        (None, "message", '{"texte":"Événement à l\'étalage"}', True),
        (None, "message", "x", True),
    ]


# --- against a real server --------------------------------------------------------------


@pytest.fixture
def server(settings: Any) -> Iterator[str]:
    settings.STREAM_HEARTBEAT_SECONDS = 0.3
    settings.STREAM_POLL_SECONDS = 30.0
    with serve() as base:
        yield base


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_db")
def test_it_fails_over_past_a_dead_server_and_resumes_after_its_last_event(
    server: str, loop: LoopThread
) -> None:
    cast = make_cast()
    commune = cast.commune
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    received: list[StreamEvent] = []
    start = head(commune)
    session = key(cast[Role.COORDINATOR])

    async def open_() -> StreamClient:
        client = StreamClient(
            [dead, server],
            session,
            last_event_id=start,
            on_event=received.append,
            backoff_initial=0.05,
            seed=1,
        ).start()
        await client.wait_connected(WAIT)
        return client

    client: StreamClient = loop.call(open_())
    try:
        assert client.url == server
        assert client.counters.failures >= 1  # the dead address first
        publish(commune, "Charte 1.")
        publish(commune, "Charte 2.")
        wait_until(lambda: len(received) == 2, what="deux événements")

        # Cut on purpose: the next attempt goes to the dead address, then back here; what
        # is committed meanwhile is replayed after the last event id.
        loop.soon(client.reconnect)
        publish(commune, "Charte 3.")
        publish(commune, "Charte 4.")
        wait_until(lambda: len(received) == 4, what="quatre événements")
        wait_until(lambda: client.connected, what="reconnecté")
        publish(commune, "Charte 5.")
        wait_until(lambda: len(received) == 5, what="cinq événements")

        expected = [event.seq for event in since(commune, start)]
        assert [event.seq for event in received] == expected
        assert {event.event for event in received} == {"charter.published"}
        assert received[0].json()["seq"] == expected[0]
        assert client.last_event_id == str(expected[-1])
        counters = client.counters
        assert counters.connects == 2 and counters.by_url == {server: 2}
        assert counters.drops == 1 and counters.duplicates == 0 and counters.resyncs == 0
        wait_until(lambda: client.counters.heartbeats > 0, what="un battement")
    finally:
        loop.call(client.close())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_db")
def test_the_async_iterator_yields_events_and_a_refused_session_stops_the_client(
    server: str, loop: LoopThread
) -> None:
    cast = make_cast()
    session = key(cast[Role.MERCHANT])

    async def open_() -> StreamClient:
        client = StreamClient(server, session).start()
        await client.wait_connected(WAIT)
        return client

    async def first_event(client: StreamClient) -> StreamEvent:
        async with asyncio.timeout(WAIT):
            async for event in client:
                return event
        raise AssertionError("aucun événement")

    client = loop.call(open_())
    publish(cast.commune, "Charte itérée.")
    event = loop.call(first_event(client))
    loop.call(client.close())
    assert event.event == "charter.published" and client.counters.connects == 1

    async def refused() -> StreamClient:
        client = StreamClient(server, "pas-une-session", backoff_initial=0.05).start()
        with pytest.raises(StreamRefused) as caught:
            await client.wait_connected(WAIT)
        assert caught.value.status == 401 and caught.value.code == "unauthenticated"
        with pytest.raises(StreamRefused):
            async for _ in client:
                pass
        await client.close()
        return client

    client = loop.call(refused())
    assert client.refused is not None
    assert client.counters.attempts == 1 and client.counters.connects == 0
