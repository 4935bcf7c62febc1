"""`GET /api/v1/stream`: the commune's event log as Server-Sent Events, a plain ASGI app.

Served beside Django (maillage.asgi dispatches this one path here, inside the body limit):
a stream is long-lived and does little, so it skips Django's request machinery. It
authenticates once, at connection, with the Django session cookie exactly as the API
does (members.sessions.load_access), then joins its commune's reader (stream.fanout).

An interface module, like an api.py: it composes members and the sealed delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.http import parse_cookie

from maillage.access.policy import dispatched_incidents, sectors_reached
from maillage.access.roles import MembershipStatus, Role
from maillage.duty.presence import present
from maillage.members.models import MemberSession, Membership
from maillage.members.sessions import ACCESS_REVOKED_MESSAGE, AccessEnded, load_access
from maillage.shield import Receive, Scope, Send, _send_json, error_payload
from maillage.stream import bus, viewer
from maillage.stream.delivery import log_deliveries, sealed_for
from maillage.stream.fanout import Hub, Item, head_seq, read_after
from maillage.stream.kinds import Kind
from maillage.trust.models import Device

logger = logging.getLogger(__name__)

STREAM_PATH = "/api/v1/stream"
RETRY_MS = 3000
# A named event, not a comment: page scripts never see comments, and a phone whose
# network vanished without closing the connection is only noticed by silence.
HEARTBEAT = b"event: heartbeat\ndata: {}\n\n"

UNAUTHENTICATED = "Connectez-vous pour recevoir les nouvelles en direct."
NO_DEVICE = (
    "Cet appareil n'est pas encore enregistré : ouvrez l'application pour l'enregistrer, "
    "puis reconnectez le flux."
)
METHOD = "Le flux en direct s'ouvre avec GET."
UNAVAILABLE = "Flux en direct momentanément indisponible : nouvelle tentative sous peu."

CLOSING_KINDS = frozenset({Kind.MEMBER_SUSPENDED.value, Kind.MEMBER_REVOKED.value})
_LIVE = frozenset({MembershipStatus.ACTIVE, MembershipStatus.PENDING})


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


@dataclass(frozen=True)
class StreamAccess:
    session_key: str
    membership: Membership
    device: Device

    @property
    def certified(self) -> bool:
        return viewer.certified(self.membership, self.device)

    def signature(self) -> tuple[str, str, int | None, str, str, frozenset[int], frozenset[str]]:
        """What visibility depends on: a change means the client must reload (resync)."""
        m = self.membership
        return (
            m.status,
            m.role,
            m.shop_id,
            str(self.device.status),
            str(self.device.pk),
            sectors_reached(m),
            dispatched_incidents(m) if m.role == Role.AGENT else frozenset(),
        )


def authenticate(session_key: str | None) -> StreamAccess | Refusal:
    """The same reading of the session as the API middleware, without its writes (the next
    API call of that browser flushes an ended session)."""
    if not session_key:
        return Refusal(401, "unauthenticated", UNAUTHENTICATED)
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    try:
        access = load_access(store)
    except AccessEnded:
        return Refusal(401, "access_revoked", ACCESS_REVOKED_MESSAGE)
    if access is None:
        ended = MemberSession.objects.filter(
            session_key=session_key, ended_at__isnull=False
        ).exists()
        if ended:
            return Refusal(401, "access_revoked", ACCESS_REVOKED_MESSAGE)
        return Refusal(401, "unauthenticated", UNAUTHENTICATED)
    if access.membership.status not in _LIVE:
        return Refusal(401, "access_revoked", ACCESS_REVOKED_MESSAGE)
    if access.device is None:
        return Refusal(403, "device_required", NO_DEVICE)
    # Read here: the loop checks events without queries.
    sectors_reached(access.membership)
    if access.membership.role == Role.AGENT:
        dispatched_incidents(access.membership)
    return StreamAccess(session_key, access.membership, access.device)


def recheck(session_key: str) -> StreamAccess | None:
    result = authenticate(session_key)
    return result if isinstance(result, StreamAccess) else None


# --- the process's hub ------------------------------------------------------------------

_hub: Hub | None = None
_listener: asyncio.Task[None] | None = None


def hub() -> Hub:
    """The hub of the running loop (one per server process; a new loop gets a new one)."""
    global _hub, _listener
    loop = asyncio.get_running_loop()
    if _hub is None or _hub.loop is not loop:
        if _hub is not None:
            bus.remove_local_listener(_hub.wake_threadsafe)
            _hub.executor.shutdown(wait=False)
        _hub = Hub(loop, enrich=sealed_for)
        bus.add_local_listener(_hub.wake_threadsafe)
        from django.db import connection

        if connection.vendor == "postgresql":
            _listener = loop.create_task(bus.listen(_hub.wake))
    return _hub


# --- one connection ---------------------------------------------------------------------


def parse_cursor(value: str | None) -> int | str | None:
    """None without a cursor; "bad" for one that cannot be a seq (it gets a resync)."""
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if not value.isdigit() or len(value) > 18:
        return "bad"
    return int(value)


class Closed(Exception):
    """This stream must end (its member or device was suspended or revoked)."""


class Connection:
    def __init__(self, hub: Hub, access: StreamAccess, send: Send) -> None:
        self.hub = hub
        self.access = access
        self.send = send
        self.cursor = 0
        self.queue: asyncio.Queue[Item] = asyncio.Queue()
        self.overflow = False
        self.limit = int(settings.STREAM_QUEUE)
        self.replaying = False
        self.checked = 0.0

    # Called by the reader, on the loop, for every event of the commune: no query here.
    def offer(self, item: Item) -> None:
        if item.seq <= self.cursor or self.overflow:
            return
        if self.visible(item) or self.control(item) is not None:
            if self.queue.qsize() >= self.limit:
                self.overflow = True  # too slow a client: cut, it resumes with its cursor
            self.queue.put_nowait(item)

    def visible(self, item: Item) -> bool:
        return viewer.sees(self.access.membership, self.access.device, item)

    def control(self, item: Item) -> str | None:
        """ "close" after sending, "recheck" the access, or None."""
        event, membership = item.event, self.access.membership
        if event.kind in CLOSING_KINDS and event.member_id == membership.pk:
            return "close"
        mine = event.target_type == "device" and event.target_id == str(
            self.access.device.public_id
        )
        if event.kind == Kind.DEVICE_REVOKED and mine:
            return "close"
        if event.kind == Kind.REVOCATION_LIST_PUBLISHED:
            return "recheck"
        # The sectors a merchant receives changed (their shop moved, or the mairie redrew
        # the neighbours): read them again, off the loop.
        if membership.role == Role.MERCHANT and (
            event.kind == Kind.SECTOR_NEIGHBOURS_CHANGED
            or (event.kind == Kind.SHOP_UPDATED and event.shop_id == membership.shop_id)
        ):
            return "recheck"
        # An agent sent to an incident: from now on it sees that incident's events.
        if (
            membership.role == Role.AGENT
            and event.kind == Kind.INCIDENT_DISPATCHED
            and str(membership.public_id) in (event.payload.get("agents") or ())
        ):
            return "recheck"
        if event.member_id == membership.pk and event.kind in {
            Kind.DEVICE_CERTIFIED,
            Kind.MEMBER_REINSTATED,
            Kind.MEMBER_ENROLLED,
        }:
            return "recheck"
        return None

    def sealed_for_me(self, item: Item) -> bool:
        return viewer.gets_sealed(self.access.membership, self.access.device, item)

    async def deliver(self, item: Item) -> None:
        if item.seq <= self.cursor:
            return
        self.cursor = item.seq
        control = self.control(item)
        if self.visible(item):
            payload = item.frame
            if self.sealed_for_me(item) and item.sealed is not None and item.sealed_frame:
                # Logged before it leaves, as a fetch is (a broadcast's fetch is not).
                if item.sealed.access_logged:
                    await self.hub.db_batched(
                        log_deliveries, (self.access.membership, self.access.device, item.sealed)
                    )
                payload = item.sealed_frame
            await self.write(payload)
        if control == "close" and not self.replaying:
            raise Closed
        if control is not None:
            # Replayed history (a suspension since lifted) closes only if access ended.
            await self.recheck_access()

    async def recheck_access(self) -> None:
        self.checked = asyncio.get_running_loop().time()
        fresh = await self.hub.db(recheck, self.access.session_key)
        if fresh is None:
            raise Closed
        if fresh.signature() != self.access.signature():
            self.access = fresh
            await self.resync(self.cursor)

    async def write(self, data: bytes) -> None:
        await self.send({"type": "http.response.body", "body": data, "more_body": True})

    async def resync(self, seq: int) -> None:
        self.cursor = seq
        body = json.dumps({"seq": seq})
        await self.write(f"id: {seq}\nevent: resync\ndata: {body}\n\n".encode())

    async def subscribe(self) -> int:
        """Join the commune's reader before the response starts: once a client sees its
        200, every event committed after that is on its way to it, cursor or not."""
        return await self.hub.subscribe(self.access.membership.commune_id, self)

    async def run(self, requested: int | str | None, live_from: int) -> None:
        """After `subscribe`; leaves the reader whatever happens."""
        commune_id = self.access.membership.commune_id
        try:
            await self.write(f"retry: {RETRY_MS}\n\n".encode())
            await self.start(commune_id, requested, live_from)
            heartbeat = float(settings.STREAM_HEARTBEAT_SECONDS)
            every = float(settings.STREAM_RECHECK_SECONDS)
            loop = asyncio.get_running_loop()
            self.checked = loop.time()
            while not self.overflow:
                try:
                    item = await asyncio.wait_for(self.queue.get(), heartbeat)
                except TimeoutError:
                    await self.write(HEARTBEAT)
                else:
                    await self.deliver(item)
                if loop.time() - self.checked > every:
                    # Signed out elsewhere, session expired: no event says so.
                    await self.recheck_access()
        except Closed:
            pass
        finally:
            self.hub.unsubscribe(commune_id, self)

    async def start(self, commune_id: int, requested: int | str | None, live_from: int) -> None:
        """Replay (cursor, live_from] from the log, or resync; the queue holds what follows."""
        if requested is None:
            self.cursor = live_from
            return
        if isinstance(requested, str):
            await self.resync(live_from)
            return
        if requested > live_from:
            # This process's reader may lag the log a little; the log decides.
            head = await self.hub.db(head_seq, commune_id)
            if requested > head:
                await self.resync(live_from)
                return
            self.cursor = requested
            return
        if live_from - requested > int(settings.STREAM_REPLAY):
            await self.resync(live_from)
            return
        self.cursor = requested
        after = requested
        self.replaying = True
        try:
            while after < live_from:
                items = await self.hub.db(read_after, commune_id, after, live_from, self.hub.enrich)
                if not items:
                    break
                for item in items:
                    await self.deliver(item)
                after = items[-1].seq
        finally:
            self.replaying = False


# --- the ASGI callable ------------------------------------------------------------------


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def stream_app(scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI app of GET /api/v1/stream."""
    if scope["type"] != "http":
        return
    if scope["method"] != "GET":
        body = json.dumps(error_payload("method_not_allowed", METHOD), ensure_ascii=False)
        await send(
            {
                "type": "http.response.start",
                "status": 405,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"allow", b"GET"),
                    (b"content-length", str(len(body.encode())).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})
        return
    cookies = parse_cookie(_header(scope, b"cookie") or "")
    key = cookies.get(settings.SESSION_COOKIE_NAME)
    if key is not None and "\x00" in key:
        key = None
    cursor_text = _header(scope, b"last-event-id")
    if cursor_text is None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        cursor_text = (query.get("after") or [None])[0]
    requested = parse_cursor(cursor_text)
    started = False
    try:
        current = hub()
        result = await current.db(authenticate, key)
        if isinstance(result, Refusal):
            await _send_json(send, result.status, error_payload(result.code, result.message))
            return
        connection = Connection(current, result, send)
        live_from = await connection.subscribe()
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream; charset=utf-8"),
                        (b"cache-control", b"no-store"),
                        (b"x-accel-buffering", b"no"),
                        (b"x-content-type-options", b"nosniff"),
                    ],
                }
            )
            started = True
            streaming = asyncio.ensure_future(connection.run(requested, live_from))
            disconnect = asyncio.ensure_future(_until_disconnect(receive))
            # A police device's open stream makes the police reachable (maillage.duty).
            async with present(current.db, result.membership, result.device, result.certified):
                done, pending = await asyncio.wait(
                    {streaming, disconnect}, return_when=asyncio.FIRST_COMPLETED
                )
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if streaming in done and streaming.exception() is not None:
                raise streaming.exception()  # type: ignore[misc]
        finally:
            # Also when the stream's task was cancelled before it began.
            current.unsubscribe(result.membership.commune_id, connection)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except OSError:
        return  # the client went away mid-write
    except Exception:
        logger.exception("Flux en direct interrompu")
        if not started:
            await _send_json(send, 503, error_payload("stream_unavailable", UNAVAILABLE))
        else:
            with contextlib.suppress(Exception):  # the connection may already be gone
                await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _until_disconnect(receive: Receive) -> None:
    while True:
        message: Any = await receive()
        if message["type"] == "http.disconnect":
            return
