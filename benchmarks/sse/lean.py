"""The bare ASGI SSE endpoint (no framework), shaped like the product's will be.

`text/event-stream`, `id:`/`event:`/`data:` frames, a heartbeat comment, one `send` (one
flush) per event; a disconnect from the client (`http.disconnect`) ends the stream at
once, so a closed connection holds nothing. Also the benchmark-only control routes:
`POST /bench/publish` (one event to every stream) and `GET /bench/stats`.
"""

from __future__ import annotations

import asyncio
import json
import os

from benchmarks.sse.hub import HELLO, Fanout
from maillage.shield import Receive, Scope, Send

STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-store"),
    (b"x-accel-buffering", b"no"),
]


async def stream(hub: Fanout, receive: Receive, send: Send) -> None:
    main = asyncio.current_task()
    assert main is not None
    gone = False

    async def watch() -> None:
        nonlocal gone
        while (await receive())["type"] != "http.disconnect":
            pass
        gone = True
        main.cancel()

    watcher = asyncio.create_task(watch())
    try:
        await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS})
        await send({"type": "http.response.body", "body": HELLO, "more_body": True})
        async for seq, frame in hub.listen():
            await send({"type": "http.response.body", "body": frame, "more_body": True})
            if seq:
                hub.mark_delivered(seq)
    except asyncio.CancelledError:
        if not gone:
            raise
    finally:
        watcher.cancel()


async def _json(send: Send, status: int, body: object) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def control(hub: Fanout, scope: Scope, receive: Receive, send: Send) -> None:
    if scope["path"] == "/bench/publish" and scope["method"] == "POST":
        await _json(send, 200, {"seq": await hub.publish()})
    elif scope["path"] == "/bench/stats":
        await _json(send, 200, {"pid": os.getpid(), **hub.stats()})
    else:
        await _json(send, 404, {"code": "not_found"})
