"""Who is woken by a push for which event: the one rule (docs/decisions.md, "Web Push").

The police for new reports, escalations, the shops' messages and the neighbour alerts
waiting for their validation; agents when dispatched, for the police notes of their
incidents and when released; merchants for neighbour alerts, « fin d'alerte », the
police's broadcasts and every step of their own reports (the shop bound of the policy
keeps each merchant to its own). Whether the member may see the event at all is the
stream's rule (stream/viewer.py), asked after this one; nobody is woken by their own act.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from maillage.access.roles import Role
from maillage.stream.kinds import Kind

if TYPE_CHECKING:
    from maillage.members.models import Membership
    from maillage.stream.models import Event

POLICE = frozenset({Role.OPERATOR})
# The reporting shop follows its report; a patrol sent is one of its steps.
OWN_REPORT_STEPS = frozenset(
    {
        Kind.INCIDENT_TAKEN,
        Kind.INCIDENT_DOUBT_LIFTED,
        Kind.INCIDENT_INTERVENTION_ENGAGED,
        Kind.INCIDENT_ON_SITE,
        Kind.INCIDENT_CLOSED,
        Kind.INCIDENT_DISPATCHED,
        Kind.INCIDENT_ESCALATED,
    }
)
NEIGHBOUR_NEWS = frozenset(
    {Kind.NEIGHBOUR_ALERT_SENT, Kind.NEIGHBOUR_ALERT_VALIDATED, Kind.NEIGHBOUR_ALERT_ENDED}
)
# What wakes a phone with the highest urgency (RFC 8030 §5.3): the rest is "normal".
URGENT = frozenset(
    {
        Kind.INCIDENT_REPORTED,
        Kind.INCIDENT_ESCALATED,
        Kind.INCIDENT_DISPATCHED,
        Kind.NEIGHBOUR_ALERT_SENT,
        Kind.NEIGHBOUR_ALERT_VALIDATED,
        Kind.NEIGHBOUR_ALERT_SUBMITTED,
        Kind.CRISIS_STARTED,
    }
)
KINDS = frozenset(
    {
        Kind.INCIDENT_REPORTED,
        Kind.MESSAGE_POSTED,
        Kind.NOTE_POSTED,
        Kind.NEIGHBOUR_ALERT_SUBMITTED,
        Kind.BROADCAST_SENT,
        Kind.CRISIS_STARTED,
    }
    | OWN_REPORT_STEPS
    | NEIGHBOUR_NEWS
)


def _named(event: Event, field: str, membership: Membership) -> bool:
    return str(membership.public_id) in (event.payload.get(field) or ())


def wants(event: Event, membership: Membership, actor_role: str | None) -> bool:
    """Whether this member is woken for this event (before the visibility rule)."""
    if event.kind not in KINDS or (event.actor_id is not None and event.actor_id == membership.pk):
        return False
    kind, role = Kind(event.kind), membership.role
    police_acted = actor_role in {Role.OPERATOR, Role.AGENT}
    if role in POLICE:
        return kind in {
            Kind.INCIDENT_REPORTED,
            Kind.INCIDENT_ESCALATED,
            Kind.NEIGHBOUR_ALERT_SUBMITTED,
        } or (kind == Kind.MESSAGE_POSTED and not police_acted)
    if role == Role.PARTNER:
        return kind == Kind.INCIDENT_REPORTED
    if role == Role.AGENT:
        return (
            (kind == Kind.INCIDENT_DISPATCHED and _named(event, "agents", membership))
            or (kind == Kind.INCIDENT_CLOSED and _named(event, "released", membership))
            or kind == Kind.NOTE_POSTED
        )
    if role == Role.MERCHANT:
        if kind in NEIGHBOUR_NEWS or kind in {Kind.BROADCAST_SENT, Kind.CRISIS_STARTED}:
            return event.shop_id is None or event.shop_id != membership.shop_id
        own = event.shop_id is not None and event.shop_id == membership.shop_id
        return own and (kind in OWN_REPORT_STEPS or (kind == Kind.MESSAGE_POSTED and police_acted))
    if kind == Kind.INCIDENT_ESCALATED:
        return _named(event, "supervisors", membership)
    return kind == Kind.CRISIS_STARTED


def urgency(kind: str) -> str:
    return "high" if kind in URGENT else "normal"
