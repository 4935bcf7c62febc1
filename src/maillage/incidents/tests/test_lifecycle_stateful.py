"""Random sequences of lifecycle steps by random members, against the real actions and
database (Hypothesis stateful testing).

Each example reports a fresh incident, then members of every kind (the two operators,
the reporting shop's merchant, another shop's merchant, the coordinator, an agent, an
operator of another commune) try random steps with random verdicts and outcomes. The
machine keeps its own model of the rules (written here, not read from
`incidents.lifecycle`) and checks, after every try:

- a step succeeds exactly when the model says it is legal, and then appends one event of
  its kind; a refused one leaves the incident's row and the whole event log unchanged;
- the incident is never in an illegal state (verdict, outcome and taker consistent with
  its state);
- its timings are monotonic (report ≤ taken ≤ doubt lifted ≤ intervention ≤ on site ≤
  closed) and each is its step's event's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from django.forms.models import model_to_dict
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from maillage.errors import ApiError
from maillage.incidents import alert_settings, workflow
from maillage.incidents.models import Incident
from maillage.incidents.tests.helpers import make_incident
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.action import CLI
from maillage.stream.models import Event

pytestmark = pytest.mark.django_db

OUTCOMES = ("arrest", "left", "false_alarm", "referred", "other")
STEPS = ("take", "lift_doubt", "engage", "on_site", "close")
KINDS = {
    "take": "incident.taken",
    "lift_doubt": "incident.doubt_lifted",
    "engage": "incident.intervention_engaged",
    "on_site": "incident.on_site",
    "close": "incident.closed",
}
STAMPS = ("taken_at", "doubt_lifted_at", "intervention_at", "on_site_at", "closed_at")
STAMP_OF_KIND = dict(zip(KINDS.values(), STAMPS, strict=True))

# The model: (state, verdict) → the steps it allows, with the state they reach.
Model = tuple[str, str | None]


def model_step(model: Model, step: str, value: str | None) -> Model | None:
    """The model reached by a legal step, or None when the rules refuse it."""
    state, verdict = model
    if step == "take":
        return ("taken", None) if state == "reported" else None
    if step == "lift_doubt":
        return (
            ("doubt_lifted", value)
            if state == "taken" and value in {"founded", "unfounded"}
            else None
        )
    if step == "engage":
        return (
            ("intervention", verdict) if (state, verdict) == ("doubt_lifted", "founded") else None
        )
    if step == "on_site":
        return ("on_site", verdict) if state == "intervention" else None
    allowed = {
        ("taken", None): {"false_alarm", "referred", "other"},
        ("doubt_lifted", "founded"): {"left", "referred", "other"},
        ("doubt_lifted", "unfounded"): {"false_alarm"},
        ("intervention", "founded"): set(OUTCOMES),
        ("on_site", "founded"): set(OUTCOMES),
    }.get(model, set())
    return ("closed", verdict) if value in allowed else None


@dataclass
class World:
    operators: list[factory.Persona]
    reporter: factory.Persona
    others: dict[str, factory.Persona]  # members who may never move the incident


class LifecycleMachine(RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.incident, _ = make_incident(self.world.reporter)
        self.model: Model = ("reported", None)
        self.taker: int | None = None

    def _row(self) -> dict[str, Any]:
        return model_to_dict(Incident.objects.get(pk=self.incident.pk))

    def _try(self, persona: factory.Persona, step: str, value: str | None) -> bool:
        before, last = self._row(), Event.objects.order_by("-pk").first()
        kwargs: dict[str, Any] = {}
        if step == "lift_doubt":
            kwargs["verdict"] = value
        if step == "close":
            kwargs["outcome"] = value
        try:
            workflow.step(
                persona.membership,
                persona.device,
                self.incident.public_id,
                workflow.Step(step),
                **kwargs,
            )
        except ApiError as refusal:
            assert refusal.status in {400, 403, 404, 409}
            assert self._row() == before, "a refused step changed the incident"
            assert Event.objects.order_by("-pk").first() == last, "a refused step left an event"
            return False
        events = list(Event.objects.filter(pk__gt=last.pk if last else 0))
        assert [e.kind for e in events] == [KINDS[step]]
        assert events[0].target_id == str(self.incident.public_id)
        return True

    @rule(
        which=st.integers(0, 1),
        step=st.sampled_from(STEPS),
        verdict=st.sampled_from(["founded", "unfounded", "peut-être", None]),
        outcome=st.sampled_from([*OUTCOMES, "évaporé", None]),
    )
    def operator_tries(
        self, which: int, step: str, verdict: str | None, outcome: str | None
    ) -> None:
        value = verdict if step == "lift_doubt" else outcome if step == "close" else None
        operator = self.world.operators[which]
        expected = model_step(self.model, step, value)
        succeeded = self._try(operator, step, value)
        assert succeeded == (expected is not None), (self.model, step, value)
        if expected is not None:
            self.model = expected
            if step == "take":
                self.taker = operator.membership.pk

    @rule(
        who=st.sampled_from(["reporter", "other_merchant", "coordinator", "agent", "outsider"]),
        step=st.sampled_from(STEPS),
        outcome=st.sampled_from(OUTCOMES),
    )
    def someone_else_tries(self, who: str, step: str, outcome: str) -> None:
        persona = self.world.reporter if who == "reporter" else self.world.others[who]
        value = "founded" if step == "lift_doubt" else outcome if step == "close" else None
        assert not self._try(persona, step, value)

    @invariant()
    def the_state_is_legal(self) -> None:
        incident = Incident.objects.get(pk=self.incident.pk)
        state, verdict = self.model
        assert (incident.state, incident.verdict or None) == (state, verdict)
        assert (incident.outcome != "") == (state == "closed")
        assert incident.taken_by_id == self.taker
        if state in {"intervention", "on_site"}:
            assert incident.verdict == "founded"

    @invariant()
    def timings_are_monotonic_and_come_from_the_log(self) -> None:
        incident = Incident.objects.get(pk=self.incident.pk)
        times = [incident.created_at] + [getattr(incident, n) for n in STAMPS]
        present = [t for t in times if t is not None]
        assert present == sorted(present)
        events = Event.objects.filter(target_id=str(incident.public_id), kind__in=STAMP_OF_KIND)
        stamped = {STAMP_OF_KIND[e.kind]: e.at for e in events}
        assert stamped == {n: getattr(incident, n) for n in STAMPS if getattr(incident, n)}


def test_random_steps_by_random_members_keep_the_lifecycle_legal() -> None:
    commune = factory.make_commune()
    current = alert_settings.for_commune(commune).as_dict()
    current["limits"] = {name: {"count": 0, "minutes": 10} for name in current["limits"]}
    alert_settings.change(CLI, commune, current)  # many reports from one device: no limit
    LifecycleMachine.world = World(
        operators=[
            factory.make_member(Role.OPERATOR, commune, name="Opératrice A"),
            factory.make_member(Role.OPERATOR, commune, name="Opérateur B"),
        ],
        reporter=factory.make_member(Role.MERCHANT, commune),
        others={
            "other_merchant": factory.make_member(Role.MERCHANT, commune),
            "coordinator": factory.make_member(Role.COORDINATOR, commune),
            "agent": factory.make_member(Role.AGENT, commune),
            "outsider": factory.make_member(Role.OPERATOR, factory.make_commune()),
        },
    )
    run_state_machine_as_test(
        LifecycleMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=12,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
