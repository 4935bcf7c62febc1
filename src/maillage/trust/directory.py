"""The key directory: read-only answers about roots, certificates and revocation lists.

Everything here reads; every change goes through trust/'s topic modules (roots.py,
devices.py, certificates.py, revocations.py…). The server hands out what it stored
exactly as signed, and clients verify it against their pinned root: the directory is
convenient, never trusted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from maillage.errors import ApiError, NotFound
from maillage.members.models import MembershipStatus
from maillage.territory.models import Commune
from maillage.trust.models import (
    CommuneRoot,
    Device,
    DeviceCertificate,
    DeviceStatus,
    RevocationList,
)
from maillage.wire import chain


class NoRoot(ApiError):
    status = 409

    def __init__(self) -> None:
        super().__init__(
            "commune_without_root",
            "Cette commune n'a pas encore de clé racine (maillage commune create).",
        )


def root_of(commune: Commune) -> CommuneRoot:
    root = CommuneRoot.objects.filter(commune=commune).first()
    if root is None:
        raise NoRoot
    return root


def signed(document: DeviceCertificate | RevocationList) -> chain.SignedDocument:
    return chain.SignedDocument(body=document.body, signature=document.signature)


def current_certificate(device: Device, now: datetime | None = None) -> DeviceCertificate | None:
    """The newest certificate of the device that is neither revoked nor expired."""
    if device.status != DeviceStatus.ACTIVE:
        return None
    return (
        device.certificates.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())
        .order_by("-issued_at", "-pk")
        .first()
    )


def certificate_chain(certificate: DeviceCertificate) -> list[DeviceCertificate]:
    """The certificate, then its issuer's, up to the one the root signed (leaf first)."""
    result = [certificate]
    while result[-1].issuer_certificate_id is not None:
        issuer = result[-1].issuer_certificate
        assert issuer is not None
        if issuer in result or len(result) >= chain.MAX_CHAIN_LENGTH:
            break
        result.append(issuer)
    return result


def device_chain(device: Device, now: datetime | None = None) -> list[chain.SignedDocument]:
    """The device's chain as signed documents, leaf first; empty without a valid certificate."""
    certificate = current_certificate(device, now)
    if certificate is None:
        return []
    return [signed(item) for item in certificate_chain(certificate)]


def latest_revocation_list(commune: Commune) -> RevocationList:
    latest = commune.revocation_lists.order_by("-number").first()
    if latest is None:
        raise NoRoot
    return latest


def revocation_signer_chain(revocation_list: RevocationList) -> list[chain.SignedDocument]:
    if revocation_list.signer_certificate is None:
        return []
    return [signed(item) for item in certificate_chain(revocation_list.signer_certificate)]


def revocation_document(revocation_list: RevocationList) -> dict[str, Any]:
    """The list as it travels: `{body, signature, chain}` (chain empty when the root signed)."""
    return {
        "body": revocation_list.body,
        "signature": revocation_list.signature,
        "chain": [doc.to_wire() for doc in revocation_signer_chain(revocation_list)],
    }


def parsed_revocations(commune: Commune) -> tuple[RevocationList, chain.RevocationList]:
    """The latest stored list and its content, re-verified as any client would."""
    root = root_of(commune)
    latest = latest_revocation_list(commune)
    content = chain.verify_revocation_list(
        signed(latest),
        revocation_signer_chain(latest),
        root.public_key,
        root.fingerprint,
        str(commune.public_id),
        0,
        int(timezone.now().timestamp()),
    )
    return latest, content


def live_certificates(devices: Iterable[Device] | QuerySet[Device]) -> QuerySet[DeviceCertificate]:
    """Certificates of these devices that a revocation list would still have to name."""
    return DeviceCertificate.objects.filter(
        device__in=list(devices), revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("device")


def device_in_commune(commune: Commune, public_id: uuid.UUID | str) -> Device:
    """A device of this commune, or 404 (another commune's device looks absent)."""
    device = (
        Device.objects.select_related("membership", "membership__commune", "membership__shop")
        .filter(public_id=public_id, membership__commune=commune)
        .first()
    )
    if device is None:
        raise NotFound("Appareil introuvable.")
    return device


def _issuer_revoked(certificate: DeviceCertificate) -> bool:
    return any(issuer.revoked_at is not None for issuer in certificate_chain(certificate)[1:])


def issuer_revoked(device: Device, now: datetime | None = None) -> bool:
    """Whether the device's current chain is broken above its own certificate.

    Such a device (approved by a coordinator device since revoked) is refused by every
    client although nothing is wrong with it: another coordinator re-certifies it.
    """
    certificate = current_certificate(device, now)
    return certificate is not None and _issuer_revoked(certificate)


_ISSUER_PATHS = tuple(
    "__".join(["issuer_certificate"] * depth) for depth in range(1, chain.MAX_CHAIN_LENGTH)
)


def orphaned_devices(commune: Commune, now: datetime | None = None) -> list[Device]:
    """Active devices of the commune whose current chain names a revoked issuer.

    One query: the live certificates with their issuers (up to the longest chain a client
    accepts) and the device, member and shop the pending list shows.
    """
    certificates = (
        DeviceCertificate.objects.filter(
            device__membership__commune=commune,
            device__membership__status__in=[MembershipStatus.PENDING, MembershipStatus.ACTIVE],
            device__status=DeviceStatus.ACTIVE,
            revoked_at__isnull=True,
            expires_at__gt=now or timezone.now(),
        )
        .select_related(
            "device__membership__person",
            "device__membership__commune",
            "device__membership__shop__sector",
            *_ISSUER_PATHS,
        )
        .order_by("device_id", "-issued_at", "-pk")
    )
    current: dict[int, DeviceCertificate] = {}
    for certificate in certificates:
        current.setdefault(certificate.device_id, certificate)
    orphans = [c.device for c in current.values() if _issuer_revoked(c)]
    return sorted(orphans, key=lambda device: device.created_at)
