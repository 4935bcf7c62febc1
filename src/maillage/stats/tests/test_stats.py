"""Timings and the first statistics page: each step's time comes from the lifecycle's
events, the target is met only when the doubt is lifted and (unless unfounded) an
intervention engaged in time, every rate carries its count, and the filters refuse in
French what they cannot read."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from maillage.incidents import workflow
from maillage.incidents.models import Incident
from maillage.incidents.tests.helpers import make_incident
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stats.timings import Target, percentile, timings_of
from maillage.stream.models import Event
from maillage.territory.tests import factory as territory_factory

SUMMARY = "/api/v1/stats/summary"
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.get_fixed_timezone(60))


def incident(**steps: Any) -> Any:
    """A stand-in with the lifecycle's fields, times in seconds after T0."""
    fields: dict[str, datetime | None] = {
        f"{name}_at": None for name in ("taken", "doubt_lifted", "intervention")
    }
    fields |= {"on_site_at": None, "closed_at": None}
    for name, seconds in steps.items():
        if name.endswith("_at"):
            fields[name] = T0 + timedelta(seconds=seconds)
    return SimpleNamespace(
        created_at=T0,
        state=steps.get("state", "reported"),
        verdict=steps.get("verdict", ""),
        **fields,
    )


def test_the_target_needs_the_doubt_lifted_and_an_intervention_in_time() -> None:
    later = T0 + timedelta(minutes=30)
    met = timings_of(
        incident(taken_at=20, doubt_lifted_at=90, intervention_at=240, state="intervention"),
        5,
        later,
    )
    assert (met.target, met.answered_in, met.seconds["taken"]) == (Target.MET, 240, 20)
    late = timings_of(
        incident(taken_at=20, doubt_lifted_at=90, intervention_at=301, state="intervention"),
        5,
        later,
    )
    assert (late.target, late.overdue) == (Target.MISSED, True)
    unfounded = timings_of(
        incident(taken_at=10, doubt_lifted_at=60, verdict="unfounded", state="doubt_lifted"),
        5,
        later,
    )
    assert unfounded.target == Target.MET
    # Doubt lifted as founded but nobody sent: not met, pending while its time runs.
    waiting = incident(taken_at=10, doubt_lifted_at=60, verdict="founded", state="doubt_lifted")
    assert timings_of(waiting, 5, T0 + timedelta(minutes=4)).target == Target.PENDING
    assert timings_of(waiting, 5, T0 + timedelta(minutes=6)).target == Target.MISSED
    # A category's own target.
    assert (
        timings_of(incident(doubt_lifted_at=60, intervention_at=500), 10, later).target
        == Target.MET
    )
    closed = timings_of(
        incident(taken_at=5, closed_at=50, state="closed", verdict=""), 5, T0 + timedelta(minutes=1)
    )
    assert (closed.target, closed.overdue) == (Target.MISSED, False)


def test_percentiles_are_values_that_happened() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    values = [float(v) for v in range(1, 11)]
    assert (percentile(values, 0.5), percentile(values, 0.9)) == (5.0, 9.0)
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0


@pytest.mark.django_db
def test_the_summary_counts_times_and_targets_by_sector_category_and_hour() -> None:
    commune = factory.make_commune()
    coordinator = factory.make_member(Role.COORDINATOR, commune)
    operator = factory.make_member(Role.OPERATOR, commune)
    centre = territory_factory.make_sector(commune, name="Centre")
    gare = territory_factory.make_sector(commune, name="Gare")
    shop_centre = factory.make_member(
        Role.MERCHANT, commune, territory_factory.make_shop(commune, centre)
    )
    shop_gare = factory.make_member(
        Role.MERCHANT, commune, territory_factory.make_shop(commune, gare)
    )
    actor = (operator.membership, operator.device)

    answered, _ = make_incident(shop_centre)
    workflow.take(*actor, answered)
    workflow.lift_doubt(*actor, answered, "founded")
    workflow.engage(*actor, answered)
    false_alarm, _ = make_incident(shop_centre)
    workflow.take(*actor, false_alarm)
    workflow.lift_doubt(*actor, false_alarm, "unfounded")
    workflow.close(*actor, false_alarm, "false_alarm")
    forgotten, _ = make_incident(shop_gare)
    # Reported twenty minutes ago and never taken: past its target.
    Incident.objects.filter(pk=forgotten.pk).update(
        created_at=timezone.now() - timedelta(minutes=20)
    )
    make_incident(shop_gare)  # just now: its time is not up

    response = coordinator.client().get(SUMMARY)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["incidents"] == 4
    assert body["target"] == {"met": 2, "of": 3, "pending": 1, "small_sample": True}
    steps = {s["step"]: s for s in body["steps"]}
    assert [steps[s]["reached"] for s in ("taken", "doubt_lifted", "intervention", "closed")] == [
        2,
        2,
        1,
        1,
    ]
    stored = Incident.objects.get(pk=answered.pk)
    assert stored.intervention_at is not None
    taken_event = Event.objects.get(kind="incident.taken", target_id=str(answered.public_id))
    assert stored.taken_at == taken_event.at
    assert steps["intervention"]["median_seconds"] == pytest.approx(
        (stored.intervention_at - stored.created_at).total_seconds()
    )
    by_sector = {s["name"]: s for s in body["by_sector"]}
    assert (by_sector["Centre"]["incidents"], by_sector["Centre"]["target"]["met"]) == (2, 2)
    assert by_sector["Gare"]["target"] == {"met": 0, "of": 1, "pending": 1, "small_sample": True}
    assert [c["slug"] for c in body["by_category"]] == ["vol"]
    assert len(body["by_hour"]) == 24
    assert sum(h["incidents"] for h in body["by_hour"]) == 4

    # The console's queue gets each report's target by the same rule.
    queue = {i["id"]: i["target"] for i in operator.client().get("/api/v1/incidents").json()}
    assert queue[str(forgotten.public_id)] == {"minutes": 5, "state": "missed", "overdue": True}
    assert queue[str(answered.public_id)] == {"minutes": 5, "state": "met", "overdue": False}
    assert queue[str(false_alarm.public_id)]["overdue"] is False

    only_gare = operator.client().get(SUMMARY, {"sector": gare.pk}).json()
    assert only_gare["incidents"] == 2 and only_gare["sector"] == gare.pk
    assert operator.client().get(SUMMARY, {"category": "rixe"}).json()["incidents"] == 0
    long_ago = {"start": "2020-01-01", "end": "2020-01-31"}
    assert operator.client().get(SUMMARY, long_ago).json()["incidents"] == 0


@pytest.mark.django_db
def test_the_filters_and_the_audience() -> None:
    commune = factory.make_commune()
    coordinator = factory.make_member(Role.COORDINATOR, commune)
    elsewhere = territory_factory.make_sector(factory.make_commune(), name="Ailleurs")
    refused: list[tuple[dict[str, Any], int, str | None]] = [
        ({"start": "2026-12-10", "end": "2026-12-01"}, 400, "start"),
        ({"start": "2024-01-01", "end": "2026-01-01"}, 400, "end"),
        ({"sector": elsewhere.pk}, 400, "sector"),
        ({"sector": 2**70}, 400, "sector"),
        ({"category": "inconnue"}, 400, "category"),
        ({"category": "Pas Un Slug"}, 422, None),
        ({"start": "hier"}, 422, None),
    ]
    for params, status, field in refused:
        response = coordinator.client().get(SUMMARY, params)
        assert response.status_code == status, (params, response.content)
        body = response.json()
        assert body["message"], body
        if field is not None:
            assert (body["code"], body["field"]) == ("invalid_filter", field)
    for role in (Role.MERCHANT, Role.AGENT, Role.DPO, Role.OBSERVER):
        member = factory.make_member(role, commune)
        assert member.client().get(SUMMARY).status_code == 403, role


def test_a_categorys_target_is_read_checked_and_kept() -> None:
    from maillage.incidents import alert_settings

    data = alert_settings.Settings().as_dict()
    assert {c["target_minutes"] for c in data["categories"]} == {5}
    data["categories"][0]["target_minutes"] = 3
    parsed = alert_settings.parse(data)
    assert parsed.categories[0].target_minutes == 3
    del data["categories"][1]["target_minutes"]
    assert alert_settings.parse(data).categories[1].target_minutes == 5
    for bad in (0, 121, "5", True):
        data["categories"][0]["target_minutes"] = bad
        with pytest.raises(alert_settings.SettingsRefused) as refused:
            alert_settings.parse(data)
        assert refused.value.field == "categories.0.target_minutes"
