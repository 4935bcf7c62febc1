"""Response shapes of the incidents API: metadata only, content stays sealed."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from maillage.incidents import lifecycle
from maillage.incidents.models import Dispatch, Incident, SealedAttachment, SealedMessage
from maillage.schemas import Text
from maillage.stats.timings import timings_of


class ShopRefOut(Schema):
    id: uuid.UUID
    enseigne: str


class CategoryRefOut(Schema):
    slug: str
    label: str


class TakerOut(Schema):
    id: uuid.UUID
    name: str | None = Field(description="Le nom de l'opérateur : pour la police seulement")


class LifecycleOut(Schema):
    """Where the incident stands (incidents/lifecycle.py); every time is the server's, at
    the step's event."""

    state: str
    state_label: str
    verdict: str | None
    outcome: str | None
    taken_by: TakerOut | None
    taken_at: datetime | None
    doubt_lifted_at: datetime | None
    intervention_at: datetime | None
    on_site_at: datetime | None
    closed_at: datetime | None
    next_steps: list[str]
    close_outcomes: list[str] = Field(description="Les issues possibles d'une clôture, ici")


class VerdictIn(Schema):
    verdict: str = Field(max_length=40, description="founded | unfounded")


class OutcomeIn(Schema):
    outcome: str = Field(
        max_length=40, description="arrest | left | false_alarm | referred | other"
    )


class IncidentStepOut(Schema):
    incident: IncidentOut


class ClusterIn(Schema):
    incidents: list[uuid.UUID] = Field(min_length=2, max_length=50)


class ClusterStepIn(Schema):
    step: str = Field(pattern="^(take|lift_doubt|engage|on_site|close)$")
    verdict: str | None = Field(default=None, max_length=40)
    outcome: str | None = Field(default=None, max_length=40)


class ClusterMemberOut(Schema):
    id: uuid.UUID
    state: str
    created_at: datetime


class ClusterOut(Schema):
    id: uuid.UUID
    sector: int
    category: str
    created_at: datetime
    incidents: list[ClusterMemberOut]


class ProposalMemberOut(Schema):
    id: uuid.UUID
    shop: str
    state: str
    created_at: datetime


class ProposalOut(Schema):
    sector: int
    sector_name: str
    category: str
    category_label: str
    incidents: list[ProposalMemberOut]


class ClusterStepOut(Schema):
    changed: list[uuid.UUID]


class TargetOut(Schema):
    minutes: int
    state: str
    overdue: bool


class ExerciseRefOut(Schema):
    id: uuid.UUID
    name: str


class ExerciseOut(ExerciseRefOut):
    started_at: datetime
    ended_at: datetime | None
    incidents: int


class ExerciseIn(Schema):
    name: str = Field(default="", max_length=200)


class DispatchOut(Schema):
    """An agent sent to the incident and the status it reports (incidents/dispatch.py)."""

    agent: uuid.UUID
    name: str
    status: str = Field(description="dispatched | en_route | on_site | done")
    status_label: str
    status_at: datetime
    outcome: str | None
    dispatched_at: datetime
    released_at: datetime | None


class IncidentOut(Schema):
    id: uuid.UUID
    commune: uuid.UUID
    shop: ShopRefOut
    reported_by: uuid.UUID
    created_at: datetime
    messages: int
    category: CategoryRefOut
    severity: str
    neighbours: bool
    photos: int
    reported_unreachable: bool
    lifecycle: LifecycleOut
    escalation_level: int = Field(description="How many escalations fired (0 to 2)")
    exercise: ExerciseRefOut | None = Field(description="The drill it belongs to, if any")
    cluster: uuid.UUID | None = Field(default=None, description="Its crisis cluster, if any")
    target: TargetOut | None = Field(
        default=None, description="Its category's target: met, missed or pending (lists)"
    )
    dispatches: list[DispatchOut] = Field(
        default_factory=list, description="The agents sent (to the police and the agents only)"
    )
    patrol_sent_at: datetime | None = Field(
        default=None,
        description="When the first agent was sent (everyone who sees the report; no names)",
    )


class CategoryOut(Schema):
    slug: str
    label: str
    severity: str
    call_17: bool


class NeighbourPolicyOut(Schema):
    validation: bool
    expiry_minutes: int


class CatalogueOut(Schema):
    categories: list[CategoryOut]
    severities: list[str]
    neighbours: NeighbourPolicyOut


class CategorySettingOut(CategoryOut):
    enabled: bool
    target_minutes: int


class LimitOut(Schema):
    count: int
    minutes: int


class CategoryIn(Schema):
    slug: str = Field(max_length=40, pattern="^[a-z][a-z0-9_]{0,39}$")
    label: Annotated[str, Text(60)]
    severity: str = Field(pattern="^(low|medium|high|critical)$")
    call_17: bool = False
    enabled: bool = True
    target_minutes: int = Field(default=5, ge=1, le=120)


class LimitIn(Schema):
    count: int = Field(ge=0, le=1000)
    minutes: int = Field(ge=1, le=1440)


class LimitsIn(Schema):
    report_device: LimitIn
    report_shop: LimitIn
    neighbour_device: LimitIn
    neighbour_shop: LimitIn


class AlertSettingsIn(Schema):
    categories: list[CategoryIn] = Field(min_length=1, max_length=20)
    neighbour_validation: bool
    neighbour_expiry_minutes: int = Field(ge=5, le=1440)
    limits: LimitsIn
    # Absent: the product's defaults (a client that predates escalation keeps working).
    escalation_first_seconds: int = Field(default=60, ge=15, le=3600)
    escalation_second_seconds: int = Field(default=180, ge=16, le=3600)
    supervisors: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    cluster_window_minutes: int = Field(default=10, ge=1, le=120)


class AlertSettingsOut(Schema):
    categories: list[CategorySettingOut]
    neighbour_validation: bool
    neighbour_expiry_minutes: int
    limits: dict[str, LimitOut]
    escalation_first_seconds: int
    escalation_second_seconds: int
    supervisors: list[uuid.UUID]
    cluster_window_minutes: int


class AttachmentRefOut(Schema):
    index: int
    size: int


class MessageOut(Schema):
    id: uuid.UUID
    incident: uuid.UUID
    sender_device: uuid.UUID
    sent_at: int
    received_at: datetime
    attachments: list[AttachmentRefOut]
    police_only: bool = Field(
        default=False, description="A police note (only the police and agents sent see it)"
    )


class SignedOut(Schema):
    body: str
    signature: str


class WireEnvelopeOut(Schema):
    body: str
    signature: str
    sender_chain: list[SignedOut]
    content: str


class SignedDocOut(Schema):
    body: str
    signature: str


class ContentGrantOut(SignedDocOut):
    """The message's content key wrapped for the caller's device (an agent's) by the
    operator device that dispatched it, with that device's chain."""

    granter_chain: list[SignedDocOut]


class MessageEnvelopeOut(MessageOut):
    envelope: WireEnvelopeOut
    grant: ContentGrantOut | None = Field(
        default=None, description="For an agent's device: the content key granted to it"
    )


class SignedDocIn(Schema):
    body: Annotated[str, Text(8192)]
    signature: Annotated[str, Text(128)]


class DispatchIn(Schema):
    agents: list[uuid.UUID] = Field(min_length=1, max_length=10)
    grants: list[SignedDocIn] = Field(max_length=1000)


class DispatchStatusIn(Schema):
    status: str = Field(max_length=20, description="en_route | on_site | done")
    outcome: str | None = Field(default=None, max_length=40, description="With done")


class CandidateDeviceOut(Schema):
    device: uuid.UUID
    chain: list[SignedDocOut]


class CandidateOut(Schema):
    agent: uuid.UUID
    name: str
    devices: list[CandidateDeviceOut]
    active_elsewhere: int = Field(description="Incidents it is on elsewhere, not released")
    dispatch: DispatchOut | None


class MissingKeyOut(Schema):
    message: uuid.UUID
    device: uuid.UUID


class CandidatesOut(Schema):
    incident: uuid.UUID
    messages: list[uuid.UUID] = Field(description="Every message to grant, in order")
    agents: list[CandidateOut]
    missing: list[MissingKeyOut] = Field(
        default_factory=list,
        description="What an agent on it cannot open yet (POST …/dispatch/keys grants it)",
    )


class GrantsIn(Schema):
    grants: list[SignedDocIn] = Field(min_length=1, max_length=1000)


class KeysAddedOut(Schema):
    grants: int


class ReportOut(Schema):
    incident: IncidentOut
    message: MessageOut


class PostedOut(Schema):
    message: MessageOut


def lifecycle_out(incident: Incident, *, police: bool = False) -> dict[str, Any]:
    """`police`: the viewer handles cases, and may see which colleague took this one."""
    state = lifecycle.State(incident.state)
    verdict = lifecycle.Verdict(incident.verdict) if incident.verdict else None
    taker = incident.taken_by if incident.taken_by_id is not None else None
    return {
        "state": state.value,
        "state_label": lifecycle.STATE_LABELS[state],
        "verdict": incident.verdict or None,
        "outcome": incident.outcome or None,
        "taken_by": None
        if taker is None
        else {"id": taker.public_id, "name": taker.person.display_name if police else None},
        "taken_at": incident.taken_at,
        "doubt_lifted_at": incident.doubt_lifted_at,
        "intervention_at": incident.intervention_at,
        "on_site_at": incident.on_site_at,
        "closed_at": incident.closed_at,
        "next_steps": [step.value for step in lifecycle.next_steps(state, verdict)],
        "close_outcomes": [
            outcome.value
            for outcome in lifecycle.Outcome
            if outcome in lifecycle.close_outcomes(state, verdict)
        ],
    }


def _exercise_ref(incident: Incident) -> dict[str, Any] | None:
    if incident.exercise_id is None:
        return None
    exercise = incident.exercise
    assert exercise is not None
    return {"id": exercise.public_id, "name": exercise.name}


def _target(incident: Incident, targets: dict[str, int] | None, now: datetime | None) -> Any:
    """The target's state by the stats rule (stats/timings.py), when the caller read the
    commune's targets (the lists do; a single report's answer does not)."""
    if targets is None or now is None:
        return None
    minutes = targets.get(incident.category, 5)
    timed = timings_of(incident, minutes, now)
    return {"minutes": minutes, "state": timed.target.value, "overdue": timed.overdue}


def incident_out(
    incident: Incident,
    messages: int | None = None,
    *,
    police: bool = False,
    targets: dict[str, int] | None = None,
    now: datetime | None = None,
    crew: bool = False,
    fresh: bool = False,
) -> dict[str, Any]:
    """`police`: the viewer handles cases; `crew`: it may see who is sent (police, agents).
    Lists prefetch `dispatches` (with their agents): everyone sees when a patrol was sent.
    `fresh`: a report just accepted, which no agent can have been sent to yet."""
    count = messages if messages is not None else incident.messages.count()
    dispatches = [] if fresh else list(incident.dispatches.all())
    sent = [d.dispatched_at for d in dispatches]
    return {
        "dispatches": [dispatch_out(d) for d in dispatches] if crew else [],
        "patrol_sent_at": min(sent) if sent else None,
        "id": incident.public_id,
        "commune": incident.commune.public_id,
        "shop": {"id": incident.shop.public_id, "enseigne": incident.shop.enseigne},
        "reported_by": incident.reported_by.public_id,
        "created_at": incident.created_at,
        "messages": count,
        "category": {"slug": incident.category, "label": incident.category_label},
        "severity": incident.severity,
        "neighbours": incident.neighbours,
        "photos": incident.photos,
        "reported_unreachable": incident.reported_unreachable,
        "escalation_level": incident.escalation_level,
        "exercise": _exercise_ref(incident),
        "target": _target(incident, targets, now),
        "cluster": incident.cluster.public_id
        if incident.cluster_id is not None and incident.cluster
        else None,
        "lifecycle": lifecycle_out(incident, police=police),
    }


def dispatch_out(dispatch: Dispatch) -> dict[str, Any]:
    status = lifecycle.AgentStatus(dispatch.status)
    return {
        "agent": dispatch.agent.public_id,
        "name": dispatch.agent.person.display_name,
        "status": status.value,
        "status_label": lifecycle.AGENT_STATUS_LABELS[status],
        "status_at": dispatch.status_at,
        "outcome": dispatch.outcome or None,
        "dispatched_at": dispatch.dispatched_at,
        "released_at": dispatch.released_at,
    }


def message_out(
    message: SealedMessage, attachments: list[SealedAttachment] | None = None
) -> dict[str, Any]:
    """`attachments`: the message's parts when the caller holds them (just stored)."""
    parts = attachments if attachments is not None else message.attachments.all()
    return {
        "id": message.public_id,
        "incident": message.incident.public_id,
        "sender_device": message.sender_device.public_id,
        "sent_at": message.sent_at,
        "received_at": message.received_at,
        "attachments": [{"index": part.index, "size": part.size} for part in parts],
        "police_only": message.police_only,
    }


def wire_of(message: SealedMessage) -> dict[str, Any]:
    """The envelope exactly as the sender uploaded it."""
    return {
        "body": message.header,
        "signature": message.signature,
        "sender_chain": json.loads(message.sender_chain),
        "content": message.content,
    }
