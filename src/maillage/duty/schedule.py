"""When the police municipale is on duty: a weekly schedule with exceptions, as rules.

A schedule is plain data (stored as JSON on `DutySchedule`, served as is):

    {"weekly": {"mon": [{"start": "08:00", "end": "20:00"}], …, "sun": []},
     "exceptions": [{"date": "2026-12-25", "closed": true, "ranges": [], "label": "Noël"}]}

Times are wall-clock times in Europe/Paris (`TIMEZONE`). A range whose end is not after
its start runs past midnight into the next day (22:00–06:00; 20:00–00:00 ends at
midnight). A range belongs to the day it starts on: an exception on a date replaces the
ranges starting that date (« fermé », or other hours), while the night range of the day
before still ends as planned. Wall-clock comparison makes the DST days right by
construction: on the last Sunday of March 08:00–20:00 is eleven hours long, on the last
Sunday of October thirteen, and both open at 08:00 as printed.

`parse` checks a proposed schedule and returns it normalised, or raises `ScheduleRefused`
with a French message and the field at fault (nothing is stored on refusal).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from maillage.errors import ApiError
from maillage.wire import text

TIMEZONE = ZoneInfo("Europe/Paris")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = {
    "mon": "lundi",
    "tue": "mardi",
    "wed": "mercredi",
    "thu": "jeudi",
    "fri": "vendredi",
    "sat": "samedi",
    "sun": "dimanche",
}
MAX_RANGES_PER_DAY = 6
MAX_EXCEPTIONS = 400
LABEL_MAX = 80
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY = 24 * 60
_WEEK = 7 * _DAY

# Mon–Sat 08:00–20:00, Sunday closed: the hours of a typical police municipale of a town
# of this size; every commune starts with them and changes them (docs/decisions.md).
DEFAULT_RANGE = {"start": "08:00", "end": "20:00"}
DEFAULT: dict[str, Any] = {
    "weekly": {day: ([dict(DEFAULT_RANGE)] if day != "sun" else []) for day in WEEKDAYS},
    "exceptions": [],
}


class ScheduleRefused(ApiError):
    status = 400


@dataclass(frozen=True)
class Range:
    start: int  # minutes after midnight
    end: int  # minutes after midnight of the start day (> start; past 1440: the next day)


def _minutes(value: object, field: str) -> int:
    if not isinstance(value, str) or not _TIME.match(value):
        raise ScheduleRefused(
            "invalid_time",
            "Heure invalide : écrivez-la sur 24 heures, comme 08:00 ou 19:30.",
            field=field,
        )
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _range(raw: object, field: str) -> tuple[Range, dict[str, str]]:
    if not isinstance(raw, dict) or set(raw) != {"start", "end"}:
        raise ScheduleRefused(
            "invalid_range",
            "Plage horaire invalide : une heure de début et une heure de fin sont attendues.",
            field=field,
        )
    start = _minutes(raw["start"], f"{field}.start")
    end = _minutes(raw["end"], f"{field}.end")
    if start == end:
        raise ScheduleRefused(
            "empty_range",
            "Plage horaire vide : l'heure de fin doit différer de l'heure de début.",
            field=f"{field}.end",
        )
    # Not after the start: past midnight, into the next day.
    return Range(start, end if end > start else end + _DAY), {
        "start": raw["start"],
        "end": raw["end"],
    }


def _ranges(raw: object, field: str, where: str) -> tuple[list[Range], list[dict[str, str]]]:
    if not isinstance(raw, list):
        raise ScheduleRefused(
            "invalid_range", "Une liste de plages horaires est attendue.", field=field
        )
    if len(raw) > MAX_RANGES_PER_DAY:
        raise ScheduleRefused(
            "too_many_ranges",
            f"Au plus {MAX_RANGES_PER_DAY} plages horaires par jour.",
            field=field,
        )
    parsed = [_range(item, f"{field}[{index}]") for index, item in enumerate(raw)]
    ranges = [item[0] for item in parsed]
    order = sorted(range(len(ranges)), key=lambda i: ranges[i].start)
    for before, after in itertools.pairwise(order):
        if ranges[after].start < ranges[before].end:
            raise ScheduleRefused(
                "overlapping_ranges",
                f"Des plages horaires se chevauchent ({where}) : séparez-les ou réunissez-les.",
                field=f"{field}[{after}]",
            )
    normalised = [parsed[i][1] for i in order]
    return [ranges[i] for i in order], normalised


def _check_week(weekly: dict[str, list[Range]]) -> None:
    """A night range must end before the next day's first range begins (Sunday's night
    runs into Monday)."""
    for index, day in enumerate(WEEKDAYS):
        following = WEEKDAYS[(index + 1) % 7]
        tails = [r.end - _DAY for r in weekly[day] if r.end > _DAY]
        if not tails or not weekly[following]:
            continue
        if max(tails) > weekly[following][0].start:
            raise ScheduleRefused(
                "overlapping_ranges",
                f"La plage de nuit du {WEEKDAY_LABELS[day]} chevauche la première plage du "
                f"{WEEKDAY_LABELS[following]}.",
                field=f"weekly.{following}[0]",
            )


def _label(value: object, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScheduleRefused("invalid_label", "Libellé invalide.", field=field)
    try:
        return text.check_text(value.strip(), max_length=LABEL_MAX)
    except text.TextProblem as error:
        raise ScheduleRefused("invalid_label", error.sentence, field=field) from error


def parse(raw: object) -> dict[str, Any]:
    """The schedule, checked and normalised (ranges sorted, exceptions by date)."""
    if not isinstance(raw, dict) or not set(raw) <= {"weekly", "exceptions"}:
        raise ScheduleRefused(
            "invalid_schedule",
            "Horaires invalides : « weekly » et « exceptions » sont attendus.",
            field=None,
        )
    weekly_raw = raw.get("weekly", {})
    if not isinstance(weekly_raw, dict):
        raise ScheduleRefused("invalid_schedule", "Semaine type invalide.", field="weekly")
    for day in weekly_raw:
        if day not in WEEKDAYS:
            raise ScheduleRefused(
                "unknown_weekday",
                "Jour inconnu : mon, tue, wed, thu, fri, sat ou sun sont attendus.",
                field=f"weekly.{day}",
            )
    weekly: dict[str, list[Range]] = {}
    weekly_out: dict[str, list[dict[str, str]]] = {}
    for day in WEEKDAYS:
        weekly[day], weekly_out[day] = _ranges(
            weekly_raw.get(day, []), f"weekly.{day}", WEEKDAY_LABELS[day]
        )
    _check_week(weekly)

    exceptions_raw = raw.get("exceptions", [])
    if not isinstance(exceptions_raw, list):
        raise ScheduleRefused("invalid_schedule", "Exceptions invalides.", field="exceptions")
    if len(exceptions_raw) > MAX_EXCEPTIONS:
        raise ScheduleRefused(
            "too_many_exceptions", f"Au plus {MAX_EXCEPTIONS} exceptions.", field="exceptions"
        )
    exceptions: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(exceptions_raw):
        field = f"exceptions[{index}]"
        if not isinstance(item, dict) or not set(item) <= {"date", "closed", "ranges", "label"}:
            raise ScheduleRefused("invalid_exception", "Exception invalide.", field=field)
        day_text = item.get("date")
        day = _date(day_text, f"{field}.date")
        if day.isoformat() in exceptions:
            raise ScheduleRefused(
                "duplicate_date",
                f"Le {day.strftime('%d/%m/%Y')} a déjà une exception.",
                field=f"{field}.date",
            )
        closed = item.get("closed", False)
        if not isinstance(closed, bool):
            raise ScheduleRefused(
                "invalid_exception", "« closed » est vrai ou faux.", field=f"{field}.closed"
            )
        _, ranges = _ranges(item.get("ranges", []), f"{field}.ranges", day.strftime("%d/%m/%Y"))
        if closed and ranges:
            raise ScheduleRefused(
                "invalid_exception",
                "Un jour fermé n'a pas de plage horaire.",
                field=f"{field}.ranges",
            )
        if not closed and not ranges:
            raise ScheduleRefused(
                "invalid_exception",
                "Indiquez les horaires de ce jour, ou cochez « fermé ».",
                field=f"{field}.ranges",
            )
        exceptions[day.isoformat()] = {
            "date": day.isoformat(),
            "closed": closed,
            "ranges": ranges,
            "label": _label(item.get("label"), f"{field}.label"),
        }
    return {
        "weekly": weekly_out,
        "exceptions": [exceptions[key] for key in sorted(exceptions)],
    }


def _date(value: object, field: str) -> date:
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ScheduleRefused(
        "invalid_date", "Date invalide : le format AAAA-MM-JJ est attendu.", field=field
    )


def _ranges_of(schedule: dict[str, Any], day: date) -> list[Range]:
    """The ranges starting on `day`: its exception's, or its weekday's."""
    for item in schedule.get("exceptions", []):
        if item["date"] == day.isoformat():
            source = [] if item["closed"] else item["ranges"]
            break
    else:
        source = schedule["weekly"].get(WEEKDAYS[day.weekday()], [])
    return [_range(item, "")[0] for item in source]


def on_duty(schedule: dict[str, Any], at: datetime) -> bool:
    """Whether `at` (aware) falls in a range of the schedule, in Paris wall-clock time."""
    local = at.astimezone(TIMEZONE)
    minute = local.hour * 60 + local.minute
    today = local.date()
    if any(r.start <= minute < r.end for r in _ranges_of(schedule, today)):
        return True
    yesterday = today - timedelta(days=1)
    return any(minute < r.end - _DAY for r in _ranges_of(schedule, yesterday))


def local_time(at: datetime) -> time:
    return at.astimezone(TIMEZONE).time()
