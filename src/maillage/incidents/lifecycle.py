"""The incident's lifecycle: its states, the steps between them, and which are legal.

    signalé → pris en charge → doute levé (fondé | infondé) → intervention engagée
            → sur place → clôturé (issue)

This module is the only place that decides whether a step is legal (docs/decisions.md,
"Incident lifecycle"); `incidents.workflow` applies what `check` allows, as one action and
one event per step, and nothing else compares states. It is pure: no database, no clock.

Shortcuts: closing is legal from every state once the incident is taken in charge, with
an outcome that fits what is known by then (`CLOSE_OUTCOMES`); a doubt lifted as
unfounded closes as a false alarm only, and cannot engage an intervention. A closed
incident is final.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from maillage.errors import ApiError


class State(enum.StrEnum):
    REPORTED = "reported"
    TAKEN = "taken"
    DOUBT_LIFTED = "doubt_lifted"
    INTERVENTION = "intervention"
    ON_SITE = "on_site"
    CLOSED = "closed"


class Verdict(enum.StrEnum):
    FOUNDED = "founded"
    UNFOUNDED = "unfounded"


class Outcome(enum.StrEnum):
    ARREST = "arrest"
    LEFT = "left"
    FALSE_ALARM = "false_alarm"
    REFERRED = "referred"
    OTHER = "other"


class Step(enum.StrEnum):
    TAKE = "take"
    LIFT_DOUBT = "lift_doubt"
    ENGAGE = "engage"
    ON_SITE = "on_site"
    CLOSE = "close"


STATE_LABELS: dict[State, str] = {
    State.REPORTED: "signalé",
    State.TAKEN: "pris en charge",
    State.DOUBT_LIFTED: "doute levé",
    State.INTERVENTION: "intervention engagée",
    State.ON_SITE: "sur place",
    State.CLOSED: "clôturé",
}
VERDICT_LABELS: dict[Verdict, str] = {
    Verdict.FOUNDED: "fondé",
    Verdict.UNFOUNDED: "infondé",
}
OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.ARREST: "interpellation",
    Outcome.LEFT: "individu parti",
    Outcome.FALSE_ALARM: "fausse alerte",
    Outcome.REFERRED: "orienté vers la police nationale ou la gendarmerie",
    Outcome.OTHER: "autre",
}
STEP_LABELS: dict[Step, str] = {
    Step.TAKE: "prendre en charge",
    Step.LIFT_DOUBT: "lever le doute",
    Step.ENGAGE: "engager une intervention",
    Step.ON_SITE: "marquer l'arrivée sur place",
    Step.CLOSE: "clôturer",
}

# The one step forward from each state (closing aside, see CLOSE_OUTCOMES).
FORWARD: dict[State, tuple[Step, State]] = {
    State.REPORTED: (Step.TAKE, State.TAKEN),
    State.TAKEN: (Step.LIFT_DOUBT, State.DOUBT_LIFTED),
    State.DOUBT_LIFTED: (Step.ENGAGE, State.INTERVENTION),
    State.INTERVENTION: (Step.ON_SITE, State.ON_SITE),
}

_ALL_OUTCOMES = frozenset(Outcome)
# Which outcomes a closure may record, by the state it closes from (and, once the doubt is
# lifted, its verdict). Not from `reported`: every closed incident was taken in charge by
# a named operator. An arrest needs someone sent; a false alarm contradicts a founded
# verdict unless the patrol found nothing on arrival.
CLOSE_OUTCOMES: dict[tuple[State, Verdict | None], frozenset[Outcome]] = {
    (State.TAKEN, None): frozenset({Outcome.FALSE_ALARM, Outcome.REFERRED, Outcome.OTHER}),
    (State.DOUBT_LIFTED, Verdict.FOUNDED): frozenset(
        {Outcome.LEFT, Outcome.REFERRED, Outcome.OTHER}
    ),
    (State.DOUBT_LIFTED, Verdict.UNFOUNDED): frozenset({Outcome.FALSE_ALARM}),
    (State.INTERVENTION, Verdict.FOUNDED): _ALL_OUTCOMES,
    (State.ON_SITE, Verdict.FOUNDED): _ALL_OUTCOMES,
}

OPEN_STATES = frozenset(State) - {State.CLOSED}

# Where each step's time is kept on the incident (a projection of the step's event).
TIMESTAMP_FIELDS: dict[State, str] = {
    State.TAKEN: "taken_at",
    State.DOUBT_LIFTED: "doubt_lifted_at",
    State.INTERVENTION: "intervention_at",
    State.ON_SITE: "on_site_at",
    State.CLOSED: "closed_at",
}


class IllegalStep(ApiError):
    """A step the lifecycle refuses from the incident's state: nothing changed."""

    status = 409


class BadStepInput(ApiError):
    """A verdict or an outcome that does not exist: nothing changed."""

    status = 400


@dataclass(frozen=True)
class Transition:
    """What a legal step does: the state it leaves and the one it reaches."""

    step: Step
    source: State
    target: State
    verdict: Verdict | None = None
    outcome: Outcome | None = None


def parse_verdict(value: object) -> Verdict:
    try:
        return Verdict(str(value))
    except ValueError:
        raise BadStepInput(
            "invalid_verdict",
            "Verdict inconnu : « fondé » (founded) ou « infondé » (unfounded).",
            field="verdict",
        ) from None


def parse_outcome(value: object) -> Outcome:
    try:
        return Outcome(str(value))
    except ValueError:
        names = ", ".join(f"« {label} » ({o.value})" for o, label in OUTCOME_LABELS.items())
        raise BadStepInput(
            "invalid_outcome", f"Issue inconnue : {names}.", field="outcome"
        ) from None


def close_outcomes(state: State, verdict: Verdict | None) -> frozenset[Outcome]:
    """The outcomes a closure may record from here (empty: closing is not legal)."""
    return CLOSE_OUTCOMES.get((state, verdict), frozenset())


def next_steps(state: State, verdict: Verdict | None) -> list[Step]:
    """The legal steps from here, in the console's order."""
    steps: list[Step] = []
    forward = FORWARD.get(state)
    if forward is not None and not (state == State.DOUBT_LIFTED and verdict != Verdict.FOUNDED):
        steps.append(forward[0])
    if close_outcomes(state, verdict):
        steps.append(Step.CLOSE)
    return steps


def _refused(state: State, step: Step, reason: str) -> IllegalStep:
    return IllegalStep(
        "illegal_transition",
        f"Impossible de « {STEP_LABELS[step]} » un signalement « {STATE_LABELS[state]} » : "
        f"{reason} Rien n'a été modifié.",
    )


def check(
    state: State,
    step: Step,
    *,
    verdict: Verdict | None = None,
    current_verdict: Verdict | None = None,
    outcome: Outcome | None = None,
) -> Transition:
    """The transition `step` makes from `state`, or the refusal (IllegalStep, BadStepInput).

    `verdict`: the one a doubt-lifting records; `current_verdict`: the incident's, once
    lifted; `outcome`: the one a closure records."""
    if state == State.CLOSED:
        raise IllegalStep(
            "incident_closed", "Ce signalement est déjà clôturé. Rien n'a été modifié."
        )
    if step == Step.LIFT_DOUBT and verdict is None:
        raise BadStepInput(
            "verdict_required", "Indiquez si le doute est fondé ou infondé.", field="verdict"
        )
    if step == Step.CLOSE:
        if outcome is None:
            raise BadStepInput(
                "outcome_required", "Indiquez l'issue du signalement.", field="outcome"
            )
        allowed = close_outcomes(state, current_verdict)
        if not allowed:
            raise _refused(state, step, "prenez-le d'abord en charge.")
        if outcome not in allowed:
            names = ", ".join(f"« {OUTCOME_LABELS[o]} »" for o in Outcome if o in allowed)
            raise _refused(
                state,
                step,
                f"l'issue « {OUTCOME_LABELS[outcome]} » ne convient pas à ce stade "
                f"(possibles : {names}).",
            )
        return Transition(step, state, State.CLOSED, outcome=outcome)
    forward = FORWARD.get(state)
    if forward is None or forward[0] != step:
        expected = ", ".join(f"« {STEP_LABELS[s]} »" for s in next_steps(state, current_verdict))
        raise _refused(state, step, f"étapes possibles : {expected}.")
    if step == Step.ENGAGE and current_verdict != Verdict.FOUNDED:
        raise _refused(
            state, step, "le doute a été levé comme infondé : clôturez-le en fausse alerte."
        )
    return Transition(step, state, forward[1], verdict=verdict if step == Step.LIFT_DOUBT else None)


# --- dispatch (incidents/dispatch.py) ----------------------------------------------------

# Agents may be sent once an operator has taken the report in charge (a patrol often is
# the levée de doute), and until it closes; never to a doubt lifted as unfounded.
DISPATCH_STATES = frozenset({State.TAKEN, State.DOUBT_LIFTED, State.INTERVENTION, State.ON_SITE})


class AgentStatus(enum.StrEnum):
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    DONE = "done"


AGENT_STATUS_LABELS: dict[AgentStatus, str] = {
    AgentStatus.DISPATCHED: "envoyé",
    AgentStatus.EN_ROUTE: "en route",
    AgentStatus.ON_SITE: "sur place",
    AgentStatus.DONE: "terminé",
}
_AGENT_ORDER = list(AgentStatus)


def check_dispatch(state: State, verdict: Verdict | None) -> None:
    """Refuse sending agents to an incident in this state (IllegalStep)."""
    if state == State.CLOSED:
        raise IllegalStep(
            "incident_closed", "Ce signalement est déjà clôturé. Rien n'a été modifié."
        )
    if state not in DISPATCH_STATES:
        raise IllegalStep(
            "not_taken",
            "Prenez d'abord ce signalement en charge avant d'y envoyer un agent. "
            "Rien n'a été modifié.",
        )
    if verdict == Verdict.UNFOUNDED:
        raise IllegalStep(
            "doubt_unfounded",
            "Le doute a été levé comme infondé : aucun agent n'y est envoyé. Rien n'a été modifié.",
        )


def parse_agent_status(value: object) -> AgentStatus:
    try:
        status = AgentStatus(str(value))
    except ValueError:
        status = AgentStatus.DISPATCHED
    if status == AgentStatus.DISPATCHED:
        raise BadStepInput(
            "invalid_status",
            "Statut inconnu : « en route » (en_route), « sur place » (on_site) "
            "ou « terminé » (done).",
            field="status",
        )
    return status


def check_agent_status(current: AgentStatus, wanted: AgentStatus) -> None:
    """An agent's status only moves forward (a step may be skipped: « sur place » straight
    from « envoyé »); « terminé » is final for that dispatch."""
    if current == AgentStatus.DONE:
        raise IllegalStep(
            "dispatch_done", "Vous avez déjà terminé cette intervention. Rien n'a été modifié."
        )
    if _AGENT_ORDER.index(wanted) <= _AGENT_ORDER.index(current):
        raise IllegalStep(
            "illegal_status",
            f"Vous êtes déjà « {AGENT_STATUS_LABELS[current]} » : impossible de revenir à "
            f"« {AGENT_STATUS_LABELS[wanted]} ». Rien n'a été modifié.",
        )


def agent_on_site_advances(state: State) -> bool:
    """An agent's « sur place » marks the incident « sur place » when an intervention was
    engaged and nobody marked the arrival yet."""
    return state == State.INTERVENTION
