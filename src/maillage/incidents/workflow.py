"""The lifecycle's actions: one per step, each one transaction and one event.

`incidents.lifecycle` decides whether a step is legal; this module applies it. Each step
is a conditional UPDATE (`… WHERE state = <from>`) inside its action, so two operators
taking the same incident at the same instant, in one server process or two, produce
exactly one `incident.taken`: the other gets a 409 naming who took it. A refused step
changes nothing and appends nothing.

The incident's lifecycle fields are a projection of its events: each step's time is the
`at` of the event this action appends (the server's clock), never a value a client sent.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone

from maillage.access.policy import Action, require
from maillage.errors import Conflict
from maillage.incidents import lifecycle
from maillage.incidents.actions import visible_incident
from maillage.incidents.lifecycle import State, Step, Verdict
from maillage.incidents.models import Dispatch, Incident
from maillage.members.models import Membership
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.trust.models import Device

__all__ = ["close", "engage", "lift_doubt", "on_site", "step", "take"]

KINDS: dict[Step, Kind] = {
    Step.TAKE: Kind.INCIDENT_TAKEN,
    Step.LIFT_DOUBT: Kind.INCIDENT_DOUBT_LIFTED,
    Step.ENGAGE: Kind.INCIDENT_INTERVENTION_ENGAGED,
    Step.ON_SITE: Kind.INCIDENT_ON_SITE,
    Step.CLOSE: Kind.INCIDENT_CLOSED,
}
PERMISSIONS: dict[Step, Action] = {
    Step.TAKE: Action.TAKE_INCIDENT,
    Step.LIFT_DOUBT: Action.ADVANCE_INCIDENT,
    Step.ENGAGE: Action.ADVANCE_INCIDENT,
    Step.ON_SITE: Action.ADVANCE_INCIDENT,
    Step.CLOSE: Action.ADVANCE_INCIDENT,
}


def _taker(incident: Incident) -> str:
    if incident.taken_by_id is None:
        return "un autre opérateur"
    taker = (
        Membership.objects.filter(pk=incident.taken_by_id)
        .values_list("person__display_name", flat=True)
        .first()
    )
    return taker or "un autre opérateur"


def already_taken(incident: Incident) -> Conflict:
    return Conflict(
        "already_taken",
        f"Ce signalement est déjà pris en charge par {_taker(incident)}. Rien n'a été modifié.",
    )


def _changed(incident: Incident) -> Conflict:
    label = lifecycle.STATE_LABELS[State(incident.state)]
    return Conflict(
        "incident_changed",
        f"Ce signalement vient de changer (« {label} ») : vérifiez-le avant de continuer. "
        "Rien n'a été modifié.",
    )


def _verdict(incident: Incident) -> Verdict | None:
    return Verdict(incident.verdict) if incident.verdict else None


def _payload(transition: lifecycle.Transition, actor: Membership) -> dict[str, Any]:
    payload: dict[str, Any] = {"state": transition.target.value}
    if transition.step == Step.TAKE:
        payload["by"] = str(actor.public_id)
    elif transition.step == Step.LIFT_DOUBT:
        assert transition.verdict is not None
        payload["verdict"] = transition.verdict.value
    elif transition.step == Step.CLOSE:
        assert transition.outcome is not None
        payload |= {"from": transition.source.value, "outcome": transition.outcome.value}
    return payload


def step(
    actor: Membership,
    device: Device | None,
    target: Incident | uuid.UUID,
    which: Step,
    *,
    verdict: str | None = None,
    outcome: str | None = None,
    permission: Action | None = None,
) -> Incident:
    """Apply one lifecycle step to the incident and return it as it now stands; or refuse
    (403/404 by the policy, 400 for an unknown verdict or outcome, 409 for a step the
    lifecycle refuses from the incident's state), changing nothing.

    `permission`: the right asked instead of the step's own, for a step another action
    makes on its way (an agent's « sur place », incidents/dispatch.py)."""
    permission = permission or PERMISSIONS[which]
    if isinstance(target, Incident):
        require(actor, permission, target)
        incident = target
    else:
        incident = visible_incident(actor, target, permission)
    parsed_verdict = lifecycle.parse_verdict(verdict) if verdict is not None else None
    parsed_outcome = lifecycle.parse_outcome(outcome) if outcome is not None else None
    if which == Step.TAKE and incident.taken_by_id is not None:
        raise already_taken(incident)
    transition = lifecycle.check(
        State(incident.state),
        which,
        verdict=parsed_verdict,
        current_verdict=_verdict(incident),
        outcome=parsed_outcome,
    )
    stamp = lifecycle.TIMESTAMP_FIELDS[transition.target]
    changes: dict[str, Any] = {"state": transition.target.value, stamp: timezone.now()}
    if transition.step == Step.TAKE:
        changes["taken_by"] = actor
        changes["escalation_due_at"] = None  # taken: no escalation is due any more
    if transition.verdict is not None:
        changes["verdict"] = transition.verdict.value
    if transition.outcome is not None:
        changes["outcome"] = transition.outcome.value
    with action(Actor.member(actor, device), permission, incident, kind=KINDS[which]) as act:
        claimed = Incident.objects.filter(pk=incident.pk, state=transition.source.value).update(
            **changes
        )
        if not claimed:
            # Another step won the race since the incident was read: nothing of ours is
            # written, the transaction rolls back with the refusal.
            incident.refresh_from_db()
            if which == Step.TAKE and incident.taken_by_id is not None:
                raise already_taken(incident)
            raise _changed(incident)
        payload = _payload(transition, actor)
        if transition.step == Step.CLOSE:
            payload["released"] = _release_agents(incident)
        event = act.record(incident, payload)
        # The step's time is its event's: the projection and the log agree to the microsecond.
        Incident.objects.filter(pk=incident.pk).update(**{stamp: event.at})
    incident.refresh_from_db()
    return incident


def _release_agents(incident: Incident) -> list[str]:
    """Closing releases every agent still on the incident; their public ids, for the event."""
    still_on = Dispatch.objects.filter(incident=incident, released_at__isnull=True)
    released = sorted(str(p) for p in still_on.values_list("agent__public_id", flat=True))
    still_on.update(released_at=timezone.now())
    return released


def take(actor: Membership, device: Device | None, target: Incident | uuid.UUID) -> Incident:
    return step(actor, device, target, Step.TAKE)


def lift_doubt(
    actor: Membership, device: Device | None, target: Incident | uuid.UUID, verdict: str
) -> Incident:
    return step(actor, device, target, Step.LIFT_DOUBT, verdict=verdict)


def engage(actor: Membership, device: Device | None, target: Incident | uuid.UUID) -> Incident:
    return step(actor, device, target, Step.ENGAGE)


def on_site(actor: Membership, device: Device | None, target: Incident | uuid.UUID) -> Incident:
    return step(actor, device, target, Step.ON_SITE)


def close(
    actor: Membership, device: Device | None, target: Incident | uuid.UUID, outcome: str
) -> Incident:
    return step(actor, device, target, Step.CLOSE, outcome=outcome)
