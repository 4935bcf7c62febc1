"""Delivery channels behind one interface, as healthchecks' integrations are: a transport
takes one payload for one device's address and says what happened, without raising.

    outcome = transport.send(target, payload)   # Outcome(result, status, detail, seconds)

The worker (push/worker.py) records every outcome as an Attempt and decides the rest:
`TEMPORARY` is retried with backoff, `PERMANENT` is not, and `gone` disables the address.
Web Push is the one server-initiated transport today; the stream (SSE) is a channel the
device pulls, so its health comes from presence (push/channels.py), not from attempts.
SMS or bridge transports of later issues implement the same `send`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

import requests
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from maillage.push.models import Attempt

Result = Attempt.Result

# RFC 8030 §5: a push message's body is limited by the push service to at least 4096
# bytes; RFC 8291's aes128gcm adds 86 bytes of header, a 16-byte tag and one pad byte.
MAX_PAYLOAD = 4096 - 86 - 16 - 1


@dataclass(frozen=True)
class Outcome:
    result: str  # Attempt.Result
    status: int | None
    detail: str
    seconds: float
    # The address itself is dead (the subscription expired or was withdrawn).
    gone: bool = False
    retry_after: float | None = None


@dataclass(frozen=True)
class Target:
    """Where one device is reached on one transport (a push subscription, later a phone)."""

    address: str
    keys: dict[str, str]


class Transport(Protocol):
    name: str

    def send(self, target: Target, payload: bytes, *, urgency: str, ttl: int) -> Outcome: ...


def classify(status: int | None, retry_after: str | None = None) -> tuple[str, bool, float | None]:
    """RFC 8030 answers: 201 delivered; 404/410 the subscription is gone; 413 too big and
    400/401/403 refused (the same request would be refused again); 429 and 5xx or no answer
    at all are temporary."""
    wait = None
    if retry_after and retry_after.strip().isdigit():
        wait = float(retry_after.strip())
    if status is not None and 200 <= status < 300:
        return Result.OK, False, None
    if status in (404, 410):
        return Result.PERMANENT, True, None
    if status is None or status == 429 or status >= 500:
        return Result.TEMPORARY, False, wait
    return Result.PERMANENT, False, None


class WebPush:
    """RFC 8030 delivery of an RFC 8291 (aes128gcm) payload signed with our VAPID key
    (RFC 8292), through pywebpush."""

    name = "webpush"

    def __init__(self, signer: Vapid, contact: str) -> None:
        self.signer = signer
        self.contact = contact
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        """One connection pool per sending thread (a Session is not thread-safe)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def send(self, target: Target, payload: bytes, *, urgency: str, ttl: int) -> Outcome:
        started = time.perf_counter()
        status: int | None = None
        retry_after: str | None = None
        detail = ""
        try:
            response = webpush(
                subscription_info={"endpoint": target.address, "keys": target.keys},
                data=payload,
                vapid_private_key=self.signer,
                vapid_claims={"sub": self.contact},
                ttl=ttl,
                timeout=settings.PUSH_TIMEOUT_SECONDS,
                headers={"Urgency": urgency},
                requests_session=self.session,
            )
            status = getattr(response, "status_code", None)
        except WebPushException as error:
            answered = error.response
            status = getattr(answered, "status_code", None)
            headers = getattr(answered, "headers", None) or {}
            retry_after = headers.get("Retry-After")
            detail = f"HTTP {status}" if status is not None else type(error).__name__
        except (requests.RequestException, OSError) as error:
            detail = type(error).__name__
        seconds = time.perf_counter() - started
        result, gone, wait = classify(status, retry_after)
        return Outcome(result, status, detail[:200], seconds, gone, wait)
