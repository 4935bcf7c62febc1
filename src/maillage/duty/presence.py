"""Which police devices are connected to the live stream, across server processes.

The stream (stream/sse.py) holds `present(...)` around each connection; everything else
asks `operators_connected(commune)`. Rows live in the database, so every server process
gives the same answer; a process that dies leaves rows that go stale and stop counting
after DUTY_PRESENCE_STALE_SECONDS (the real time: a heartbeat is not a calendar rule).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from maillage.access.policy import counts_as_presence
from maillage.access.roles import MembershipStatus
from maillage.duty.models import OperatorPresence
from maillage.members.models import Membership
from maillage.territory.models import Commune
from maillage.trust.models import Device, DeviceStatus

logger = logging.getLogger(__name__)
PROCESS = f"{socket.gethostname()}:{os.getpid()}"[:120]


def beat_seconds() -> float:
    return float(getattr(settings, "DUTY_PRESENCE_BEAT_SECONDS", 10))


def stale_seconds() -> float:
    return float(getattr(settings, "DUTY_PRESENCE_STALE_SECONDS", 30))


def arrive(membership: Membership, device: Device, process: str = PROCESS) -> int:
    """A police device's stream opened in this process: its row's id."""
    now = timezone.now()
    # Rows of dead processes: gone at the next arrival, ignored until then.
    OperatorPresence.objects.filter(
        commune_id=membership.commune_id,
        seen_at__lt=now - timedelta(seconds=stale_seconds() * 4),
    ).delete()
    row = OperatorPresence.objects.create(
        commune_id=membership.commune_id,
        membership=membership,
        device=device,
        process=process,
        seen_at=now,
    )
    return int(row.pk)


def beat(row: int) -> None:
    OperatorPresence.objects.filter(pk=row).update(seen_at=timezone.now())


def leave(row: int) -> None:
    OperatorPresence.objects.filter(pk=row).delete()


def operators_connected(commune: Commune | int) -> bool:
    """Whether an active police member's active device has a live stream now."""
    commune_id = commune if isinstance(commune, int) else commune.pk
    return OperatorPresence.objects.filter(
        commune_id=commune_id,
        seen_at__gte=timezone.now() - timedelta(seconds=stale_seconds()),
        membership__status=MembershipStatus.ACTIVE,
        device__status=DeviceStatus.ACTIVE,
    ).exists()


def connected_devices(commune_id: int) -> set[int]:
    """The police devices (pks) with a live stream now: the stream channel's health."""
    return set(
        OperatorPresence.objects.filter(
            commune_id=commune_id,
            seen_at__gte=timezone.now() - timedelta(seconds=stale_seconds()),
        ).values_list("device_id", flat=True)
    )


Db = Callable[..., Any]


@contextlib.asynccontextmanager
async def present(
    db: Db, membership: Membership, device: Device, certified: bool
) -> AsyncIterator[None]:
    """Around one stream connection: a presence row for a police device, kept fresh.

    `db` runs a function off the event loop (the stream hub's). Failing to record presence
    never breaks the stream: the police is then reported unreachable, the safe side."""
    if not (certified and counts_as_presence(membership)):
        yield
        return
    row: int | None = None
    try:
        row = await db(arrive, membership, device)
    except Exception:
        logger.warning("Présence non enregistrée", exc_info=True)
    beating = asyncio.ensure_future(_beat(db, row)) if row is not None else None
    try:
        yield
    finally:
        if beating is not None:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await beating
        if row is not None:
            with contextlib.suppress(Exception):
                await db(leave, row)


async def _beat(db: Db, row: int) -> None:
    while True:
        await asyncio.sleep(beat_seconds())
        try:
            await db(beat, row)
        except Exception:
            logger.warning("Présence non rafraîchie", exc_info=True)
