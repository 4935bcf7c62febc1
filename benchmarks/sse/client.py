"""The measuring client: N SSE connections from this one process (aiohttp).

`python -m benchmarks.sse.client URL N ROUNDS INTERVAL` opens N streams, waits until the
server counts N listeners, prints `{"ready": …}` and waits for a line on stdin (the
driver reads the server's RSS meanwhile); then it publishes one warm-up event and ROUNDS
measured ones, INTERVAL seconds apart, through `POST /bench/publish`, and prints the
latencies (receipt time minus the server's publish time, both CLOCK_MONOTONIC) as one
JSON line. Receipt is stamped before any parsing; frames are parsed after each round.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp

from benchmarks.sse.serve import raise_nofile

CONNECT_CONCURRENCY = 200
READY_TIMEOUT = 600.0
ROUND_TIMEOUT = 20.0


class Stream:
    __slots__ = ("frames",)

    def __init__(self) -> None:
        self.frames: list[tuple[int, bytes]] = []


class Progress:
    """Counts streams up and events received, so waiting costs no scan of N streams."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.connected = 0
        self.up = asyncio.Event()
        self.received = 0
        self.all_received = asyncio.Event()


async def _follow(
    session: aiohttp.ClientSession,
    url: str,
    stream: Stream,
    gate: asyncio.Semaphore,
    progress: Progress,
) -> None:
    async with gate:
        response = await session.get(url, headers={"Accept": "text/event-stream"})
        await response.content.readuntil(b"\n\n")
    progress.connected += 1
    if progress.connected == progress.total:
        progress.up.set()
    frames = stream.frames
    read = response.content.readuntil
    try:
        while True:
            chunk = await read(b"\n\n")
            if not chunk:
                return
            frames.append((time.monotonic_ns(), chunk))
            if chunk[0] != 58:  # not a ":" comment (heartbeat)
                progress.received += 1
                if progress.received == progress.total:
                    progress.all_received.set()
    finally:
        response.close()


def _latency(chunk: bytes, received: int) -> tuple[int, float] | None:
    if chunk.startswith(b":"):
        return None
    data = chunk.split(b"\ndata: ", 1)[1]
    event = json.loads(data)
    return event["seq"], (received - event["sent_ns"]) / 1e6


async def run(url: str, count: int, rounds: int, interval: float) -> dict[str, object]:
    base = url.split("/api/", 1)[0]
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None, sock_connect=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        streams = [Stream() for _ in range(count)]
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        progress = Progress(count)
        started = time.monotonic()
        tasks = [asyncio.create_task(_follow(session, url, s, gate, progress)) for s in streams]
        async with asyncio.timeout(READY_TIMEOUT):
            all_up = asyncio.ensure_future(progress.up.wait())
            while not progress.up.is_set():
                failed = [t for t in tasks if t.done() and t.exception()]
                if failed:
                    raise RuntimeError(f"{len(failed)} streams failed: {failed[0].exception()!r}")
                await asyncio.wait([all_up], timeout=1.0)
            while True:
                async with session.get(f"{base}/bench/stats") as response:
                    stats = await response.json()
                if stats["listeners"] >= count:
                    break
                await asyncio.sleep(0.1)
        connect_seconds = time.monotonic() - started
        print(json.dumps({"ready": count, "connect_seconds": connect_seconds}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

        per_round: list[dict[str, float]] = []
        latencies: list[float] = []
        missing = 0
        for index in range(rounds + 1):
            began = time.monotonic()
            for s in streams:
                s.frames.clear()
            progress.received = 0
            progress.all_received.clear()
            async with session.post(f"{base}/bench/publish") as response:
                seq = (await response.json())["seq"]
            try:
                async with asyncio.timeout(ROUND_TIMEOUT):
                    await progress.all_received.wait()
            except TimeoutError:
                pass
            round_latencies = []
            for s in streams:
                for received, chunk in s.frames:
                    parsed = _latency(chunk, received)
                    if parsed is not None and parsed[0] == seq:
                        round_latencies.append(parsed[1])
            if index == 0:
                continue  # warm-up
            missing += count - len(round_latencies)
            latencies.extend(round_latencies)
            per_round.append(summary(round_latencies))
            await asyncio.sleep(max(0.0, began + interval - time.monotonic()))
        async with session.get(f"{base}/bench/stats") as response:
            stats = await response.json()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    server_ms = sorted(e["last_ms"] for k, e in stats["events"].items() if k != "1")
    return {
        "connections": count,
        "connect_seconds": connect_seconds,
        "missing": missing,
        "overall": summary(latencies),
        "rounds": per_round,
        "server_last_send_ms": server_ms,
    }


def quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile of sorted values."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(q * len(values) + 0.5) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "n": len(values),
        "p50": quantile(values, 0.50),
        "p95": quantile(values, 0.95),
        "p99": quantile(values, 0.99),
        "max": values[-1] if values else float("nan"),
    }


def main() -> None:
    raise_nofile()
    url, count, rounds, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    if len(sys.argv) > 5 and sys.argv[5] == "uvloop":
        import uvloop

        uvloop.install()
    result = asyncio.run(run(url, count, rounds, float(interval)))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
