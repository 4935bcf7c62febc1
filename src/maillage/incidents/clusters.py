"""Crisis clusters: reports of one sector and category close in time, proposed as one
event, confirmed by an operator, then handled once (docs/decisions.md, "Crisis
clusters").

A proposal is computed, never stored: the open reports of a sector and category that
belong to no cluster, each within the commune's `cluster_window_minutes` of the previous
one, two or more. Confirming is one action (`cluster.confirmed`). A step on a cluster
(take, lift the doubt, engage, on site, close) applies the lifecycle's own action to each
of its open reports for which that step is legal now, in one transaction: each report
keeps its own timeline and its own event, and if one refuses (a closure's outcome that
does not fit it), none changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction

from maillage.access.policy import Action, require, visible
from maillage.errors import ApiError, Conflict, NotFound
from maillage.incidents import alert_settings, dispatch, lifecycle, workflow
from maillage.incidents.lifecycle import IllegalStep, State, Step, Verdict
from maillage.incidents.models import Cluster, Dispatch, Incident
from maillage.members.models import Membership
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.trust import signed_keys
from maillage.trust.models import Device
from maillage.wire import chain
from maillage.wire import content_grant as wire_grant
from maillage.wire.envelope import EnvelopeError

__all__ = ["confirm", "proposals", "step"]

MAX_SIZE = 50
OPEN = [s.value for s in lifecycle.OPEN_STATES]


class ClusterRefused(ApiError):
    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message + " Rien n'a été enregistré.", field="incidents")


@dataclass(frozen=True)
class Proposal:
    sector_id: int
    sector: str
    category: str
    category_label: str
    incidents: list[Incident]


def _runs(incidents: list[Incident], window: timedelta) -> list[list[Incident]]:
    """Maximal runs, in time order, where each report is within `window` of the previous."""
    runs: list[list[Incident]] = []
    for incident in incidents:
        if runs and incident.created_at - runs[-1][-1].created_at <= window:
            runs[-1].append(incident)
        else:
            runs.append([incident])
    return runs


def _window(commune_id: int) -> timedelta:
    return timedelta(minutes=alert_settings.for_commune(commune_id).cluster_window_minutes)


def proposals(actor: Membership) -> list[Proposal]:
    """What the console proposes to group, largest first."""
    require(actor, Action.MANAGE_CLUSTERS)
    window = _window(actor.commune_id)
    candidates = (
        visible(actor, Incident)
        .filter(state__in=OPEN, cluster__isnull=True)
        .select_related("shop__sector")
        .order_by("shop__sector_id", "category", "created_at", "pk")
    )
    groups: dict[tuple[int, str], list[Incident]] = {}
    for incident in candidates:
        groups.setdefault((incident.shop.sector_id, incident.category), []).append(incident)
    found = [
        Proposal(
            sector_id=sector_id,
            sector=run[0].shop.sector.name,
            category=category,
            category_label=run[-1].category_label,
            incidents=run,
        )
        for (sector_id, category), members in groups.items()
        for run in _runs(members, window)
        if len(run) >= 2
    ]
    return sorted(found, key=lambda p: (-len(p.incidents), p.incidents[0].created_at))


def confirm(actor: Membership, device: Device | None, ids: list[uuid.UUID]) -> Cluster:
    """Group these reports as one (the operator's confirmation of a proposal, or their
    own choice under the same rule); a French refusal naming why, storing nothing."""
    require(actor, Action.MANAGE_CLUSTERS)
    wanted = sorted(set(ids))
    if not 2 <= len(wanted) <= MAX_SIZE:
        raise ClusterRefused(
            "cluster_size", f"Un regroupement réunit de 2 à {MAX_SIZE} signalements."
        )
    with action(
        Actor.member(actor, device),
        Action.MANAGE_CLUSTERS,
        actor.commune,
        kind=Kind.CLUSTER_CONFIRMED,
    ) as act:
        members = list(
            visible(actor, Incident)
            .select_for_update()
            .filter(public_id__in=wanted)
            .order_by("created_at", "pk")
        )
        if len(members) != len(wanted):
            raise NotFound("Signalement introuvable.")
        sectors = set(
            Incident.objects.filter(pk__in=[m.pk for m in members]).values_list(
                "shop__sector_id", flat=True
            )
        )
        if len(sectors) != 1 or len({m.category for m in members}) != 1:
            raise ClusterRefused(
                "cluster_mixed",
                "Seuls des signalements du même secteur et de la même catégorie se regroupent.",
            )
        if any(m.state == State.CLOSED.value for m in members):
            raise ClusterRefused("cluster_closed", "Un signalement clôturé ne se regroupe plus.")
        if any(m.cluster_id is not None for m in members):
            raise Conflict(
                "already_clustered",
                "Un de ces signalements fait déjà partie d'un regroupement. "
                "Rien n'a été enregistré.",
                field="incidents",
            )
        if len(_runs(members, _window(actor.commune_id))) != 1:
            raise ClusterRefused(
                "cluster_window",
                "Ces signalements sont trop espacés dans le temps pour la fenêtre de la commune.",
            )
        cluster = Cluster.objects.create(
            commune=actor.commune,
            sector_id=sectors.pop(),
            category=members[0].category,
            created_by=actor,
        )
        Incident.objects.filter(pk__in=[m.pk for m in members]).update(cluster=cluster)
        act.record(
            cluster,
            {
                "incidents": [str(m.public_id) for m in members],
                "sector": cluster.sector_id,
                "category": cluster.category,
            },
        )
    return cluster


def cluster_of(actor: Membership, public_id: uuid.UUID) -> Cluster:
    require(actor, Action.MANAGE_CLUSTERS)
    found = Cluster.objects.filter(commune_id=actor.commune_id, public_id=public_id).first()
    if found is None:
        raise NotFound("Regroupement introuvable.")
    return found


def step(
    actor: Membership,
    device: Device | None,
    public_id: uuid.UUID,
    which: Step,
    *,
    verdict: str | None = None,
    outcome: str | None = None,
) -> list[Incident]:
    """Apply `which` to every open report of the cluster it is legal for now; all or none.
    Returns the reports it changed (409 when it is legal for none of them)."""
    cluster = cluster_of(actor, public_id)
    changed: list[Incident] = []
    with transaction.atomic():
        members = list(
            Incident.objects.select_for_update()
            .filter(cluster=cluster, state__in=OPEN)
            .order_by("created_at", "pk")
        )
        for incident in members:
            current = Verdict(incident.verdict) if incident.verdict else None
            if which not in lifecycle.next_steps(State(incident.state), current):
                continue
            changed.append(
                workflow.step(actor, device, incident, which, verdict=verdict, outcome=outcome)
            )
        if not changed:
            raise Conflict(
                "nothing_to_do",
                f"Aucun signalement de ce regroupement ne peut « {lifecycle.STEP_LABELS[which]} » "
                "maintenant. Rien n'a été modifié.",
            )
    return changed


def dispatch_all(
    actor: Membership,
    device: Device | None,
    public_id: uuid.UUID,
    agents: list[uuid.UUID],
    grants: list[chain.SignedDocument],
) -> list[Incident]:
    """Send these agents to every open report of the cluster they may be sent to and are
    not on yet, each with the grants that name it: one `incident.dispatched` per report,
    all in one transaction, all or none (incidents/dispatch.py checks each). Grants for a
    report skipped here are not stored; a grant for a report outside the cluster refuses
    everything."""
    cluster = cluster_of(actor, public_id)
    by_incident: dict[str, list[chain.SignedDocument]] = {}
    for index, document in enumerate(grants):
        try:
            named = wire_grant.parse_content_key_grant(document).incident
        except (EnvelopeError, chain.TrustError) as exc:
            raise signed_keys.refused(exc, f"grants.{index}") from exc
        by_incident.setdefault(named, []).append(document)
    changed: list[Incident] = []
    with transaction.atomic():
        members = list(
            Incident.objects.select_for_update()
            .filter(cluster=cluster, state__in=OPEN)
            .order_by("created_at", "pk")
        )
        outside = set(by_incident) - {str(m.public_id) for m in members}
        if outside:
            raise signed_keys.Invalid(
                "grant_mismatch",
                "Une clé vise un signalement qui n'est pas ouvert dans ce regroupement.",
                field="grants",
            )
        on_it = set(
            Dispatch.objects.filter(
                incident__in=members, agent__public_id__in=agents, released_at__isnull=True
            ).values_list("incident_id", flat=True)
        )
        for incident in members:
            verdict = Verdict(incident.verdict) if incident.verdict else None
            try:
                lifecycle.check_dispatch(State(incident.state), verdict)
            except IllegalStep:
                continue
            if incident.pk in on_it:
                continue
            changed.append(
                dispatch.dispatch(
                    actor,
                    device,
                    incident.public_id,
                    agents,
                    by_incident.get(str(incident.public_id), []),
                )
            )
        if not changed:
            raise Conflict(
                "nothing_to_do",
                "Aucun signalement de ce regroupement ne peut recevoir ces agents maintenant "
                "(à prendre en charge d'abord, ou agents déjà envoyés). Rien n'a été modifié.",
            )
    return changed


def cluster_out(cluster: Cluster) -> dict[str, Any]:
    members = list(cluster.incidents.order_by("created_at", "pk"))
    return {
        "id": cluster.public_id,
        "sector": cluster.sector_id,
        "category": cluster.category,
        "created_at": cluster.created_at,
        "incidents": [
            {"id": i.public_id, "state": i.state, "created_at": i.created_at} for i in members
        ],
    }
