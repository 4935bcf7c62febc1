"""Public facts the app shell needs before sign-in."""

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["web"])


class MetaOut(Schema):
    version: str
    demo_mode: bool
    languages: list[str]


@router.get("/meta", response=MetaOut, auth=None)
def meta(request: HttpRequest) -> MetaOut:
    return MetaOut(
        version="1",
        demo_mode=settings.DEMO_MODE,
        languages=[code for code, _ in settings.LANGUAGES],
    )
