"""An incident's timings, and whether its target was met: THE rule for both.

Every time is derived from the incident's events: the lifecycle's actions write each
step's time from the `at` of the event they append (incidents/workflow.py), never from a
client, so the projection read here is the log's. Pure: no database, no clock but the
`now` it is given.

The target is the scheme's promise (the seed article: under five minutes from report to
first intervention), per category (`target_minutes`, 5 by default): the doubt is lifted
and, unless it was lifted as unfounded, a first intervention is engaged, both within
the target from the report.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from maillage.incidents.lifecycle import State, Verdict

STEPS = ("taken", "doubt_lifted", "intervention", "on_site", "closed")
STEP_LABELS = {
    "taken": "prise en charge",
    "doubt_lifted": "doute levé",
    "intervention": "intervention engagée",
    "on_site": "sur place",
    "closed": "clôture",
}


class Target(enum.StrEnum):
    MET = "met"
    MISSED = "missed"
    PENDING = "pending"  # not met yet, and its time is not up


class Timed(Protocol):
    created_at: datetime
    state: str
    verdict: str
    taken_at: datetime | None
    doubt_lifted_at: datetime | None
    intervention_at: datetime | None
    on_site_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class Timings:
    """Seconds from the report to each step reached (None: not reached)."""

    seconds: dict[str, float | None]
    target_seconds: int
    target: Target
    answered_in: float | None  # when the target's conditions were all met, if they were

    @property
    def overdue(self) -> bool:
        """Still open and past its target without meeting it: the console flags it."""
        return self.target == Target.MISSED and self.seconds["closed"] is None


def _since(start: datetime, at: datetime | None) -> float | None:
    return None if at is None else max(0.0, (at - start).total_seconds())


def timings_of(incident: Timed, target_minutes: int, now: datetime) -> Timings:
    start = incident.created_at
    seconds = {
        "taken": _since(start, incident.taken_at),
        "doubt_lifted": _since(start, incident.doubt_lifted_at),
        "intervention": _since(start, incident.intervention_at),
        "on_site": _since(start, incident.on_site_at),
        "closed": _since(start, incident.closed_at),
    }
    target = target_minutes * 60
    lifted = seconds["doubt_lifted"]
    unfounded = incident.verdict == Verdict.UNFOUNDED.value
    answered: float | None = None
    if lifted is not None and (unfounded or seconds["intervention"] is not None):
        answered = lifted if unfounded else max(lifted, seconds["intervention"] or 0.0)
    if answered is not None and answered <= target:
        outcome = Target.MET
    elif incident.state == State.CLOSED.value or now - start > timedelta(seconds=target):
        outcome = Target.MISSED
    else:
        outcome = Target.PENDING
    return Timings(seconds, target, outcome, answered)


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (the median is 0.5): a value that happened, not an average
    between two; None for no value."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(round(fraction * len(ordered), 9)))  # 0.9 × 10 is 9, not 9.000…1
    return ordered[min(rank, len(ordered)) - 1]
