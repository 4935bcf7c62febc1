"""Dispatch: an operator sends agents to an incident; each agent reports its own status.

Agents hold no police service key (it would open every report), so the dispatching
operator's device hands each of the agents' certified devices the content key of every
message stored so far: one content-key grant per (message, device), signed by that
operator device (docs/envelope.md, « Dispatch: content-key grants »). The server cannot
open a grant; it checks what it stores — the incident, the message, the recipient device
and its key, the signer, the signature — and that the grants cover exactly every
(message, device) pair, all or nothing. Messages sealed after the dispatch list the
agents' devices directly (trust/recipients.py).

An agent's status moves forward only (« en route », « sur place », « terminé »), the same
on every device and in the console: each change is one action and one event. An agent's
« sur place » also marks the incident « sur place » when an intervention was engaged; the
incident's closure releases every agent still on it (incidents/workflow.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from maillage.access.policy import Action
from maillage.access.roles import MembershipStatus, Role
from maillage.errors import ApiError, Conflict
from maillage.incidents import lifecycle, workflow
from maillage.incidents.actions import visible_incident
from maillage.incidents.lifecycle import AgentStatus, State, Step, Verdict
from maillage.incidents.models import ContentKeyGrant, Dispatch, Incident
from maillage.members.models import Membership
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.trust import recipients, signed_keys
from maillage.trust.models import Device, DeviceCertificate
from maillage.trust.signed_keys import Invalid
from maillage.wire import chain
from maillage.wire import content_grant as wire_grant
from maillage.wire.envelope import EnvelopeError

__all__ = ["MAX_AGENTS", "candidates", "dispatch", "report_status"]

MAX_AGENTS = 10
KEY_NAME = "les clés des messages"


class NotDispatched(ApiError):
    status = 409


@dataclass(frozen=True)
class Candidate:
    """An active agent of the commune, its certified devices, and what it is busy with."""

    membership: Membership
    certificates: list[DeviceCertificate]
    active_elsewhere: int
    dispatch: Dispatch | None


def _agents_of(commune_id: int, wanted: Sequence[uuid.UUID] | None = None) -> list[Membership]:
    members = Membership.objects.filter(
        commune_id=commune_id, role=Role.AGENT, status=MembershipStatus.ACTIVE
    ).select_related("person")
    if wanted is not None:
        members = members.filter(public_id__in=list(wanted))
    return sorted(members, key=lambda m: (m.person.display_name, str(m.public_id)))


def _certificates(incident: Incident, agents: Sequence[Membership]) -> list[DeviceCertificate]:
    return recipients.current_certificates(
        recipients.in_commune(incident.commune), Q(device__membership__in=list(agents))
    )


def candidates(actor: Membership, incident_id: uuid.UUID) -> tuple[Incident, list[Candidate]]:
    """Whom the operator may send: every active agent with its certified devices, the
    dispatches it is on elsewhere, and its dispatch here if any."""
    incident = visible_incident(actor, incident_id, Action.DISPATCH_AGENT)
    agents = _agents_of(incident.commune_id)
    by_member: dict[int, list[DeviceCertificate]] = {}
    for certificate in _certificates(incident, agents):
        by_member.setdefault(certificate.device.membership_id, []).append(certificate)
    here = {d.agent_id: d for d in Dispatch.objects.filter(incident=incident)}
    busy: dict[int, int] = {}
    for agent_id in (
        Dispatch.objects.filter(agent__in=agents, released_at__isnull=True)
        .exclude(incident=incident)
        .values_list("agent_id", flat=True)
    ):
        busy[agent_id] = busy.get(agent_id, 0) + 1
    return incident, [
        Candidate(a, by_member.get(a.pk, []), busy.get(a.pk, 0), here.get(a.pk)) for a in agents
    ]


def _wanted_agents(incident: Incident, agents: Sequence[uuid.UUID]) -> list[Membership]:
    if not agents:
        raise Invalid("agents_required", "Choisissez au moins un agent.", field="agents")
    if len(set(agents)) != len(agents):
        raise Invalid("invalid", "Le même agent est choisi deux fois.", field="agents")
    if len(agents) > MAX_AGENTS:
        raise Invalid("invalid", f"Au plus {MAX_AGENTS} agents par envoi.", field="agents")
    found = _agents_of(incident.commune_id, agents)
    if len(found) != len(agents):
        raise Invalid(
            "not_an_agent",
            "Seuls les agents actifs de la commune peuvent être envoyés sur un signalement.",
            field="agents",
        )
    return found


def _check_grants(
    holder: signed_keys.Holder,
    incident: Incident,
    messages: dict[str, int],
    devices: dict[str, Device],
    documents: Sequence[chain.SignedDocument],
    wanted: set[tuple[str, str]] | None = None,
) -> list[tuple[chain.SignedDocument, int, Device]]:
    """Each grant names this incident, one of its messages and one of the agents' devices
    with its own key, comes from the caller's device, once; together they cover every
    (message, device) pair, or exactly the `wanted` ones."""
    wanted = wanted if wanted is not None else {(m, d) for m in messages for d in devices}
    checked: list[tuple[chain.SignedDocument, int, Device]] = []
    seen: set[tuple[str, str]] = set()
    commune = str(incident.commune.public_id)
    for index, document in enumerate(documents):
        field = f"grants.{index}"
        try:
            grant = wire_grant.parse_content_key_grant(document)
        except (EnvelopeError, chain.TrustError) as exc:
            raise signed_keys.refused(exc, field) from exc
        if grant.commune != commune or grant.incident != str(incident.public_id):
            raise Invalid("grant_mismatch", "Cette clé ne vise pas ce signalement.", field=field)
        message = messages.get(grant.message)
        if message is None:
            raise Invalid(
                "grant_mismatch", "Cette clé vise un message absent de ce signalement.", field=field
            )
        signed_keys.check_granter(
            holder,
            document,
            issuer=grant.issuer,
            issued_at=grant.issued_at,
            field=field,
            time_code="grant_time",
        )
        pair = (grant.message, grant.recipient)
        # The checks in either order: a pair not wanted is refused at its first grant.
        device = signed_keys.check_recipient(
            grant,
            devices,
            field=field,
            not_allowed="Une clé ne peut être transmise qu'aux appareils certifiés des agents "
            "envoyés.",
            seen=seen,
            once=pair,
            duplicate="Deux clés pour le même message et le même appareil.",
        )
        if pair not in wanted:
            raise Invalid(
                "grant_mismatch",
                "Cet appareil a déjà la clé de ce message : rechargez le signalement.",
                field=field,
            )
        checked.append((document, message, device))
    missing = len(wanted - seen)
    if missing:
        raise Invalid(
            "grants_incomplete",
            f"Il manque {missing} clé(s) : chaque message du signalement doit être transmis à "
            "chaque appareil des agents envoyés. Rechargez le signalement et recommencez.",
            field="grants",
        )
    return checked


def _store(
    holder: signed_keys.Holder,
    incident: Incident,
    checked: list[tuple[chain.SignedDocument, int, Device]],
) -> None:
    """The checked grants, but for a (message, device) already granted (an agent sent
    again keeps its first grant, which opens the same key)."""
    already = set(
        ContentKeyGrant.objects.filter(
            message__incident=incident, recipient_device__in=[d for _, _, d in checked]
        ).values_list("message_id", "recipient_device_id")
    )
    ContentKeyGrant.objects.bulk_create(
        [
            ContentKeyGrant(
                message_id=message,
                recipient_device=recipient,
                granter_device=holder.device,
                granter_certificate=holder.certificate,
                body=document.body,
                signature=document.signature,
            )
            for document, message, recipient in checked
            if (message, recipient.pk) not in already
        ]
    )


def missing_keys(incident: Incident) -> tuple[set[tuple[str, str]], dict[str, Device]]:
    """The (message, device) pairs an agent on the incident cannot open yet: a device it
    certified after its dispatch, or a message sealed from a directory read just before
    it. Neither listed in the envelope nor granted. With the agents' current devices."""
    on_it = Membership.objects.filter(
        dispatches__incident=incident, dispatches__released_at__isnull=True
    )
    devices = {str(c.device.public_id): c.device for c in _certificates(incident, list(on_it))}
    if not devices:
        return set(), devices
    granted = set(
        ContentKeyGrant.objects.filter(
            message__incident=incident, recipient_device__in=list(devices.values())
        ).values_list("message__public_id", "recipient_device__public_id")
    )
    granted_ids = {(str(m), str(d)) for m, d in granted}
    missing: set[tuple[str, str]] = set()
    for public_id, header in incident.messages.values_list("public_id", "header"):
        listed = {r.get("id") for r in json.loads(header).get("recipients", ())}
        for device in devices:
            pair = (str(public_id), device)
            if device not in listed and pair not in granted_ids:
                missing.add(pair)
    return missing, devices


def add_missing_keys(
    actor: Membership,
    device: Device | None,
    incident_id: uuid.UUID,
    grants: Sequence[chain.SignedDocument],
) -> int:
    """The grants for exactly what `missing_keys` lists, from an operator's device: one
    action, one `dispatch.keys_added`; anything else refuses it all."""
    incident = visible_incident(actor, incident_id, Action.DISPATCH_AGENT)
    with action(
        Actor.member(actor, device), Action.DISPATCH_AGENT, incident, kind=Kind.DISPATCH_KEYS_ADDED
    ) as act:
        holder = signed_keys.holder_of(act.actor, KEY_NAME)
        Incident.objects.select_for_update().get(pk=incident.pk)
        missing, devices = missing_keys(incident)
        if not missing:
            raise Conflict(
                "nothing_missing",
                "Chaque agent envoyé a déjà la clé de chaque message. Rien n'a été modifié.",
            )
        messages = {
            str(public_id): pk for pk, public_id in incident.messages.values_list("pk", "public_id")
        }
        checked = _check_grants(holder, incident, messages, devices, grants, missing)
        _store(holder, incident, checked)
        act.record(
            incident,
            {"grants": len(checked), "devices": sorted({d for _, d in missing})},
        )
    return len(checked)


def dispatch(
    actor: Membership,
    device: Device | None,
    incident_id: uuid.UUID,
    agents: Sequence[uuid.UUID],
    grants: Sequence[chain.SignedDocument],
) -> Incident:
    """Send these agents, with the content keys of every message for their devices: one
    action, one `incident.dispatched`; anything wrong refuses it all (nothing stored)."""
    incident = visible_incident(actor, incident_id, Action.DISPATCH_AGENT)
    with action(
        Actor.member(actor, device), Action.DISPATCH_AGENT, incident, kind=Kind.INCIDENT_DISPATCHED
    ) as act:
        # Locked, so the state checked is the one a closure or another dispatch of the
        # same incident waits on; checked before anything else is looked at.
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        lifecycle.check_dispatch(
            State(locked.state), Verdict(locked.verdict) if locked.verdict else None
        )
        members = _wanted_agents(incident, agents)
        holder = signed_keys.holder_of(act.actor, KEY_NAME)
        existing = {d.agent_id: d for d in Dispatch.objects.filter(incident=incident)}
        for member in members:
            current = existing.get(member.pk)
            if current is not None and current.released_at is None:
                raise Conflict(
                    "already_dispatched",
                    f"{member.person.display_name} est déjà sur ce signalement. "
                    "Rien n'a été modifié.",
                    field="agents",
                )
        certificates = _certificates(incident, members)
        with_device = {c.device.membership_id for c in certificates}
        for member in members:
            if member.pk not in with_device:
                raise Conflict(
                    "agent_without_device",
                    f"{member.person.display_name} n'a aucun appareil certifié : il ne "
                    "pourrait pas lire le signalement. Rien n'a été modifié.",
                    field="agents",
                )
        devices = {str(c.device.public_id): c.device for c in certificates}
        messages = {
            str(public_id): pk for pk, public_id in incident.messages.values_list("pk", "public_id")
        }
        checked = _check_grants(holder, incident, messages, devices, grants)
        _store(holder, incident, checked)
        now = timezone.now()
        for member in members:
            current = existing.get(member.pk)
            if current is None:
                Dispatch.objects.create(
                    incident=incident,
                    agent=member,
                    dispatched_by=actor,
                    dispatched_at=now,
                    status=AgentStatus.DISPATCHED,
                    status_at=now,
                )
            else:  # sent again after « terminé »: a fresh dispatch on the same row
                Dispatch.objects.filter(pk=current.pk).update(
                    dispatched_by=actor,
                    dispatched_at=now,
                    status=AgentStatus.DISPATCHED,
                    status_at=now,
                    outcome="",
                    released_at=None,
                )
        act.record(
            incident,
            {
                "agents": [str(m.public_id) for m in members],
                "by": str(actor.public_id),
                "grants": len(checked),
            },
        )
    incident.refresh_from_db()
    return incident


def report_status(
    actor: Membership,
    device: Device | None,
    incident_id: uuid.UUID,
    status: object,
    outcome: object | None = None,
) -> Dispatch:
    """The agent's own « en route », « sur place » or « terminé » (with an outcome) on an
    incident it was sent to; refused, changing nothing, once released or out of order."""
    incident = visible_incident(actor, incident_id, Action.REPORT_DISPATCH_STATUS)
    wanted = lifecycle.parse_agent_status(status)
    parsed_outcome: lifecycle.Outcome | None = None
    if wanted == AgentStatus.DONE:
        if outcome is None:
            raise lifecycle.BadStepInput(
                "outcome_required", "Indiquez l'issue de votre intervention.", field="outcome"
            )
        parsed_outcome = lifecycle.parse_outcome(outcome)
    with action(
        Actor.member(actor, device),
        Action.REPORT_DISPATCH_STATUS,
        incident,
        kind=Kind.DISPATCH_STATUS_CHANGED,
    ) as act:
        current = (
            Dispatch.objects.select_for_update().filter(incident=incident, agent=actor).first()
        )
        if current is None or current.released_at is not None:
            raise NotDispatched(
                "not_dispatched",
                "Vous n'êtes plus envoyé sur ce signalement (terminé ou clôturé). "
                "Rien n'a été modifié.",
            )
        lifecycle.check_agent_status(AgentStatus(current.status), wanted)
        now = timezone.now()
        changes: dict[str, Any] = {"status": wanted.value, "status_at": now}
        if parsed_outcome is not None:
            changes |= {"outcome": parsed_outcome.value, "released_at": now}
        Dispatch.objects.filter(pk=current.pk).update(**changes)
        act.record(
            incident,
            {
                "agent": str(actor.public_id),
                "status": wanted.value,
                "outcome": parsed_outcome.value if parsed_outcome is not None else "",
            },
        )
        state = State(Incident.objects.values_list("state", flat=True).get(pk=incident.pk))
        if wanted == AgentStatus.ON_SITE and lifecycle.agent_on_site_advances(state):
            workflow.step(
                actor, device, incident, Step.ON_SITE, permission=Action.REPORT_DISPATCH_STATUS
            )
    current.refresh_from_db()
    return current
