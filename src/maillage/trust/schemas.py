"""Shapes of the trust API: devices, certificates, revocation lists, the key directory and
the police service key (docs/trust.md, docs/envelope.md).

Signed documents travel exactly as signed (`{body, signature}`); clients verify them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from maillage.schemas import Text
from maillage.territory.schemas import ShopRefOut
from maillage.trust.models import CommuneRoot, Device
from maillage.wire import chain

# --- devices, certificates, revocation lists --------------------------------------


class DeviceOut(Schema):
    id: uuid.UUID
    label: str
    status: str
    status_label: str
    fingerprint: str = Field(description="SHA-256 de la clé de signature, base64url")
    created_at: datetime
    certified_at: datetime | None
    revoked_at: datetime | None


class RootOut(Schema):
    commune: uuid.UUID
    public_key: str
    fingerprint: str
    demo: bool = Field(
        description="Vrai pour une commune de démonstration (clé racine sur le serveur)"
    )


class SignedIn(Schema):
    """A signed document exactly as the signer produced it (docs/trust.md)."""

    body: Annotated[str, Text(262_144)]
    signature: Annotated[str, Text(128)]


class RevocationIn(Schema):
    revocation_list: SignedIn | None = None


class DeviceKeysIn(Schema):
    label: Annotated[str, Text(100)] = ""
    enc_key: Annotated[str, Text(64)] = Field(
        description="X25519, 32 octets, base64url sans remplissage"
    )
    sign_key: Annotated[str, Text(64)] = Field(
        description="Ed25519, 32 octets, base64url sans remplissage"
    )


class CertificateTemplateOut(Schema):
    """The fields a certificate for this device must carry; the browser adds serial, issuer,
    issued_at and expires_at, then signs."""

    type: str = "maillage.device-certificate"
    v: int = 1
    commune: uuid.UUID
    device: uuid.UUID
    member: uuid.UUID
    role: str
    shop: uuid.UUID | None
    enc_key: str
    sign_key: str
    may_certify: bool = False


class PendingMemberOut(Schema):
    id: uuid.UUID
    display_name: str
    role: str
    role_label: str
    status: str
    shop: ShopRefOut | None


class PendingDeviceOut(Schema):
    id: uuid.UUID
    label: str
    created_at: datetime
    fingerprint: str
    enc_key: str
    sign_key: str
    member: PendingMemberOut
    root_only: bool = Field(
        description="Appareil de coordinateur : seule la clé racine (CLI) le certifie"
    )
    reason: Literal["new", "issuer_revoked"] = Field(
        description="new : appareil jamais certifié ; issuer_revoked : appareil actif dont "
        "l'appareil de coordinateur qui l'a approuvé a été révoqué, à recertifier"
    )
    certificate: CertificateTemplateOut


class CertificateOut(Schema):
    device: DeviceOut
    serial: str
    chain: list[SignedIn]


class ChainOut(Schema):
    device: uuid.UUID
    status: str
    chain: list[SignedIn]


class RevocationListOut(Schema):
    number: int
    body: str
    signature: str
    chain: list[SignedIn]


class WithdrawalOut(Schema):
    serial: str
    device: uuid.UUID
    reason: str


class RevocationDraftOut(Schema):
    needed: bool
    number: int | None
    body: str | None = Field(description="Corps canonique à signer tel quel, après vérification")
    withdrawals: list[WithdrawalOut]


# --- key directory and police service key --------------------------------------------


class DirectoryDeviceOut(Schema):
    device: uuid.UUID
    chain: list[SignedIn] = Field(description="Chaîne de certificats, feuille en premier")
    fallback: bool = Field(
        False,
        description="Vrai pour un destinataire de repli (police non joignable) ; absent sinon",
    )


class SignedWithChainOut(Schema):
    body: str
    signature: str
    chain: list[SignedIn]


class RecipientsOut(Schema):
    purpose: Literal["incident", "report", "sector"]
    shop: uuid.UUID | None
    revocations: RevocationListOut
    devices: list[DirectoryDeviceOut]
    service_key: SignedWithChainOut | None


class ServiceKeyOut(SignedWithChainOut):
    number: int
    rotation_needed: bool = Field(
        description="Un appareil détenteur n'est plus actif ou le signataire est révoqué : "
        "générez la génération suivante"
    )


class ServiceKeyIn(Schema):
    document: SignedIn
    grants: list[SignedIn] = Field(max_length=500)


class GrantsIn(Schema):
    grants: list[SignedIn] = Field(max_length=500)


class GrantOut(Schema):
    number: int
    grant: SignedIn
    granter_chain: list[SignedIn]


class PendingGrantsOut(Schema):
    number: int
    devices: list[DirectoryDeviceOut]


class ServiceKeyPublishedOut(Schema):
    number: int
    grants: int = Field(description="Attributions nouvellement enregistrées")


# --- serialisers ----------------------------------------------------------------------


def revocation_document(payload: RevocationIn | None) -> chain.SignedDocument | None:
    """The signed list a suspension or revocation carries, if the caller sent one."""
    if payload is None or payload.revocation_list is None:
        return None
    return chain.SignedDocument(
        body=payload.revocation_list.body, signature=payload.revocation_list.signature
    )


def device_out(device: Device) -> dict[str, Any]:
    return {
        "id": device.public_id,
        "label": device.label,
        "status": device.status,
        "status_label": device.get_status_display(),
        "fingerprint": device.sign_key_fingerprint,
        "created_at": device.created_at,
        "certified_at": device.certified_at,
        "revoked_at": device.revoked_at,
    }


def root_out(root: CommuneRoot) -> dict[str, Any]:
    return {
        "commune": root.commune.public_id,
        "public_key": root.public_key,
        "fingerprint": root.fingerprint,
        "demo": bool(root.demo_private_key),
    }


# --- broadcast group keys (docs/envelope.md, "Broadcasts and group keys") ---------------


class GroupKeyGenerationOut(SignedWithChainOut):
    number: int


class GroupKeyOut(GroupKeyGenerationOut):
    rotation_needed: bool = Field(
        description="Un appareil détenteur n'a plus droit à la clé (membre ou appareil "
        "suspendu, révoqué) ou le signataire n'est plus valide : publiez la génération "
        "suivante"
    )
    merchant_holders: int = Field(
        description="Appareils de commerçants ayant droit à la clé aujourd'hui qui détiennent "
        "cette génération (ceux qu'atteint un message à tous les commerces)"
    )


class GroupKeyGenerationsOut(Schema):
    generations: list[GroupKeyGenerationOut] = Field(
        description="Toutes les générations, de la plus ancienne à la plus récente"
    )


class GroupKeyIn(Schema):
    document: SignedIn
    grants: list[SignedIn] = Field(max_length=500)


class GroupKeyPublishedOut(Schema):
    number: int
    grants: int = Field(description="Attributions nouvellement enregistrées")


class PendingGroupDeviceOut(Schema):
    device: uuid.UUID
    enc_public_key: str = Field(description="X25519 de l'appareil (à vérifier dans sa chaîne)")
    chain: list[SignedIn] = Field(description="Chaîne de certificats, feuille en premier")
    member: uuid.UUID
    role: str


class PendingGroupGrantsOut(Schema):
    number: int
    devices: list[PendingGroupDeviceOut]
