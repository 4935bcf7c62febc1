"""The controllable clock for duty tests: `duty_clock(at)` fixes "now" for the duty rules
(and, in-process, for the live servers' threads); reset after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from maillage.duty import clock
from maillage.duty.schedule import TIMEZONE


def paris(text: str) -> datetime:
    """An aware instant from Paris wall-clock time, `2026-12-07 09:30`."""
    return datetime.fromisoformat(text).replace(tzinfo=TIMEZONE)


@pytest.fixture
def duty_clock() -> Iterator[Callable[[datetime | str], None]]:
    def set_at(at: datetime | str) -> None:
        clock.set_now(paris(at) if isinstance(at, str) else at)

    try:
        yield set_at
    finally:
        clock.reset()


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    return root
