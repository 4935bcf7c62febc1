"""Requests of the incidents and privacy routes for the authorisation matrix.

`members/tests/test_authorisation_matrix.py` calls these with its `Ctx` (client, persona,
home commune, targets of the commune under test). Allowed calls are real: envelopes are
sealed by the persona's own certified device, targets hold real sealed messages.
"""

from __future__ import annotations

import uuid
from typing import Any

from maillage.incidents.lifecycle import Step
from maillage.incidents.models import Incident
from maillage.incidents.tests.helpers import (
    Draft,
    agent_with_a_new_device,
    content_grants,
    dispatched_incident,
    make_incident,
    multipart,
)
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.privacy.access_log import record_content_access
from maillage.trust import directory
from maillage.wire.envelope import Sealed

Request = tuple[str, dict[str, Any]]


def _can_seal(persona: factory.Persona | None) -> bool:
    return (
        persona is not None
        and persona.maybe_device is not None
        and directory.current_certificate(persona.device) is not None
    )


def _sealed(ctx: Any, incident: str) -> Sealed | None:
    """The persona's own envelope, or None when it has no device to seal with."""
    if not _can_seal(ctx.persona):
        return None
    draft = Draft(ctx.persona, incident=incident, attachments=[b"matrice" * 30])
    return draft.seal()


def _agent_here(ctx: Any) -> bool:
    persona = ctx.persona
    return (
        _can_seal(persona)
        and persona.membership.role == Role.AGENT
        and persona.membership.commune_id == ctx.targets.commune.pk
    )


def target_incident(ctx: Any, *, send_agent: bool = False) -> tuple[Incident, str]:
    """An incident the target shop's merchant reported, with one sealed attachment.

    `send_agent`: when the caller is an agent of that commune, it is dispatched there
    first (an agent reads and posts only where it was sent), with real grants."""
    targets = ctx.targets
    if send_agent and _agent_here(ctx):
        incident, draft = dispatched_incident(
            targets.reporter, ctx.persona, attachments=[b"cible" * 30]
        )
    else:
        incident, draft = make_incident(targets.reporter, attachments=[b"cible" * 30])
    targets.ids.add(str(incident.public_id))
    return incident, draft.message


def report(ctx: Any) -> Request:
    incident = str(uuid.uuid4())
    sealed = _sealed(ctx, incident)
    data = multipart(sealed, incident=incident) if sealed else {"incident": incident}
    return "/api/v1/incidents", {"data": data}


def post_message(ctx: Any) -> Request:
    incident, _ = target_incident(ctx, send_agent=True)
    sealed = _sealed(ctx, str(incident.public_id))
    data = multipart(sealed) if sealed else {}
    return f"/api/v1/incidents/{incident.public_id}/messages", {"data": data}


def post_note(ctx: Any) -> Request:
    """A note sealed to the persona's own device only (a police device when it is one)."""
    incident, _ = target_incident(ctx, send_agent=True)
    sealed = _sealed(ctx, str(incident.public_id))
    data = multipart(sealed) if sealed else {}
    return f"/api/v1/incidents/{incident.public_id}/notes", {"data": data}


def list_incidents(ctx: Any) -> Request:
    target_incident(ctx, send_agent=True)
    return "/api/v1/incidents", {}


def list_messages(ctx: Any) -> Request:
    incident, _ = target_incident(ctx, send_agent=True)
    return f"/api/v1/incidents/{incident.public_id}/messages", {}


def attachment(ctx: Any) -> Request:
    incident, message = target_incident(ctx, send_agent=True)
    return f"/api/v1/incidents/{incident.public_id}/messages/{message}/attachments/1", {}


def recipients(ctx: Any) -> Request:
    incident, _ = target_incident(ctx, send_agent=True)
    return f"/api/v1/trust/recipients?incident={incident.public_id}", {}


# --- dispatch (incidents/dispatch.py) ---------------------------------------------------


def dispatch_candidates(ctx: Any) -> Request:
    incident, _ = target_incident(ctx)
    return f"/api/v1/incidents/{incident.public_id}/dispatch", {}


def dispatch(ctx: Any) -> Request:
    """The target commune's incident, taken in charge and sealed to the caller's device
    when it is an operator's, with grants for a new agent signed by that device."""
    from maillage.incidents import workflow

    targets = ctx.targets
    persona = ctx.persona
    agent = factory.make_member(Role.AGENT, targets.commune, name="Agent de la matrice")
    is_operator = _can_seal(persona) and persona.membership.role == Role.OPERATOR
    readers = [persona.device] if is_operator else []
    incident, _ = make_incident(targets.reporter, readers=readers)
    taker = persona if is_operator and persona.membership.commune_id == targets.commune.pk else None
    taker = taker or factory.make_member(Role.OPERATOR, targets.commune)
    workflow.take(taker.membership, taker.device, incident)
    grants = content_grants(persona, incident, [agent]) if is_operator else []
    targets.ids.update({str(incident.public_id), str(agent.membership.public_id)})
    return f"/api/v1/incidents/{incident.public_id}/dispatch", {
        "data": {"agents": [str(agent.membership.public_id)], "grants": grants},
        "content_type": "application/json",
    }


def dispatch_status(ctx: Any) -> Request:
    incident, _ = target_incident(ctx, send_agent=True)
    return f"/api/v1/incidents/{incident.public_id}/dispatch/status", {
        "data": {"status": "en_route"},
        "content_type": "application/json",
    }


def _logged_read(ctx: Any) -> None:
    incident, message = target_incident(ctx)
    record_content_access(
        membership=ctx.targets.reporter.membership,
        device=ctx.targets.reporter.device,
        incident_public_id=str(incident.public_id),
        message_public_id=message,
        what="envelope",
    )


def access_log(ctx: Any) -> Request:
    _logged_read(ctx)
    return "/api/v1/privacy/access-log", {}


def verify_access_log(ctx: Any) -> Request:
    _logged_read(ctx)
    return "/api/v1/privacy/access-log/verify", {}


# --- the lifecycle: the target incident brought to the state the step leaves -----------

_BEFORE: dict[str, list[tuple[str, str | None]]] = {
    "take": [],
    "lift-doubt": [("take", None)],
    "engage": [("take", None), ("lift_doubt", "founded")],
    "on-site": [("take", None), ("lift_doubt", "founded"), ("engage", None)],
    "close": [("take", None), ("lift_doubt", "founded"), ("engage", None)],
}
_BODIES: dict[str, dict[str, str]] = {
    "lift-doubt": {"verdict": "founded"},
    "close": {"outcome": "arrest"},
}


def lifecycle_step(route: str) -> Any:
    def build(ctx: Any) -> Request:
        from maillage.incidents import workflow
        from maillage.members.models import Role

        incident, _ = target_incident(ctx)
        operator = factory.make_member(Role.OPERATOR, ctx.targets.commune)
        for step, value in _BEFORE[route]:
            workflow.step(
                operator.membership,
                operator.device,
                incident,
                workflow.Step(step),
                verdict=value if step == "lift_doubt" else None,
            )
            incident.refresh_from_db()
        url = f"/api/v1/incidents/{incident.public_id}/{route}"
        body = _BODIES.get(route)
        if body is None:
            return url, {}
        return url, {"data": body, "content_type": "application/json"}

    return build


# --- drills (incidents/exercises.py) ----------------------------------------------------


def _no_running_exercise(ctx: Any) -> None:
    """One drill at a time: the target commune's coordinator ends any running one, so that
    every allowed persona's start is a real 201."""
    from maillage.incidents import exercises

    running = exercises.running(ctx.targets.commune.pk)
    if running is not None:
        coordinator = factory.certifier_of(ctx.targets.commune)
        exercises.end(coordinator.membership, coordinator.device, running.public_id)


def start_exercise(ctx: Any) -> Request:
    _no_running_exercise(ctx)
    return "/api/v1/incidents/exercises", {
        "data": {"name": "Exercice de la matrice"},
        "content_type": "application/json",
    }


def end_exercise(ctx: Any) -> Request:
    """A drill of the target commune, started by its coordinator, for the persona to end."""
    from maillage.incidents import exercises

    _no_running_exercise(ctx)
    coordinator = factory.certifier_of(ctx.targets.commune)
    drill = exercises.start(coordinator.membership, coordinator.device, "Exercice à terminer")
    return f"/api/v1/incidents/exercises/{drill.public_id}/end", {}


# --- crisis clusters (incidents/clusters.py) --------------------------------------------


def _two_reports(ctx: Any) -> list[str]:
    """Two fresh reports of the target's shop (one sector, one category, a minute apart)."""
    return [str(make_incident(ctx.targets.reporter)[0].public_id) for _ in range(2)]


def confirm_cluster(ctx: Any) -> Request:
    return "/api/v1/incidents/clusters", {
        "data": {"incidents": _two_reports(ctx)},
        "content_type": "application/json",
    }


def step_cluster(ctx: Any) -> Request:
    """A cluster of the target commune, confirmed by one of its operators, to take."""
    from maillage.incidents import clusters
    from maillage.members.models import Role

    operator = factory.make_member(Role.OPERATOR, ctx.targets.commune)
    cluster = clusters.confirm(
        operator.membership, operator.device, [uuid.UUID(i) for i in _two_reports(ctx)]
    )
    return f"/api/v1/incidents/clusters/{cluster.public_id}/step", {
        "data": {"step": "take"},
        "content_type": "application/json",
    }


def dispatch_cluster(ctx: Any) -> Request:
    """A cluster of the target commune, taken in charge, whose reports are sealed to the
    caller's device when it is an operator's, with grants for a new agent it signs."""
    from maillage.incidents import clusters

    targets, persona = ctx.targets, ctx.persona
    is_operator = _can_seal(persona) and persona.membership.role == Role.OPERATOR
    readers = [persona.device] if is_operator else []
    reports = [make_incident(targets.reporter, readers=readers)[0] for _ in range(2)]
    operator = factory.make_member(Role.OPERATOR, targets.commune)
    cluster = clusters.confirm(operator.membership, operator.device, [r.public_id for r in reports])
    clusters.step(operator.membership, operator.device, cluster.public_id, Step.TAKE)
    agent = factory.make_member(Role.AGENT, targets.commune, name="Agent du regroupement")
    grants = (
        [g for r in reports for g in content_grants(persona, r, [agent])] if is_operator else []
    )
    targets.ids.update({str(r.public_id) for r in reports} | {str(agent.membership.public_id)})
    return f"/api/v1/incidents/clusters/{cluster.public_id}/dispatch", {
        "data": {"agents": [str(agent.membership.public_id)], "grants": grants},
        "content_type": "application/json",
    }


def dispatch_keys(ctx: Any) -> Request:
    """A report of the target commune with an agent sent, who certified a tablet since:
    the keys it lacks, signed by the caller's device when it is an operator's."""
    targets, persona = ctx.targets, ctx.persona
    is_operator = _can_seal(persona) and persona.membership.role == Role.OPERATOR
    incident, agent, grants = agent_with_a_new_device(
        targets.reporter, persona if is_operator else None
    )
    targets.ids.update({str(incident.public_id), str(agent.membership.public_id)})
    return f"/api/v1/incidents/{incident.public_id}/dispatch/keys", {
        "data": {"grants": grants},
        "content_type": "application/json",
    }
