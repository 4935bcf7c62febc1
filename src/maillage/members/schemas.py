"""Request and response shapes of the members API (also the OpenAPI schema).

Identifiers on the wire are always `public_id` UUIDs, never database keys (sectors, which
the territory API already exposes by number, excepted).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from maillage.members.models import Membership, Person
from maillage.schemas import Email, ErrorOut, Text, errors
from maillage.territory.models import Commune
from maillage.territory.schemas import SectorRefOut, ShopRefOut, shop_out
from maillage.trust.schemas import DeviceKeysIn, DeviceOut, RootOut

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


class MembershipOut(Schema):
    id: uuid.UUID
    role: str
    role_label: str
    status: str
    status_label: str
    commune: CommuneOut
    shop: ShopRefOut | None


class SessionOut(Schema):
    authenticated: bool
    person: PersonOut | None
    membership: MembershipOut | None
    device: DeviceOut | None
    root: RootOut | None
    demo: bool
    permissions: list[str]
    neighbour_sectors: list[SectorRefOut]


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


class CharterVersionOut(Schema):
    version: int
    text: str
    published_at: datetime
    current: bool
    acceptances: int


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
