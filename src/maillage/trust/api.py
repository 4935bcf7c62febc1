"""JSON API of the trust domain (/api/v1/trust): root key, device chains, revocation lists.

Clients verify everything served here against the root fingerprint they pinned from their
invitation link; the server is a directory, not an authority.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router

from maillage.errors import ApiError, NotFound, Unauthenticated
from maillage.members.auth import member_auth, pending_auth, session_device
from maillage.members.models import Membership
from maillage.members.policy import Action, require
from maillage.members.schemas import (
    ChainOut,
    RevocationDraftOut,
    RevocationListOut,
    RootOut,
    errors,
    root_out,
)
from maillage.trust import actions, directory
from maillage.trust.models import DeviceStatus

router = Router(tags=["trust"])


def _actor(request: HttpRequest) -> Membership:
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Membership):
        raise Unauthenticated()
    return actor


@router.get(
    "/root",
    auth=pending_auth,
    response={200: RootOut, **errors(403, 409)},
    summary="Clé publique racine de la commune et son empreinte",
)
def get_root(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_ROOT, actor.commune)
    return root_out(directory.root_of(actor.commune))


@router.get(
    "/devices/{device_id}/chain",
    auth=member_auth,
    response={200: ChainOut, **errors(403, 404)},
    summary="Chaîne de certificats d'un appareil, feuille en premier",
)
def device_chain(request: HttpRequest, device_id: uuid.UUID) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_DIRECTORY, actor.commune)
    device = directory.device_in_commune(actor.commune, device_id)
    documents = directory.device_chain(device)
    if not documents:
        raise NotFound("Cet appareil n'a pas de certificat valide.")
    return {
        "device": device.public_id,
        "status": device.status,
        "chain": [doc.to_wire() for doc in documents],
    }


@router.get(
    "/revocations",
    auth=member_auth,
    response={200: RevocationListOut, **errors(403, 409)},
    summary="Dernière liste de révocation signée, avec la chaîne du signataire",
)
def revocations(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_DIRECTORY, actor.commune)
    latest = directory.latest_revocation_list(actor.commune)
    return {"number": latest.number, **directory.revocation_document(latest)}


@router.get(
    "/revocations/draft",
    auth=member_auth,
    response={200: RevocationDraftOut, **errors(403, 404, 422)},
    summary="Projet de liste n+1 à signer avant de suspendre ou révoquer (coordinateur)",
)
def revocation_draft(
    request: HttpRequest,
    member: uuid.UUID | None = None,
    device: uuid.UUID | None = None,
    action: Literal["suspend", "revoke"] = "revoke",
) -> dict[str, Any]:
    """The body the coordinator's device should sign for POST /members/{id}/suspend|revoke
    (`member` + `action`) or POST /devices/{id}/revoke (`device`)."""
    actor = _actor(request)
    if (member is None) == (device is None):
        raise ApiError(
            "invalid", "Indiquez soit un membre, soit un appareil.", field="member", status=422
        )
    if member is not None:
        target = (
            Membership.objects.filter(public_id=member, commune_id=actor.commune_id)
            .prefetch_related("devices")
            .first()
        )
        if target is None:
            raise NotFound("Membre introuvable.")
        require(actor, Action.MANAGE_MEMBER, target)
        targets = list(target.devices.exclude(status=DeviceStatus.REVOKED))
        reason = "suspended" if action == "suspend" else "revoked"
    else:
        assert device is not None
        found = directory.device_in_commune(actor.commune, device)
        require(actor, Action.MANAGE_DEVICE, found.membership)
        targets, reason = [found], "revoked"
    needed = actions.withdrawals(targets, reason)
    if not needed:
        return {"needed": False, "number": None, "body": None, "withdrawals": []}
    body = actions.draft_revocation_list(actor.commune, session_device(request), needed)
    latest = directory.latest_revocation_list(actor.commune)
    return {
        "needed": True,
        "number": latest.number + 1,
        "body": body,
        "withdrawals": [
            {"serial": w.serial, "device": w.device, "reason": w.reason} for w in needed
        ],
    }
