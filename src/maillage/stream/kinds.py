"""Every kind of event, its target, its payload fields and who may see it (docs/events.md).

The registry is the schema: `record` refuses a payload whose keys differ from the kind's
fields, so the feed a device reads and the audit trail the DPO reads have one shape.
Payloads hold identifiers, counts and enumerations; never content, never personal data
(the log is append-only, so it must hold nothing an erasure would have to remove).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from maillage.access.policy import Action


class Kind(enum.StrEnum):
    COMMUNE_CREATED = "commune.created"
    SECTOR_CREATED = "sector.created"
    SECTOR_NEIGHBOURS_CHANGED = "sector.neighbours_changed"
    SHOP_CREATED = "shop.created"
    SHOPS_IMPORTED = "shops.imported"
    SHOP_UPDATED = "shop.updated"
    INVITATION_CREATED = "invitation.created"
    INVITATION_CANCELLED = "invitation.cancelled"
    MEMBER_ENROLLED = "member.enrolled"
    MEMBER_SUSPENDED = "member.suspended"
    MEMBER_REINSTATED = "member.reinstated"
    MEMBER_REVOKED = "member.revoked"
    CHARTER_PUBLISHED = "charter.published"
    ROOT_INSTALLED = "root.installed"
    DEVICE_REGISTERED = "device.registered"
    DEVICE_CERTIFIED = "device.certified"
    DEVICE_REVOKED = "device.revoked"
    REVOCATION_LIST_PUBLISHED = "revocation_list.published"
    SERVICE_KEY_PUBLISHED = "service_key.published"
    SERVICE_KEY_GRANTS_ADDED = "service_key.grants_added"
    INCIDENT_REPORTED = "incident.reported"
    MESSAGE_POSTED = "message.posted"
    GROUP_KEY_PUBLISHED = "group_key.published"
    GROUP_KEY_GRANTS_ADDED = "group_key.grants_added"
    BROADCAST_SENT = "broadcast.sent"
    DUTY_SCHEDULE_CHANGED = "duty.schedule_changed"
    DUTY_FALLBACK_CHANGED = "duty.fallback_changed"
    NEIGHBOUR_ALERT_SUBMITTED = "neighbour_alert.submitted"
    NEIGHBOUR_ALERT_SENT = "neighbour_alert.sent"
    NEIGHBOUR_ALERT_VALIDATED = "neighbour_alert.validated"
    NEIGHBOUR_ALERT_REFUSED = "neighbour_alert.refused"
    NEIGHBOUR_ALERT_ENDED = "neighbour_alert.ended"
    ALERT_SETTINGS_CHANGED = "alert_settings.changed"
    ALERT_LIMIT_REACHED = "alert_limit.reached"
    INCIDENT_TAKEN = "incident.taken"
    INCIDENT_DOUBT_LIFTED = "incident.doubt_lifted"
    INCIDENT_INTERVENTION_ENGAGED = "incident.intervention_engaged"
    INCIDENT_ON_SITE = "incident.on_site"
    INCIDENT_CLOSED = "incident.closed"
    INCIDENT_ESCALATED = "incident.escalated"
    INCIDENT_DISPATCHED = "incident.dispatched"
    NOTE_POSTED = "note.posted"
    DISPATCH_KEYS_ADDED = "dispatch.keys_added"
    DISPATCH_STATUS_CHANGED = "dispatch.status_changed"
    EXERCISE_STARTED = "exercise.started"
    EXERCISE_ENDED = "exercise.ended"
    CLUSTER_CONFIRMED = "cluster.confirmed"
    CRISIS_STARTED = "crisis.started"
    CRISIS_INSTRUCTIONS_CHANGED = "crisis.instructions_changed"
    CRISIS_ENDED = "crisis.ended"
    PUSH_SUBSCRIBED = "push.subscribed"
    PUSH_UNSUBSCRIBED = "push.unsubscribed"
    PUSH_SUBSCRIPTION_DISABLED = "push.subscription_disabled"


@dataclass(frozen=True)
class KindSpec:
    """`target` is the model name of the target row; `view` is the policy action a member
    needs to see the event (asked with the event as target, so commune and shop bounds
    apply); `subject_sees` lets the member an event is about see it too."""

    target: str
    view: Action
    fields: frozenset[str]
    subject_sees: bool = False


def _spec(target: str, view: Action, *fields: str, subject_sees: bool = False) -> KindSpec:
    return KindSpec(target, view, frozenset(fields), subject_sees)


SPECS: dict[Kind, KindSpec] = {
    Kind.COMMUNE_CREATED: _spec(
        "commune", Action.VIEW_TERRITORY, "name", "slug", "insee_code", "is_demo"
    ),
    Kind.SECTOR_CREATED: _spec("sector", Action.VIEW_TERRITORY, "name", "slug"),
    Kind.SECTOR_NEIGHBOURS_CHANGED: _spec(
        "sector", Action.VIEW_TERRITORY, "neighbours", "added", "removed"
    ),
    Kind.SHOP_CREATED: _spec("shop", Action.VIEW_SHOP, "enseigne", "sector", "activity"),
    Kind.SHOPS_IMPORTED: _spec("commune", Action.VIEW_SHOP, "created", "sectors"),
    Kind.SHOP_UPDATED: _spec("shop", Action.VIEW_SHOP, "enseigne", "sector", "activity", "changed"),
    Kind.INVITATION_CREATED: _spec(
        "invitation", Action.INVITE_MEMBER, "role", "shop", "expires_at"
    ),
    Kind.INVITATION_CANCELLED: _spec("invitation", Action.INVITE_MEMBER),
    Kind.MEMBER_ENROLLED: _spec(
        "membership",
        Action.VIEW_MEMBERS,
        "role",
        "shop",
        "invitation",
        "charter_version",
        "device",
        subject_sees=True,
    ),
    Kind.MEMBER_SUSPENDED: _spec(
        "membership", Action.VIEW_MEMBERS, "revocation_list", "devices", subject_sees=True
    ),
    Kind.MEMBER_REINSTATED: _spec("membership", Action.VIEW_MEMBERS, "status", subject_sees=True),
    Kind.MEMBER_REVOKED: _spec(
        "membership", Action.VIEW_MEMBERS, "revocation_list", "devices", subject_sees=True
    ),
    Kind.CHARTER_PUBLISHED: _spec("charterversion", Action.VIEW_CHARTER, "version"),
    Kind.ROOT_INSTALLED: _spec("communeroot", Action.VIEW_ROOT, "fingerprint", "demo"),
    Kind.DEVICE_REGISTERED: _spec(
        "device", Action.CERTIFY_DEVICE, "fingerprint", "role", subject_sees=True
    ),
    Kind.DEVICE_CERTIFIED: _spec(
        "device",
        Action.VIEW_DIRECTORY,
        "serial",
        "issuer",
        "role",
        "may_certify",
        "member_activated",
        subject_sees=True,
    ),
    Kind.DEVICE_REVOKED: _spec(
        "device", Action.VIEW_DIRECTORY, "revocation_list", "serials", subject_sees=True
    ),
    Kind.REVOCATION_LIST_PUBLISHED: _spec(
        "commune", Action.VIEW_DIRECTORY, "number", "withdrawn", "devices"
    ),
    Kind.SERVICE_KEY_PUBLISHED: _spec("servicekey", Action.VIEW_RECIPIENTS, "number", "grants"),
    Kind.SERVICE_KEY_GRANTS_ADDED: _spec(
        "servicekey", Action.MANAGE_SERVICE_KEY, "number", "grants"
    ),
    Kind.INCIDENT_REPORTED: _spec(
        "incident",
        Action.VIEW_INCIDENTS,
        "message",
        "attachments",
        "category",
        "severity",
        "neighbours",
        "unreachable",
        "exercise",
    ),
    Kind.MESSAGE_POSTED: _spec("incident", Action.VIEW_INCIDENTS, "message", "attachments"),
    # Scope-bound (access.policy): a merchant sees the commune's and its own sector's.
    Kind.GROUP_KEY_PUBLISHED: _spec("groupkey", Action.VIEW_GROUP_KEY, "scope", "number", "grants"),
    # Holders too: the grants to others follow a publication (pending lists the devices of
    # an existing generation only), so a merchant's open page learns of its grant here.
    Kind.GROUP_KEY_GRANTS_ADDED: _spec(
        "groupkey", Action.VIEW_GROUP_KEY, "scope", "number", "grants"
    ),
    Kind.BROADCAST_SENT: _spec(
        "broadcast", Action.VIEW_BROADCASTS, "scope", "number", "attachments"
    ),
    # Duty hours and fallback recipients (maillage.duty): counts and member ids only.
    Kind.DUTY_SCHEDULE_CHANGED: _spec("dutyschedule", Action.VIEW_DUTY, "ranges", "exceptions"),
    Kind.DUTY_FALLBACK_CHANGED: _spec("commune", Action.VIEW_DUTY, "recipients"),
    # Neighbour alerts (docs/decisions.md, "Neighbour alerts"): one awaiting validation is
    # seen by the police and the reporting shop only (shop-bound); once out, by the
    # sector's merchants and the police (scope-bound, by the payload's `scope`).
    Kind.NEIGHBOUR_ALERT_SUBMITTED: _spec(
        "neighbouralert",
        Action.VIEW_PENDING_NEIGHBOUR_ALERT,
        "scope",
        "number",
        "incident",
        "attachments",
    ),
    Kind.NEIGHBOUR_ALERT_SENT: _spec(
        "neighbouralert",
        Action.VIEW_NEIGHBOUR_ALERTS,
        "scope",
        "number",
        "incident",
        "attachments",
        "expires_at",
    ),
    Kind.NEIGHBOUR_ALERT_VALIDATED: _spec(
        "neighbouralert", Action.VIEW_NEIGHBOUR_ALERTS, "scope", "number", "expires_at"
    ),
    Kind.NEIGHBOUR_ALERT_REFUSED: _spec(
        "neighbouralert", Action.VIEW_PENDING_NEIGHBOUR_ALERT, "scope"
    ),
    Kind.NEIGHBOUR_ALERT_ENDED: _spec(
        "neighbouralert", Action.VIEW_NEIGHBOUR_ALERTS, "scope", "reason", "message"
    ),
    Kind.ALERT_SETTINGS_CHANGED: _spec(
        "commune",
        Action.VIEW_ALERT_SETTINGS,
        "categories",
        "neighbour_validation",
        "neighbour_expiry_minutes",
        "limits",
        "escalation",
        "supervisors",
        "cluster_window_minutes",
    ),
    # The first refusal of a window only (incidents/alert_limits.py): the police sees that
    # a shop hit a limit, and a flood does not become a flood of events.
    Kind.ALERT_LIMIT_REACHED: _spec("shop", Action.VIEW_INCIDENTS, "limit", "retry_after"),
    # The lifecycle (incidents/lifecycle.py, incidents/workflow.py): the police and the
    # reporting shop (shop-bound) see every step; `state` is the state reached.
    Kind.INCIDENT_TAKEN: _spec("incident", Action.VIEW_INCIDENTS, "state", "by"),
    Kind.INCIDENT_DOUBT_LIFTED: _spec("incident", Action.VIEW_INCIDENTS, "state", "verdict"),
    Kind.INCIDENT_INTERVENTION_ENGAGED: _spec("incident", Action.VIEW_INCIDENTS, "state"),
    Kind.INCIDENT_ON_SITE: _spec("incident", Action.VIEW_INCIDENTS, "state"),
    # `released`: the agents still on it, whom the closure releases (incidents/dispatch.py).
    Kind.INCIDENT_CLOSED: _spec(
        "incident", Action.VIEW_INCIDENTS, "state", "from", "outcome", "released"
    ),
    # Dispatch (incidents/dispatch.py): the police, the reporting shop (« patrouille
    # envoyée », no names: `agents` are public ids) and the agents named see it; each agent
    # then sees every event of the incident.
    Kind.INCIDENT_DISPATCHED: _spec("incident", Action.VIEW_INCIDENTS, "agents", "by", "grants"),
    # A police note (incidents/actions.py, post_message with police_only): the police and
    # the agents sent see it; the shop does not, nor does its payload reach it.
    Kind.NOTE_POSTED: _spec("incident", Action.READ_POLICE_NOTES, "message", "attachments"),
    # The keys an agent on the incident lacked (a device certified since its dispatch): the
    # police and the agents see it; the devices named can open what they could not.
    Kind.DISPATCH_KEYS_ADDED: _spec("incident", Action.READ_POLICE_NOTES, "grants", "devices"),
    Kind.DISPATCH_STATUS_CHANGED: _spec(
        "incident", Action.VIEW_INCIDENTS, "agent", "status", "outcome"
    ),
    # Nobody took it in time (incidents/escalation.py): the supervisors named are alerted,
    # the reporting shop is told to call 17.
    Kind.EXERCISE_STARTED: _spec("exercise", Action.VIEW_EXERCISES, "name"),
    Kind.EXERCISE_ENDED: _spec("exercise", Action.VIEW_EXERCISES, "name", "incidents"),
    # No shop: the police see it, no shop does (each report's own events say the rest).
    Kind.CLUSTER_CONFIRMED: _spec(
        "cluster", Action.VIEW_INCIDENTS, "incidents", "sector", "category"
    ),
    Kind.INCIDENT_ESCALATED: _spec(
        "incident", Action.VIEW_INCIDENTS, "level", "waited", "supervisors"
    ),
    # « Mode crise » (maillage.crisis): every member of the commune sees it switch; the
    # instructions are a broadcast sealed to the commune's group key, named by its id.
    Kind.CRISIS_STARTED: _spec(
        "crisismode", Action.VIEW_CRISIS, "instructions", "number", "attachments"
    ),
    Kind.CRISIS_INSTRUCTIONS_CHANGED: _spec(
        "crisismode", Action.VIEW_CRISIS, "instructions", "number", "attachments"
    ),
    Kind.CRISIS_ENDED: _spec("crisismode", Action.VIEW_CRISIS, "message", "number", "duration"),
    # Web Push (maillage.push): a device's consent to be woken, its withdrawal, and the
    # push service saying the subscription is gone. The police and the coordinator see
    # them (a device with no working channel is theirs to chase); so does the member.
    Kind.PUSH_SUBSCRIBED: _spec(
        "pushsubscription", Action.VIEW_PUSH_CHANNELS, "device", "service", subject_sees=True
    ),
    Kind.PUSH_UNSUBSCRIBED: _spec(
        "pushsubscription", Action.VIEW_PUSH_CHANNELS, "device", "service", subject_sees=True
    ),
    Kind.PUSH_SUBSCRIPTION_DISABLED: _spec(
        "pushsubscription",
        Action.VIEW_PUSH_CHANNELS,
        "device",
        "service",
        "status",
        "reason",
        subject_sees=True,
    ),
}
