"""The state a device keeps live: a snapshot with its cursor, and the rule that applies an
event to it (docs/events.md, "The feed").

As in Zulip's events system, a client loads `snapshot(viewer)` (GET /stream/snapshot),
then applies every event after its cursor that the stream hands it, with `apply`; the
test suite checks, for every kind and every role, that old snapshot + events equals a
fresh snapshot. Each part is shown only to a viewer the policy lets see both the part
and every event that changes it; `RELOADS` names the one kind whose payload cannot carry
its change (a 5,000-row import is one event with counts), on which the client re-fetches
that part.

The cursor is read before the parts, under READ COMMITTED: a part may already hold the
effect of an event after the cursor, so every update here is idempotent (sets and
assignments, never counters) and replaying it changes nothing.

An interface module, like an api.py: it reads every domain for the stream, which sits
below them (pyproject.toml, import contracts).
"""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction
from django.db.models import Max

from maillage.access.policy import Action, may, visible
from maillage.broadcasts.models import Broadcast
from maillage.incidents.models import Incident, SealedMessage
from maillage.members.models import CharterVersion, Invitation, Membership, MembershipStatus
from maillage.stream.fanout import head_seq
from maillage.stream.kinds import Kind
from maillage.territory.models import Sector, Shop
from maillage.trust.models import Device, DeviceStatus, GroupKey, RevocationList, ServiceKey

Snapshot = dict[str, Any]

# Who holds each part: the action that lets one see it and every event that changes it.
PARTS: dict[str, Action] = {
    "sectors": Action.VIEW_TERRITORY,
    "shops": Action.VIEW_SHOP,
    "members": Action.VIEW_MEMBERS,
    "invitations": Action.INVITE_MEMBER,
    "charter": Action.VIEW_CHARTER,
    "devices": Action.CERTIFY_DEVICE,
    "revocation_list": Action.CERTIFY_DEVICE,
    "service_key": Action.VIEW_RECIPIENTS,
    "incidents": Action.VIEW_INCIDENTS,
    "group_keys": Action.VIEW_GROUP_KEY,
    "broadcasts": Action.VIEW_BROADCASTS,
}

# Kinds whose payload cannot carry the change: the client re-fetches these parts.
RELOADS: dict[Kind, tuple[str, ...]] = {
    Kind.SHOPS_IMPORTED: ("sectors", "shops"),
    # A merchant's reach changed: the neighbouring sectors' keys and messages come or go.
    Kind.SECTOR_NEIGHBOURS_CHANGED: ("group_keys", "broadcasts"),
    # An agent sent to an incident sees it from now on, messages and all.
    Kind.INCIDENT_DISPATCHED: ("incidents",),
}

# Kinds recorded while a commune is set up, before any member exists to hold a snapshot.
SETUP_ONLY = frozenset({Kind.COMMUNE_CREATED, Kind.ROOT_INSTALLED})

_WITHDRAWN = {
    Kind.MEMBER_SUSPENDED: DeviceStatus.SUSPENDED,
    Kind.MEMBER_REVOKED: DeviceStatus.REVOKED,
}
_MEMBER_STATUS = {
    Kind.MEMBER_SUSPENDED: MembershipStatus.SUSPENDED,
    Kind.MEMBER_REVOKED: MembershipStatus.REVOKED,
}


def held_parts(viewer: Membership) -> list[str]:
    return [part for part, needed in PARTS.items() if may(viewer, needed)]


def snapshot(viewer: Membership, parts: list[str] | None = None) -> Snapshot:
    """The viewer's state and the cursor it is valid from (all held parts by default)."""
    held = held_parts(viewer)
    wanted = [part for part in (parts or held) if part in held]
    with transaction.atomic():
        state: Snapshot = {"cursor": head_seq(viewer.commune_id), "me": _me(viewer)}
        for part in wanted:
            state[part] = _READERS[part](viewer)
    return state


def apply(state: Snapshot, data: dict[str, Any]) -> Snapshot:
    """The state after one event the viewer was sent; parts it does not hold are left out.
    A kind in RELOADS leaves the state as is: the caller re-fetches those parts."""
    state = copy.deepcopy(state)
    kind = Kind(data["kind"])
    state["cursor"] = max(state["cursor"], data["seq"])
    _APPLY.get(kind, _nothing)(state, data, data["payload"])
    return state


# --- reading the parts ------------------------------------------------------------------


def _me(viewer: Membership) -> dict[str, Any]:
    viewer = Membership.objects.only("status").get(pk=viewer.pk)
    return {"id": str(viewer.public_id), "status": viewer.status}


def _sectors(viewer: Membership) -> dict[str, Any]:
    return {s.slug: {"name": s.name} for s in visible(viewer, Sector)}


def _shops(viewer: Membership) -> dict[str, Any]:
    return {
        str(shop.public_id): {
            "enseigne": shop.enseigne,
            "sector": shop.sector.slug,
            "activity": shop.activity,
        }
        for shop in visible(viewer, Shop).select_related("sector")
    }


def _members(viewer: Membership) -> dict[str, Any]:
    return {
        str(m.public_id): {
            "role": m.role,
            "shop": str(m.shop.public_id) if m.shop else None,
            "status": m.status,
        }
        for m in visible(viewer, Membership).select_related("shop")
    }


def _invitations(viewer: Membership) -> dict[str, Any]:
    open_ones = visible(viewer, Invitation).filter(used_at__isnull=True, cancelled_at__isnull=True)
    return {
        str(i.public_id): {
            "role": i.role,
            "shop": str(i.shop.public_id) if i.shop else None,
            "expires_at": int(i.expires_at.timestamp()),
        }
        for i in open_ones.select_related("shop")
    }


def _charter(viewer: Membership) -> int | None:
    latest = CharterVersion.objects.filter(commune_id=viewer.commune_id).order_by("-version")
    return latest.values_list("version", flat=True).first()


def _devices(viewer: Membership) -> dict[str, Any]:
    return {
        str(d.public_id): {"member": str(d.membership.public_id), "status": d.status}
        for d in visible(viewer, Device, Action.CERTIFY_DEVICE).select_related("membership")
    }


def _revocation_list(viewer: Membership) -> int:
    latest = RevocationList.objects.filter(commune_id=viewer.commune_id).order_by("-number")
    return latest.values_list("number", flat=True).first() or 0


def _service_key(viewer: Membership) -> int | None:
    latest = ServiceKey.objects.filter(commune_id=viewer.commune_id).order_by("-number")
    return latest.values_list("number", flat=True).first()


def _incidents(viewer: Membership) -> dict[str, Any]:
    incidents: dict[str, dict[str, Any]] = {
        str(i.public_id): {"shop": str(i.shop.public_id), "state": i.state, "messages": []}
        for i in visible(viewer, Incident).select_related("shop")
    }
    # As the viewer may read them: a shop's lists leave the police notes out.
    messages = (
        visible(viewer, SealedMessage)
        .filter(incident__public_id__in=list(incidents))
        .values_list("incident__public_id", "public_id")
    )
    for incident, message in messages.order_by("public_id"):
        incidents[str(incident)]["messages"].append(str(message))
    return incidents


def _group_keys(viewer: Membership) -> dict[str, int]:
    """Scope → latest generation, for the scopes the viewer holds (a merchant: the
    commune's and its own sector's)."""
    latest = visible(viewer, GroupKey).values("scope").annotate(number=Max("number"))
    return {row["scope"]: row["number"] for row in latest.order_by("scope")}


def _broadcasts(viewer: Membership) -> dict[str, Any]:
    # As GET /broadcasts lists them: neighbour alerts are not (GET /neighbours/alerts).
    rows = (
        visible(viewer, Broadcast)
        .filter(held=False, neighbour_alert__isnull=True, ended_alert__isnull=True)
        .values_list("public_id", "scope", "group_key__number")
    )
    return {
        str(public_id): {"scope": scope, "number": number}
        for public_id, scope, number in rows.order_by("public_id")
    }


_READERS = {
    "sectors": _sectors,
    "shops": _shops,
    "members": _members,
    "invitations": _invitations,
    "charter": _charter,
    "devices": _devices,
    "revocation_list": _revocation_list,
    "service_key": _service_key,
    "incidents": _incidents,
    "group_keys": _group_keys,
    "broadcasts": _broadcasts,
}


# --- applying events --------------------------------------------------------------------


def _nothing(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    """No part holds what this kind changes (grants: each operator device asks for its own)."""


def _sector_created(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "sectors" in state:
        state["sectors"][payload["slug"]] = {"name": payload["name"]}


def _shop_created(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "shops" in state:
        state["shops"][data["target_id"]] = {
            "enseigne": payload["enseigne"],
            "sector": payload["sector"],
            "activity": payload["activity"],
        }


def _invitation_created(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "invitations" in state:
        state["invitations"][data["target_id"]] = {
            "role": payload["role"],
            "shop": payload["shop"],
            "expires_at": payload["expires_at"],
        }


def _invitation_cancelled(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "invitations" in state:
        state["invitations"].pop(data["target_id"], None)


def _member_enrolled(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    member = data["target_id"]
    if "members" in state:
        state["members"].setdefault(
            member,
            {"role": payload["role"], "shop": payload["shop"], "status": MembershipStatus.PENDING},
        )
    if "invitations" in state:
        state["invitations"].pop(payload["invitation"], None)
    if "devices" in state:
        state["devices"].setdefault(
            payload["device"], {"member": member, "status": DeviceStatus.PENDING}
        )


def _member_withdrawn(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    kind = Kind(data["kind"])
    _set_member_status(state, data, _MEMBER_STATUS[kind])
    if "devices" in state:
        for device in state["devices"].values():
            if device["member"] == data["target_id"] and device["status"] != DeviceStatus.REVOKED:
                device["status"] = _WITHDRAWN[kind]
    _list_number(state, payload["revocation_list"])


def _member_reinstated(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    _set_member_status(state, data, payload["status"])
    if "devices" in state:
        for device in state["devices"].values():
            if device["member"] == data["target_id"] and device["status"] == DeviceStatus.SUSPENDED:
                device["status"] = DeviceStatus.PENDING


def _charter_published(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "charter" in state:
        state["charter"] = max(state["charter"] or 0, payload["version"])


def _device_registered(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "devices" in state:
        state["devices"].setdefault(
            data["target_id"], {"member": data["member"], "status": DeviceStatus.PENDING}
        )


def _device_certified(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "devices" in state and data["target_id"] in state["devices"]:
        state["devices"][data["target_id"]]["status"] = DeviceStatus.ACTIVE
    if payload["member_activated"]:
        _set_member_status(state, data, MembershipStatus.ACTIVE, member=data["member"])


def _device_revoked(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "devices" in state and data["target_id"] in state["devices"]:
        state["devices"][data["target_id"]]["status"] = DeviceStatus.REVOKED
    _list_number(state, payload["revocation_list"])


def _list_published(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "devices" in state:
        for device in payload["devices"]:
            if device in state["devices"]:
                state["devices"][device]["status"] = DeviceStatus.REVOKED
    _list_number(state, payload["number"])


def _service_key_published(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "service_key" in state:
        state["service_key"] = max(state["service_key"] or 0, payload["number"])


def _message(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "incidents" in state:
        incident = state["incidents"].setdefault(
            data["target_id"], {"shop": data["shop"], "state": "reported", "messages": []}
        )
        incident["messages"] = sorted({*incident["messages"], payload["message"]})


def _lifecycle_step(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    """Each step names the state it reached; the events come in order, so the last wins."""
    if "incidents" in state and data["target_id"] in state["incidents"]:
        state["incidents"][data["target_id"]]["state"] = payload["state"]


def _group_key_published(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "group_keys" in state:
        scope = payload["scope"]
        state["group_keys"][scope] = max(state["group_keys"].get(scope, 0), payload["number"])


def _broadcast_sent(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "broadcasts" in state:
        state["broadcasts"][data["target_id"]] = {
            "scope": payload["scope"],
            "number": payload["number"],
        }


def _crisis_broadcast(state: Snapshot, data: dict[str, Any], payload: dict[str, Any]) -> None:
    """The crisis's instructions (or closing message) are a broadcast to the commune,
    listed like any other (maillage.crisis)."""
    broadcast = payload.get("instructions") or payload.get("message")
    if "broadcasts" in state and broadcast:
        state["broadcasts"][broadcast] = {"scope": "commune", "number": payload["number"]}


def _set_member_status(
    state: Snapshot, data: dict[str, Any], status: str, *, member: str | None = None
) -> None:
    member = member or data["target_id"]
    if "members" in state and member in state["members"]:
        state["members"][member]["status"] = status
    if state["me"]["id"] == member:
        state["me"]["status"] = status


def _list_number(state: Snapshot, number: int | None) -> None:
    if "revocation_list" in state and number is not None:
        state["revocation_list"] = max(state["revocation_list"], number)


_APPLY = {
    Kind.SECTOR_CREATED: _sector_created,
    Kind.SHOP_CREATED: _shop_created,
    Kind.SHOP_UPDATED: _shop_created,
    Kind.INVITATION_CREATED: _invitation_created,
    Kind.INVITATION_CANCELLED: _invitation_cancelled,
    Kind.MEMBER_ENROLLED: _member_enrolled,
    Kind.MEMBER_SUSPENDED: _member_withdrawn,
    Kind.MEMBER_REVOKED: _member_withdrawn,
    Kind.MEMBER_REINSTATED: _member_reinstated,
    Kind.CHARTER_PUBLISHED: _charter_published,
    Kind.DEVICE_REGISTERED: _device_registered,
    Kind.DEVICE_CERTIFIED: _device_certified,
    Kind.DEVICE_REVOKED: _device_revoked,
    Kind.REVOCATION_LIST_PUBLISHED: _list_published,
    Kind.SERVICE_KEY_PUBLISHED: _service_key_published,
    Kind.INCIDENT_REPORTED: _message,
    Kind.MESSAGE_POSTED: _message,
    Kind.NOTE_POSTED: _message,
    Kind.GROUP_KEY_PUBLISHED: _group_key_published,
    Kind.BROADCAST_SENT: _broadcast_sent,
    Kind.INCIDENT_TAKEN: _lifecycle_step,
    Kind.INCIDENT_DOUBT_LIFTED: _lifecycle_step,
    Kind.INCIDENT_INTERVENTION_ENGAGED: _lifecycle_step,
    Kind.INCIDENT_ON_SITE: _lifecycle_step,
    Kind.INCIDENT_CLOSED: _lifecycle_step,
    Kind.CRISIS_STARTED: _crisis_broadcast,
    Kind.CRISIS_INSTRUCTIONS_CHANGED: _crisis_broadcast,
    Kind.CRISIS_ENDED: _crisis_broadcast,
}
