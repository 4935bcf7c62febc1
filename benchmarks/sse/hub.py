"""Fan-out primitives compared by the benchmark: one publish wakes every open stream.

Three shapes, same interface (`listen()` yields frames, `publish()` wakes listeners):

- `queue`: one `asyncio.Queue` per connection; publish puts the frame in each.
- `event`: one shared `asyncio.Event` per generation and a short ring of frames; a
  listener keeps its cursor and reads what it missed (the product's "re-read the log
  from the cursor" shape); publish swaps the Event and sets the old one.
- `condition`: one shared `asyncio.Condition`; publish notifies all under its lock, each
  listener re-takes the lock to read (the textbook shape).

Every hub also records, per event, when the last connection's send returned, so the
server-side fan-out time can be told apart from the client's own reading time.
"""

from __future__ import annotations

import abc
import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator

HEARTBEAT = b": keep-alive\n\n"
HEARTBEAT_SECONDS = 15.0
HELLO = b": ok\n\n"
RING = 64


class Fanout(abc.ABC):
    name = "base"

    def __init__(self) -> None:
        self.listeners = 0
        self.seq = 0
        self.sent_ns: dict[int, int] = {}
        self.delivered: dict[int, int] = {}
        self.last_delivery_ns: dict[int, int] = {}

    def frame(self) -> tuple[int, bytes]:
        """The next event, shaped like the product's wire form (docs/events.md)."""
        self.seq += 1
        sent = time.monotonic_ns()
        self.sent_ns[self.seq] = sent
        data = json.dumps(
            {
                "seq": self.seq,
                "kind": "incident.reported",
                "at": "2026-12-02T07:30:00.123456Z",
                "actor": {
                    "kind": "member",
                    "member": "6f1c2a0e-8d7b-4c39-9a51-2f0d8e4b7c11",
                    "device": "0b9e7d52-3a14-4f6e-8c2d-71a5e9f30b48",
                },
                "target": {"type": "incident", "id": "c3d8f1a2-5e6b-4a79-b0c4-98e2d7f61a35"},
                "member": None,
                "shop": "4a2e9c17-b8d3-4f05-a6e1-3c7b0d92f584",
                "payload": {"message": "e7b1c4d9-2f6a-4e83-9d05-b18a3c7e2f60", "attachments": 1},
                "sent_ns": sent,
            },
            separators=(",", ":"),
        )
        return self.seq, f"id: {self.seq}\nevent: event\ndata: {data}\n\n".encode()

    def mark_delivered(self, seq: int) -> None:
        self.delivered[seq] = self.delivered.get(seq, 0) + 1
        self.last_delivery_ns[seq] = time.monotonic_ns()

    def stats(self) -> dict[str, object]:
        return {
            "fanout": self.name,
            "listeners": self.listeners,
            "events": {
                str(seq): {
                    "delivered": self.delivered.get(seq, 0),
                    "last_ms": (self.last_delivery_ns.get(seq, sent) - sent) / 1e6,
                }
                for seq, sent in self.sent_ns.items()
            },
        }

    @abc.abstractmethod
    async def publish(self) -> int:
        """Wake every listener with the next event; its seq."""

    @abc.abstractmethod
    def listen(self) -> AsyncIterator[tuple[int, bytes]]:
        """One connection's events as (seq, frame)."""


class QueueFanout(Fanout):
    name = "queue"

    def __init__(self) -> None:
        super().__init__()
        self._queues: set[asyncio.Queue[tuple[int, bytes]]] = set()

    async def publish(self) -> int:
        item = self.frame()
        for queue in self._queues:
            queue.put_nowait(item)
        return item[0]

    async def listen(self) -> AsyncIterator[tuple[int, bytes]]:
        queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
        self._queues.add(queue)
        self.listeners += 1
        try:
            while True:
                try:
                    async with asyncio.timeout(HEARTBEAT_SECONDS):
                        item = await queue.get()
                except TimeoutError:
                    yield 0, HEARTBEAT
                    continue
                yield item
        finally:
            self._queues.discard(queue)
            self.listeners -= 1


class EventFanout(Fanout):
    name = "event"

    def __init__(self) -> None:
        super().__init__()
        self._ring: deque[tuple[int, bytes]] = deque(maxlen=RING)
        self._wake = asyncio.Event()

    async def publish(self) -> int:
        item = self.frame()
        self._ring.append(item)
        wake, self._wake = self._wake, asyncio.Event()
        wake.set()
        return item[0]

    async def listen(self) -> AsyncIterator[tuple[int, bytes]]:
        cursor = self.seq
        self.listeners += 1
        try:
            while True:
                if self.seq == cursor:
                    wake = self._wake
                    try:
                        async with asyncio.timeout(HEARTBEAT_SECONDS):
                            await wake.wait()
                    except TimeoutError:
                        yield 0, HEARTBEAT
                        continue
                missed = [item for item in self._ring if item[0] > cursor]
                for item in missed:
                    cursor = item[0]
                    yield item
        finally:
            self.listeners -= 1


class ConditionFanout(Fanout):
    name = "condition"

    def __init__(self) -> None:
        super().__init__()
        self._ring: deque[tuple[int, bytes]] = deque(maxlen=RING)
        self._condition = asyncio.Condition()

    async def publish(self) -> int:
        async with self._condition:
            item = self.frame()
            self._ring.append(item)
            self._condition.notify_all()
        return item[0]

    async def listen(self) -> AsyncIterator[tuple[int, bytes]]:
        cursor = self.seq
        self.listeners += 1
        try:
            while True:
                seen = cursor

                def fresh(seen: int = seen) -> bool:
                    return self.seq > seen

                async with self._condition:
                    try:
                        async with asyncio.timeout(HEARTBEAT_SECONDS):
                            await self._condition.wait_for(fresh)
                    except TimeoutError:
                        missed = None
                    else:
                        missed = [item for item in self._ring if item[0] > cursor]
                if missed is None:
                    yield 0, HEARTBEAT
                    continue
                for item in missed:
                    cursor = item[0]
                    yield item
        finally:
            self.listeners -= 1


FANOUTS: dict[str, type[Fanout]] = {
    cls.name: cls for cls in (QueueFanout, EventFanout, ConditionFanout)
}
_hub: Fanout | None = None


def hub(name: str) -> Fanout:
    """The process's one hub, created on first use (inside the server's event loop)."""
    global _hub
    if _hub is None:
        _hub = FANOUTS[name]()
    return _hub
