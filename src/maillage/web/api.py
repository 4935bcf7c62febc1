"""Public facts the app shell needs before sign-in."""

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["web"])


class MapOut(Schema):
    """The console map's tile source; an empty URL means a plain background."""

    tile_url: str
    attribution: str


class MetaOut(Schema):
    version: str
    demo_mode: bool
    languages: list[str]
    map: MapOut


@router.get("/meta", response=MetaOut, auth=None)
def meta(request: HttpRequest) -> MetaOut:
    return MetaOut(
        version="1",
        demo_mode=settings.DEMO_MODE,
        languages=[code for code, _ in settings.LANGUAGES],
        map=MapOut(tile_url=settings.MAP_TILE_URL, attribution=settings.MAP_TILE_ATTRIBUTION),
    )
