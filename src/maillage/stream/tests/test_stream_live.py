"""The live stream against a real server (uvicorn in a thread, the real ASGI app): what a
member receives, replay by Last-Event-ID, resync, filtering, sealed content, and the end
of a suspended member's stream. Deliveries are awaited with a generous timeout, never
timed (speed is the benchmark's business)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.members.tests.factory import make_cast, make_commune, make_member, suspend
from maillage.stream.action import CLI
from maillage.stream.tests.helpers import head, since
from maillage.stream.tests.live import SseClient, serve, session_key_of
from maillage.territory import actions as territory_actions

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_db")]


@pytest.fixture
def server(settings: Any) -> Iterator[str]:
    settings.STREAM_HEARTBEAT_SECONDS = 0.3
    settings.STREAM_POLL_SECONDS = 30.0  # deliveries come from the wake-up, not the poll
    with serve() as base:
        yield base


@pytest.fixture
def streams() -> Iterator[Any]:
    opened: list[SseClient] = []

    def open_(*args: Any, **kwargs: Any) -> SseClient:
        opened.append(SseClient(*args, **kwargs))
        return opened[-1]

    yield open_
    for stream in opened:
        stream.close()


def key(persona: factory.Persona) -> str:
    return session_key_of(persona.client())


def publish(commune: Any, text: str = "Charte révisée.") -> None:
    from maillage.members import actions as member_actions

    member_actions.publish_charter(CLI, commune, f"{text} Texte complet de la charte.")


def test_a_member_receives_an_event_committed_by_an_http_action(server: str, streams: Any) -> None:
    cast = make_cast()
    listener = streams(server, key(cast[Role.MERCHANT]))
    assert listener.status == 200
    assert listener.headers is not None
    assert listener.headers["content-type"].startswith("text/event-stream")
    assert listener.headers["x-accel-buffering"] == "no"

    coordinator = httpx.Client(
        base_url=server, cookies={"maillage_session": key(cast[Role.COORDINATOR])}
    )
    coordinator.get("/api/v1/session")
    answer = coordinator.post(
        "/api/v1/charter",
        json={"text": "Charte v2 : nouvelles règles."},
        headers={"X-CSRFToken": coordinator.cookies["maillage_csrf"]},
    )
    assert answer.status_code == 201, answer.text
    coordinator.close()

    received = listener.until("charter.published")
    event = received[-1]
    last = since(cast.commune, 0)[-1]
    assert event.id == str(last.seq)
    assert event.data["seq"] == last.seq
    assert event.data["kind"] == "charter.published"
    assert event.data["actor_kind"] == "member"
    assert event.data["target_type"] == "charterversion"
    assert event.data["payload"] == last.payload
    assert set(event.data) == {
        "seq", "kind", "at", "actor_kind", "target_type", "target_id", "member", "shop",
        "payload",
    }  # fmt: skip
    # Nothing was replayed: without a cursor the stream starts at the head.
    assert [e.event for e in received] == ["charter.published"]
    assert _wait_heartbeat(listener)


def _wait_heartbeat(listener: SseClient) -> bool:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if listener.heartbeats:
            return True
        time.sleep(0.1)
    return False


def test_last_event_id_replays_what_was_missed_exactly_once_and_in_order(
    server: str, streams: Any
) -> None:
    cast = make_cast()
    commune = cast.commune
    session = key(cast[Role.COORDINATOR])
    cursor = head(commune)
    for n in range(3):
        publish(commune, f"Charte {n}.")
    missed = [event.seq for event in since(commune, cursor)]
    assert len(missed) == 3

    replay = streams(server, session, last_event_id=cursor)
    got = [replay.next() for _ in missed]
    assert [int(e.id) for e in got if e] == missed
    publish(commune, "Charte en direct.")
    live = replay.next()
    assert live is not None and int(live.id) == missed[-1] + 1
    assert replay.pending() == []  # no duplicate of anything already sent

    # The same with ?after= for clients that cannot set headers.
    by_query = streams(server, session, after=missed[0])
    assert [int(by_query.next().id) for _ in range(3)] == [missed[1], missed[2], missed[2] + 1]


def test_a_cursor_out_of_the_replay_window_or_unknown_gets_resync(
    server: str, streams: Any, settings: Any
) -> None:
    settings.STREAM_REPLAY = 2
    cast = make_cast()
    commune = cast.commune
    session = key(cast[Role.COORDINATOR])
    for n in range(3):
        publish(commune, f"Charte {n}.")
    now = head(commune)
    for cursor in (now - 3, now + 50, "n'importe quoi"):
        stream = streams(server, session, last_event_id=cursor)
        first = stream.next()
        assert first is not None
        assert (first.event, first.data, first.id) == ("resync", {"seq": now}, str(now))
        publish(commune, "Suite.")
        now += 1
        following = stream.next()
        assert following is not None and following.data["seq"] == now
    within = streams(server, session, last_event_id=now - 2)
    assert [within.next().data["seq"] for _ in range(2)] == [now - 1, now]


def test_another_communes_and_another_shops_events_never_arrive(server: str, streams: Any) -> None:
    cast = make_cast()
    commune = cast.commune
    merchant = cast[Role.MERCHANT]
    listener = streams(server, key(merchant))
    observer = streams(server, key(cast[Role.OBSERVER]))
    before = head(commune)

    other_shop = make_member(Role.MERCHANT, commune)  # another shop of the same commune
    make_commune()  # another commune's whole set-up
    territory_actions.create_sector(CLI, commune, name="Quartier de la gare")
    publish(commune, "Fin de l'essai.")

    received = listener.until("charter.published")
    log = {event.seq: event for event in since(commune, before)}
    for event in received:
        row = log[event.data["seq"]]
        assert (row.kind, row.target_id) == (event.event, event.data["target_id"])
        assert row.shop_id in (None, merchant.shop.pk)
    kinds = [event.event for event in received]
    assert "shop.created" not in kinds  # the other merchant's shop
    assert other_shop.shop.pk not in {log[e.data["seq"]].shop_id for e in received}
    assert "sector.created" in kinds
    # The observer sees no territory and no member events; the charter, yes.
    seen = [event.event for event in observer.until("charter.published")]
    assert seen == ["charter.published"]


def test_a_suspended_members_stream_closes_after_the_suspension(server: str, streams: Any) -> None:
    cast = make_cast()
    merchant = cast[Role.MERCHANT]
    session = key(merchant)
    stream = streams(server, session)
    suspend(merchant)
    last = stream.until("member.suspended")[-1]
    assert last.data["member"] == str(merchant.membership.public_id)
    assert stream.next() is None  # and then the stream ends
    assert stream.ended.wait(5)
    again = streams(server, session)
    assert again.status == 401
    assert again.error_body["code"] == "access_revoked"


def test_refusals_are_structured_json(server: str, streams: Any) -> None:
    anonymous = streams(server, None)
    assert anonymous.status == 401
    assert anonymous.error_body["code"] == "unauthenticated"
    assert anonymous.error_body["message"]
    assert set(anonymous.error_body) == {"code", "message", "field"}
    forged = streams(server, "pas-une-session")
    assert (forged.status, forged.error_body["code"]) == (401, "unauthenticated")
    posted = httpx.post(f"{server}/api/v1/stream")
    assert posted.status_code == 405
    assert posted.json()["code"] == "method_not_allowed"
    # Other paths still go to Django.
    assert httpx.get(f"{server}/api/v1/stream/").json()["code"] == "not_found"


def test_a_stream_whose_session_ended_elsewhere_closes_at_its_next_recheck(
    server: str, streams: Any, settings: Any
) -> None:
    settings.STREAM_RECHECK_SECONDS = 0.5
    cast = make_cast()
    session = key(cast[Role.AGENT])
    stream = streams(server, session)
    assert stream.status == 200
    from importlib import import_module

    import_module(settings.SESSION_ENGINE).SessionStore(session_key=session).delete()
    assert stream.ended.wait(15)
