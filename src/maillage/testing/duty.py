"""The instant the test suite's duty clock reads by default (maillage.duty.clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

# A Monday at 10:00 in Paris: inside the default schedule (Monday–Saturday 08:00–20:00).
ON_DUTY = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(autouse=True)
def duty_clock_on_duty() -> Iterator[None]:
    """The suite runs at any hour (CI at night, on a Sunday): the duty rules read ON_DUTY,
    on duty under the default schedule, so that a test's outcome never depends on when it
    runs. A test about duty hours sets the clock itself. Installed by the conftests."""
    from maillage.duty import clock

    clock.set_now(ON_DUTY)
    try:
        yield
    finally:
        clock.reset()
