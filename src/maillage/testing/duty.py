"""The instant the test suite's duty clock reads by default (maillage.duty.clock)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

# A Monday at 10:00 in Paris: inside the default schedule (Monday–Saturday 08:00–20:00).
ON_DUTY = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
