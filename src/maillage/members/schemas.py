"""Request and response shapes of the members and trust API (also the OpenAPI schema).

Identifiers on the wire are always `public_id` UUIDs, never database keys (sectors, which
the territory API already exposes by number, excepted).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from maillage.members.models import Membership, Person
from maillage.schemas import Email, ErrorOut, Text, errors
from maillage.territory.models import Commune, Shop
from maillage.trust.models import CommuneRoot, Device

__all__ = ["ErrorOut", "errors"]


# --- building blocks ------------------------------------------------------------------


class PersonOut(Schema):
    id: uuid.UUID
    display_name: str
    email: str


class CommuneOut(Schema):
    id: uuid.UUID
    slug: str
    name: str
    is_demo: bool


class SectorRefOut(Schema):
    id: int
    name: str


class ShopRefOut(Schema):
    id: uuid.UUID
    enseigne: str
    address: str
    activity: str
    sector: SectorRefOut


class MembershipOut(Schema):
    id: uuid.UUID
    role: str
    role_label: str
    status: str
    status_label: str
    commune: CommuneOut
    shop: ShopRefOut | None


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


class SessionOut(Schema):
    authenticated: bool
    person: PersonOut | None
    membership: MembershipOut | None
    device: DeviceOut | None
    root: RootOut | None
    demo: bool
    permissions: list[str]


class SignedIn(Schema):
    """A signed document exactly as the signer produced it (docs/trust.md)."""

    body: Annotated[str, Text(262_144)]
    signature: Annotated[str, Text(128)]


class RevocationIn(Schema):
    revocation_list: SignedIn | None = None


# --- inputs ---------------------------------------------------------------------------


class SignInIn(Schema):
    credential: dict[str, Any]
    device: uuid.UUID | None = None


class InvitationIn(Schema):
    role: Annotated[str, Text(20)]
    display_name: Annotated[str, Text(150)]
    email: Email = ""
    shop: uuid.UUID | None = None


class TokenIn(Schema):
    token: Annotated[str, Text(128)]


class DeviceKeysIn(Schema):
    label: Annotated[str, Text(100)] = ""
    enc_key: Annotated[str, Text(64)] = Field(
        description="X25519, 32 octets, base64url sans remplissage"
    )
    sign_key: Annotated[str, Text(64)] = Field(
        description="Ed25519, 32 octets, base64url sans remplissage"
    )


class EnrolmentIn(Schema):
    token: Annotated[str, Text(128)]
    charter_version: int
    credential: dict[str, Any]
    device: DeviceKeysIn


class CharterIn(Schema):
    text: Annotated[str, Text(100_000, multiline=True)]


# --- outputs --------------------------------------------------------------------------


class InvitationOut(Schema):
    id: uuid.UUID
    role: str
    role_label: str
    display_name: str
    email: str
    shop: ShopRefOut | None
    created_at: datetime
    expires_at: datetime
    created_by: str | None


class InvitationCreatedOut(InvitationOut):
    url: str = Field(
        description="Lien à usage unique ; le jeton n'est pas conservé : affiché une fois"
    )
    qr_svg: str


class CharterOut(Schema):
    version: int
    text: str
    published_at: datetime


class EnrolmentOut(Schema):
    commune: CommuneOut
    role: str
    role_label: str
    display_name: str
    shop: ShopRefOut | None
    charter: CharterOut
    root: RootOut
    expires_at: datetime


class MemberDeviceOut(DeviceOut):
    certificate_serial: str | None


class MemberOut(Schema):
    id: uuid.UUID
    person: PersonOut
    role: str
    role_label: str
    status: str
    status_label: str
    shop: ShopRefOut | None
    created_at: datetime
    approved_at: datetime | None
    status_changed_at: datetime | None
    devices: list[MemberDeviceOut]


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


# --- serialisers ----------------------------------------------------------------------


def person_out(person: Person) -> dict[str, Any]:
    return {"id": person.public_id, "display_name": person.display_name, "email": person.email}


def commune_out(commune: Commune) -> dict[str, Any]:
    return {
        "id": commune.public_id,
        "slug": commune.slug,
        "name": commune.name,
        "is_demo": commune.is_demo,
    }


def shop_out(shop: Shop | None) -> dict[str, Any] | None:
    if shop is None:
        return None
    return {
        "id": shop.public_id,
        "enseigne": shop.enseigne,
        "address": shop.address,
        "activity": shop.activity,
        "sector": {"id": shop.sector.pk, "name": shop.sector.name},
    }


def membership_out(membership: Membership) -> dict[str, Any]:
    return {
        "id": membership.public_id,
        "role": membership.role,
        "role_label": membership.get_role_display(),
        "status": membership.status,
        "status_label": membership.get_status_display(),
        "commune": commune_out(membership.commune),
        "shop": shop_out(membership.shop),
    }


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
