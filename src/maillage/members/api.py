"""JSON API of the members domain: session, passkey sign-in, invitations, enrolment,
members and the charter. Views read and shape; every change is an action (devices and
their routes are trust/'s: trust/api.py).

Objects are always looked up inside the caller's commune, so another commune's object is
a 404, then the policy decides (403 for a role that may not act).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone
from ninja import Router, Status

from maillage.access.policy import Action, permissions, require, visible
from maillage.access.roles import Role
from maillage.errors import ApiError, NotFound, Unauthenticated
from maillage.limits.throttle import per_client, per_member
from maillage.members import actions, passkeys
from maillage.members.auth import anonymous_csrf, member_auth, pending_auth, session_device
from maillage.members.models import (
    CharterAcceptance,
    CharterVersion,
    Invitation,
    Membership,
    Person,
)
from maillage.members.schemas import (
    CharterIn,
    CharterOut,
    CharterVersionOut,
    EnrolmentIn,
    EnrolmentOut,
    InvitationCreatedOut,
    InvitationIn,
    InvitationOut,
    MemberOut,
    SessionOut,
    SignInIn,
    TokenIn,
    commune_out,
    errors,
    membership_out,
    person_out,
)
from maillage.members.sessions import current_access, end_session, start_session
from maillage.stream.action import INVITEE, Actor
from maillage.territory.models import Shop
from maillage.territory.schemas import shop_out
from maillage.trust import directory, enrolment, memberships
from maillage.trust.devices import DeviceKeys
from maillage.trust.models import CommuneRoot, Device, DeviceCertificate, DeviceStatus
from maillage.trust.schemas import RevocationIn, device_out, revocation_document, root_out

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
            "neighbour_sectors": [],
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
        "neighbour_sectors": neighbour_sectors(membership),
    }


def neighbour_sectors(membership: Membership) -> list[dict[str, Any]]:
    """The sectors besides their own whose alerts a merchant receives (the home listens to
    each), by name."""
    shop = membership.shop
    if membership.role != Role.MERCHANT or shop is None:
        return []
    return [{"id": s.pk, "name": s.name} for s in shop.sector.neighbours.order_by("name")]


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
        Actor.member(actor, session_device(request)),
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
        visible(actor, Invitation)
        .filter(
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
    actions.cancel_invitation(Actor.member(actor, session_device(request)), invitation)
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
    enrolled = enrolment.complete_enrolment(
        INVITEE,
        payload.token,
        charter_version=payload.charter_version,
        passkey=new_passkey,
        device=DeviceKeys(
            label=payload.device.label,
            enc_key=payload.device.enc_key,
            sign_key=payload.device.sign_key,
        ),
    )
    start_session(request, enrolled.membership, enrolled.device)
    return Status(201, session_payload(request))


# --- members --------------------------------------------------------------------------


def _with_devices(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    return memberships.select_related("person", "commune", "shop", "shop__sector").prefetch_related(
        Prefetch("devices", queryset=Device.objects.order_by("created_at")),
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
    membership = (
        _with_devices(Membership.objects.filter(commune_id=actor.commune_id))
        .filter(public_id=member_id)
        .first()
    )
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
    members = _with_devices(visible(actor, Membership)).order_by("person__display_name", "pk")
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
    memberships.suspend_member(
        Actor.member(actor, _actor_device(request)),
        target,
        revocation_list=revocation_document(payload),
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
    memberships.reinstate_member(Actor.member(actor, session_device(request)), target)
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
    memberships.revoke_member(
        Actor.member(actor, _actor_device(request)),
        target,
        revocation_list=revocation_document(payload),
    )
    return _member_out(_member_in_commune(actor, member_id))


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


@router.get(
    "/charter/versions",
    auth=member_auth,
    response={200: list[CharterVersionOut], **errors(403)},
    summary="Versions publiées de la charte, la plus récente d'abord (coordinateur)",
)
def list_charter_versions(request: HttpRequest) -> list[dict[str, Any]]:
    """Each version's text and how many members accepted that exact text."""
    actor = _actor(request)
    require(actor, Action.PUBLISH_CHARTER, actor.commune)
    versions = CharterVersion.objects.filter(commune_id=actor.commune_id).order_by("-version")
    accepted = dict(
        CharterAcceptance.objects.filter(charter__commune_id=actor.commune_id)
        .values("charter_id")
        .annotate(count=Count("pk"))
        .values_list("charter_id", "count")
    )
    return [
        {
            **_charter_out(charter),
            "current": index == 0,
            "acceptances": accepted.get(charter.pk, 0),
        }
        for index, charter in enumerate(versions)
    ]


@router.post(
    "/charter",
    auth=member_auth,
    response={201: CharterOut, **errors(403, 422)},
    summary="Publier une nouvelle version de la charte (coordinateur)",
)
def publish_charter(request: HttpRequest, payload: CharterIn) -> Status[dict[str, Any]]:
    actor = _actor(request)
    charter = actions.publish_charter(
        Actor.member(actor, session_device(request)), actor.commune, payload.text
    )
    return Status(201, _charter_out(charter))
