"""The devices: N `GET /api/v1/stream` connections held by this one process (aiohttp).

`python -m benchmarks.delivery.client DEVICES.json` reads a list of `[base_url, session_key]`,
opens every stream with its own session cookie (CONNECT_CONCURRENCY at a time), and once
each one has received its first bytes (the `retry:` line the server writes after the
stream joined its commune's reader) prints `{"ready": N, "connect_seconds": …}`.

Then it answers commands, one JSON line on stdin each, with one JSON line on stdout:

- `{"cmd": "wait", "kind": "incident.reported", "count": K, "timeout": S}`: wait until every
  stream holds K frames of that kind since the last `wait` (or S seconds), then answer, per
  frame key (the event's `payload.message`, else its `target_id`), the receipt time of each
  stream (CLOCK_MONOTONIC ns, null where it never came), the frame's size in bytes and
  whether it carried `sealed` content; frames are then forgotten.
- `{"cmd": "quit"}`.

A frame is stamped when the chunk that completes it arrives, before any parsing; frames
are parsed only once a round is over, so the measuring loop does as little as it can.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from typing import Any

import aiohttp

from benchmarks.sse.serve import raise_nofile

CONNECT_CONCURRENCY = 100
READY_TIMEOUT = 900.0


class Stream:
    __slots__ = ("base", "counts", "ended", "error", "frames", "key")

    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.key = key
        self.frames: list[tuple[int, bytes]] = []
        self.counts: dict[bytes, int] = {}
        self.ended = False
        self.error = ""


class Progress:
    def __init__(self, total: int) -> None:
        self.total = total
        self.connected = 0
        self.up = asyncio.Event()
        self.changed = asyncio.Event()


def _kind(frame: bytes) -> bytes:
    """`incident.reported` of `id: 12\\nevent: incident.reported\\ndata: …`, cheaply."""
    start = frame.find(b"event: ")
    if start < 0:
        return b""
    end = frame.find(b"\n", start)
    return frame[start + 7 : end]


async def follow(
    session: aiohttp.ClientSession, stream: Stream, gate: asyncio.Semaphore, progress: Progress
) -> None:
    headers = {"Accept": "text/event-stream", "Cookie": f"maillage_session={stream.key}"}
    buffer = b""
    try:
        async with gate:
            response = await session.get(f"{stream.base}/api/v1/stream", headers=headers)
            if response.status != 200:
                stream.error = f"{response.status} {(await response.text())[:200]}"
                return
            while b"\n\n" not in buffer:
                chunk = await response.content.readany()
                if not chunk:
                    stream.error = "ended before its first line"
                    return
                buffer += chunk
        buffer = buffer.split(b"\n\n", 1)[1]
        progress.connected += 1
        if progress.connected == progress.total:
            progress.up.set()
        frames, counts = stream.frames, stream.counts
        readany = response.content.readany
        while True:
            chunk = await readany()
            if not chunk:
                return
            now = time.monotonic_ns()
            buffer += chunk
            if b"\n\n" not in buffer:
                continue
            *complete, buffer = buffer.split(b"\n\n")
            for frame in complete:
                kind = _kind(frame)
                if kind and kind != b"heartbeat":
                    frames.append((now, frame))
                    counts[kind] = counts.get(kind, 0) + 1
            progress.changed.set()
    except (aiohttp.ClientError, OSError) as error:
        stream.error = repr(error)
    finally:
        stream.ended = True
        progress.changed.set()


def parse(frame: bytes) -> tuple[str, str, bool, str]:
    """(kind, key, sealed, the event's `at`) of one frame."""
    kind, data = "", "{}"
    for line in frame.decode().split("\n"):
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
    event: dict[str, Any] = json.loads(data)
    payload = event.get("payload") or {}
    key = payload.get("message") or payload.get("broadcast") or event.get("target_id") or ""
    return kind, str(key), "sealed" in event, str(event.get("at", ""))


async def wait_for(
    streams: list[Stream], progress: Progress, kind: str, count: int, timeout: float
) -> dict[str, Any]:
    wanted = kind.encode()
    deadline = time.monotonic() + timeout
    while True:
        done = all(s.counts.get(wanted, 0) >= count or s.ended for s in streams)
        left = deadline - time.monotonic()
        if done or left <= 0:
            break
        progress.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(progress.changed.wait(), min(left, 0.2))
    keys: dict[str, dict[str, Any]] = {}
    for index, stream in enumerate(streams):
        for stamp, frame in stream.frames:
            frame_kind, key, sealed, at = parse(frame)
            if frame_kind != kind:
                continue
            entry = keys.setdefault(
                key,
                {"at": [None] * len(streams), "bytes": len(frame) + 2, "sealed": 0, "event_at": at},
            )
            if entry["at"][index] is None:
                entry["at"][index] = stamp
                entry["sealed"] += int(sealed)
        stream.frames.clear()
        stream.counts.clear()
    ended = [i for i, s in enumerate(streams) if s.ended]
    return {"keys": keys, "ended": ended, "errors": [streams[i].error for i in ended[:5]]}


async def run(devices: list[tuple[str, str]]) -> None:
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None, sock_connect=120)
    jar = aiohttp.DummyCookieJar()
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=jar
    ) as session:
        streams = [Stream(base, key) for base, key in devices]
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        progress = Progress(len(streams))
        started = time.monotonic()
        tasks = [asyncio.create_task(follow(session, s, gate, progress)) for s in streams]
        async with asyncio.timeout(READY_TIMEOUT):
            while not progress.up.is_set():
                failed = [s for s in streams if s.ended]
                if failed:
                    print(json.dumps({"failed": len(failed), "error": failed[0].error}), flush=True)
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(progress.up.wait(), 1.0)
        print(
            json.dumps({"ready": len(streams), "connect_seconds": time.monotonic() - started}),
            flush=True,
        )
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            command = json.loads(line)
            if command["cmd"] == "quit":
                break
            if command["cmd"] == "wait":
                answer = await wait_for(
                    streams, progress, command["kind"], command["count"], command["timeout"]
                )
                print(json.dumps(answer), flush=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    raise_nofile()
    with open(sys.argv[1]) as file:
        devices = [(str(base), str(key)) for base, key in json.load(file)]
    if len(sys.argv) > 2 and sys.argv[2] == "uvloop":
        import uvloop

        uvloop.install()
    asyncio.run(run(devices))


if __name__ == "__main__":
    main()
