"""JSON API of the trust domain: devices (/api/v1/devices: `devices_router`), and the root
key, device chains, revocation lists, key directory and service key (/api/v1/trust).

Clients verify everything served here against the root fingerprint they pinned from their
invitation link; the server is a directory, not an authority.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from maillage.access.policy import Action, require, root_certifies, visible
from maillage.duty import reachability
from maillage.errors import ApiError, NotFound, Unauthenticated
from maillage.members.auth import member_auth, pending_auth, session_device
from maillage.members.models import Membership, MembershipStatus
from maillage.members.schemas import errors
from maillage.members.sessions import bind_device
from maillage.stream.action import Actor
from maillage.territory.schemas import shop_out
from maillage.trust import (
    certificates,
    devices,
    directory,
    group_keys,
    recipients,
    revocations,
    service_keys,
)
from maillage.trust.models import Device, DeviceStatus
from maillage.trust.schemas import (
    CertificateOut,
    ChainOut,
    DeviceKeysIn,
    DeviceOut,
    GrantOut,
    GrantsIn,
    GroupKeyGenerationsOut,
    GroupKeyIn,
    GroupKeyOut,
    GroupKeyPublishedOut,
    PendingDeviceOut,
    PendingGrantsOut,
    PendingGroupGrantsOut,
    RecipientsOut,
    RevocationDraftOut,
    RevocationIn,
    RevocationListOut,
    RootOut,
    ServiceKeyIn,
    ServiceKeyOut,
    ServiceKeyPublishedOut,
    SignedIn,
    device_out,
    revocation_document,
    root_out,
)
from maillage.wire import chain

router = Router(tags=["trust"])
devices_router = Router(tags=["devices"])
group_keys_router = Router(tags=["group-keys"])


def _actor(request: HttpRequest) -> Membership:
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Membership):
        raise Unauthenticated()
    return actor


def _actor_device(request: HttpRequest) -> Device:
    device = session_device(request)
    if device is None:
        raise Unauthenticated()
    return device


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
def latest_revocations(request: HttpRequest) -> dict[str, Any]:
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
    needed = revocations.withdrawals(targets, reason)
    if not needed:
        return {"needed": False, "number": None, "body": None, "withdrawals": []}
    body = revocations.draft_revocation_list(actor.commune, session_device(request), needed)
    latest = directory.latest_revocation_list(actor.commune)
    return {
        "needed": True,
        "number": latest.number + 1,
        "body": body,
        "withdrawals": [
            {"serial": w.serial, "device": w.device, "reason": w.reason} for w in needed
        ],
    }


# --- key directory and police service key (docs/envelope.md) ---------------------------


# The device keeps the answer and asks again each time with If-None-Match (the browser's
# HTTP cache does it by itself with these headers; maillage.client does it by hand).
# `private`: the answer is the member's; `no-cache`: never used without asking.
DIRECTORY_CACHE_CONTROL = "private, no-cache"


@router.get(
    "/recipients",
    auth=member_auth,
    response={200: RecipientsOut, 304: None, **errors(403, 404, 409, 422)},
    # Only fallback entries carry `fallback` (true); the other keys are always given.
    exclude_unset=True,
    summary="Annuaire des destinataires d'un envoi chiffré (à vérifier par l'appareil)",
    description="Réponse avec ETag : avec If-None-Match égal, 304 sans corps (l'appareil "
    "garde sa copie et la vérifie comme avant).",
)
def recipients_directory(
    request: HttpRequest,
    response: HttpResponse,
    incident: uuid.UUID | None = None,
    sector: int | None = None,
) -> Any:
    """Without parameter: a new report by the caller's shop; `incident`: a message in that
    incident; `sector`: a neighbour alert to that sector's merchants.

    Every check runs as for a full answer (a member suspended since gets their 401/403,
    not a 304), then the rows the answer is made of decide whether it changed."""
    actor = _actor(request)
    # A new report while the police is not reachable: its fallback recipients too.
    reporting = incident is None and sector is None
    fallback = reachability.fallback_for_report(actor.commune) if reporting else []
    rows = recipients.directory_rows(actor, incident=incident, sector=sector, fallback=fallback)
    etag = rows.etag
    if _matches(request.headers.get("If-None-Match"), etag):
        unchanged = HttpResponse(status=304)
        unchanged["ETag"] = etag
        unchanged["Cache-Control"] = DIRECTORY_CACHE_CONTROL
        return unchanged
    response["ETag"] = etag
    response["Cache-Control"] = DIRECTORY_CACHE_CONTROL
    return recipients.directory_answer(rows)


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110's If-None-Match: a list of entity tags (weak ones compared weakly), or *."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return etag in {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}


@router.get(
    "/service-key",
    auth=member_auth,
    response={200: ServiceKeyOut, **errors(403, 404)},
    summary="Génération en cours de la clé de service de la police",
)
def service_key(request: HttpRequest, number: int | None = None) -> dict[str, Any]:
    """The latest generation unless `number` asks for an older one (to check its grant)."""
    return service_keys.current_service_key(_actor(request), number)


@router.post(
    "/service-keys",
    auth=member_auth,
    response={201: ServiceKeyPublishedOut, **errors(403, 409, 422)},
    summary="Publier la génération suivante de la clé de service (opérateur)",
)
def publish_service_key(request: HttpRequest, payload: ServiceKeyIn) -> Status[dict[str, Any]]:
    published, created = service_keys.publish(
        Actor.member(_actor(request), session_device(request)),
        chain.SignedDocument(payload.document.body, payload.document.signature),
        [chain.SignedDocument(g.body, g.signature) for g in payload.grants],
    )
    return Status(201, {"number": published.number, "grants": created})


@router.get(
    "/service-key/grant",
    auth=member_auth,
    response={200: GrantOut, **errors(403, 404)},
    summary="La clé de service chiffrée pour l'appareil connecté (opérateur)",
)
def service_key_grant(request: HttpRequest, number: int | None = None) -> dict[str, Any]:
    """The latest generation unless `number` asks for an older one (older messages)."""
    return service_keys.grant_for(_actor(request), session_device(request), number)


@router.get(
    "/service-key/pending",
    auth=member_auth,
    response={200: PendingGrantsOut, **errors(403, 404)},
    summary="Appareils d'opérateurs qui attendent la clé de service (opérateur)",
)
def service_key_pending(request: HttpRequest, number: int | None = None) -> dict[str, Any]:
    """The latest generation unless `number` names an older one (to share the history)."""
    return recipients.pending_devices(_actor(request), number)


@router.post(
    "/service-key/grants",
    auth=member_auth,
    response={201: ServiceKeyPublishedOut, **errors(403, 404, 409, 422)},
    summary="Transmettre la clé de service à d'autres appareils d'opérateurs (opérateur)",
)
def add_service_key_grants(request: HttpRequest, payload: GrantsIn) -> Status[dict[str, Any]]:
    service_key, created = service_keys.add_grants(
        Actor.member(_actor(request), session_device(request)),
        [chain.SignedDocument(g.body, g.signature) for g in payload.grants],
    )
    return Status(201, {"number": service_key.number, "grants": created})


# --- broadcast group keys (/api/v1/group-keys; docs/envelope.md) -----------------------

SCOPE_DOC = "« commune » ou « sector:<id du secteur> »"


@group_keys_router.post(
    "/group-keys",
    auth=member_auth,
    response={201: GroupKeyPublishedOut, **errors(403, 404, 409, 422)},
    summary="Publier la génération suivante d'une clé de diffusion (opérateur)",
)
def publish_group_key(request: HttpRequest, payload: GroupKeyIn) -> Status[dict[str, Any]]:
    """The scope is the document's; its number must be the latest + 1 (else 409
    `group_key_conflict`), and one grant must go to the caller's own device."""
    published, created = group_keys.publish(
        Actor.member(_actor(request), session_device(request)),
        chain.SignedDocument(payload.document.body, payload.document.signature),
        [chain.SignedDocument(g.body, g.signature) for g in payload.grants],
    )
    return Status(201, {"number": published.number, "grants": created})


@group_keys_router.post(
    "/group-keys/grants",
    auth=member_auth,
    response={201: GroupKeyPublishedOut, **errors(403, 404, 409, 422)},
    summary="Transmettre une génération de clé de diffusion à d'autres appareils (opérateur)",
)
def add_group_key_grants(request: HttpRequest, payload: GrantsIn) -> Status[dict[str, Any]]:
    """All grants name one generation, which the caller's device holds; an identical retry
    stores nothing (`grants`: 0)."""
    group_key, created = group_keys.add_grants(
        Actor.member(_actor(request), session_device(request)),
        [chain.SignedDocument(g.body, g.signature) for g in payload.grants],
    )
    return Status(201, {"number": group_key.number, "grants": created})


@group_keys_router.get(
    "/group-keys/{scope}",
    auth=member_auth,
    response={200: GroupKeyOut, **errors(403, 404, 422)},
    summary="Génération en cours (ou `number`) d'une clé de diffusion",
)
def group_key(request: HttpRequest, scope: str, number: int | None = None) -> dict[str, Any]:
    """`scope`: « commune » ou « sector:<id du secteur> ». A merchant reads the commune's
    and its own shop's sector's."""
    return group_keys.current(_actor(request), scope, number)


@group_keys_router.get(
    "/group-keys/{scope}/generations",
    auth=member_auth,
    response={200: GroupKeyGenerationsOut, **errors(403, 404, 422)},
    summary="Toutes les générations d'une clé de diffusion, de la plus ancienne à la dernière",
)
def group_key_generations(request: HttpRequest, scope: str) -> dict[str, Any]:
    return group_keys.generations(_actor(request), scope)


@group_keys_router.get(
    "/group-keys/{scope}/grant",
    auth=member_auth,
    response={200: GrantOut, **errors(403, 404, 422)},
    summary="La clé de diffusion chiffrée pour l'appareil connecté",
)
def group_key_grant(request: HttpRequest, scope: str, number: int | None = None) -> dict[str, Any]:
    """The latest generation unless `number` asks for an older one (older broadcasts)."""
    return group_keys.grant_for(_actor(request), session_device(request), scope, number)


@group_keys_router.get(
    "/group-keys/{scope}/pending",
    auth=member_auth,
    response={200: PendingGroupGrantsOut, **errors(403, 404, 422)},
    summary="Appareils qui attendent une génération de clé de diffusion (opérateur)",
)
def group_key_pending(
    request: HttpRequest, scope: str, number: int | None = None
) -> dict[str, Any]:
    """Entitled devices without a grant of the latest generation (or `number`)."""
    return group_keys.pending(_actor(request), scope, number)


# --- devices (/api/v1/devices) ----------------------------------------------------------


@devices_router.post(
    "/devices",
    auth=pending_auth,
    response={201: DeviceOut, **errors(403, 409, 422)},
    summary="Enregistrer ce navigateur comme nouvel appareil (en attente d'approbation)",
)
def register_device(request: HttpRequest, payload: DeviceKeysIn) -> Status[dict[str, Any]]:
    actor = _actor(request)
    if session_device(request) is not None:
        raise ApiError(
            "device_already_registered",
            "Ce navigateur est déjà enregistré comme appareil ; déconnectez-vous pour en "
            "enregistrer un autre.",
            status=409,
        )
    device = devices.register_device(
        Actor.member(actor),
        actor,
        devices.DeviceKeys(label=payload.label, enc_key=payload.enc_key, sign_key=payload.sign_key),
    )
    bind_device(request, device)
    return Status(201, device_out(device))


@devices_router.get(
    "/devices/pending",
    auth=member_auth,
    response={200: list[PendingDeviceOut], **errors(403)},
    summary="Appareils à certifier (nouveaux ou à recertifier), avec leurs clés (coordinateur)",
)
def pending_devices(request: HttpRequest) -> list[dict[str, Any]]:
    actor = _actor(request)
    require(actor, Action.CERTIFY_DEVICE, actor.commune)
    waiting = (
        visible(actor, Device, Action.CERTIFY_DEVICE)
        .filter(
            status=DeviceStatus.PENDING,
            membership__status__in=[MembershipStatus.PENDING, MembershipStatus.ACTIVE],
        )
        .select_related(
            "membership", "membership__person", "membership__commune", "membership__shop"
        )
        .select_related("membership__shop__sector")
        .order_by("created_at")
    )
    listed = [(device, "new") for device in waiting]
    listed += [(device, "issuer_revoked") for device in directory.orphaned_devices(actor.commune)]
    result = []
    for device, reason in listed:
        membership = device.membership
        result.append(
            {
                "id": device.public_id,
                "label": device.label,
                "created_at": device.created_at,
                "fingerprint": device.sign_key_fingerprint,
                "enc_key": device.enc_public_key,
                "sign_key": device.sign_public_key,
                "member": {
                    "id": membership.public_id,
                    "display_name": membership.person.display_name,
                    "role": membership.role,
                    "role_label": membership.get_role_display(),
                    "status": membership.status,
                    "shop": shop_out(membership.shop),
                },
                "root_only": root_certifies(membership),
                "reason": reason,
                "certificate": {
                    "commune": membership.commune.public_id,
                    "device": device.public_id,
                    "member": membership.public_id,
                    "role": membership.role,
                    "shop": membership.shop.public_id if membership.shop else None,
                    "enc_key": device.enc_public_key,
                    "sign_key": device.sign_public_key,
                },
            }
        )
    return result


@devices_router.post(
    "/devices/{device_id}/certificate",
    auth=member_auth,
    response={201: CertificateOut, **errors(403, 404, 409, 422)},
    summary="Approuver un appareil : certificat signé par votre appareil de coordinateur",
)
def certify_device(
    request: HttpRequest, device_id: uuid.UUID, payload: SignedIn
) -> Status[dict[str, Any]]:
    actor = _actor(request)
    device = directory.device_in_commune(actor.commune, device_id)
    certificate = certificates.accept_certificate(
        Actor.member(actor, _actor_device(request)),
        device,
        chain.SignedDocument(body=payload.body, signature=payload.signature),
    )
    device.refresh_from_db()
    return Status(
        201,
        {
            "device": device_out(device),
            "serial": certificate.serial,
            "chain": [doc.to_wire() for doc in directory.device_chain(device)],
        },
    )


@devices_router.post(
    "/devices/{device_id}/revoke",
    auth=member_auth,
    response={200: DeviceOut, **errors(403, 404, 409, 422)},
    summary="Révoquer un appareil (liste de révocation signée par votre appareil)",
)
def revoke_device(
    request: HttpRequest, device_id: uuid.UUID, payload: RevocationIn | None = None
) -> dict[str, Any]:
    actor = _actor(request)
    device = directory.device_in_commune(actor.commune, device_id)
    device = devices.revoke_device(
        Actor.member(actor, _actor_device(request)),
        device,
        revocation_list=revocation_document(payload),
    )
    return device_out(device)
