"""The duty schedule's rules: weekly ranges, past midnight, exceptions, DST days, and the
French refusals of a schedule that cannot be right."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from maillage.duty import schedule
from maillage.duty.schedule import ScheduleRefused, on_duty, parse
from maillage.duty.tests.conftest import paris


def week(**days: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "weekly": {
            day: [{"start": a, "end": b} for a, b in ranges] for day, ranges in days.items()
        },
        "exceptions": [],
    }


def refused(raw: Any) -> ScheduleRefused:
    with pytest.raises(ScheduleRefused) as caught:
        parse(raw)
    return caught.value


def test_the_default_is_monday_to_saturday_eight_to_eight() -> None:
    default = parse(schedule.DEFAULT)
    # 2026-12-07 is a Monday, 2026-12-13 a Sunday.
    assert on_duty(default, paris("2026-12-07 08:00"))
    assert on_duty(default, paris("2026-12-12 19:59"))
    assert not on_duty(default, paris("2026-12-07 20:00"))
    assert not on_duty(default, paris("2026-12-07 07:59"))
    assert not on_duty(default, paris("2026-12-13 12:00"))


def test_weekly_ranges_are_read_in_paris_time_whatever_the_instants_zone() -> None:
    rules = parse(week(mon=[("08:00", "12:00"), ("14:00", "18:00")]))
    assert on_duty(rules, paris("2026-12-07 11:59"))
    assert not on_duty(rules, paris("2026-12-07 12:00"))
    assert not on_duty(rules, paris("2026-12-07 13:30"))
    assert on_duty(rules, paris("2026-12-07 14:00"))
    # 07:30 UTC is 08:30 in Paris in winter.
    assert on_duty(rules, datetime(2026, 12, 7, 7, 30, tzinfo=UTC))
    assert not on_duty(rules, paris("2026-12-08 09:00"))  # a Tuesday: nothing


def test_a_range_past_midnight_runs_into_the_next_day_and_sunday_into_monday() -> None:
    rules = parse(week(fri=[("22:00", "06:00")], sun=[("20:00", "02:00")]))
    assert on_duty(rules, paris("2026-12-11 23:00"))  # Friday night
    assert on_duty(rules, paris("2026-12-12 05:59"))  # Saturday morning, same range
    assert not on_duty(rules, paris("2026-12-12 06:00"))
    assert not on_duty(rules, paris("2026-12-12 23:00"))  # Saturday night: no range
    assert on_duty(rules, paris("2026-12-14 01:00"))  # Monday, Sunday's night range
    assert not on_duty(rules, paris("2026-12-14 02:00"))


def test_an_end_at_midnight_closes_the_day() -> None:
    rules = parse(week(mon=[("20:00", "00:00")]))
    assert on_duty(rules, paris("2026-12-07 23:59"))
    assert not on_duty(rules, paris("2026-12-08 00:00"))


def test_exceptions_close_a_date_or_give_it_other_hours() -> None:
    raw = week(**{day: [("08:00", "20:00")] for day in ("mon", "tue", "wed", "thu", "fri")})
    raw["exceptions"] = [
        {"date": "2026-12-25", "closed": True, "label": "Noël"},  # a Friday
        {"date": "2026-12-24", "ranges": [{"start": "08:00", "end": "14:00"}], "label": "Veille"},
        {"date": "2026-12-26", "ranges": [{"start": "10:00", "end": "12:00"}]},  # a Saturday
    ]
    rules = parse(raw)
    assert [item["date"] for item in rules["exceptions"]] == [
        "2026-12-24",
        "2026-12-25",
        "2026-12-26",
    ]
    assert not on_duty(rules, paris("2026-12-25 10:00"))
    assert on_duty(rules, paris("2026-12-24 13:00"))
    assert not on_duty(rules, paris("2026-12-24 15:00"))
    assert on_duty(rules, paris("2026-12-26 11:00"))
    assert not on_duty(rules, paris("2026-12-19 11:00"))  # an ordinary Saturday
    assert on_duty(rules, paris("2026-12-23 15:00"))  # an ordinary Wednesday


def test_an_exception_keeps_the_night_range_of_the_day_before() -> None:
    raw = week(thu=[("22:00", "06:00")], fri=[("22:00", "06:00")])
    raw["exceptions"] = [{"date": "2026-12-25", "closed": True}]  # Friday
    rules = parse(raw)
    assert on_duty(rules, paris("2026-12-25 05:00"))  # Thursday's night, as planned
    assert not on_duty(rules, paris("2026-12-25 23:00"))  # Friday's night: closed
    assert not on_duty(rules, paris("2026-12-26 05:00"))


def test_dst_days_open_and_close_at_the_wall_clock_times() -> None:
    rules = parse(week(sun=[("01:00", "05:00"), ("08:00", "20:00")]))
    # 2026-03-29: 02:00 → 03:00. 00:30 UTC = 01:30 CET; 01:30 UTC = 03:30 CEST.
    assert on_duty(rules, datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    assert on_duty(rules, datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert on_duty(rules, datetime(2026, 3, 29, 6, 0, tzinfo=UTC))  # 08:00 CEST
    assert not on_duty(rules, datetime(2026, 3, 29, 5, 59, tzinfo=UTC))  # 07:59 CEST
    assert not on_duty(rules, datetime(2026, 3, 29, 18, 0, tzinfo=UTC))  # 20:00 CEST
    # 2026-10-25: 03:00 → 02:00. 08:00 CET is 07:00 UTC; 20:00 CET is 19:00 UTC.
    assert not on_duty(rules, datetime(2026, 10, 25, 6, 59, tzinfo=UTC))
    assert on_duty(rules, datetime(2026, 10, 25, 7, 0, tzinfo=UTC))
    assert on_duty(rules, datetime(2026, 10, 25, 18, 59, tzinfo=UTC))
    assert not on_duty(rules, datetime(2026, 10, 25, 19, 0, tzinfo=UTC))
    # 04:30 UTC = 05:30 CET: past the night range, which ended at 05:00 wall-clock.
    assert not on_duty(rules, datetime(2026, 10, 25, 4, 30, tzinfo=UTC))
    assert on_duty(rules, datetime(2026, 10, 25, 3, 30, tzinfo=UTC))  # 04:30 CET


def test_parse_sorts_ranges_and_fills_missing_days_as_closed() -> None:
    rules = parse(week(tue=[("14:00", "18:00"), ("08:00", "12:00")]))
    assert rules["weekly"]["tue"] == [
        {"start": "08:00", "end": "12:00"},
        {"start": "14:00", "end": "18:00"},
    ]
    assert rules["weekly"]["mon"] == [] and set(rules["weekly"]) == set(schedule.WEEKDAYS)


@pytest.mark.parametrize(
    ("raw", "code", "field"),
    [
        (week(mon=[("8:00", "12:00")]), "invalid_time", "weekly.mon[0].start"),
        (week(mon=[("08:00", "24:00")]), "invalid_time", "weekly.mon[0].end"),
        (week(mon=[("08:61", "12:00")]), "invalid_time", "weekly.mon[0].start"),
        (week(mon=[("08:00", "08:00")]), "empty_range", "weekly.mon[0].end"),
        (week(mon=[("08:00", "12:00"), ("11:00", "14:00")]), "overlapping_ranges", None),
        (week(lundi=[("08:00", "12:00")]), "unknown_weekday", "weekly.lundi"),
        (
            week(mon=[("22:00", "07:00")], tue=[("06:00", "12:00")]),
            "overlapping_ranges",
            "weekly.tue[0]",
        ),
        (
            week(sun=[("22:00", "07:00")], mon=[("06:00", "12:00")]),
            "overlapping_ranges",
            "weekly.mon[0]",
        ),
        (
            {"weekly": {}, "exceptions": [{"date": "2026-02-30", "closed": True}]},
            "invalid_date",
            "exceptions[0].date",
        ),
        (
            {
                "weekly": {},
                "exceptions": [
                    {"date": "2026-12-25", "closed": True},
                    {"date": "2026-12-25", "closed": True},
                ],
            },
            "duplicate_date",
            "exceptions[1].date",
        ),
        (
            {"weekly": {}, "exceptions": [{"date": "2026-12-25"}]},
            "invalid_exception",
            "exceptions[0].ranges",
        ),
        (
            {"weekly": {}, "exceptions": [{"date": "2026-12-25", "label": "a\u0000b"}]},
            "invalid_exception",
            "exceptions[0].ranges",
        ),
    ],
)
def test_a_wrong_schedule_is_refused_in_french_naming_the_field(
    raw: Any, code: str, field: str | None
) -> None:
    error = refused(raw)
    assert error.code == code
    if field is not None:
        assert error.field == field
    assert error.message and error.message[0].isupper()


def test_a_label_with_a_control_character_is_refused() -> None:
    error = refused(
        {"weekly": {}, "exceptions": [{"date": "2026-12-25", "closed": True, "label": "a\u0007"}]}
    )
    assert (error.code, error.field) == ("invalid_label", "exceptions[0].label")


def test_the_suite_reads_a_fixed_on_duty_clock_by_default() -> None:
    """The conftest's autouse fixture: no test's outcome depends on the hour CI runs."""
    from maillage.duty import clock
    from maillage.testing.duty import ON_DUTY

    assert clock.now() == ON_DUTY
