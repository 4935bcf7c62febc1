"""The push worker as `maillage serve` runs it: the ASGI lifespan starts the ticker, the
push app's job turns a report into a push within a tick, with nothing called by hand."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from maillage.push import worker
from maillage.push.models import Attempt
from maillage.push.tests.test_webpush import report, subscribe
from maillage.stream import ticker
from maillage.stream.tests.live import live_db, serve, wait_until
from maillage.testing.push_receiver import PushReceiver

__all__ = ["live_db"]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_db")]


def test_the_push_app_registers_its_job() -> None:
    [job] = [job for job in ticker.jobs() if job.name == "push"]
    assert job.function is worker.run_once
    assert job.seconds == 1.0
    assert job.on_events


def test_a_job_on_events_runs_at_once_after_a_commit(merchant, operator, tmp_path) -> None:
    """Its period is a minute: only the event's commit can make it run within seconds."""
    runs: list[float] = []
    ticker.every(60, "test-on-events", lambda: runs.append(time.monotonic()), on_events=True)
    try:
        with serve(lifespan=True):
            time.sleep(0.3)  # the lifespan started its tasks
            assert runs == []
            report(merchant, operator, "Vol à l'étalage")
            wait_until(lambda: len(runs) >= 1, what="la tâche réveillée par l'événement")
    finally:
        ticker.forget("test-on-events")


@pytest.fixture
def served() -> Iterator[str]:
    with serve(lifespan=True) as url:
        yield url


def test_a_served_process_pushes_a_report_by_itself(
    served: str, receiver: PushReceiver, merchant, operator, settings: Any, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    subscribe(operator, receiver.subscription())
    draft = report(merchant, operator, "Vol à l'étalage")
    [message] = receiver.wait(1, timeout=30)
    assert message.json()["incident"] == draft.incident
    # Recorded once the push service answered (the receiver saw it before).
    wait_until(lambda: Attempt.objects.filter(result="ok").count() == 1, what="l'essai enregistré")
