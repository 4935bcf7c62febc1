"""ASGI entry point served by uvicorn (`maillage serve`): inside the body limit, the live
stream's own lean app for exactly `GET /api/v1/stream` (stream.sse), Django for the rest;
so an oversized request is refused before its body is read."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
django_application = get_asgi_application()


from maillage.shield import BodyLimit, Receive, Scope, Send  # noqa: E402
from maillage.stream import ticker  # noqa: E402
from maillage.stream.sse import STREAM_PATH, stream_app  # noqa: E402


async def lifespan(receive: Receive, send: Send) -> None:
    """The server process's periodic jobs (stream.ticker: the neighbour alerts' expiry)
    run from its start to its shutdown."""
    tasks = []
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            tasks = ticker.start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await ticker.stop(tasks)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    elif scope["type"] == "http" and scope["path"] == STREAM_PATH:
        await stream_app(scope, receive, send)
    else:
        await django_application(scope, receive, send)


application = BodyLimit(dispatch)
