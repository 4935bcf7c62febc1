"""JSON API of the demo domain."""

from ninja import Router

router = Router(tags=["demo"])
