"""The expiry timer as `maillage serve` runs it: the ASGI lifespan starts the process's
periodic jobs (stream.ticker), the neighbours app's ends a due alert within a tick, as the
server (`actor_kind` system), and the shutdown stops it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from maillage.neighbours import actions
from maillage.neighbours.models import NeighbourAlert, Status
from maillage.stream import ticker
from maillage.stream.models import ActorKind, Event
from maillage.stream.tests.live import live_db, serve, wait_until

from .helpers import make_street, send

__all__ = ["live_db"]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_db")]


def test_the_neighbours_app_registers_its_expiry_job() -> None:
    [job] = [job for job in ticker.jobs() if job.name == "neighbour_expiry"]
    assert job.function is actions.expire_due
    assert job.seconds == 15.0


def three_hours_later() -> int:
    """The job as registered, with the clock moved past the default expiry (no row is
    aged by hand)."""
    return actions.expire_due(timezone.now() + timedelta(hours=3))


@pytest.fixture
def fast_tick() -> Iterator[None]:
    before = dict(ticker._jobs)
    ticker.every(0.5, "neighbour_expiry", three_hours_later)
    yield
    ticker._jobs.clear()
    ticker._jobs.update(before)


@pytest.fixture
def lifespan_server(fast_tick: None, settings: Any) -> Iterator[str]:
    with serve(lifespan=True) as url:
        yield url


def test_a_served_process_ends_a_due_alert_by_itself(
    lifespan_server: str, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    street = make_street()
    alert = send(street.operator, street.key_a, "Bientôt terminée").json()
    wait_until(
        lambda: NeighbourAlert.objects.get(public_id=alert["id"]).status == Status.ENDED,
        what="la fin d'alerte automatique",
    )
    [event] = Event.objects.filter(target_id=alert["id"], kind="neighbour_alert.ended")
    assert event.actor_kind == ActorKind.SYSTEM
    assert event.payload["reason"] == "expired"
