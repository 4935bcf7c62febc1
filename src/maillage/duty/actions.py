"""Changing a commune's duty hours: one action, one `duty.schedule_changed` event."""

from __future__ import annotations

from typing import Any

from maillage.access.policy import Action
from maillage.duty import schedule
from maillage.duty.models import DutySchedule
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.territory.models import Commune


def current(commune: Commune) -> dict[str, Any]:
    """The commune's schedule; the default hours until it sets its own."""
    row = DutySchedule.objects.filter(commune=commune).first()
    if row is None:
        return {
            "weekly": {day: list(r) for day, r in schedule.DEFAULT["weekly"].items()},
            "exceptions": [],
        }
    return {"weekly": row.weekly, "exceptions": row.exceptions}


def is_default(commune: Commune) -> bool:
    return not DutySchedule.objects.filter(commune=commune).exists()


def set_schedule(actor: Actor, commune: Commune, raw: object) -> dict[str, Any]:
    """Check, then store; a refusal (ScheduleRefused) stores nothing."""
    parsed = schedule.parse(raw)
    with action(actor, Action.MANAGE_DUTY, commune, kind=Kind.DUTY_SCHEDULE_CHANGED) as act:
        row = DutySchedule.objects.select_for_update().filter(commune=commune).first()
        if row is not None and row.weekly == parsed["weekly"] and (
            row.exceptions == parsed["exceptions"]
        ):
            act.unchanged()
            return parsed
        if row is None:
            row = DutySchedule(commune=commune)
        row.weekly = parsed["weekly"]
        row.exceptions = parsed["exceptions"]
        row.save()
        act.record(
            row,
            {
                "ranges": sum(len(ranges) for ranges in parsed["weekly"].values()),
                "exceptions": len(parsed["exceptions"]),
            },
        )
    return parsed
