"""The benchmark's ASGI application: Django for every path, as `maillage.asgi` serves it,
with `/api/v1/stream` answered either by the lean ASGI endpoint beside Django (path
dispatch, `SSE_BENCH_STREAM=lean`) or by a Django async view (`SSE_BENCH_STREAM=django`).
`SSE_BENCH_FANOUT` picks the fan-out primitive (benchmarks/sse/hub.py).
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.sse.django_settings")

from benchmarks.sse import lean
from benchmarks.sse.hub import hub
from maillage.asgi import application as django_application

STREAM = os.environ.get("SSE_BENCH_STREAM", "lean")
FANOUT = os.environ.get("SSE_BENCH_FANOUT", "queue")
STREAM_PATH = "/api/v1/stream"


async def application(scope: lean.Scope, receive: lean.Receive, send: lean.Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path.startswith("/bench/"):
        await lean.control(hub(FANOUT), scope, receive, send)
    elif path == STREAM_PATH and STREAM == "lean" and scope["method"] == "GET":
        await lean.stream(hub(FANOUT), receive, send)
    else:
        await django_application(scope, receive, send)
