"""JSON API of the members domain: session, passkey sign-in, invitations, enrolment,
members, devices and the charter. Views read and shape; every change is an action.

Objects are always looked up inside the caller's commune, so another commune's object is
a 404, then the policy decides (403 for a role that may not act).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone
from ninja import Router, Status

from maillage.errors import ApiError, NotFound, Unauthenticated
from maillage.limits.throttle import per_client, per_member
from maillage.members import actions, passkeys
from maillage.members.auth import anonymous_csrf, member_auth, pending_auth, session_device
from maillage.members.models import CharterVersion, Invitation, Membership, Person
from maillage.members.policy import Action, permissions, require
from maillage.members.schemas import (
    CertificateOut,
    CharterIn,
    CharterOut,
    DeviceKeysIn,
    DeviceOut,
    EnrolmentIn,
    EnrolmentOut,
    InvitationCreatedOut,
    InvitationIn,
    InvitationOut,
    MemberOut,
    PendingDeviceOut,
    RevocationIn,
    SessionOut,
    SignedIn,
    SignInIn,
    TokenIn,
    commune_out,
    device_out,
    errors,
    membership_out,
    person_out,
    root_out,
    shop_out,
)
from maillage.members.sessions import current_access, end_session, start_session
from maillage.territory.models import Shop
from maillage.trust import actions as trust_actions
from maillage.trust import chain, directory
from maillage.trust.models import CommuneRoot, Device, DeviceCertificate, DeviceStatus

router = Router(tags=["members"])


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


def _signed(payload: RevocationIn | None) -> chain.SignedDocument | None:
    if payload is None or payload.revocation_list is None:
        return None
    return chain.SignedDocument(
        body=payload.revocation_list.body, signature=payload.revocation_list.signature
    )


# --- session and sign-in --------------------------------------------------------------


def session_payload(request: HttpRequest) -> dict[str, Any]:
    """Who is signed in, as GET /session, sign-in and enrolment all answer it."""
    access = current_access(request)
    if access is None:
        return {
            "authenticated": False,
            "person": None,
            "membership": None,
            "device": None,
            "root": None,
            "demo": False,
            "permissions": [],
        }
    membership = access.membership
    root = CommuneRoot.objects.filter(commune_id=membership.commune_id).first()
    return {
        "authenticated": True,
        "person": person_out(membership.person),
        "membership": membership_out(membership),
        "device": device_out(access.device) if access.device else None,
        "root": root_out(root) if root else None,
        "demo": membership.commune.is_demo,
        "permissions": permissions(membership),
    }


@router.get("/session", response=SessionOut, auth=None, summary="Qui suis-je ?")
def get_session(request: HttpRequest) -> dict[str, Any]:
    get_token(request)  # sets the CSRF cookie the app sends back on unsafe calls
    return session_payload(request)


@router.post("/session/logout", response={204: None}, auth=pending_auth, summary="Se déconnecter")
def logout(request: HttpRequest) -> Status[None]:
    end_session(request)
    return Status(204, None)


@router.post(
    "/auth/passkey/options",
    auth=anonymous_csrf,
    response=dict[str, Any],
    summary="Options WebAuthn de connexion (clés d'accès découvrables)",
    throttle=[per_client("passkey_options")],
)
def passkey_options(request: HttpRequest) -> dict[str, Any]:
    return passkeys.authentication_options(request.session)


@router.post(
    "/auth/passkey/verify",
    auth=anonymous_csrf,
    response={200: SessionOut, **errors(403, 422)},
    summary="Connexion par clé d'accès ; lie la session à l'appareil s'il est à vous",
    throttle=[per_client("passkey_verify")],
)
def passkey_verify(request: HttpRequest, payload: SignInIn) -> dict[str, Any]:
    passkey, sign_count = passkeys.verify_authentication(request.session, payload.credential)
    person: Person = passkey.person
    device = None
    if payload.device is not None:
        device = (
            Device.objects.select_related("membership")
            .filter(public_id=payload.device, membership__person=person)
            .exclude(status__in=[DeviceStatus.REVOKED, DeviceStatus.SUSPENDED])
            .first()
        )
    membership = actions.membership_for_sign_in(person, device)
    if device is not None and device.membership_id != membership.pk:
        device = None
    actions.record_sign_in(passkey, sign_count)
    start_session(request, membership, device)
    return session_payload(request)


# --- invitations ----------------------------------------------------------------------


def _invitation_out(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.public_id,
        "role": invitation.role,
        "role_label": invitation.get_role_display(),
        "display_name": invitation.display_name,
        "email": invitation.email,
        "shop": shop_out(invitation.shop),
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "created_by": invitation.created_by.person.display_name if invitation.created_by else None,
    }


@router.post(
    "/invitations",
    auth=member_auth,
    response={201: InvitationCreatedOut, **errors(403, 404, 409, 422)},
    summary="Inviter une personne (coordinateur) ; le lien n'est montré qu'ici",
    throttle=[per_member("invitation_create")],
)
def create_invitation(request: HttpRequest, payload: InvitationIn) -> Status[dict[str, Any]]:
    actor = _actor(request)
    require(actor, Action.INVITE_MEMBER, actor.commune)
    shop = None
    if payload.shop is not None:
        shop = (
            Shop.objects.select_related("sector")
            .filter(public_id=payload.shop, commune_id=actor.commune_id)
            .first()
        )
        if shop is None:
            raise NotFound("Commerce introuvable.")
    issued = actions.create_invitation(
        actor,
        actor.commune,
        role=payload.role,
        display_name=payload.display_name,
        email=payload.email,
        shop=shop,
    )
    return Status(
        201, {**_invitation_out(issued.invitation), "url": issued.url, "qr_svg": issued.qr_svg}
    )


@router.get(
    "/invitations",
    auth=member_auth,
    response={200: list[InvitationOut], **errors(403)},
    summary="Invitations en cours (ni utilisées, ni annulées, ni expirées)",
)
def list_invitations(request: HttpRequest) -> list[dict[str, Any]]:
    actor = _actor(request)
    require(actor, Action.INVITE_MEMBER, actor.commune)
    invitations = (
        Invitation.objects.filter(
            commune_id=actor.commune_id,
            used_at__isnull=True,
            cancelled_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("shop", "shop__sector", "created_by", "created_by__person")
        .order_by("-created_at")
    )
    return [_invitation_out(invitation) for invitation in invitations]


@router.delete(
    "/invitations/{invitation_id}",
    auth=member_auth,
    response={204: None, **errors(403, 404, 409)},
    summary="Annuler une invitation",
)
def cancel_invitation(request: HttpRequest, invitation_id: uuid.UUID) -> Status[None]:
    actor = _actor(request)
    invitation = Invitation.objects.filter(
        public_id=invitation_id, commune_id=actor.commune_id
    ).first()
    if invitation is None:
        raise NotFound("Invitation introuvable.")
    actions.cancel_invitation(actor, invitation)
    return Status(204, None)


# --- enrolment ------------------------------------------------------------------------


@router.post(
    "/enrolment/open",
    auth=anonymous_csrf,
    response={200: EnrolmentOut, **errors(404, 409, 410)},
    summary="Ouvrir une invitation : commune, rôle, charte à accepter",
    throttle=[per_client("enrolment_open")],
)
def enrolment_open(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    invitation = actions.open_invitation(payload.token)
    commune = invitation.commune
    charter = actions.current_charter(commune)
    if charter is None:
        raise ApiError("charter_missing", "La mairie n'a pas encore publié de charte.", status=409)
    return {
        "commune": commune_out(commune),
        "role": invitation.role,
        "role_label": invitation.get_role_display(),
        "display_name": invitation.display_name,
        "shop": shop_out(invitation.shop),
        "charter": _charter_out(charter),
        "root": root_out(directory.root_of(commune)),
        "expires_at": invitation.expires_at,
    }


@router.post(
    "/enrolment/passkey-options",
    auth=anonymous_csrf,
    response={200: dict[str, Any], **errors(404, 410)},
    summary="Options WebAuthn de création de la clé d'accès de l'invité",
    throttle=[per_client("enrolment_options")],
)
def enrolment_passkey_options(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    invitation = actions.open_invitation(payload.token)
    purpose = "enrol:" + actions.hash_token(payload.token)
    return passkeys.registration_options(
        request.session,
        user_handle=uuid.uuid4().bytes,
        user_name=invitation.email or invitation.display_name,
        display_name=invitation.display_name,
        purpose=purpose,
    )


@router.post(
    "/enrolment/complete",
    auth=anonymous_csrf,
    response={201: SessionOut, **errors(404, 409, 410, 422)},
    summary="Terminer l'inscription : charte acceptée, clé d'accès, clés de l'appareil",
    throttle=[per_client("enrolment_complete")],
)
def enrolment_complete(request: HttpRequest, payload: EnrolmentIn) -> Status[dict[str, Any]]:
    actions.open_invitation(payload.token)  # clear reason before spending the challenge
    new_passkey = passkeys.verify_registration(
        request.session,
        payload.credential,
        purpose="enrol:" + actions.hash_token(payload.token),
    )
    enrolment = actions.complete_enrolment(
        payload.token,
        charter_version=payload.charter_version,
        passkey=new_passkey,
        device=actions.DeviceKeys(
            label=payload.device.label,
            enc_key=payload.device.enc_key,
            sign_key=payload.device.sign_key,
        ),
    )
    start_session(request, enrolment.membership, enrolment.device)
    return Status(201, session_payload(request))


# --- members --------------------------------------------------------------------------


def _members_queryset(commune_id: int) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(commune_id=commune_id)
        .select_related("person", "commune", "shop", "shop__sector")
        .prefetch_related(
            Prefetch("devices", queryset=Device.objects.order_by("created_at")),
        )
    )


def _member_out(membership: Membership) -> dict[str, Any]:
    live = {
        c.device_id: c.serial
        for c in DeviceCertificate.objects.filter(
            device__membership=membership, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).order_by("issued_at")
    }
    return {
        "id": membership.public_id,
        "person": person_out(membership.person),
        "role": membership.role,
        "role_label": membership.get_role_display(),
        "status": membership.status,
        "status_label": membership.get_status_display(),
        "shop": shop_out(membership.shop),
        "created_at": membership.created_at,
        "approved_at": membership.approved_at,
        "status_changed_at": membership.status_changed_at,
        "devices": [
            {**device_out(device), "certificate_serial": live.get(device.pk)}
            for device in membership.devices.all()
        ],
    }


def _member_in_commune(actor: Membership, member_id: uuid.UUID) -> Membership:
    membership = _members_queryset(actor.commune_id).filter(public_id=member_id).first()
    if membership is None:
        raise NotFound("Membre introuvable.")
    return membership


@router.get(
    "/members",
    auth=member_auth,
    response={200: list[MemberOut], **errors(403)},
    summary="Membres de la commune, avec statut et appareils",
)
def list_members(request: HttpRequest) -> list[dict[str, Any]]:
    actor = _actor(request)
    require(actor, Action.VIEW_MEMBERS, actor.commune)
    members = _members_queryset(actor.commune_id).order_by("person__display_name", "pk")
    return [_member_out(membership) for membership in members]


@router.post(
    "/members/{member_id}/suspend",
    auth=member_auth,
    response={200: MemberOut, **errors(403, 404, 409, 422)},
    summary="Suspendre un membre (liste de révocation signée par votre appareil)",
)
def suspend_member(
    request: HttpRequest, member_id: uuid.UUID, payload: RevocationIn | None = None
) -> dict[str, Any]:
    actor = _actor(request)
    target = _member_in_commune(actor, member_id)
    actions.suspend_member(
        actor, target, actor_device=_actor_device(request), revocation_list=_signed(payload)
    )
    return _member_out(_member_in_commune(actor, member_id))


@router.post(
    "/members/{member_id}/reinstate",
    auth=member_auth,
    response={200: MemberOut, **errors(403, 404, 409)},
    summary="Rétablir un membre suspendu (ses appareils redemandent un certificat)",
)
def reinstate_member(request: HttpRequest, member_id: uuid.UUID) -> dict[str, Any]:
    actor = _actor(request)
    target = _member_in_commune(actor, member_id)
    actions.reinstate_member(actor, target)
    return _member_out(_member_in_commune(actor, member_id))


@router.post(
    "/members/{member_id}/revoke",
    auth=member_auth,
    response={200: MemberOut, **errors(403, 404, 409, 422)},
    summary="Révoquer un membre (liste de révocation signée par votre appareil)",
)
def revoke_member(
    request: HttpRequest, member_id: uuid.UUID, payload: RevocationIn | None = None
) -> dict[str, Any]:
    actor = _actor(request)
    target = _member_in_commune(actor, member_id)
    actions.revoke_member(
        actor, target, actor_device=_actor_device(request), revocation_list=_signed(payload)
    )
    return _member_out(_member_in_commune(actor, member_id))


# --- devices --------------------------------------------------------------------------


@router.post(
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
    device = actions.register_device(
        actor,
        actions.DeviceKeys(label=payload.label, enc_key=payload.enc_key, sign_key=payload.sign_key),
    )
    from maillage.members.sessions import bind_device

    bind_device(request, device)
    return Status(201, device_out(device))


@router.get(
    "/devices/pending",
    auth=member_auth,
    response={200: list[PendingDeviceOut], **errors(403)},
    summary="Appareils à certifier (nouveaux ou à recertifier), avec leurs clés (coordinateur)",
)
def pending_devices(request: HttpRequest) -> list[dict[str, Any]]:
    actor = _actor(request)
    require(actor, Action.CERTIFY_DEVICE, actor.commune)
    devices = (
        Device.objects.filter(
            membership__commune_id=actor.commune_id,
            status=DeviceStatus.PENDING,
            membership__status__in=["pending", "active"],
        )
        .select_related(
            "membership", "membership__person", "membership__commune", "membership__shop"
        )
        .select_related("membership__shop__sector")
        .order_by("created_at")
    )
    listed = [(device, "new") for device in devices]
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
                "root_only": membership.role == "coordinateur",
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


@router.post(
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
    certificate = trust_actions.accept_certificate(
        actor,
        _actor_device(request),
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


@router.post(
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
    device = actions.revoke_device(
        actor, device, actor_device=_actor_device(request), revocation_list=_signed(payload)
    )
    return device_out(device)


# --- charter --------------------------------------------------------------------------


def _charter_out(charter: CharterVersion) -> dict[str, Any]:
    return {"version": charter.version, "text": charter.text, "published_at": charter.published_at}


@router.get(
    "/charter",
    auth=pending_auth,
    response={200: CharterOut, **errors(403, 404)},
    summary="Charte d'utilisation en vigueur",
)
def get_charter(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_CHARTER, actor.commune)
    charter = actions.current_charter(actor.commune)
    if charter is None:
        raise NotFound("Aucune charte publiée.")
    return _charter_out(charter)


@router.post(
    "/charter",
    auth=member_auth,
    response={201: CharterOut, **errors(403, 422)},
    summary="Publier une nouvelle version de la charte (coordinateur)",
)
def publish_charter(request: HttpRequest, payload: CharterIn) -> Status[dict[str, Any]]:
    actor = _actor(request)
    charter = actions.publish_charter(actor, actor.commune, payload.text)
    return Status(201, _charter_out(charter))
