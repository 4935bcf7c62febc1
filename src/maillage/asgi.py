"""ASGI entry point served by uvicorn (`maillage serve`): inside the body limit, the live
stream's own lean app for exactly `GET /api/v1/stream` (stream.sse), Django for the rest;
so an oversized request is refused before its body is read."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
django_application = get_asgi_application()


from maillage.shield import BodyLimit, Receive, Scope, Send  # noqa: E402
from maillage.stream.sse import STREAM_PATH, stream_app  # noqa: E402


async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http" and scope["path"] == STREAM_PATH:
        await stream_app(scope, receive, send)
    else:
        await django_application(scope, receive, send)


application = BodyLimit(dispatch)
