"""JSON API of the trust domain."""

from ninja import Router

router = Router(tags=["trust"])
