"""Shapes of the neighbours API: the alert's clear record and its sealed broadcast, never
content in clear."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from maillage.broadcasts.schemas import BroadcastOut, broadcast_out
from maillage.neighbours.models import NeighbourAlert

POLICE_LABEL = "Police municipale"


class SectorRefOut(Schema):
    id: int
    name: str


class AlertSenderOut(Schema):
    kind: Literal["shop", "police"]
    label: str = Field(description="L'enseigne du commerce, ou « Police municipale »")
    shop: uuid.UUID | None = None


class AlertOut(Schema):
    id: uuid.UUID = Field(description="Identifiant de l'alerte (celui de sa diffusion)")
    scope: str = Field(description="« sector:<id> »")
    sector: SectorRefOut
    status: Literal["pending", "active", "ended"] = Field(
        description="pending = en attente de validation ; active ; ended = terminée"
    )
    sender: AlertSenderOut
    incident: uuid.UUID | None = Field(description="Le signalement lié, s'il y en a un")
    created_at: datetime
    activated_at: datetime | None
    expires_at: datetime | None = Field(description="Fin automatique (une fois l'alerte partie)")
    ended_at: datetime | None
    end_reason: Literal["operator", "expired"] | None = Field(
        description="operator = fin d'alerte de la police ; expired = délai écoulé"
    )
    broadcast: BroadcastOut = Field(description="L'alerte scellée, telle qu'envoyée")
    end_message: BroadcastOut | None = Field(
        description="Le message scellé de fin d'alerte de la police, s'il y en a un"
    )


class RefusedOut(Schema):
    id: uuid.UUID
    status: Literal["refused"]


def alert_out(alert: NeighbourAlert) -> dict[str, Any]:
    shop = alert.shop
    return {
        "id": alert.public_id,
        "scope": alert.scope,
        "sector": {"id": alert.sector.pk, "name": alert.sector.name},
        "status": alert.status,
        "sender": {
            "kind": "shop" if shop is not None else "police",
            "label": shop.enseigne if shop is not None else POLICE_LABEL,
            "shop": shop.public_id if shop is not None else None,
        },
        "incident": alert.incident.public_id if alert.incident is not None else None,
        "created_at": alert.created_at,
        "activated_at": alert.activated_at,
        "expires_at": alert.expires_at,
        "ended_at": alert.ended_at,
        "end_reason": alert.end_reason or None,
        "broadcast": broadcast_out(alert.broadcast),
        "end_message": broadcast_out(alert.end_broadcast)
        if alert.end_broadcast is not None
        else None,
    }
