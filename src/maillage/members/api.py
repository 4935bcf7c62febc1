"""JSON API of the members domain."""

from ninja import Router

router = Router(tags=["members"])
