"""The duty rules' one clock: what "now" is when asking whether the police is on duty.

Production reads the real time. Tests set it (`set_now`, or the `duty_clock` fixture in
maillage.duty.tests.conftest and the browser tests): a module global, so the live server
threads of the same test process (pytest-django's live_server, the stream's uvicorn thread)
read the same value. The system time is never touched, and nothing else reads this clock:
certificates, sessions and presence heartbeats keep the real time (a heartbeat is a fact
about a connection, not a rule about the calendar).
"""

from __future__ import annotations

import threading
from datetime import datetime

from django.utils import timezone

_lock = threading.Lock()
_fixed: datetime | None = None


def now() -> datetime:
    """The current instant (aware), or the one a test set."""
    with _lock:
        fixed = _fixed
    return fixed if fixed is not None else timezone.now()


def set_now(at: datetime | None) -> None:
    """Fix the clock at `at` (aware), or back to the real time with None."""
    global _fixed
    if at is not None and timezone.is_naive(at):
        raise ValueError("L'horloge de permanence attend une date avec fuseau horaire.")
    with _lock:
        _fixed = at


def reset() -> None:
    set_now(None)
