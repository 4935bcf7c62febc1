"""Shapes of the key directory and police service key API (docs/envelope.md).

Signed documents travel exactly as signed (`{body, signature}`); clients verify them.
"""

from __future__ import annotations

import uuid
from typing import Literal

from ninja import Schema
from pydantic import Field

from maillage.members.schemas import RevocationListOut, SignedIn


class DirectoryDeviceOut(Schema):
    device: uuid.UUID
    chain: list[SignedIn] = Field(description="Chaîne de certificats, feuille en premier")


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
