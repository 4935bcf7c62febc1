"""Every change to the commune's trust: roots, device keys, certificates, revocation lists.

The server never signs anything itself (a demo commune's root excepted, see
docs/threat-model.md): it checks what the root (CLI) or a coordinator's device (browser)
signed and stores it exactly as signed, so every client can re-verify it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from django.db import IntegrityError, transaction
from django.utils import timezone

from maillage.errors import ApiError, Conflict, Forbidden
from maillage.members.models import Membership, MembershipStatus, Role
from maillage.members.policy import Action, require
from maillage.members.sessions import end_sessions
from maillage.territory.models import Commune
from maillage.trust import directory
from maillage.trust.models import (
    CommuneRoot,
    Device,
    DeviceCertificate,
    DeviceStatus,
    RevocationList,
)
from maillage.wire import chain

if TYPE_CHECKING:
    from maillage.members.actions import IssuedInvitation

CERTIFICATE_LIFETIME_SECONDS = 365 * 24 * 3600
# A browser may choose a shorter lifetime; a longer one than this is refused.
MAX_CERTIFICATE_LIFETIME_SECONDS = 400 * 24 * 3600
_MAY_NOT_REVOKE = frozenset({DeviceStatus.REVOKED})


class Invalid(ApiError):
    status = 422


class TrustRefused(ApiError):
    """A trust check failed; the code is chain.py's (`bad_signature`, `not_a_certifier`…)."""

    def __init__(self, error: chain.TrustError, field: str | None = None) -> None:
        forbidden = error.code in {"not_a_certifier", "revoked"}
        super().__init__(error.code, error.message, field=field, status=403 if forbidden else 422)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _moment(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


# --- device keys ----------------------------------------------------------------------


def check_device_keys(enc_key: str, sign_key: str) -> str:
    """Refuse anything but raw 32-byte X25519 / Ed25519 keys; return the signing fingerprint."""
    keys = {"device.enc_key": enc_key, "device.sign_key": sign_key}
    raw: dict[str, bytes] = {}
    for field, value in keys.items():
        try:
            data = chain.b64url_decode(value)
        except chain.TrustError:
            data = b""
        if len(data) != 32:
            raise Invalid(
                "invalid_key",
                "Clé publique invalide : 32 octets encodés en base64url attendus.",
                field=field,
            )
        raw[field] = data
    try:
        X25519PublicKey.from_public_bytes(raw["device.enc_key"])
        Ed25519PublicKey.from_public_bytes(raw["device.sign_key"])
    except ValueError as exc:
        raise Invalid("invalid_key", "Clé publique invalide.", field="device.sign_key") from exc
    if raw["device.enc_key"] == raw["device.sign_key"]:
        raise Invalid(
            "invalid_key", "Les deux clés de l'appareil doivent être différentes.", field="device"
        )
    return chain.fingerprint(raw["device.sign_key"])


@transaction.atomic
def create_device(membership: Membership, *, label: str, enc_key: str, sign_key: str) -> Device:
    """A browser's public keys, waiting for a certificate (status pending)."""
    key_fingerprint = check_device_keys(enc_key, sign_key)
    label = (label or "").strip()[:100] or "Appareil"
    if Device.objects.filter(sign_public_key=sign_key).exists():
        raise Conflict(
            "device_key_in_use",
            "Cette clé d'appareil est déjà enregistrée.",
            field="device.sign_key",
        )
    try:
        with transaction.atomic():
            return Device.objects.create(
                membership=membership,
                label=label,
                enc_public_key=enc_key,
                sign_public_key=sign_key,
                sign_key_fingerprint=key_fingerprint,
            )
    except IntegrityError as exc:
        raise Conflict(
            "device_key_in_use", "Cette clé d'appareil est déjà enregistrée.", field="device"
        ) from exc


# --- the root -------------------------------------------------------------------------


@transaction.atomic
def install_root(
    commune: Commune, root_key: Ed25519PrivateKey, *, keep_private_key: bool = False
) -> CommuneRoot:
    """Store the root's public half and sign revocation list number 0 (empty) with it.

    `keep_private_key` is for demo communes only: their root signs demo devices on the
    server, which is exactly what a real commune must never allow.
    """
    if keep_private_key and not commune.is_demo:
        raise Forbidden("Seule une commune de démonstration garde sa clé racine sur le serveur.")
    public_key = chain.public_key_b64(root_key)
    root_fingerprint = chain.fingerprint(chain.b64url_decode(public_key))
    private = ""
    if keep_private_key:
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        private = chain.b64url_encode(
            root_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        )
    root = CommuneRoot.objects.create(
        commune=commune,
        public_key=public_key,
        fingerprint=root_fingerprint,
        demo_private_key=private,
    )
    document = chain.issue_revocation_list(
        root_key,
        commune=str(commune.public_id),
        number=0,
        issued_at=_epoch(timezone.now()),
        entries=[],
    )
    RevocationList.objects.create(
        commune=commune,
        number=0,
        body=document.body,
        signature=document.signature,
        signer_fingerprint=root_fingerprint,
    )
    return root


def demo_root_key(commune: Commune) -> Ed25519PrivateKey:
    """The root private key a demo commune keeps in the database (never a real commune)."""
    root = directory.root_of(commune)
    if not commune.is_demo or not root.demo_private_key:
        raise Forbidden("Cette commune n'est pas une commune de démonstration.")
    return Ed25519PrivateKey.from_private_bytes(chain.b64url_decode(root.demo_private_key))


def check_root_key(commune: Commune, root_key: Ed25519PrivateKey) -> CommuneRoot:
    root = directory.root_of(commune)
    if chain.public_key_b64(root_key) != root.public_key:
        raise Forbidden(
            f"Cette clé racine n'est pas celle de la commune {commune.name} "
            "(empreintes différentes)."
        )
    return root


# --- certificates ---------------------------------------------------------------------


def _certifiable(device: Device) -> None:
    """A pending device, or an active one whose issuer was revoked since (re-certified with
    the same keys: revocation "as of issuance" would trust a date the lost key signed)."""
    orphaned = device.status == DeviceStatus.ACTIVE and directory.issuer_revoked(device)
    if device.status != DeviceStatus.PENDING and not orphaned:
        raise Conflict("device_not_pending", "Cet appareil n'attend pas de certificat.")
    if device.membership.status not in {MembershipStatus.PENDING, MembershipStatus.ACTIVE}:
        raise Conflict(
            "member_not_active",
            "Le membre de cet appareil est suspendu ou révoqué : rétablissez-le d'abord.",
        )


def _store_certificate(
    device: Device,
    document: chain.SignedDocument,
    body: chain.CertificateBody,
    *,
    issuer_certificate: DeviceCertificate | None,
    approved_by: Membership | None,
) -> DeviceCertificate:
    now = timezone.now()
    try:
        with transaction.atomic():
            certificate = DeviceCertificate.objects.create(
                device=device,
                serial=body.serial,
                body=document.body,
                signature=document.signature,
                issuer_fingerprint=body.issuer,
                issuer_certificate=issuer_certificate,
                may_certify=body.may_certify,
                issued_at=_moment(body.issued_at),
                expires_at=_moment(body.expires_at),
                created_by=approved_by,
            )
    except IntegrityError as exc:
        raise Conflict(
            "serial_in_use", "Ce numéro de série de certificat existe déjà.", field="body"
        ) from exc
    Device.objects.filter(pk=device.pk).update(status=DeviceStatus.ACTIVE, certified_at=now)
    device.status, device.certified_at = DeviceStatus.ACTIVE, now
    membership = device.membership
    if membership.status == MembershipStatus.PENDING:
        membership.status = MembershipStatus.ACTIVE
        membership.approved_at = now
        membership.approved_by = approved_by
        membership.status_changed_at = now
        membership.save(update_fields=["status", "approved_at", "approved_by", "status_changed_at"])
    return certificate


@transaction.atomic
def certify_with_root(
    device: Device, root_key: Ed25519PrivateKey, *, lifetime_seconds: int | None = None
) -> DeviceCertificate:
    """Sign a pending device's certificate with the root (CLI on the mairie's machine, demo).

    Coordinator devices get `may_certify`: they will approve everyone else's devices.
    """
    device = (
        Device.objects.select_for_update(of=("self",))
        .select_related("membership")
        .get(pk=device.pk)
    )
    membership = device.membership
    commune = membership.commune
    check_root_key(commune, root_key)
    _certifiable(device)
    issued_at = _epoch(timezone.now())
    document = chain.issue_certificate(
        root_key,
        commune=str(commune.public_id),
        device=str(device.public_id),
        member=str(membership.public_id),
        role=membership.role,  # type: ignore[arg-type]
        shop=str(membership.shop.public_id) if membership.shop else None,
        enc_key=device.enc_public_key,
        sign_key=device.sign_public_key,
        may_certify=membership.role == Role.COORDINATOR,
        issued_at=issued_at,
        expires_at=issued_at + (lifetime_seconds or CERTIFICATE_LIFETIME_SECONDS),
    )
    body = chain.parse_certificate(document)
    return _store_certificate(device, document, body, issuer_certificate=None, approved_by=None)


def _expected_certificate_fields(device: Device) -> dict[str, object]:
    membership = device.membership
    return {
        "commune": str(membership.commune.public_id),
        "device": str(device.public_id),
        "member": str(membership.public_id),
        "role": membership.role,
        "shop": str(membership.shop.public_id) if membership.shop else None,
        "enc_key": device.enc_public_key,
        "sign_key": device.sign_public_key,
        "may_certify": False,
    }


@transaction.atomic
def accept_certificate(
    actor: Membership, actor_device: Device, device: Device, document: chain.SignedDocument
) -> DeviceCertificate:
    """Store a certificate a coordinator's device signed in the browser, after checking it all.

    The body must describe exactly this pending device (keys, ids, role, shop, commune),
    name the caller's own session device as issuer, and verify, with the caller's chain,
    up to the commune's root. Coordinator devices are refused: only the root certifies them.
    """
    device = (
        Device.objects.select_for_update(of=("self",))
        .select_related("membership", "membership__commune", "membership__shop")
        .get(pk=device.pk)
    )
    membership = device.membership
    require(actor, Action.CERTIFY_DEVICE, membership)
    _certifiable(device)
    if membership.role == Role.COORDINATOR:
        raise Forbidden(
            "Un appareil de coordinateur ne peut être certifié qu'avec la clé racine de la "
            "mairie (commande « maillage root certify »)."
        )
    commune = membership.commune
    root = directory.root_of(commune)
    issuer_certificate = directory.current_certificate(actor_device)
    if actor_device.membership_id != actor.pk or issuer_certificate is None:
        raise Forbidden("Cet appareil n'a pas de certificat valide pour approuver des appareils.")

    try:
        body = chain.parse_certificate(document)
    except chain.TrustError as exc:
        raise TrustRefused(exc, field="body") from exc
    expected = _expected_certificate_fields(device)
    for name, value in expected.items():
        if getattr(body, name) != value:
            raise Invalid(
                "certificate_mismatch",
                f"Le certificat ne correspond pas à l'appareil en attente (champ « {name} »).",
                field="body",
            )
    if body.issuer != actor_device.sign_key_fingerprint:
        raise Invalid(
            "certificate_mismatch",
            "Le certificat doit être émis par l'appareil avec lequel vous êtes connecté.",
            field="body",
        )
    now = _epoch(timezone.now())
    if abs(body.issued_at - now) > chain.CLOCK_SKEW:
        raise Invalid(
            "certificate_time",
            "La date d'émission du certificat est éloignée de l'heure du serveur : "
            "vérifiez l'horloge de votre appareil.",
            field="body",
        )
    if body.expires_at - body.issued_at > MAX_CERTIFICATE_LIFETIME_SECONDS:
        raise Invalid(
            "certificate_time", "Durée de validité du certificat trop longue.", field="body"
        )
    try:
        uuid.UUID(body.serial, version=4)
    except ValueError as exc:
        raise Invalid(
            "certificate_mismatch", "Numéro de série invalide (UUID v4 attendu).", field="body"
        ) from exc

    _, revocations = directory.parsed_revocations(commune)
    caller_chain = [directory.signed(c) for c in directory.certificate_chain(issuer_certificate)]
    try:
        chain.verify_chain(
            [document, *caller_chain],
            root.public_key,
            root.fingerprint,
            str(commune.public_id),
            revocations,
            now,
        )
    except chain.TrustError as exc:
        raise TrustRefused(exc, field="signature") from exc
    return _store_certificate(
        device, document, body, issuer_certificate=issuer_certificate, approved_by=actor
    )


# --- revocation lists -----------------------------------------------------------------


@dataclass(frozen=True)
class Withdrawal:
    """One certificate a new revocation list must name."""

    serial: str
    device: str
    reason: str

    def entry(self, at: int) -> chain.RevocationEntry:
        return chain.RevocationEntry(
            serial=self.serial,
            device=self.device,
            reason=self.reason,  # type: ignore[arg-type]
            at=at,
        )


def withdrawals(devices: Iterable[Device], reason: str) -> list[Withdrawal]:
    """The live certificates of these devices: what a revocation list has to name."""
    return [
        Withdrawal(serial=c.serial, device=str(c.device.public_id), reason=reason)
        for c in directory.live_certificates(devices).order_by("pk")
    ]


def draft_revocation_list(
    commune: Commune, signer: Device | None, needed: Sequence[Withdrawal]
) -> str:
    """The canonical body the signer should sign: the previous entries plus the new ones.

    A convenience for the browser, which must still check the draft against the last list
    it verified before signing it (see docs/trust.md).
    """
    root = directory.root_of(commune)
    _, previous = directory.parsed_revocations(commune)
    now = _epoch(timezone.now())
    body = chain.RevocationList(
        commune=str(commune.public_id),
        number=previous.number + 1,
        issued_at=now,
        entries=(*previous.entries, *(w.entry(now) for w in needed)),
        issuer=signer.sign_key_fingerprint if signer is not None else root.fingerprint,
    )
    return chain.canonical_json(body.to_json()).decode("utf-8")


def _check_additions(
    previous: chain.RevocationList, proposed: chain.RevocationList, needed: Sequence[Withdrawal]
) -> None:
    if proposed.number != previous.number + 1:
        raise _number_conflict(previous.number + 1)
    before = set(previous.entries)
    if not before.issubset(proposed.entries):
        raise Invalid(
            "revocation_mismatch",
            "La nouvelle liste doit reprendre toutes les révocations précédentes.",
            field="revocation_list",
        )
    added = [entry for entry in proposed.entries if entry not in before]
    serials = [entry.serial for entry in proposed.entries]
    if len(serials) != len(set(serials)):
        raise Invalid(
            "revocation_mismatch",
            "Un certificat figure deux fois dans la liste.",
            field="revocation_list",
        )
    wanted = sorted((w.serial, w.device, w.reason) for w in needed)
    if sorted((e.serial, e.device, e.reason) for e in added) != wanted:
        raise Invalid(
            "revocation_mismatch",
            "La liste signée ne correspond pas aux certificats à retirer.",
            field="revocation_list",
        )
    now = _epoch(timezone.now())
    if abs(proposed.issued_at - now) > chain.CLOCK_SKEW or any(
        entry.at > now + chain.CLOCK_SKEW for entry in added
    ):
        raise Invalid(
            "revocation_time",
            "La date de la liste de révocation est éloignée de l'heure du serveur : "
            "vérifiez l'horloge de votre appareil.",
            field="revocation_list",
        )


def _number_conflict(expected: int) -> Conflict:
    return Conflict(
        "revocation_number",
        f"La liste de révocation doit porter le numéro {expected} : une autre liste a été "
        "publiée entre-temps, recommencez.",
        field="revocation_list",
    )


def _refuse_outdated(document: chain.SignedDocument, latest_number: int) -> None:
    """A list drafted before someone else published one: say "start again" (409), not
    "invalid" — the signer did nothing wrong. Only picks the error; trust comes later."""
    try:
        number = json.loads(document.body).get("number")
    except (ValueError, AttributeError):
        return
    if isinstance(number, int) and number <= latest_number:
        raise _number_conflict(latest_number + 1)


def _mark_withdrawn(needed: Sequence[Withdrawal]) -> None:
    now = timezone.now()
    for withdrawal in needed:
        DeviceCertificate.objects.filter(serial=withdrawal.serial, revoked_at__isnull=True).update(
            revoked_at=now, revocation_reason=withdrawal.reason
        )


@transaction.atomic
def record_signed_revocation_list(
    actor: Membership,
    actor_device: Device,
    commune: Commune,
    document: chain.SignedDocument | None,
    needed: Sequence[Withdrawal],
) -> RevocationList | None:
    """Check and store list n+1 signed by the coordinator's device; mark its certificates.

    Nothing to withdraw, nothing to sign: returns None (e.g. a member never approved).
    """
    if not needed:
        return None
    if document is None:
        raise Invalid(
            "revocation_list_required",
            "Cette action retire des certificats : la liste de révocation signée par votre "
            "appareil est requise.",
            field="revocation_list",
        )
    root = CommuneRoot.objects.select_for_update().get(commune=commune)
    signer_certificate = directory.current_certificate(actor_device)
    if actor_device.membership_id != actor.pk or signer_certificate is None:
        raise Forbidden("Cet appareil n'a pas de certificat valide pour signer une révocation.")
    latest, previous = directory.parsed_revocations(commune)
    _refuse_outdated(document, latest.number)
    signer_chain = [directory.signed(c) for c in directory.certificate_chain(signer_certificate)]
    now = _epoch(timezone.now())
    try:
        proposed = chain.verify_revocation_list(
            document,
            signer_chain,
            root.public_key,
            root.fingerprint,
            str(commune.public_id),
            latest.number,
            now,
            known_serials=previous.serials,
        )
    except chain.TrustError as exc:
        raise TrustRefused(exc, field="revocation_list") from exc
    _check_additions(previous, proposed, needed)
    stored = RevocationList.objects.create(
        commune=commune,
        number=proposed.number,
        body=document.body,
        signature=document.signature,
        signer_fingerprint=proposed.issuer,
        signer_certificate=signer_certificate,
        created_by=actor,
    )
    _mark_withdrawn(needed)
    return stored


@transaction.atomic
def revoke_with_root(
    commune: Commune, root_key: Ed25519PrivateKey, needed: Sequence[Withdrawal]
) -> RevocationList | None:
    """Publish list n+1 signed by the root (CLI, demo); marks the certificates withdrawn."""
    if not needed:
        return None
    check_root_key(commune, root_key)
    CommuneRoot.objects.select_for_update().get(commune=commune)
    _, previous = directory.parsed_revocations(commune)
    now = _epoch(timezone.now())
    known = previous.serials
    document = chain.issue_revocation_list(
        root_key,
        commune=str(commune.public_id),
        number=previous.number + 1,
        issued_at=now,
        entries=[*previous.entries, *(w.entry(now) for w in needed if w.serial not in known)],
    )
    stored = RevocationList.objects.create(
        commune=commune,
        number=previous.number + 1,
        body=document.body,
        signature=document.signature,
        signer_fingerprint=directory.root_of(commune).fingerprint,
    )
    _mark_withdrawn(needed)
    return stored


@transaction.atomic
def revoke_devices_with_root(
    commune: Commune, root_key: Ed25519PrivateKey, devices: Sequence[Device]
) -> RevocationList | None:
    """Revoke devices with the root (e.g. a lost coordinator phone); sessions end at once."""
    for device in devices:
        if device.membership.commune_id != commune.pk:
            raise Forbidden("Cet appareil n'appartient pas à cette commune.")
    targets = [d for d in devices if d.status not in _MAY_NOT_REVOKE]
    published = revoke_with_root(commune, root_key, withdrawals(targets, "revoked"))
    now = timezone.now()
    for device in targets:
        Device.objects.filter(pk=device.pk).update(status=DeviceStatus.REVOKED, revoked_at=now)
        end_sessions(device=device)
    return published


def pending_coordinator_devices(commune: Commune) -> list[Device]:
    """Devices of coordinators waiting for the root: `maillage root certify` lists these."""
    return list(
        Device.objects.filter(
            membership__commune=commune,
            membership__role=Role.COORDINATOR,
            membership__status__in=[MembershipStatus.PENDING, MembershipStatus.ACTIVE],
            status=DeviceStatus.PENDING,
        )
        .select_related("membership", "membership__person")
        .order_by("created_at")
    )


# --- a new commune --------------------------------------------------------------------


@dataclass(frozen=True)
class CommuneSetup:
    """What `maillage commune create` made; the invitation's link is shown only once."""

    commune: Commune
    root: CommuneRoot
    charter_version: int
    invitation: IssuedInvitation


@transaction.atomic
def create_commune(
    *,
    name: str,
    insee_code: str,
    departement_code: str,
    departement_name: str,
    coordinator_name: str,
    root_key: Ed25519PrivateKey,
    coordinator_email: str = "",
    slug: str | None = None,
    is_demo: bool = False,
    keep_private_key: bool = False,
    charter_text: str | None = None,
) -> CommuneSetup:
    """Commune, root (public half), revocation list 0, charter v1, first coordinator invitation.

    The root private key is the caller's: the CLI generated it and wrote its encrypted
    backup; the demo seeding keeps it in memory (and, for a demo commune, in the database).
    """
    from django.utils.text import slugify

    from maillage.members import actions as member_actions
    from maillage.members.charter import default_charter
    from maillage.territory import actions as territory_actions

    commune = territory_actions.create_commune(
        departement_code=departement_code,
        departement_name=departement_name,
        name=name,
        slug=slug or slugify(name),
        insee_code=insee_code,
        is_demo=is_demo,
    )
    root = install_root(commune, root_key, keep_private_key=keep_private_key)
    charter = member_actions.publish_charter(
        None, commune, charter_text or default_charter(commune.name)
    )
    invitation = member_actions.create_invitation(
        None,
        commune,
        role=Role.COORDINATOR,
        display_name=coordinator_name,
        email=coordinator_email,
    )
    return CommuneSetup(
        commune=commune, root=root, charter_version=charter.version, invitation=invitation
    )
