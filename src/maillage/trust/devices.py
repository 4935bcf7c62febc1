"""Devices: a browser's public keys registered, waiting for a certificate, withdrawn.

trust/ owns devices whole: the model, these actions, the `/devices` routes (api.py) and
their shapes (schemas.py). Certificates and revocation lists have their own modules.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from django.db import IntegrityError, transaction
from django.utils import timezone

from maillage.access.policy import ROOT_CERTIFIED_ROLES, Action
from maillage.errors import Conflict, Forbidden
from maillage.members.models import Membership, MembershipStatus
from maillage.members.sessions import end_sessions
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.territory.models import Commune
from maillage.trust import revocations
from maillage.trust.common import Invalid
from maillage.trust.models import Device, DeviceStatus
from maillage.wire import chain


@dataclass(frozen=True)
class DeviceKeys:
    """A browser's public keys as it sends them (enrolment, new browser, demo login)."""

    label: str
    enc_key: str
    sign_key: str


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
    """A browser's public keys, waiting for a certificate (status pending).

    An inner step that records nothing: `register_device` and enrolment (whose
    `member.enrolled` names the device) are the actions around it."""
    key_fingerprint = check_new_device_keys(DeviceKeys(label, enc_key, sign_key))
    label = (label or "").strip()[:100] or "Appareil"
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


def check_new_device_keys(keys: DeviceKeys) -> str:
    """Well-formed keys that no device holds yet; returns the signing fingerprint."""
    key_fingerprint = check_device_keys(keys.enc_key, keys.sign_key)
    if Device.objects.filter(sign_public_key=keys.sign_key).exists():
        raise Conflict(
            "device_key_in_use",
            "Cette clé d'appareil est déjà enregistrée.",
            field="device.sign_key",
        )
    return key_fingerprint


def register_device(actor: Actor, membership: Membership, keys: DeviceKeys) -> Device:
    """A new browser's keys, waiting for approval: a signed-in member's own (`POST
    /devices`), or those the demo sign-in registers before certifying them."""
    with action(actor, Action.REGISTER_DEVICE, membership, kind=Kind.DEVICE_REGISTERED) as act:
        device = create_device(
            membership, label=keys.label, enc_key=keys.enc_key, sign_key=keys.sign_key
        )
        act.record(
            device, {"fingerprint": device.sign_key_fingerprint, "role": str(membership.role)}
        )
    return device


def revoke_device(
    actor: Actor, device: Device, *, revocation_list: chain.SignedDocument | None
) -> Device:
    """Withdraw one device (lost phone): signed revocation list, sessions end at once.

    The list is signed by the actor's own session device, which may not be the one withdrawn.
    """
    with action(actor, Action.MANAGE_DEVICE, device.membership, kind=Kind.DEVICE_REVOKED) as act:
        device = (
            Device.objects.select_for_update(of=("self",))
            .select_related("membership")
            .get(pk=device.pk)
        )
        actor_device = actor.device
        if actor.membership is None or actor_device is None:
            raise Forbidden("Cet appareil n'a pas de certificat valide pour signer une révocation.")
        if device.pk == actor_device.pk:
            raise Conflict(
                "self_revocation",
                "Vous ne pouvez pas révoquer l'appareil avec lequel vous êtes connecté.",
            )
        if device.status == DeviceStatus.REVOKED:
            raise Conflict("already_revoked", "Cet appareil est déjà révoqué.")
        needed = revocations.withdrawals([device], "revoked")
        published = revocations.record_signed_revocation_list(
            actor.membership, actor_device, device.membership.commune, revocation_list, needed
        )
        device.status = DeviceStatus.REVOKED
        device.revoked_at = timezone.now()
        device.save(update_fields=["status", "revoked_at"])
        end_sessions(device=device)
        act.record(
            device,
            {
                "revocation_list": published.number if published else None,
                "serials": [w.serial for w in needed],
            },
        )
    return device


def pending_coordinator_devices(commune: Commune) -> list[Device]:
    """Devices of coordinators waiting for the root: `maillage root certify` lists these."""
    return list(
        Device.objects.filter(
            membership__commune=commune,
            membership__role__in=ROOT_CERTIFIED_ROLES,
            membership__status__in=[MembershipStatus.PENDING, MembershipStatus.ACTIVE],
            status=DeviceStatus.PENDING,
        )
        .select_related("membership", "membership__person")
        .order_by("created_at")
    )
