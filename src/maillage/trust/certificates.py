"""Device certificates: signed by the root (CLI, demo) or by a coordinator's device."""

from __future__ import annotations

import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import IntegrityError, transaction
from django.utils import timezone

from maillage.access.policy import Action, root_certifies
from maillage.errors import Conflict, Forbidden
from maillage.members.models import Membership, MembershipStatus
from maillage.stream.action import Act, Actor, action
from maillage.stream.kinds import Kind
from maillage.trust import directory
from maillage.trust.common import Invalid, TrustRefused
from maillage.trust.common import epoch as _epoch
from maillage.trust.common import moment as _moment
from maillage.trust.models import Device, DeviceCertificate, DeviceStatus
from maillage.trust.roots import check_root_key
from maillage.wire import chain

CERTIFICATE_LIFETIME_SECONDS = 365 * 24 * 3600
# A browser may choose a shorter lifetime; a longer one than this is refused.
MAX_CERTIFICATE_LIFETIME_SECONDS = 400 * 24 * 3600


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
    act: Act,
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
    activated = membership.status == MembershipStatus.PENDING
    if activated:
        membership.status = MembershipStatus.ACTIVE
        membership.approved_at = now
        membership.approved_by = approved_by
        membership.status_changed_at = now
        membership.save(update_fields=["status", "approved_at", "approved_by", "status_changed_at"])
    act.record(
        device,
        {
            "serial": certificate.serial,
            "issuer": str(issuer_certificate.device.public_id) if issuer_certificate else "root",
            "role": str(membership.role),
            "may_certify": certificate.may_certify,
            "member_activated": activated,
        },
    )
    return certificate


def certify_with_root(
    actor: Actor,
    device: Device,
    root_key: Ed25519PrivateKey,
    *,
    lifetime_seconds: int | None = None,
) -> DeviceCertificate:
    """Sign a pending device's certificate with the root (CLI on the mairie's machine, demo).

    Coordinator devices get `may_certify`: they will approve everyone else's devices.
    Holding the root key is the authority: no member may take this action.
    """
    with action(actor, None, kind=Kind.DEVICE_CERTIFIED) as act:
        return _certify_with_root(act, device, root_key, lifetime_seconds)


def _certify_with_root(
    act: Act, device: Device, root_key: Ed25519PrivateKey, lifetime_seconds: int | None
) -> DeviceCertificate:
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
        may_certify=root_certifies(membership),
        issued_at=issued_at,
        expires_at=issued_at + (lifetime_seconds or CERTIFICATE_LIFETIME_SECONDS),
    )
    body = chain.parse_certificate(document)
    return _store_certificate(
        act, device, document, body, issuer_certificate=None, approved_by=None
    )


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


def accept_certificate(
    actor: Actor, device: Device, document: chain.SignedDocument
) -> DeviceCertificate:
    """Store a certificate a coordinator's device signed in the browser, after checking it all.

    The body must describe exactly this pending device (keys, ids, role, shop, commune),
    name the caller's own session device as issuer, and verify, with the caller's chain,
    up to the commune's root. Coordinator devices are refused: only the root certifies them.
    """
    with action(actor, Action.CERTIFY_DEVICE, device.membership, kind=Kind.DEVICE_CERTIFIED) as act:
        if actor.membership is None or actor.device is None:
            raise Forbidden(
                "Cet appareil n'a pas de certificat valide pour approuver des appareils."
            )
        return _accept_certificate(act, actor.membership, actor.device, device, document)


def _accept_certificate(
    act: Act,
    actor: Membership,
    actor_device: Device,
    device: Device,
    document: chain.SignedDocument,
) -> DeviceCertificate:
    device = (
        Device.objects.select_for_update(of=("self",))
        .select_related("membership", "membership__commune", "membership__shop")
        .get(pk=device.pk)
    )
    membership = device.membership
    _certifiable(device)
    if root_certifies(membership):
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
        act, device, document, body, issuer_certificate=issuer_certificate, approved_by=actor
    )
