"""Shapes of the broadcasts API: metadata and sealed bytes, never content in clear."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from maillage.access.roles import Role
from maillage.broadcasts.models import Broadcast
from maillage.incidents.schemas import AttachmentRefOut, WireEnvelopeOut


class BroadcastSentOut(Schema):
    broadcast: uuid.UUID
    scope: str
    number: int = Field(description="Génération de la clé de diffusion utilisée")
    sent_at: int = Field(description="Heure d'envoi signée par l'appareil (secondes Unix)")


class BroadcastSenderOut(Schema):
    device: uuid.UUID
    member_label: str = Field(
        description="« Police municipale » pour la police ; l'enseigne pour un commerce"
    )


class BroadcastOut(BroadcastSentOut):
    created_at: datetime = Field(description="Réception par le serveur")
    sender: BroadcastSenderOut
    envelope: WireEnvelopeOut
    attachments: list[AttachmentRefOut] = Field(
        description="Pièces jointes scellées : `index` est le numéro de partie (1 à 4)"
    )


def sender_label(broadcast: Broadcast) -> str:
    """Who sent it, as the shops should read it: the police as a service (no officer's
    name), a shop by its sign (public business data)."""
    membership = broadcast.sender_membership
    if membership.role == Role.MERCHANT and membership.shop is not None:
        return membership.shop.enseigne
    return "Police municipale"


def sent_out(broadcast: Broadcast) -> dict[str, Any]:
    return {
        "broadcast": broadcast.public_id,
        "scope": broadcast.scope,
        "number": broadcast.group_key.number,
        "sent_at": broadcast.sent_at,
    }


def wire_of(broadcast: Broadcast) -> dict[str, Any]:
    """The broadcast exactly as the sender uploaded it."""
    return {
        "body": broadcast.header,
        "signature": broadcast.signature,
        "sender_chain": json.loads(broadcast.sender_chain),
        "content": broadcast.content,
    }


def attachments_out(broadcast: Broadcast) -> list[dict[str, int]]:
    return [{"index": part.index, "size": part.size} for part in broadcast.attachments.all()]


def broadcast_out(broadcast: Broadcast) -> dict[str, Any]:
    return {
        **sent_out(broadcast),
        "created_at": broadcast.created_at,
        "sender": {
            "device": broadcast.sender_device.public_id,
            "member_label": sender_label(broadcast),
        },
        "envelope": wire_of(broadcast),
        "attachments": attachments_out(broadcast),
    }
