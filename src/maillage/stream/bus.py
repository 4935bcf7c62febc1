"""The wake-up bus: tells stream readers that a commune's log grew. Never the record.

A committed event wakes the readers of this process at once (`event_committed`, in
process) and, on PostgreSQL, every other server process through `NOTIFY maillage_events,
'<commune_id>:<seq>'`; each process LISTENs on one dedicated async connection. A lost
notification only delays a delivery: readers re-read the log after their last seq on every
wake-up, and poll it every `MAILLAGE_STREAM_POLL_SECONDS` anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from django.db import connection

logger = logging.getLogger(__name__)

CHANNEL = "maillage_events"

# Called with (commune_id, seq) from whatever thread committed; must be thread-safe.
Wake = Callable[[int | None, int | None], None]
_local: list[Wake] = []


def add_local_listener(wake: Wake) -> None:
    if wake not in _local:
        _local.append(wake)


def remove_local_listener(wake: Wake) -> None:
    if wake in _local:
        _local.remove(wake)


def on_event_committed(sender: Any, event: Any, **kwargs: Any) -> None:
    """Receiver of `stream.signals.event_committed` (connected in StreamConfig.ready)."""
    for wake in list(_local):
        wake(event.commune_id, event.seq)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, f"{event.commune_id}:{event.seq}"])


def parse(payload: str) -> tuple[int, int] | None:
    commune, _, seq = payload.partition(":")
    try:
        return int(commune), int(seq)
    except ValueError:
        return None


def _conninfo() -> str:
    from psycopg.conninfo import make_conninfo

    db = connection.settings_dict
    params = {
        "dbname": db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": str(db["PORT"]) if db.get("PORT") else None,
    }
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})


async def listen(wake: Wake, *, retry_seconds: float = 1.0) -> None:
    """LISTEN forever on one dedicated connection; reconnect on failure. After every
    (re)connection `wake(None, None)` asks every reader to re-read: notifications sent
    while we were not listening are lost, the log is not."""
    import psycopg

    conninfo = _conninfo()
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                wake(None, None)
                async for notify in conn.notifies():
                    parsed = parse(notify.payload)
                    if parsed is None:
                        wake(None, None)
                    else:
                        wake(*parsed)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("LISTEN %s interrompu ; reconnexion", CHANNEL, exc_info=True)
        await asyncio.sleep(retry_seconds)
