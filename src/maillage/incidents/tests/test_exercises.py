"""Drills: one at a time per commune, started and ended by the mairie or the police, seen
by every device that shows reports; a report joins the running drill only when its app
says so (never when none runs), is flagged wherever it is listed or streamed, and the
statistics leave it out."""

from __future__ import annotations

from typing import Any

import pytest

from maillage.incidents.models import Exercise, Incident
from maillage.incidents.tests.helpers import Draft, post_report
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.models import Event
from maillage.stream.tests.helpers import assert_by, head, since
from maillage.stream.visibility import visible_to

pytestmark = pytest.mark.django_db

EXERCISES = "/api/v1/incidents/exercises"


def test_a_drill_runs_is_seen_by_every_device_and_flags_only_its_reports() -> None:
    cast = factory.make_cast()
    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT]
    assert merchant.client().get(f"{EXERCISES}/current").json() is None

    before = head(cast.commune)
    started = operator.client().post(
        EXERCISES, {"name": "Exercice vol à l'étalage"}, content_type="application/json"
    )
    assert started.status_code == 201, started.content
    drill = started.json()
    assert (drill["name"], drill["ended_at"], drill["incidents"]) == (
        "Exercice vol à l'étalage",
        None,
        0,
    )
    [event] = since(cast.commune, before)
    assert event.kind == "exercise.started" and event.payload == {"name": drill["name"]}
    assert_by(event, operator.membership, operator.device)
    for role in (Role.MERCHANT, Role.AGENT, Role.COORDINATOR, Role.REFERENT):
        assert visible_to(event, cast[role].membership), role
    assert not visible_to(event, cast[Role.OBSERVER].membership)
    assert not visible_to(event, cast.outsider.membership)
    assert merchant.client().get(f"{EXERCISES}/current").json()["id"] == drill["id"]

    # One at a time.
    again = cast[Role.COORDINATOR].client().post(EXERCISES, {}, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "exercise_running")

    # The app says « exercice »: flagged, in the event and the list; a real one is not.
    drill_report = Draft(merchant)
    assert (
        post_report(
            merchant.client(), drill_report, metadata={"category": "vol", "exercise": "true"}
        ).status_code
        == 201
    )
    real = Draft(merchant)
    assert post_report(merchant.client(), real).status_code == 201
    reported = Event.objects.get(kind="incident.reported", target_id=drill_report.incident)
    assert reported.payload["exercise"] == drill["id"]
    assert (
        Event.objects.get(kind="incident.reported", target_id=real.incident).payload["exercise"]
        is None
    )
    listed = {i["id"]: i["exercise"] for i in operator.client().get("/api/v1/incidents").json()}
    assert listed == {
        drill_report.incident: {"id": drill["id"], "name": drill["name"]},
        real.incident: None,
    }
    # Left out of the statistics: one report counted, the real one.
    stats = operator.client().get("/api/v1/stats/summary").json()
    assert stats["incidents"] == 1

    before = head(cast.commune)
    ended = cast[Role.COORDINATOR].client().post(f"{EXERCISES}/{drill['id']}/end")
    assert ended.status_code == 200, ended.content
    assert ended.json()["ended_at"] is not None and ended.json()["incidents"] == 1
    [event] = since(cast.commune, before)
    assert (event.kind, event.payload) == (
        "exercise.ended",
        {"name": drill["name"], "incidents": 1},
    )
    assert merchant.client().get(f"{EXERCISES}/current").json() is None
    twice = operator.client().post(f"{EXERCISES}/{drill['id']}/end")
    assert (twice.status_code, twice.json()["code"]) == (409, "exercise_ended")


def test_refusals_store_nothing() -> None:
    cast = factory.make_cast()
    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT]
    before = head(cast.commune)
    # No drill running: a report cannot join one.
    draft = Draft(merchant)
    refused = post_report(
        merchant.client(), draft, metadata={"category": "vol", "exercise": "true"}
    )
    assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
        400,
        "no_exercise",
        "exercise",
    )
    bad = post_report(
        merchant.client(), Draft(merchant), metadata={"category": "vol", "exercise": "peut-être"}
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_exercise")
    assert not Incident.objects.filter(commune=cast.commune).exists()
    cases: list[tuple[Any, str, dict[str, Any], int]] = [
        (merchant, EXERCISES, {"name": "Exercice"}, 403),
        (cast[Role.AGENT], EXERCISES, {}, 403),
        (operator, EXERCISES, {"name": "x" * 81}, 400),
        (operator, EXERCISES, {"name": "Exercice\u0000"}, 422),
        (cast.outsider, EXERCISES, {}, 201),  # its own commune's, not this one
    ]
    for persona, path, body, status in cases:
        response = persona.client().post(path, body, content_type="application/json")
        assert response.status_code == status, (persona.membership.role, body, response.content)
        assert response.json().get("message") or status == 201
    assert since(cast.commune, before) == []
    elsewhere = Exercise.objects.get(commune=cast.outsider.commune)
    # Another commune's drill looks absent.
    assert operator.client().post(f"{EXERCISES}/{elsewhere.public_id}/end").status_code == 404
    assert not Exercise.objects.filter(commune=cast.commune).exists()
