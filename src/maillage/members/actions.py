"""Every state change of the members domain; views, the CLI and the demo only call these.

Each action runs in the action helper (maillage.stream.action): one transaction, the
policy asked for a member actor, one event in the commune's log (docs/events.md). The
CLI and the demo seeding are trusted because they hold the root key. `enrol_member` and
`set_status` are inner steps of trust/'s enrolment and status actions, which record the
event: they record nothing themselves.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

import segno
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.utils import timezone

from maillage.access.policy import Action, invitation_action, needs_shop
from maillage.errors import ApiError, Conflict, NotFound
from maillage.members.models import (
    CharterAcceptance,
    CharterVersion,
    Invitation,
    Membership,
    MembershipStatus,
    Passkey,
    Person,
    Role,
)
from maillage.members.passkeys import NewPasskey
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.territory.models import Commune, Shop

if TYPE_CHECKING:
    from maillage.trust.models import Device

TOKEN_MAX_LENGTH = 128


class Invalid(ApiError):
    status = 422


class InvitationError(ApiError):
    pass


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def hash_token(token: str) -> str:
    """Only this digest is stored: a database dump gives no usable invitation link."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- invitations ----------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    """An invitation and its secret link, shown once (the token is not stored)."""

    invitation: Invitation
    token: str
    url: str

    @cached_property
    def qr_svg(self) -> str:
        """Drawn when shown (50 ms, mostly choosing the best mask): an invitation made by a
        script, an import or a test never pays for it."""
        return qr_code_svg(self.url)


def invitation_url(token: str, root_fingerprint: str) -> str:
    """The fragment (after #) never reaches the server: the device pins the root from it."""
    base = settings.PUBLIC_URL.rstrip("/")
    return f"{base}/rejoindre#jeton={token}&racine={root_fingerprint}"


def qr_code_svg(url: str) -> str:
    """A QR code to scan in person, so the link (and the root it pins) does not travel by mail."""
    qr = segno.make(url, error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title="Invitation")
    return out.getvalue().decode("utf-8")


def _check_role_and_shop(commune: Commune, role: str, shop: Shop | None) -> None:
    if role not in Role.values:
        raise Invalid("invalid_role", "Rôle inconnu.", field="role")
    if needs_shop(role):
        if shop is None:
            raise Invalid(
                "shop_required", "Un commerçant doit être rattaché à un commerce.", field="shop"
            )
        if shop.commune_id != commune.pk:
            raise NotFound("Commerce introuvable.")
        if not shop.is_active:
            raise Invalid("shop_inactive", "Ce commerce n'est plus actif.", field="shop")
    elif shop is not None:
        raise Invalid(
            "shop_not_allowed", "Seul un commerçant est rattaché à un commerce.", field="shop"
        )


def _root_fingerprint(commune: Commune) -> str:
    """The root the link pins, read through the commune (trust/ installs it, members only
    reads it: this layer imports nothing of trust)."""
    try:
        return commune.root.fingerprint
    except ObjectDoesNotExist as exc:
        raise Conflict(
            "no_root", "La clé racine de la commune n'est pas encore installée."
        ) from exc


def create_invitation(
    actor: Actor,
    commune: Commune,
    *,
    role: str,
    display_name: str,
    email: str = "",
    shop: Shop | None = None,
    now: datetime | None = None,
) -> IssuedInvitation:
    """A single-use link valid INVITATION_TTL_SECONDS (72 h); only its SHA-256 is kept."""
    with action(actor, invitation_action(role), commune, kind=Kind.INVITATION_CREATED) as act:
        _check_role_and_shop(commune, role, shop)
        display_name = (display_name or "").strip()
        if not display_name or len(display_name) > 150:
            raise Invalid(
                "invalid_name", "Indiquez le nom de la personne invitée.", field="display_name"
            )
        root_fingerprint = _root_fingerprint(commune)
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            commune=commune,
            role=role,
            shop=shop,
            display_name=display_name,
            email=(email or "").strip(),
            token_hash=hash_token(token),
            created_by=actor.membership,
            expires_at=_now(now) + timedelta(seconds=settings.INVITATION_TTL_SECONDS),
        )
        act.record(
            invitation,
            {
                "role": role,
                "shop": str(shop.public_id) if shop is not None else None,
                "expires_at": int(invitation.expires_at.timestamp()),
            },
        )
    url = invitation_url(token, root_fingerprint)
    return IssuedInvitation(invitation=invitation, token=token, url=url)


def cancel_invitation(actor: Actor, invitation: Invitation) -> Invitation:
    """Cancel an unused invitation; cancelling it again changes nothing and records nothing."""
    with action(actor, Action.INVITE_MEMBER, invitation, kind=Kind.INVITATION_CANCELLED) as act:
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.used_at is not None:
            raise Conflict(
                "invitation_used", "Cette invitation a déjà servi : suspendez plutôt le membre."
            )
        if invitation.cancelled_at is not None:
            act.unchanged()
            return invitation
        invitation.cancelled_at = timezone.now()
        invitation.save(update_fields=["cancelled_at"])
        act.record(invitation, {})
    return invitation


def _usable(invitation: Invitation | None, now: datetime) -> Invitation:
    if invitation is None:
        raise InvitationError(
            "invitation_invalid",
            "Ce lien d'invitation n'est pas valable. Vérifiez qu'il est complet ou demandez-en "
            "un nouveau à la mairie.",
            field="token",
            status=404,
        )
    if invitation.cancelled_at is not None:
        raise InvitationError(
            "invitation_invalid",
            "Cette invitation a été annulée par la mairie. Demandez-en une nouvelle.",
            field="token",
            status=410,
        )
    if invitation.used_at is not None:
        raise InvitationError(
            "invitation_used",
            "Cette invitation a déjà servi : chaque lien ne s'utilise qu'une fois. "
            "Connectez-vous avec votre clé d'accès, ou demandez un nouveau lien à la mairie.",
            field="token",
            status=410,
        )
    if invitation.expires_at <= now:
        raise InvitationError(
            "invitation_expired",
            "Cette invitation a expiré (validité 72 heures). Demandez-en une nouvelle à la mairie.",
            field="token",
            status=410,
        )
    return invitation


def _lookup(token: str) -> Invitation | None:
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        Invitation.objects.select_related("commune", "shop", "shop__sector")
        .filter(token_hash=hash_token(token))
        .first()
    )


def open_invitation(token: str, now: datetime | None = None) -> Invitation:
    """The invitation behind a token, if it can still be used; French reasons otherwise."""
    return _usable(_lookup(token), _now(now))


def current_charter(commune: Commune) -> CharterVersion | None:
    return commune.charters.order_by("-version").first()


# --- enrolment ------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolled:
    """What the members half of enrolment made, for the event its caller records."""

    membership: Membership
    invitation: Invitation
    charter: CharterVersion


@transaction.atomic
def enrol_member(
    token: str,
    *,
    charter_version: int,
    passkey: NewPasskey,
    now: datetime | None = None,
) -> Enrolled:
    """Consume the invitation and create the pending member with their passkey.

    The members half of enrolment, an inner step that records no event:
    trust/enrolment.py's action adds the device and records `member.enrolled`. Single use
    is decided by a conditional UPDATE on a locked row: of two concurrent completions
    exactly one sees `used_at` still empty; the other gets `invitation_used` and, the
    transaction being atomic, leaves no half-created person.
    """
    moment = _now(now)
    invitation = _usable(
        Invitation.objects.select_for_update()
        .filter(token_hash=hash_token(token) if isinstance(token, str) else "")
        .first(),
        moment,
    )
    commune = invitation.commune
    charter = current_charter(commune)
    if charter is None:
        raise Conflict("charter_missing", "La mairie n'a pas encore publié de charte.")
    if charter_version != charter.version:
        raise Conflict(
            "charter_outdated",
            "La charte a changé depuis l'ouverture de l'invitation : relisez la nouvelle "
            "version avant de l'accepter.",
            field="charter_version",
        )
    if Passkey.objects.filter(credential_id=passkey.credential_id).exists():
        raise Conflict(
            "passkey_in_use", "Cette clé d'accès est déjà enregistrée.", field="credential"
        )
    claimed = Invitation.objects.filter(
        pk=invitation.pk, used_at__isnull=True, cancelled_at__isnull=True, expires_at__gt=moment
    ).update(used_at=moment)
    if claimed != 1:
        raise InvitationError(
            "invitation_used",
            "Cette invitation a déjà servi : chaque lien ne s'utilise qu'une fois.",
            field="token",
            status=410,
        )
    try:
        with transaction.atomic():
            person = Person(
                public_id=uuid.UUID(bytes=passkey.user_handle),
                display_name=invitation.display_name,
                email=invitation.email,
            )
            person.set_unusable_password()
            person.save()
            membership = Membership.objects.create(
                person=person,
                commune=commune,
                role=invitation.role,
                shop=invitation.shop,
                status=MembershipStatus.PENDING,
                status_changed_at=moment,
            )
            Invitation.objects.filter(pk=invitation.pk).update(membership=membership)
            CharterAcceptance.objects.create(membership=membership, charter=charter)
            Passkey.objects.create(
                person=person,
                credential_id=passkey.credential_id,
                public_key=passkey.public_key,
                sign_count=passkey.sign_count,
                transports=passkey.transports,
                last_used_at=moment,
            )
    except IntegrityError as exc:
        raise Conflict(
            "enrolment_conflict",
            "Cette inscription entre en conflit avec une autre (clé déjà enregistrée) : "
            "recommencez.",
        ) from exc
    return Enrolled(membership=membership, invitation=invitation, charter=charter)


@transaction.atomic
def record_sign_in(passkey: Passkey, sign_count: int) -> None:
    Passkey.objects.filter(pk=passkey.pk).update(sign_count=sign_count, last_used_at=timezone.now())


def membership_for_sign_in(person: Person, device: Device | None) -> Membership:
    """Which membership a passkey sign-in opens: the device's, else the person's best one."""
    usable = {MembershipStatus.ACTIVE, MembershipStatus.PENDING}
    if (
        device is not None
        and device.membership.person_id == person.pk
        and device.membership.status in usable
    ):
        return device.membership
    memberships = list(person.memberships.select_related("commune").order_by("-created_at"))
    for status in (MembershipStatus.ACTIVE, MembershipStatus.PENDING):
        for membership in memberships:
            if membership.status == status:
                return membership
    raise ApiError(
        "access_revoked", "Votre accès a été suspendu ou révoqué par la mairie.", status=403
    )


# --- member status --------------------------------------------------------------------


def lock_for_status_change(actor: Actor, membership: Membership) -> Membership:
    """The member about to be suspended, reinstated or revoked, locked; never oneself.

    Runs inside the status action, which already asked the policy."""
    target = Membership.objects.select_for_update().get(pk=membership.pk)
    if actor.membership is not None and target.pk == actor.membership.pk:
        raise Conflict(
            "self_action",
            "Vous ne pouvez pas modifier votre propre accès ; demandez à un autre coordinateur.",
        )
    return target


def set_status(membership: Membership, status: str) -> None:
    """Only the membership row, an inner step: trust/memberships.py's action withdraws the
    devices with it and records the event."""
    membership.status = status
    membership.status_changed_at = timezone.now()
    membership.save(update_fields=["status", "status_changed_at"])


# --- charter --------------------------------------------------------------------------


def publish_charter(actor: Actor, commune: Commune, text: str) -> CharterVersion:
    """A new charter version; members accepted the version they saw, which stays recorded."""
    with action(actor, Action.PUBLISH_CHARTER, commune, kind=Kind.CHARTER_PUBLISHED) as act:
        text = (text or "").strip()
        if len(text) < 20:
            raise Invalid("invalid_charter", "Le texte de la charte est trop court.", field="text")
        Commune.objects.select_for_update().filter(pk=commune.pk).first()
        latest = current_charter(commune)
        charter = CharterVersion.objects.create(
            commune=commune, version=(latest.version + 1) if latest else 1, text=text
        )
        act.record(charter, {"version": charter.version})
    return charter
