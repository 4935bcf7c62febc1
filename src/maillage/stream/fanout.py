"""One reader per process per commune; its rows handed to that commune's connections.

A reader holds the commune's last seq it has read. Woken by the bus (or by its safety
poll), it reads the rows after that seq in one query, renders each event's SSE frame once
and offers it to every connection of the commune, in memory; each connection filters with
the membership it loaded when it connected (no query per connection per event). Database
work runs in a small thread pool whose jobs close their connections as a request would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections

from maillage.stream.models import Event, EventHead

logger = logging.getLogger(__name__)

T = TypeVar("T")
BATCH = 500


@dataclass(frozen=True)
class Sealed:
    """What a recipient of an event's message receives with it (see stream.delivery)."""

    incident: str  # "" for a broadcast
    message: str  # the message's (or the broadcast's) public id
    recipients: frozenset[str]  # device public ids the envelope is addressed to
    body: dict[str, Any]  # as GET /incidents/{id}/messages (or GET /broadcasts) returns it
    # A broadcast is not: GET /broadcasts writes no access-log entry either.
    access_logged: bool = True


# events -> {seq: Sealed} for the events that carry a message (injected: stream is a low
# layer and must not import incidents).
Enrich = Callable[[list[Event]], dict[int, Sealed]]


def event_data(event: Event) -> dict[str, Any]:
    """The event as the stream sends it (docs/events.md, "The feed")."""
    return {
        "seq": event.seq,
        "kind": event.kind,
        "at": event.at.isoformat().replace("+00:00", "Z"),
        "actor_kind": event.actor_kind,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "member": str(event.member.public_id) if event.member is not None else None,
        "shop": str(event.shop.public_id) if event.shop is not None else None,
        "payload": event.payload,
    }


def frame(seq: int, kind: str, data: dict[str, Any]) -> bytes:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)
    return f"id: {seq}\nevent: {kind}\ndata: {text}\n\n".encode()


@dataclass(frozen=True)
class Item:
    """One event read from the log, rendered once for every connection."""

    event: Event
    frame: bytes
    sealed: Sealed | None = None
    sealed_frame: bytes | None = None

    @property
    def seq(self) -> int:
        return self.event.seq


def render(events: list[Event], enrich: Enrich | None) -> list[Item]:
    extras = enrich(events) if enrich is not None and events else {}
    items = []
    for event in events:
        data = event_data(event)
        sealed = extras.get(event.seq)
        sealed_frame = (
            frame(event.seq, event.kind, {**data, "sealed": sealed.body}) if sealed else None
        )
        items.append(Item(event, frame(event.seq, event.kind, data), sealed, sealed_frame))
    return items


def read_after(commune_id: int, after: int, upto: int | None, enrich: Enrich | None) -> list[Item]:
    """At most BATCH events after `after` (and up to `upto`), in seq order: one query."""
    rows = Event.objects.filter(commune_id=commune_id, seq__gt=after)
    if upto is not None:
        rows = rows.filter(seq__lte=upto)
    events = list(rows.select_related("member", "shop").order_by("seq")[:BATCH])
    return render(events, enrich)


def head_seq(commune_id: int) -> int:
    head = EventHead.objects.filter(commune_id=commune_id).values_list("seq", flat=True).first()
    return int(head or 0)


class Subscriber(Protocol):
    def offer(self, item: Item) -> None: ...


@dataclass(eq=False)
class CommuneReader:
    hub: Hub
    commune_id: int
    last_seq: int = 0
    subscribers: set[Subscriber] = field(default_factory=set)
    woken: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    failed: BaseException | None = None

    async def run(self) -> None:
        try:
            self.last_seq = await self.hub.db(head_seq, self.commune_id)
        except Exception as error:
            self.failed = error
            self.ready.set()
            self.hub.drop(self)
            return
        self.ready.set()
        poll = float(settings.STREAM_POLL_SECONDS)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.woken.wait(), poll)
            self.woken.clear()
            try:
                items = await self.hub.db(
                    read_after, self.commune_id, self.last_seq, None, self.hub.enrich
                )
            except Exception:
                logger.warning(
                    "Lecture du journal (commune %s) échouée", self.commune_id, exc_info=True
                )
                continue
            for item in items:
                if item.seq <= self.last_seq:
                    continue
                self.last_seq = item.seq
                for subscriber in list(self.subscribers):
                    subscriber.offer(item)
            if len(items) == BATCH:
                self.woken.set()


class Hub:
    """The process's readers, on one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, enrich: Enrich | None = None) -> None:
        self.loop = loop
        self.enrich = enrich
        self.readers: dict[int, CommuneReader] = {}
        self.batches: dict[Callable[[list[Any]], None], Batch] = {}
        self.executor = ThreadPoolExecutor(
            max_workers=int(settings.STREAM_DB_THREADS), thread_name_prefix="maillage-stream"
        )

    async def db(self, function: Callable[..., T], *args: Any) -> T:
        """Run ORM code off the event loop; its connections close as after a request."""
        return await self.loop.run_in_executor(self.executor, _job, function, args)

    async def db_batched(self, function: Callable[[list[Any]], None], item: Any) -> None:
        """`function([item, …])` in one job for every call made in the same turn of the
        loop; returns once the job that included `item` is done (or raises its error)."""
        batch = self.batches.get(function)
        if batch is None:
            batch = self.batches[function] = Batch(self, function)
        await batch.add(item)

    async def subscribe(self, commune_id: int, subscriber: Subscriber) -> int:
        """Join the commune's reader; returns the last seq it has read (the live start).

        The subscriber counts from the first instant, before the reader is ready: a stream
        that has just left (whose clean-up runs twice) must never find a reader with nobody
        in it and drop it under one that is joining — that one would then hear nothing."""
        reader = self.readers.get(commune_id)
        if reader is None:
            reader = self.readers[commune_id] = CommuneReader(self, commune_id)
            reader.task = self.loop.create_task(reader.run())
        reader.subscribers.add(subscriber)
        try:
            await reader.ready.wait()
        except BaseException:
            self._leave(reader, subscriber)
            raise
        if reader.failed is not None:
            reader.subscribers.discard(subscriber)
            raise reader.failed
        return reader.last_seq

    def unsubscribe(self, commune_id: int, subscriber: Subscriber) -> None:
        """Leave the commune's reader; harmless when called again or for another reader."""
        reader = self.readers.get(commune_id)
        if reader is not None and subscriber in reader.subscribers:
            self._leave(reader, subscriber)

    def _leave(self, reader: CommuneReader, subscriber: Subscriber) -> None:
        reader.subscribers.discard(subscriber)
        if not reader.subscribers:
            self.drop(reader)

    def drop(self, reader: CommuneReader) -> None:
        if self.readers.get(reader.commune_id) is reader:
            del self.readers[reader.commune_id]
        if reader.task is not None and reader.task is not asyncio.current_task():
            reader.task.cancel()

    def wake(self, commune_id: int | None, seq: int | None = None) -> None:
        """On the loop: `None` wakes every reader (the bus reconnected)."""
        if commune_id is None:
            for each in self.readers.values():
                each.woken.set()
            return
        reader = self.readers.get(commune_id)
        if reader is not None and (seq is None or seq > reader.last_seq):
            reader.woken.set()

    def wake_threadsafe(self, commune_id: int | None, seq: int | None = None) -> None:
        """From any thread (the `event_committed` receiver runs in the request's)."""
        if self.loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed in between
            self.loop.call_soon_threadsafe(self.wake, commune_id, seq)


@dataclass(eq=False)
class Batch:
    """Calls of one database function gathered while a job is pending, run as one job.

    A reader offers an event to every connection of its commune in one turn of the loop,
    so the access-log writes of its deliveries arrive together: one transaction on the
    commune's chain head instead of one each, queued on its lock (p99 1.2 s at 40 devices).
    """

    hub: Hub
    function: Callable[[list[Any]], None]
    pending: list[tuple[Any, asyncio.Future[None]]] = field(default_factory=list)
    running: bool = False

    async def add(self, item: Any) -> None:
        future: asyncio.Future[None] = self.hub.loop.create_future()
        self.pending.append((item, future))
        if not self.running:
            self.running = True
            self.hub.loop.create_task(self.drain())  # runs after this turn's other callers
        await future

    async def drain(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending, []
                error: BaseException | None = None
                try:
                    await self.hub.db(self.function, [item for item, _ in batch])
                except Exception as failure:
                    error = failure
                for _, future in batch:
                    if future.done():  # its connection went away meanwhile
                        continue
                    if error is None:
                        future.set_result(None)
                    else:
                        future.set_exception(error)
        finally:
            self.running = False


def _job(function: Callable[..., T], args: tuple[Any, ...]) -> T:
    close_old_connections()
    try:
        return function(*args)
    finally:
        close_old_connections()
