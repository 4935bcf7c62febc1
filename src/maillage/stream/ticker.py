"""Periodic jobs of a server process: registered by the domains (in their AppConfig.ready),
run by `maillage serve` from its ASGI lifespan (maillage.asgi), each in a worker thread
whose database connections close as after a request.

A job may also run as soon as an event is committed in its process (`on_events`): the
push worker then sends within milliseconds of a report instead of within a tick, and the
tick remains for what other processes committed (docs/decisions.md, "Web Push").

A job must be safe to run in every server process at once: it claims its rows atomically
(the neighbour alerts' expiry: docs/decisions.md, "Neighbour alerts"). A failing run is
logged and retried at the next tick; nothing here is the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from maillage.stream import bus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    seconds: float
    function: Callable[[], object]
    on_events: bool = False


_jobs: dict[str, Job] = {}


def every(
    seconds: float, name: str, function: Callable[[], object], *, on_events: bool = False
) -> None:
    """Run `function()` every `seconds` in each server process (registered once by name),
    and with `on_events` also right after an event of this process commits."""
    _jobs[name] = Job(name, max(float(seconds), 0.5), function, on_events)


def forget(name: str) -> None:
    """Unregister a job (tests)."""
    _jobs.pop(name, None)


def now() -> datetime:
    """The timers' "now": the real time, or the instant written in
    `MAILLAGE_TIMER_CLOCK_FILE` (ISO 8601 with its offset), read at each call so that a
    test moves the clock of several server processes at once. Refused in production."""
    path = settings.TIMER_CLOCK_FILE
    if path:
        try:
            written = Path(path).read_text(encoding="utf-8").strip()
        except OSError:
            written = ""
        if written:
            at = datetime.fromisoformat(written)
            if timezone.is_naive(at):
                raise ValueError("MAILLAGE_TIMER_CLOCK_FILE : date sans fuseau horaire.")
            return at
    return timezone.now()


def jobs() -> list[Job]:
    return list(_jobs.values())


def run_once(job: Job) -> None:
    close_old_connections()
    try:
        job.function()
    except Exception:
        logger.warning("Tâche périodique %s échouée", job.name, exc_info=True)
    finally:
        close_old_connections()


async def _loop(job: Job) -> None:
    if not job.on_events:
        while True:
            await asyncio.sleep(job.seconds)
            await asyncio.to_thread(run_once, job)
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()

    def wake(commune_id: int | None, seq: int | None) -> None:
        # From whichever thread committed; events committed during a run wake the next.
        with contextlib.suppress(RuntimeError):  # the loop is closing
            loop.call_soon_threadsafe(woken.set)

    bus.add_local_listener(wake)
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), job.seconds)
            woken.clear()
            await asyncio.to_thread(run_once, job)
    finally:
        bus.remove_local_listener(wake)


def start() -> list[asyncio.Task[None]]:
    """On the running loop: one task per job."""
    loop = asyncio.get_running_loop()
    return [loop.create_task(_loop(job)) for job in jobs()]


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
