"""The access policy: the one place that answers "may this member do this to that object"
and "which objects of this kind may this member see".

Every action and API endpoint asks `require(actor, action, target)`; every list endpoint
starts from `visible(actor, Model)`. Rules are role-based and always bounded by the
actor's commune; merchants are further bounded by their own shop. No other module
compares roles: what depends on a role is a function or a role set here. The
authorisation-matrix test walks every endpoint × role × commune.

Kinds are named by model label (`"incidents.incident"`), so this module, at the bottom of
the layering, imports no domain package (docs/decisions.md, "Layers").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from django.db.models import Model, Q, QuerySet

from maillage.access.roles import MembershipStatus, Role
from maillage.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from maillage.members.models import Membership

M = TypeVar("M", bound=Model)


class Action(enum.StrEnum):
    VIEW_TERRITORY = "territory.view"
    MANAGE_TERRITORY = "territory.manage"
    VIEW_SHOP = "territory.view_shop"
    INVITE_MEMBER = "members.invite"
    VIEW_MEMBERS = "members.view"
    MANAGE_MEMBER = "members.manage"
    CERTIFY_DEVICE = "trust.certify_device"
    MANAGE_DEVICE = "trust.manage_device"
    VIEW_DIRECTORY = "trust.view_directory"
    VIEW_ROOT = "trust.view_root"
    REGISTER_DEVICE = "members.register_device"
    VIEW_CHARTER = "members.view_charter"
    PUBLISH_CHARTER = "members.publish_charter"
    REPORT_INCIDENT = "incidents.report"
    VIEW_INCIDENTS = "incidents.view"
    READ_CONTENT = "incidents.read_content"
    POST_MESSAGE = "incidents.post_message"
    VIEW_ACCESS_LOG = "privacy.view_access_log"
    VIEW_RECIPIENTS = "trust.view_recipients"
    ALERT_SECTOR = "trust.alert_sector"
    MANAGE_SERVICE_KEY = "trust.manage_service_key"
    INVITE_COORDINATOR = "members.invite_coordinator"
    VIEW_GROUP_KEY = "trust.view_group_key"
    MANAGE_GROUP_KEY = "trust.manage_group_key"
    SEND_BROADCAST = "broadcasts.send"
    VIEW_BROADCASTS = "broadcasts.view"
    VIEW_DUTY = "duty.view"
    MANAGE_DUTY = "duty.manage"
    VIEW_REACHABILITY = "duty.view_reachability"
    SEND_NEIGHBOUR_ALERT = "neighbours.send"
    VIEW_NEIGHBOUR_ALERTS = "neighbours.view"
    VIEW_PENDING_NEIGHBOUR_ALERT = "neighbours.view_pending"
    VALIDATE_NEIGHBOUR_ALERT = "neighbours.validate"
    END_NEIGHBOUR_ALERT = "neighbours.end"
    VIEW_ALERT_CATALOGUE = "incidents.view_catalogue"
    VIEW_ALERT_SETTINGS = "incidents.view_settings"
    MANAGE_ALERT_SETTINGS = "incidents.manage_settings"
    TAKE_INCIDENT = "incidents.take"
    ADVANCE_INCIDENT = "incidents.advance"
    VIEW_STATS = "stats.view"
    RUN_EXERCISE = "incidents.run_exercise"
    MANAGE_CLUSTERS = "incidents.manage_clusters"
    VIEW_EXERCISES = "incidents.view_exercises"
    VIEW_CRISIS = "crisis.view"
    MANAGE_CRISIS = "crisis.manage"
    DISPATCH_AGENT = "incidents.dispatch"
    REPORT_DISPATCH_STATUS = "incidents.dispatch_status"
    POST_POLICE_NOTE = "incidents.post_note"
    READ_POLICE_NOTES = "incidents.read_notes"
    SUBSCRIBE_PUSH = "push.subscribe"
    VIEW_PUSH_CHANNELS = "push.view_channels"


_ALL_ROLES = frozenset(Role)

RULES: dict[Action, frozenset[Role]] = {
    Action.VIEW_TERRITORY: frozenset(
        {Role.COORDINATOR, Role.OPERATOR, Role.AGENT, Role.REFERENT, Role.MERCHANT, Role.DPO}
    ),
    Action.MANAGE_TERRITORY: frozenset({Role.COORDINATOR}),
    Action.VIEW_SHOP: frozenset(
        {Role.COORDINATOR, Role.OPERATOR, Role.AGENT, Role.REFERENT, Role.MERCHANT}
    ),
    Action.INVITE_MEMBER: frozenset({Role.COORDINATOR}),
    Action.VIEW_MEMBERS: frozenset({Role.COORDINATOR, Role.REFERENT, Role.DPO}),
    Action.MANAGE_MEMBER: frozenset({Role.COORDINATOR}),
    Action.CERTIFY_DEVICE: frozenset({Role.COORDINATOR}),
    Action.MANAGE_DEVICE: frozenset({Role.COORDINATOR}),
    # The key directory serves those who encrypt or verify content; the prefecture's
    # observers only ever see aggregates.
    Action.VIEW_DIRECTORY: _ALL_ROLES - {Role.OBSERVER},
    Action.VIEW_ROOT: _ALL_ROLES,
    Action.REGISTER_DEVICE: _ALL_ROLES,
    Action.VIEW_CHARTER: _ALL_ROLES,
    Action.PUBLISH_CHARTER: frozenset({Role.COORDINATOR}),
    Action.REPORT_INCIDENT: frozenset({Role.MERCHANT}),
    # The fallback partner only for the cases sealed to its devices (ADDRESSEE_BOUND below).
    Action.VIEW_INCIDENTS: frozenset({Role.OPERATOR, Role.AGENT, Role.MERCHANT, Role.PARTNER}),
    # Sealed content goes to those who handle the incident; the coordinator, referents,
    # observers and the DPO manage people and oversight, not cases (the DPO reads the
    # access log instead).
    Action.READ_CONTENT: frozenset({Role.OPERATOR, Role.AGENT, Role.MERCHANT, Role.PARTNER}),
    Action.POST_MESSAGE: frozenset({Role.OPERATOR, Role.AGENT, Role.MERCHANT}),
    Action.VIEW_ACCESS_LOG: frozenset({Role.DPO}),
    # Who seals content needs the key directory; a neighbour alert goes from a merchant
    # (or the police) to the merchants of one sector.
    Action.VIEW_RECIPIENTS: frozenset({Role.OPERATOR, Role.AGENT, Role.MERCHANT}),
    Action.ALERT_SECTOR: frozenset({Role.OPERATOR, Role.MERCHANT}),
    Action.MANAGE_SERVICE_KEY: frozenset({Role.OPERATOR}),
    # A coordinator may invite another coordinator (a commune needs a second one, and no
    # CLI command invites); the newcomer's device is certified by the commune root only,
    # so the mairie's root holder still confirms every coordinator (docs/decisions.md).
    Action.INVITE_COORDINATOR: frozenset({Role.COORDINATOR}),
    # Broadcast group keys (docs/envelope.md, "Broadcasts and group keys"): operators send
    # and grant, merchants read; both hold the keys. Scope-bound below.
    Action.VIEW_GROUP_KEY: frozenset({Role.OPERATOR, Role.MERCHANT}),
    Action.MANAGE_GROUP_KEY: frozenset({Role.OPERATOR}),
    Action.SEND_BROADCAST: frozenset({Role.OPERATOR, Role.MERCHANT}),
    Action.VIEW_BROADCASTS: frozenset({Role.OPERATOR, Role.MERCHANT}),
    # Duty hours and fallback (docs/decisions.md, "Duty hours and fallback"): the mairie
    # sets them, the police reads them; whether the police is reachable now is shown to
    # every member (the reporter before sending, first of all).
    Action.VIEW_DUTY: frozenset({Role.COORDINATOR, Role.OPERATOR}),
    Action.MANAGE_DUTY: frozenset({Role.COORDINATOR}),
    Action.VIEW_REACHABILITY: _ALL_ROLES,
    # Neighbour alerts (docs/decisions.md, "Neighbour alerts"): a merchant warns its own
    # sector, the police any sector; the sector's merchants and the police see the alerts
    # that went out; one awaiting validation is seen by the police and the reporting shop
    # only; the police validate, refuse and end them.
    Action.SEND_NEIGHBOUR_ALERT: frozenset({Role.OPERATOR, Role.MERCHANT}),
    Action.VIEW_NEIGHBOUR_ALERTS: frozenset({Role.OPERATOR, Role.MERCHANT}),
    Action.VIEW_PENDING_NEIGHBOUR_ALERT: frozenset({Role.OPERATOR, Role.MERCHANT}),
    Action.VALIDATE_NEIGHBOUR_ALERT: frozenset({Role.OPERATOR}),
    Action.END_NEIGHBOUR_ALERT: frozenset({Role.OPERATOR}),
    # The commune's categories: merchants report with them, the police and the mairie
    # read them on incidents and statistics.
    Action.VIEW_ALERT_CATALOGUE: _ALL_ROLES,
    Action.VIEW_ALERT_SETTINGS: frozenset({Role.COORDINATOR, Role.OPERATOR}),
    Action.MANAGE_ALERT_SETTINGS: frozenset({Role.COORDINATOR}),
    # The lifecycle (docs/decisions.md, "Incident lifecycle"): the operators take charge,
    # lift the doubt, engage, mark « sur place » and close. An agent's own « sur place »
    # (REPORT_DISPATCH_STATUS) marks its incident « sur place » too; closing stays the
    # operators' (the coordinator manages people, not cases).
    Action.TAKE_INCIDENT: frozenset({Role.OPERATOR}),
    Action.ADVANCE_INCIDENT: frozenset({Role.OPERATOR}),
    # The first statistics page (issue 10): counts and times, no content, no shop names
    # beyond their sector; the prefecture's aggregated view comes with its own issue.
    Action.VIEW_STATS: frozenset({Role.COORDINATOR, Role.OPERATOR}),
    # Drills (incidents/exercises.py): the mairie or the police start and end one; every
    # device that shows reports shows that one is running.
    Action.RUN_EXERCISE: frozenset({Role.COORDINATOR, Role.OPERATOR}),
    # Crisis clusters (incidents/clusters.py): the dispatcher confirms and handles them.
    Action.MANAGE_CLUSTERS: frozenset({Role.OPERATOR}),
    Action.VIEW_EXERCISES: frozenset(
        {Role.COORDINATOR, Role.OPERATOR, Role.AGENT, Role.REFERENT, Role.MERCHANT, Role.PARTNER}
    ),
    # « Mode crise » (docs/decisions.md, « Mode crise »): every member of the commune sees
    # whether it is on; only the police switch it, since its instructions are sealed to the
    # commune's group key, which only operators hold among the staff.
    Action.VIEW_CRISIS: _ALL_ROLES,
    Action.MANAGE_CRISIS: frozenset({Role.OPERATOR}),
    # Dispatch (docs/decisions.md, « Dispatch »): an operator sends agents, whose devices
    # it hands the report's content keys; each agent then reports « en route », « sur
    # place », « terminé » on the incidents it was sent to (DISPATCH_BOUND below).
    Action.DISPATCH_AGENT: frozenset({Role.OPERATOR}),
    Action.REPORT_DISPATCH_STATUS: frozenset({Role.AGENT}),
    # Police notes (docs/decisions.md, « Police notes »): sealed to police devices only;
    # the shop never sees them, nor that they exist.
    Action.POST_POLICE_NOTE: frozenset({Role.OPERATOR, Role.AGENT}),
    Action.READ_POLICE_NOTES: frozenset({Role.OPERATOR, Role.AGENT}),
    # Web Push (maillage.push): any member who receives news may be woken for it (the
    # prefecture's observers see aggregates only); the police and the coordinator see which
    # devices no channel reaches.
    Action.SUBSCRIBE_PUSH: _ALL_ROLES - {Role.OBSERVER},
    Action.VIEW_PUSH_CHANNELS: frozenset({Role.OPERATOR, Role.COORDINATOR}),
}

# Devices of these roles are certified by the commune root only (`maillage root certify`)
# and may certify the devices of everyone else.
ROOT_CERTIFIED_ROLES = frozenset({Role.COORDINATOR})
# A membership of these roles names a shop; no other does.
SHOP_ROLES = frozenset({Role.MERCHANT})
# Who receives sealed content besides the reporting shop's merchants: the police service
# (its key holders); agents only on the incidents they are dispatched to (the directory
# lists them there, trust/recipients.py). The clients apply the same rule
# (maillage.wire.recipients, frontend/src/envelope/recipients.ts).
POLICE_RECIPIENT_ROLES = frozenset({Role.OPERATOR})
SHOP_RECIPIENT_ROLES = frozenset({Role.MERCHANT})
DISPATCHED_RECIPIENT_ROLES = frozenset({Role.AGENT})
SERVICE_KEY_HOLDER_ROLES = frozenset({Role.OPERATOR})
# The fallback recipients a commune names (maillage.duty.fallback): sealed to, for a new
# report, while the police municipale is not reachable. The clients accept them for a
# report only (maillage.wire.recipients, frontend/src/envelope/recipients.ts).
FALLBACK_RECIPIENT_ROLES = frozenset({Role.PARTNER})
# Whose connected devices make the police « joignable » (maillage.duty.presence).
PRESENCE_ROLES = frozenset({Role.OPERATOR})
# A member of these roles sees a case (and its content) only when it was sealed to one of
# their devices: the partner knows nothing of the commune's other reports.
ADDRESSEE_BOUND_ROLES = frozenset({Role.PARTNER})
ADDRESSEE_BOUND_ACTIONS = frozenset({Action.VIEW_INCIDENTS, Action.READ_CONTENT})
# An agent sees, reads, answers and reports on an incident only once dispatched to it
# (released or not: the agent keeps what it was sent to), nothing of the others.
DISPATCH_BOUND_ROLES = frozenset({Role.AGENT})
DISPATCH_BOUND_ACTIONS = frozenset(
    {
        Action.VIEW_INCIDENTS,
        Action.READ_CONTENT,
        Action.POST_MESSAGE,
        Action.REPORT_DISPATCH_STATUS,
        Action.POST_POLICE_NOTE,
        Action.READ_POLICE_NOTES,
    }
)
# Who holds a broadcast group key: the police devices that send and grant it, and the
# merchants who read it (for a sector's key, the merchants of that sector's shops only).
# The clients apply the same rule (maillage.wire.broadcast.sender_roles, group_key).
GROUP_KEY_POLICE_ROLES = frozenset({Role.OPERATOR})
GROUP_KEY_SHOP_ROLES = frozenset({Role.MERCHANT})

# What a member waiting for the mairie's approval may already do: read the root key to
# pin it, read the charter they accepted, and register the browser they are on.
PENDING_ACTIONS = frozenset({Action.VIEW_ROOT, Action.REGISTER_DEVICE, Action.VIEW_CHARTER})

SHOP_BOUND_ACTIONS = frozenset(
    {
        Action.VIEW_SHOP,
        Action.REPORT_INCIDENT,
        Action.VIEW_INCIDENTS,
        Action.READ_CONTENT,
        Action.POST_MESSAGE,
        # An alert awaiting validation: its reporting shop's merchants (target: the alert
        # or its event, whose shop is the sender's).
        Action.VIEW_PENDING_NEIGHBOUR_ALERT,
    }
)

# A merchant acts on their own shop's sector only (target: the Sector).
SECTOR_BOUND_ACTIONS = frozenset({Action.ALERT_SECTOR, Action.SEND_NEIGHBOUR_ALERT})

# Actions on a broadcast scope (its group key, its broadcasts). The target is the commune
# (scope `commune`), a sector (`sector:<id>`), or a row or an event of a scope (its
# `sector_id`, or an event's payload `scope`). The commune scope admits only the roles
# below; a sector's, a merchant of that sector or of a neighbouring one only (operators of
# the commune always).
COMMUNE_SCOPE_RULES: dict[Action, frozenset[Role]] = {
    Action.VIEW_GROUP_KEY: frozenset({Role.OPERATOR, Role.MERCHANT}),
    # « Message à tous les commerces » comes from the police only.
    Action.SEND_BROADCAST: frozenset({Role.OPERATOR}),
    Action.VIEW_BROADCASTS: frozenset({Role.OPERATOR, Role.MERCHANT}),
    # Neighbour alerts always name a sector; nothing of the commune scope is one.
    Action.VIEW_NEIGHBOUR_ALERTS: frozenset({Role.OPERATOR}),
}
SCOPE_BOUND_ACTIONS = frozenset(COMMUNE_SCOPE_RULES)
COMMUNE_SCOPE = "commune"
SECTOR_SCOPE_PREFIX = "sector:"


class CommuneScoped(Protocol):
    commune_id: int


def may(actor: Membership | None, action: Action, target: object | None = None) -> bool:
    if actor is None:
        return False
    if actor.status != MembershipStatus.ACTIVE and not (
        actor.status == MembershipStatus.PENDING and action in PENDING_ACTIONS
    ):
        return False
    if Role(actor.role) not in RULES[action]:
        return False
    if target is None:
        return True
    if _commune_of(target) != actor.commune_id:
        return False
    if _is_police_note(target) and not may(actor, Action.READ_POLICE_NOTES, target.incident):  # type: ignore[attr-defined]
        return False
    if action in SHOP_BOUND_ACTIONS and actor.role == Role.MERCHANT:
        return _shop_of(target) == actor.shop_id
    if addressee_bound(actor, action):
        return _addressed_to(actor, target)
    if dispatch_bound(actor, action):
        return _dispatched_to(actor, target)
    if action in SECTOR_BOUND_ACTIONS and actor.role == Role.MERCHANT:
        return actor.shop is not None and actor.shop.sector_id == getattr(target, "pk", None)
    if action in SCOPE_BOUND_ACTIONS:
        return _may_in_scope(actor, action, _sector_of(target))
    return True


def _is_police_note(target: object) -> bool:
    return _label(target) == "incidents.sealedmessage" and bool(
        getattr(target, "police_only", False)
    )


def addressee_bound(actor: Membership, action: Action) -> bool:
    """Whether the actor's right to `action` on one case depends on the case having been
    sealed to one of their devices (the fallback partner). The stream, which must not
    query per event, decides that from the envelope's recipients (stream/sse.py)."""
    return action in ADDRESSEE_BOUND_ACTIONS and actor.role in ADDRESSEE_BOUND_ROLES


def dispatch_bound(actor: Membership, action: Action) -> bool:
    """Whether the actor's right to `action` on one case depends on having been dispatched
    to it (an agent)."""
    return action in DISPATCH_BOUND_ACTIONS and actor.role in DISPATCH_BOUND_ROLES


def dispatched_incidents(actor: Membership) -> frozenset[str]:
    """The public ids of the incidents this agent was dispatched to: read once per loaded
    membership (one query) and kept on it, so that the stream checks events on its loop
    without a query (it reads this at connection and at every recheck, off the loop)."""
    cached: frozenset[str] | None = getattr(actor, "_maillage_dispatched", None)
    if cached is None:
        ids = actor.dispatches.values_list("incident__public_id", flat=True)
        cached = frozenset(str(i) for i in ids)
        actor._maillage_dispatched = cached  # type: ignore[attr-defined]
    return cached


def _dispatched_to(actor: Membership, target: object) -> bool:
    label = _label(target)
    if label == "incidents.incident":
        return bool(target.dispatches.filter(agent_id=actor.pk).exists())  # type: ignore[attr-defined]
    if label == "incidents.sealedmessage":
        incident = target.incident  # type: ignore[attr-defined]
        return bool(incident.dispatches.filter(agent_id=actor.pk).exists())
    payload = getattr(target, "payload", None)
    if isinstance(payload, dict) and getattr(target, "target_type", None) == "incident":
        # An event: the dispatch that names this agent, or any event of an incident it
        # was dispatched to (as read at connection or at the last recheck).
        if str(actor.public_id) in (payload.get("agents") or ()):
            return True
        return str(getattr(target, "target_id", "")) in dispatched_incidents(actor)
    return False


def counts_as_presence(actor: Membership) -> bool:
    """Whether this member's connected devices make the police reachable."""
    return actor.role in PRESENCE_ROLES and actor.status == MembershipStatus.ACTIVE


def _addressed(actor: Membership, lookup: str) -> Q:
    """Rows whose signed header (`lookup`) names one of the actor's devices: the envelope
    lists every device recipient by its public id (docs/envelope.md)."""
    devices = [str(device) for device in actor.devices.values_list("public_id", flat=True)]
    found = Q(pk__in=[])
    for device in devices:
        found |= Q(**{f"{lookup}__contains": f'"{device}"'})
    return found


def _addressed_to(actor: Membership, target: object) -> bool:
    label = _label(target)
    if label == "incidents.incident":
        messages = target.messages.all()  # type: ignore[attr-defined]
    elif label == "incidents.sealedmessage":
        messages = type(target)._default_manager.filter(pk=target.pk)  # type: ignore[attr-defined]
    else:
        return False  # an event: the stream asks with its sealed copy (stream/sse.py)
    return bool(messages.filter(_addressed(actor, "header")).exists())


def _may_in_scope(actor: Membership, action: Action, sector: int | None) -> bool:
    if sector is None:
        return Role(actor.role) in COMMUNE_SCOPE_RULES[action]
    if actor.role == Role.MERCHANT:
        return sector in sectors_reached(actor)
    return True


def sectors_reached(actor: Membership) -> frozenset[int]:
    """The sectors whose scope a merchant receives: their shop's and its neighbours (the
    mairie declares them, docs/decisions.md "Neighbouring sectors"). Read once per loaded
    sector (one query), kept on it: reloading the membership (`refresh_from_db`) drops it
    with the cached shop, and the stream reads it before it checks events on its loop."""
    shop = actor.shop if actor.shop_id is not None else None
    if shop is None:
        return frozenset()
    sector = shop.sector
    cached: frozenset[int] | None = getattr(sector, "_maillage_reach", None)
    if cached is None:
        cached = frozenset({sector.pk, *sector.neighbours.values_list("pk", flat=True)})
        sector._maillage_reach = cached  # type: ignore[attr-defined]
    return cached


def sector_of_scope(scope: object) -> int | None:
    """The sector id a scope names: None for `commune`; -1 (no sector) for anything else
    that is not `sector:<id>`, so that it matches no merchant's sector."""
    if scope == COMMUNE_SCOPE:
        return None
    if isinstance(scope, str) and scope.startswith(SECTOR_SCOPE_PREFIX):
        rest = scope.removeprefix(SECTOR_SCOPE_PREFIX)
        if rest.isdigit() and len(rest) < 19:
            return int(rest)
    return -1


def _sector_of(target: object) -> int | None:
    """The sector of a scope-bound target; None for the commune scope."""
    label = _label(target)
    if label == "territory.sector":
        return getattr(target, "pk", None)
    if label == "territory.commune":
        return None
    if hasattr(target, "sector_id"):
        sector_id = target.sector_id
        return int(sector_id) if sector_id is not None else None
    # An event stands in for its target and names the scope in its payload.
    payload = getattr(target, "payload", None)
    return sector_of_scope(payload.get("scope") if isinstance(payload, dict) else None)


def permissions(actor: Membership | None) -> list[str]:
    """Every action the actor may take in their own commune: the front end decides what to
    show from these alone (names documented in docs/architecture.md, kept stable)."""
    return sorted(action.value for action in Action if may(actor, action))


def root_certifies(membership: Membership) -> bool:
    """Whether this member's devices are certified by the root alone (and may certify)."""
    return membership.role in ROOT_CERTIFIED_ROLES


def needs_shop(role: str) -> bool:
    return role in SHOP_ROLES


def invitation_action(role: str) -> Action:
    """What inviting someone to this role asks of the policy."""
    return Action.INVITE_COORDINATOR if role in ROOT_CERTIFIED_ROLES else Action.INVITE_MEMBER


# --- which objects of a kind a member may see -------------------------------------------


@dataclass(frozen=True)
class Scope:
    """How a kind is bounded: the action that lets one see it, the lookup to its commune
    and, for shop-bound actions, to its shop (merchants see their own shop's only)."""

    action: Action
    commune: str
    shop: str | None = None
    sector: str | None = None
    # For addressee-bound members: the lookup to the signed headers naming the recipients.
    header: str | None = None
    # For dispatch-bound members: the lookup to the agents dispatched to the case.
    dispatch: str | None = None
    # The flag of a police note: hidden from whoever may not read police notes.
    police_only: str | None = None


# One row per kind a list endpoint (or, next, the event stream) hands out.
SCOPES: dict[str, Scope] = {
    "territory.sector": Scope(Action.VIEW_TERRITORY, "commune_id"),
    "territory.shop": Scope(Action.VIEW_SHOP, "commune_id", shop="pk"),
    "members.membership": Scope(Action.VIEW_MEMBERS, "commune_id"),
    "members.invitation": Scope(Action.INVITE_MEMBER, "commune_id"),
    "trust.device": Scope(Action.VIEW_MEMBERS, "membership__commune_id"),
    "trust.devicecertificate": Scope(Action.VIEW_DIRECTORY, "device__membership__commune_id"),
    "incidents.incident": Scope(
        Action.VIEW_INCIDENTS,
        "commune_id",
        shop="shop_id",
        header="messages__header",
        dispatch="dispatches__agent",
    ),
    "incidents.sealedmessage": Scope(
        Action.READ_CONTENT,
        "incident__commune_id",
        shop="incident__shop_id",
        header="header",
        dispatch="incident__dispatches__agent",
        police_only="police_only",
    ),
    "privacy.contentaccess": Scope(Action.VIEW_ACCESS_LOG, "commune_id"),
    "trust.groupkey": Scope(Action.VIEW_GROUP_KEY, "commune_id", sector="sector_id"),
    "broadcasts.broadcast": Scope(Action.VIEW_BROADCASTS, "commune_id", sector="sector_id"),
    "neighbours.neighbouralert": Scope(
        Action.VIEW_NEIGHBOUR_ALERTS, "commune_id", shop="shop_id", sector="sector_id"
    ),
}


def visible(actor: Membership | None, model: type[M], action: Action | None = None) -> QuerySet[M]:
    """The objects of this kind the actor may see, as a queryset to filter further.

    The queryset twin of `may`: an object is in it exactly when `may(actor, action, obj)`
    holds. `action` overrides the kind's default (e.g. devices waiting for a certificate
    are seen under `CERTIFY_DEVICE`). A kind with no row here is a programming error.
    """
    scope = SCOPES[model._meta.label_lower]
    action = action or scope.action
    objects: QuerySet[M] = model._default_manager.all()
    if actor is None or not may(actor, action):
        return objects.none()
    objects = objects.filter(**{scope.commune: actor.commune_id})
    if action in SHOP_BOUND_ACTIONS and actor.role == Role.MERCHANT:
        if scope.shop is None:
            return objects.none()
        objects = objects.filter(**{scope.shop: actor.shop_id})
    if addressee_bound(actor, action):
        if scope.header is None:
            return objects.none()
        # A subquery, so that the join on messages adds no duplicate row.
        sealed_to = model._default_manager.filter(_addressed(actor, scope.header))
        objects = objects.filter(pk__in=sealed_to.values("pk"))
    if scope.police_only is not None and not may(actor, Action.READ_POLICE_NOTES):
        objects = objects.filter(**{scope.police_only: False})
    if dispatch_bound(actor, action):
        if scope.dispatch is None:
            return objects.none()
        sent_to = model._default_manager.filter(**{scope.dispatch: actor})
        objects = objects.filter(pk__in=sent_to.values("pk"))
    if action in SCOPE_BOUND_ACTIONS:
        if scope.sector is None:
            return objects.none()
        if Role(actor.role) not in COMMUNE_SCOPE_RULES[action]:
            objects = objects.filter(**{f"{scope.sector}__isnull": False})
        if actor.role == Role.MERCHANT:
            objects = objects.filter(
                Q(**{f"{scope.sector}__isnull": True})
                | Q(**{f"{scope.sector}__in": sorted(sectors_reached(actor))})
            )
    return objects


def require(actor: Membership | None, action: Action, target: object | None = None) -> None:
    """Raise a structured refusal; objects of another commune look absent, not forbidden."""
    if may(actor, action, target):
        return
    if target is not None and actor is not None and _commune_of(target) != actor.commune_id:
        raise NotFound()
    raise Forbidden()


def _commune_of(target: object) -> int | None:
    """The commune a target belongs to; a Commune belongs to itself."""
    if _label(target) == "territory.commune":
        return getattr(target, "pk", None)
    return getattr(target, "commune_id", None)


def _shop_of(target: object) -> int | None:
    """The shop a target belongs to (a Shop is its own, an incident its reporting shop)."""
    if _label(target) == "territory.shop":
        return getattr(target, "pk", None)
    return getattr(target, "shop_id", None)


def _label(target: object) -> str | None:
    meta = getattr(target, "_meta", None)
    return getattr(meta, "label_lower", None)
