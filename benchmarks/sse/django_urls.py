"""`/api/v1/stream` as a Django async view, then the product's URLs."""

from __future__ import annotations

from collections.abc import AsyncIterator

from django.http import HttpRequest, StreamingHttpResponse
from django.urls import path

from benchmarks.sse.hub import HELLO, hub
from maillage.urls import urlpatterns as product_urlpatterns


async def stream(request: HttpRequest) -> StreamingHttpResponse:
    """Same frames as the lean endpoint; Django's ASGI handler ends it on disconnect."""
    import benchmarks.sse.app as app

    fanout = hub(app.FANOUT)

    async def frames() -> AsyncIterator[bytes]:
        yield HELLO
        async for seq, frame in fanout.listen():
            yield frame
            # Resumed: Django's handler has sent the frame.
            if seq:
                fanout.mark_delivered(seq)

    response = StreamingHttpResponse(frames(), content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"
    return response


urlpatterns = [path("api/v1/stream", stream), *product_urlpatterns]
