"""Rate limits as django-ninja throttles: `throttle=[per_client("passkey_verify")]`.

ninja runs throttles after authentication and before the body is parsed, and answers a
refusal with 429 and Retry-After (the French message is maillage.api's handler). Keys:
anonymous endpoints count per client address (an IPv6 client per /64, the block one
machine usually holds), member endpoints per membership. Nothing is ever counted per
target account, so nobody can lock a member out of their own sign-in (docs/decisions.md).
"""

from __future__ import annotations

import ipaddress
import threading

from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from maillage.limits import actions

_waits = threading.local()


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR: uvicorn sets it from X-Forwarded-For only for trusted proxies."""
    raw = str(request.META.get("REMOTE_ADDR") or "unknown")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if address.version == 6 and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address.ipv4_mapped or address) if address.version == 6 else str(address)


class NamedLimit(BaseThrottle):
    def __init__(self, name: str, *, per_member: bool) -> None:
        actions.rule(name)  # a misspelt limit fails at import, not at the first request
        self.name = name
        self.per_member = per_member

    def client(self, request: HttpRequest) -> str:
        if self.per_member:
            auth = getattr(request, "auth", None)
            member = getattr(auth, "pk", None)
            if member is not None:
                return f"member:{member}"
        return f"ip:{client_address(request)}"

    def allow_request(self, request: HttpRequest) -> bool:
        wait = actions.hit(self.name, self.client(request))
        _waits.value = wait
        return wait is None

    def wait(self) -> float | None:
        return getattr(_waits, "value", None)


def per_client(name: str) -> NamedLimit:
    return NamedLimit(name, per_member=False)


def per_member(name: str) -> NamedLimit:
    return NamedLimit(name, per_member=True)
