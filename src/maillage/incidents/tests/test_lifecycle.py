"""The lifecycle module on its own: what it offers (`next_steps`, `close_outcomes`, which
the console draws as buttons) is exactly what `check` accepts, and every refusal is a
structured error with a French sentence."""

from __future__ import annotations

import pytest

from maillage.incidents import lifecycle
from maillage.incidents.lifecycle import Outcome, State, Step, Verdict

POSITIONS = [
    (State.REPORTED, None),
    (State.TAKEN, None),
    (State.DOUBT_LIFTED, Verdict.FOUNDED),
    (State.DOUBT_LIFTED, Verdict.UNFOUNDED),
    (State.INTERVENTION, Verdict.FOUNDED),
    (State.ON_SITE, Verdict.FOUNDED),
    (State.CLOSED, Verdict.FOUNDED),
    (State.CLOSED, None),
]


def _legal(state: State, verdict: Verdict | None, step: Step, outcome: Outcome | None) -> bool:
    try:
        lifecycle.check(
            state, step, verdict=Verdict.FOUNDED, current_verdict=verdict, outcome=outcome
        )
    except (lifecycle.IllegalStep, lifecycle.BadStepInput) as refusal:
        assert refusal.message.endswith(".")
        assert refusal.status in {400, 409}
        return False
    return True


@pytest.mark.parametrize(("state", "verdict"), POSITIONS)
def test_what_is_offered_is_exactly_what_is_accepted(state: State, verdict: Verdict | None) -> None:
    offered = lifecycle.next_steps(state, verdict)
    outcomes = lifecycle.close_outcomes(state, verdict)
    for step in Step:
        if step == Step.CLOSE:
            for outcome in Outcome:
                assert _legal(state, verdict, step, outcome) == (outcome in outcomes)
            assert (step in offered) == bool(outcomes)
        else:
            assert _legal(state, verdict, step, None) == (step in offered)


def test_every_state_verdict_and_outcome_has_a_french_label() -> None:
    assert set(lifecycle.STATE_LABELS) == set(State)
    assert set(lifecycle.VERDICT_LABELS) == set(Verdict)
    assert set(lifecycle.OUTCOME_LABELS) == set(Outcome)
    assert set(lifecycle.STEP_LABELS) == set(Step)
    assert set(lifecycle.TIMESTAMP_FIELDS) == set(State) - {State.REPORTED}


def test_a_closed_incident_is_final_and_unfounded_closes_as_a_false_alarm_only() -> None:
    assert lifecycle.next_steps(State.CLOSED, Verdict.FOUNDED) == []
    assert lifecycle.close_outcomes(State.DOUBT_LIFTED, Verdict.UNFOUNDED) == {Outcome.FALSE_ALARM}
    assert lifecycle.close_outcomes(State.REPORTED, None) == frozenset()
    with pytest.raises(lifecycle.BadStepInput):
        lifecycle.parse_outcome("evaporated")
    with pytest.raises(lifecycle.BadStepInput):
        lifecycle.parse_verdict(None)
