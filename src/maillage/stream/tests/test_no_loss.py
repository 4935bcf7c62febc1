"""Nothing lost (issue 8, item 9): two `maillage serve` processes on one PostgreSQL, 200
stream clients (maillage.client.stream) and 500 sealed reports POSTed through
maillage.client; one server is killed with SIGKILL in the middle of the burst, then
restarted on its port.

What must hold, read back from the commune's event log (the record):

- every client ends with every event it may see after its cursor (the log filtered by the
  policy's visibility rule for its member), exactly once and in order, with no resync;
- every report answered 2xx is in the log, once;
- the clients of the killed server resumed on the other one (Last-Event-ID), and those
  sent back once it restarted resumed there, both while reports were still coming in.

The clients start from the head read in the log before they connect (as a page starts
from its snapshot's cursor): a cursorless stream loses nothing only from its first event
on, and a client cut before any event would come back at the head.

The servers need committed rows in a database they can open: the test makes its own
(maillage_noloss_<random>), migrates and seeds it, and drops it whatever happens; the
servers are killed with it. Sizes: MAILLAGE_NOLOSS_CLIENTS, MAILLAGE_NOLOSS_REPORTS. Every
wait is generous and nothing is timed (speed is the delivery benchmark's business).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection

from maillage.access.roles import Role
from maillage.client.device import MemberDevice
from maillage.client.http import ClientApiError, MaillageClient
from maillage.client.stream import StreamClient, StreamEvent
from maillage.members.models import Membership
from maillage.stream.fanout import head_seq
from maillage.stream.kinds import Kind
from maillage.stream.models import Event
from maillage.stream.tests.live import LoopThread, wait_until
from maillage.stream.visibility import visible_to
from maillage.testing import seed
from maillage.testing.servers import ServerProcess, own_database, server_processes
from maillage.wire.envelope import Binding, Sealed

CLIENTS = int(os.environ.get("MAILLAGE_NOLOSS_CLIENTS", "200"))
REPORTS = int(os.environ.get("MAILLAGE_NOLOSS_REPORTS", "500"))
POSTERS = 10  # merchant devices sending the reports, one shop each, at once
SHOPS = 40
KILL_AT = 0.25  # share of the reports answered when the first server is killed
HOLD_AT = 0.6  # no report beyond this share is sent before clients were sent back
WAIT = 120.0  # generous: the whole burst must have been delivered by then


@dataclass
class Listener:
    """One stream client, what it received and where it was connected then."""

    membership_id: int
    first: int  # index of the server it starts on
    # (seq, kind, server index, number of the stream it came on: 1 first, 2 after a cut …);
    # an event without a seq id would show as -1, and be wrong.
    received: list[tuple[int, str, int, int]] = field(default_factory=list)
    client: StreamClient | None = None

    def record(self, event: StreamEvent, urls: list[str]) -> None:
        assert self.client is not None
        server = urls.index(self.client.url)
        seq = -1 if event.seq is None else event.seq
        self.received.append((seq, event.event, server, self.client.counters.connects))


@dataclass
class Posted:
    incident: str
    answered_at: float
    attempts: int


class Poster:
    """A shop's device (maillage.client) that reports through either server: its session
    is in the database, so one cookie serves both."""

    def __init__(self, urls: list[str], member: str) -> None:
        self.clients = [MaillageClient(url, timeout=60) for url in urls]
        self.device = MemberDevice(self.clients[0], label="Test sans perte")
        self.device.sign_in_demo(member)
        for other in self.clients[1:]:
            other.http.cookies = self.clients[0].http.cookies
        # The directory once, as a device that caches it (the burst is about delivery).
        self.directory = self.device.client.recipients()

    def seal(self, text: str) -> tuple[str, Sealed]:
        incident = str(uuid.uuid4())
        binding = Binding(commune=self.device.commune, incident=incident, message=str(uuid.uuid4()))
        sealed, _ = self.device.seal(binding, self.directory, text=text, attachments=[])
        return incident, sealed

    def post(self, incident: str, sealed: Sealed, first: int) -> int:
        """POST until one server answers 2xx, alternating servers on a transport failure or
        a 5xx (the report's ids make a retry idempotent); returns the attempts made."""
        attempts = 0
        deadline = time.monotonic() + WAIT
        while True:
            client = self.clients[(first + attempts) % len(self.clients)]
            attempts += 1
            try:
                client.report(incident, sealed)
                return attempts
            except httpx.TransportError:
                pass
            except ClientApiError as error:
                if error.status < 500:
                    raise
            if time.monotonic() > deadline:
                raise AssertionError(f"signalement {incident} jamais accepté")
            time.sleep(0.05)

    def close(self) -> None:
        for client in self.clients:
            client.close()


@pytest.fixture
def noloss_database(django_db_blocker: Any) -> Iterator[str]:
    if connection.vendor != "postgresql":
        pytest.skip("plusieurs processus serveurs : PostgreSQL seulement")
    with django_db_blocker.unblock(), own_database("maillage_noloss") as url:
        yield url


class Timeline:
    """Where the test's time went, printed as it goes (pytest shows it with a failure):
    for reading a slow or failed run, never asserted."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def mark(self, what: str) -> None:
        print(f"[sans perte] {time.monotonic() - self.started:6.1f} s  {what}", flush=True)


def seed_commune() -> tuple[seed.SeededCommune, list[seed.Seeded], list[seed.Seeded]]:
    """The streams' members and the posters, in a demo commune (the posters sign in
    through the demo sign-in, as the simulator does).

    Every role that sees something different: the police (they see every report, with its
    envelope: they are its recipients), a coordinator and an observer (no incident at
    all), merchants (their own shop's only). Half the posting shops have one streaming
    merchant device besides the poster, a recipient of its shop's reports; the other
    merchants are in shops that do not post, and must see none of the burst.

    Recipients are few on purpose: each sealed delivery writes its access-log entry
    before it is sent, one transaction on the commune's access-log head, and this test
    is about loss, not about that throughput (the delivery benchmark measures it).
    """
    made = seed.make_commune(shops=SHOPS)
    posting, quiet = made.shops[:POSTERS], made.shops[POSTERS:]
    posters = seed.add_members(made, Role.MERCHANT, POSTERS, prefix="Émetteur", shops=posting)
    others = [
        *seed.add_members(made, Role.OPERATOR, 1, prefix="Opérateur"),
        *seed.add_members(made, Role.AGENT, 1, prefix="Agent"),
        *seed.add_members(made, Role.OBSERVER, 1, prefix="Observation"),
    ]
    left = max(0, CLIENTS - len(others) - 1)
    neighbours = min(left, POSTERS // 2)
    merchants = [
        *seed.add_members(made, Role.MERCHANT, neighbours, prefix="Voisin", shops=posting[::2]),
        *seed.add_members(made, Role.MERCHANT, left - neighbours, prefix="Commerçant", shops=quiet),
    ]
    listeners = [made.coordinator, *others, *merchants][:CLIENTS]
    seed.sign_in(listeners)
    return made, listeners, posters


def test_nothing_is_lost_when_a_server_is_killed_mid_burst(
    noloss_database: str, loop: LoopThread, tmp_path: Path
) -> None:
    timeline = Timeline()
    env = {
        **os.environ,
        "DATABASE_URL": noloss_database,
        "MAILLAGE_DEBUG": "0",
        "MAILLAGE_DEMO": "true",
        "MAILLAGE_LOG_LEVEL": "WARNING",
        "MAILLAGE_DATA_DIR": str(tmp_path / "data"),
        "MAILLAGE_MEDIA_ROOT": str(tmp_path / "media"),
        "MAILLAGE_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    # The servers start (a few seconds of imports) while this process seeds.
    with server_processes(2, env, tmp_path, ready=False) as servers:
        made, members, poster_members = seed_commune()
        timeline.mark(f"commune semée ({len(members)} flux, {len(poster_members)} émetteurs)")
        for server in servers:
            server.wait_ready()
        timeline.mark("serveurs prêts")
        urls = [server.url for server in servers]
        with ThreadPoolExecutor(len(poster_members)) as pool:
            posters = list(
                pool.map(lambda m: Poster(urls, str(m.membership.public_id)), poster_members)
            )
        try:
            timeline.mark("émetteurs connectés")
            run_burst(loop, servers, posters, members, made.commune.pk, timeline)
        finally:
            for poster in posters:
                poster.close()


def run_burst(
    loop: LoopThread,
    servers: list[ServerProcess],
    posters: list[Poster],
    members: list[seed.Seeded],
    commune_id: int,
    timeline: Timeline,
) -> None:
    urls = [server.url for server in servers]
    killed, other = 0, 1
    start = head_seq(commune_id)
    listeners = [Listener(m.membership.pk, first=i % 2) for i, m in enumerate(members)]

    async def open_all() -> None:
        for listener, member in zip(listeners, members, strict=True):
            order = urls[listener.first :] + urls[: listener.first]

            def record(event: StreamEvent, listener: Listener = listener) -> None:
                listener.record(event, urls)

            listener.client = StreamClient(
                order,
                member.session_key,
                last_event_id=start,
                on_event=record,
                backoff_initial=0.1,
                backoff_max=2.0,
                # A server busy with a hundred reconnections and the burst on a loaded
                # machine may take more than the default 10 s to answer.
                connect_timeout=30.0,
                dedupe=False,  # a repeat must show, not be hidden by the client
            ).start()
        for listener in listeners:
            assert listener.client is not None
            await listener.client.wait_connected(WAIT)

    async def close_all() -> None:
        for listener in listeners:
            if listener.client is not None:
                await listener.client.close()

    posted: list[Posted] = []
    lock = threading.Lock()
    sent_back = threading.Event()
    errors: list[BaseException] = []

    def post_from(number: int) -> None:
        poster = posters[number]
        try:
            for index in range(number, REPORTS, len(posters)):
                if index >= REPORTS * HOLD_AT:
                    sent_back.wait(WAIT)
                # Sealed just before its POST, as the app does.
                incident, sealed = poster.seal(f"Signalement {index + 1} de la rafale.")
                attempts = poster.post(incident, sealed, first=index % 2)
                with lock:
                    posted.append(Posted(incident, time.monotonic(), attempts))
        except BaseException as error:  # reported once the burst is over
            errors.append(error)

    try:
        loop.call(open_all(), timeout=WAIT)
        timeline.mark("flux ouverts")
        assert all(listener.client.connected for listener in listeners if listener.client)
        threads = [threading.Thread(target=post_from, args=(n,)) for n in range(len(posters))]
        for thread in threads:
            thread.start()
        try:
            wait_until(
                lambda: len(posted) >= REPORTS * KILL_AT or bool(errors),
                WAIT,
                "le quart des signalements",
            )
            timeline.mark(f"SIGKILL après {len(posted)} signalements acceptés")
            servers[killed].kill()
            killed_at = time.monotonic()
            servers[killed].start()
            servers[killed].wait_ready()
            restarted_at = time.monotonic()
            timeline.mark(f"redémarré, {len(posted)} acceptés")
            # Every stream of the killed server has opened one on the other server.
            first_on_killed = [ls for ls in listeners if ls.first == killed]
            wait_for_streams(
                first_on_killed,
                lambda ls: opened(ls, urls[other], 1, now=False),
                "la bascule des flux du serveur tué",
            )
            # Half of those now on the other server are sent back, as a load balancer
            # would rebalance, while reports keep coming.
            back = [ls for ls in first_on_killed if ls.client and ls.client.index == other][::2]
            for listener in back:
                assert listener.client is not None
                loop.soon(listener.client.reconnect, urls[killed])
            wait_for_streams(
                back, lambda ls: opened(ls, urls[killed], 2), "le retour sur le serveur redémarré"
            )
            sent_back.set()
            timeline.mark(f"{len(back)} flux renvoyés, {len(posted)} acceptés")
        finally:
            sent_back.set()
            for thread in threads:
                thread.join(WAIT)
        timeline.mark(f"rafale finie, {len(posted)} acceptés")
        assert not errors, errors[0]
        assert len(posted) == REPORTS
        # The kill fell mid-burst: reports were answered before it and after the restart.
        assert any(p.answered_at < killed_at for p in posted)
        assert any(p.answered_at > restarted_at for p in posted)
        check_delivered(listeners, commune_id, start)
        timeline.mark("tout reçu")
        check_every_answered_report_is_logged(posted, commune_id, start)
        check_failover(listeners, killed, other, back)
    finally:
        loop.call(close_all(), timeout=WAIT)


def wait_for_streams(
    listeners: list[Listener], condition: Callable[[Listener], bool], what: str
) -> None:
    """Until every listener meets the condition; else fail naming those that do not."""
    try:
        wait_until(lambda: all(condition(ls) for ls in listeners), WAIT, what)
    except AssertionError as error:
        late = [describe(ls) for ls in listeners if not condition(ls)]
        raise AssertionError(f"{error} ; {len(late)} flux :\n" + "\n".join(late[:10])) from None


def describe(listener: Listener) -> str:
    client = listener.client
    if client is None:
        return f"membre {listener.membership_id}: pas de client"
    return (
        f"membre {listener.membership_id} (parti de {listener.first}): {client.url} "
        f"connecté={client.connected} {client.counters} dernière erreur={client.last_error}"
    )


def opened(listener: Listener, url: str, streams: int, *, now: bool = True) -> bool:
    """Connected (to `url` if `now`), after opening at least `streams` streams on `url`."""
    client = listener.client
    return (
        client is not None
        and client.connected
        and (client.url == url or not now)
        and client.counters.by_url.get(url, 0) >= streams
    )


def expected_seqs(commune_id: int, start: int, listeners: list[Listener]) -> dict[int, list[int]]:
    """Per member: the seqs after `start` the visibility rule lets it see, in log order."""
    events = list(
        Event.objects.filter(commune_id=commune_id, seq__gt=start)
        .select_related("member", "shop")
        .order_by("seq")
    )
    members = Membership.objects.in_bulk([ls.membership_id for ls in listeners])
    return {
        pk: [event.seq for event in events if visible_to(event, membership)]
        for pk, membership in members.items()
    }


def check_delivered(listeners: list[Listener], commune_id: int, start: int) -> None:
    expected = expected_seqs(commune_id, start, listeners)
    kinds = dict(
        Event.objects.filter(commune_id=commune_id, seq__gt=start).values_list("seq", "kind")
    )

    def caught_up() -> bool:
        return all(len(ls.received) >= len(expected[ls.membership_id]) for ls in listeners)

    with contextlib.suppress(AssertionError):
        wait_until(caught_up, WAIT, "la réception de tout le journal")
    time.sleep(0.5)  # a repeat sent after the last expected event would show now
    wrong = []
    for listener in listeners:
        want = expected[listener.membership_id]
        got = [seq for seq, *_ in listener.received]
        if got != want:
            counts = Counter(got)
            wrong.append(
                f"membre {listener.membership_id}: {len(got)} reçus pour {len(want)} attendus; "
                f"manquants {sorted(set(want) - set(got))[:10]}, "
                f"en trop {sorted(set(got) - set(want))[:10]}, "
                f"répétés {sorted(s for s, n in counts.items() if n > 1)[:10]}"
            )
        assert all(kinds.get(seq) == kind for seq, kind, *_ in listener.received), (
            "un événement reçu sous un autre type que celui du journal"
        )
    assert not wrong, f"{len(wrong)} flux sur {len(listeners)} :\n" + "\n".join(wrong[:10])
    for listener in listeners:
        assert listener.client is not None
        assert listener.client.counters.resyncs == 0
        assert listener.client.counters.duplicates == 0
    # The burst reached the streams: the police saw every report.
    assert max(len(want) for want in expected.values()) >= REPORTS


def check_every_answered_report_is_logged(
    posted: list[Posted], commune_id: int, start: int
) -> None:
    logged = Counter(
        Event.objects.filter(
            commune_id=commune_id, seq__gt=start, kind=Kind.INCIDENT_REPORTED
        ).values_list("target_id", flat=True)
    )
    answered = [p.incident for p in posted]
    assert len(set(answered)) == len(answered) == REPORTS
    missing = [incident for incident in answered if logged[incident] != 1]
    assert not missing, f"{len(missing)} signalements acceptés absents ou doublés du journal"
    assert sum(logged.values()) == REPORTS


def check_failover(
    listeners: list[Listener], killed: int, other: int, back: list[Listener]
) -> None:
    """The killed server's clients opened their next stream on the other server and got
    events through it; those sent back opened a third one on the restarted server and got
    events through it too."""
    first_on_killed = [ls for ls in listeners if ls.first == killed]
    for listener in first_on_killed:
        assert listener.client is not None
        assert listener.client.counters.by_url.get(listener.client.targets[1].base, 0) >= 1
    assert any(
        server == other and stream >= 2
        for ls in first_on_killed
        for _, _, server, stream in ls.received
    )
    for listener in back:
        assert listener.client is not None
        assert listener.client.counters.by_url[listener.client.targets[0].base] >= 2
    assert any(
        server == killed and stream >= 3 for ls in back for _, _, server, stream in ls.received
    )
