"""Every lifecycle step through the API, from every state: legal ones move the incident and
append one event, illegal ones are refused with a structured error and change nothing.

The expected table is written out here rather than read from `incidents.lifecycle`, so
that the module is checked against the rules as docs/decisions.md states them.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict

from maillage.incidents import workflow
from maillage.incidents.models import Incident
from maillage.incidents.tests.helpers import make_incident
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.models import Event
from maillage.territory.models import Commune

pytestmark = pytest.mark.django_db

# How to reach each starting state (workflow calls by the operator).
PATHS: dict[str, list[tuple[str, str | None]]] = {
    "reported": [],
    "taken": [("take", None)],
    "doubt_founded": [("take", None), ("lift_doubt", "founded")],
    "doubt_unfounded": [("take", None), ("lift_doubt", "unfounded")],
    "intervention": [("take", None), ("lift_doubt", "founded"), ("engage", None)],
    "on_site": [
        ("take", None),
        ("lift_doubt", "founded"),
        ("engage", None),
        ("on_site", None),
    ],
    "closed": [("take", None), ("lift_doubt", "unfounded"), ("close", "false_alarm")],
}

# (route, body) for every request the console can make.
REQUESTS: dict[str, tuple[str, dict[str, str] | None]] = {
    "take": ("take", None),
    "lift founded": ("lift-doubt", {"verdict": "founded"}),
    "lift unfounded": ("lift-doubt", {"verdict": "unfounded"}),
    "engage": ("engage", None),
    "on site": ("on-site", None),
    **{f"close {o}": ("close", {"outcome": o}) for o in workflow.lifecycle.Outcome},
}

ALL_CLOSES = {f"close {o}" for o in ("arrest", "left", "false_alarm", "referred", "other")}
# Starting state → {request: state reached}; every other request is refused with a 409.
LEGAL: dict[str, dict[str, str]] = {
    "reported": {"take": "taken"},
    "taken": {
        "lift founded": "doubt_lifted",
        "lift unfounded": "doubt_lifted",
        "close false_alarm": "closed",
        "close referred": "closed",
        "close other": "closed",
    },
    "doubt_founded": {
        "engage": "intervention",
        "close left": "closed",
        "close referred": "closed",
        "close other": "closed",
    },
    "doubt_unfounded": {"close false_alarm": "closed"},
    "intervention": {"on site": "on_site", **dict.fromkeys(ALL_CLOSES, "closed")},
    "on_site": dict.fromkeys(ALL_CLOSES, "closed"),
    "closed": {},
}
KIND_OF_ROUTE = {
    "take": "incident.taken",
    "lift-doubt": "incident.doubt_lifted",
    "engage": "incident.intervention_engaged",
    "on-site": "incident.on_site",
    "close": "incident.closed",
}
STAMPS = ("taken_at", "doubt_lifted_at", "intervention_at", "on_site_at", "closed_at")


@pytest.fixture
def operator(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.OPERATOR, commune, name="Opératrice Martin")


@pytest.fixture
def merchant(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.MERCHANT, commune)


def _drive(operator: factory.Persona, incident: Incident, path: str) -> Incident:
    for step, value in PATHS[path]:
        kwargs: dict[str, Any] = {}
        if step == "lift_doubt":
            kwargs["verdict"] = value
        if step == "close":
            kwargs["outcome"] = value
        incident = workflow.step(
            operator.membership,
            operator.device,
            incident,
            workflow.Step(step),
            **kwargs,
        )
    return incident


def _post(persona: factory.Persona, incident: Incident, route: str, body: Any) -> Any:
    url = f"/api/v1/incidents/{incident.public_id}/{route}"
    if body is None:
        return persona.client().post(url)
    return persona.client().post(url, body, content_type="application/json")


def _row(incident: Incident) -> dict[str, Any]:
    incident.refresh_from_db()
    return model_to_dict(incident)


CASES = [
    pytest.param(start, request, id=f"{start}: {request}")
    for start in PATHS
    for request in REQUESTS
]


@pytest.mark.parametrize(("start", "request_name"), CASES)
def test_every_step_from_every_state(
    operator: factory.Persona, merchant: factory.Persona, start: str, request_name: str
) -> None:
    incident = _drive(operator, make_incident(merchant)[0], start)
    before, events = _row(incident), Event.objects.count()
    route, body = REQUESTS[request_name]
    response = _post(operator, incident, route, body)
    reached = LEGAL[start].get(request_name)
    if reached is None:
        assert response.status_code == 409, response.content
        error = response.json()
        assert set(error) == {"code", "message", "field"}
        assert "Rien n'a été modifié" in error["message"]
        assert _row(incident) == before
        assert Event.objects.count() == events
        return
    assert response.status_code == 200, response.content
    lifecycle = response.json()["incident"]["lifecycle"]
    assert lifecycle["state"] == reached
    event = Event.objects.order_by("-pk").first()
    assert event is not None and Event.objects.count() == events + 1
    assert event.kind == KIND_OF_ROUTE[route]
    assert event.payload["state"] == reached
    assert event.actor_id == operator.membership.pk
    incident.refresh_from_db()
    # The step's time is its event's, and comes after every earlier step's.
    assert getattr(incident, f"{reached}_at") == event.at
    earlier = [getattr(incident, name) for name in STAMPS if getattr(incident, name)]
    assert earlier == sorted(earlier)
    assert incident.created_at <= earlier[0]


def test_the_loser_of_a_take_learns_who_took_it(
    operator: factory.Persona, merchant: factory.Persona, commune: Commune
) -> None:
    incident, _ = make_incident(merchant)
    other = factory.make_member(Role.OPERATOR, commune, name="Opérateur Durand")
    assert _post(operator, incident, "take", None).status_code == 200
    response = _post(other, incident, "take", None)
    assert response.status_code == 409
    assert response.json()["code"] == "already_taken"
    assert "Opératrice Martin" in response.json()["message"]
    assert Event.objects.filter(kind="incident.taken").count() == 1
    incident.refresh_from_db()
    assert incident.taken_by_id == operator.membership.pk


def test_the_taker_is_named_to_the_police_only(
    operator: factory.Persona, merchant: factory.Persona
) -> None:
    incident, _ = make_incident(merchant)
    _post(operator, incident, "take", None)
    police = operator.client().get("/api/v1/incidents").json()[0]["lifecycle"]
    shop = merchant.client().get("/api/v1/incidents").json()[0]["lifecycle"]
    assert police["taken_by"]["name"] == "Opératrice Martin"
    assert shop["taken_by"]["name"] is None
    assert shop["state"] == "taken" and shop["state_label"] == "pris en charge"
    assert shop["next_steps"] == ["lift_doubt", "close"]
    assert shop["close_outcomes"] == ["false_alarm", "referred", "other"]


@pytest.mark.parametrize(
    ("route", "body", "code"),
    [
        ("lift-doubt", {"verdict": "peut-être"}, "invalid_verdict"),
        ("close", {"outcome": "evaporated"}, "invalid_outcome"),
    ],
)
def test_an_unknown_verdict_or_outcome_is_a_400(
    operator: factory.Persona, merchant: factory.Persona, route: str, body: Any, code: str
) -> None:
    incident = _drive(operator, make_incident(merchant)[0], "taken")
    before, events = _row(incident), Event.objects.count()
    response = _post(operator, incident, route, body)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert _row(incident) == before and Event.objects.count() == events


@pytest.mark.parametrize("route", ["lift-doubt", "close"])
def test_a_missing_body_is_refused_structured(
    operator: factory.Persona, merchant: factory.Persona, route: str
) -> None:
    incident = _drive(operator, make_incident(merchant)[0], "taken")
    response = _post(operator, incident, route, {})
    assert response.status_code == 422
    assert set(response.json()) >= {"code", "message"}


@pytest.mark.parametrize("role", [Role.MERCHANT, Role.COORDINATOR, Role.AGENT, Role.DPO])
def test_only_operators_move_an_incident(
    operator: factory.Persona, merchant: factory.Persona, commune: Commune, role: str
) -> None:
    incident, _ = make_incident(merchant)
    someone = merchant if role == Role.MERCHANT else factory.make_member(role, commune)
    before, events = _row(incident), Event.objects.count()
    assert _post(someone, incident, "take", None).status_code == 403
    assert _row(incident) == before and Event.objects.count() == events


def test_another_communes_incident_looks_absent(merchant: factory.Persona) -> None:
    incident, _ = make_incident(merchant)
    outsider = factory.make_member(Role.OPERATOR, factory.make_commune())
    assert _post(outsider, incident, "take", None).status_code == 404
    incident.refresh_from_db()
    assert incident.state == "reported"
