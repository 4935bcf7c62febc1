"""JSON API of the territory domain."""

from ninja import Router

router = Router(tags=["territory"])
