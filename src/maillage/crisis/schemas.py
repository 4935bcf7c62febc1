"""Shapes of the crisis API: the flag in clear, the instructions as sealed broadcasts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from maillage.access.policy import Action, may
from maillage.broadcasts.models import Broadcast
from maillage.broadcasts.schemas import BroadcastOut, broadcast_out
from maillage.crisis.models import CrisisMode
from maillage.members.models import Membership

POLICE_LABEL = "Police municipale"


class CrisisOut(Schema):
    active: bool = Field(description="Le mode crise est activé pour la commune")
    started_at: datetime | None = Field(description="Activé depuis (le dernier démarrage)")
    started_by: str | None = Field(
        description="Qui l'a activé, tel que les commerces le lisent : « Police municipale »"
    )
    instructions_changed_at: datetime | None
    instructions: BroadcastOut | None = Field(
        description="Les consignes scellées pour la commune (pour qui détient sa clé de "
        "diffusion ; absentes pour les autres rôles)"
    )
    ended_at: datetime | None
    end_message: BroadcastOut | None = Field(
        description="Le message scellé de fin du mode crise, s'il y en a un"
    )


def _sealed(viewer: Membership, broadcast: Broadcast | None) -> dict[str, Any] | None:
    if broadcast is None or not may(viewer, Action.VIEW_BROADCASTS, broadcast):
        return None
    return broadcast_out(broadcast)


def crisis_out(viewer: Membership, crisis: CrisisMode | None) -> dict[str, Any]:
    if crisis is None:
        return {
            "active": False,
            "started_at": None,
            "started_by": None,
            "instructions_changed_at": None,
            "instructions": None,
            "ended_at": None,
            "end_message": None,
        }
    return {
        "active": crisis.active,
        "started_at": crisis.started_at,
        # The police as a service: no officer's name reaches the shops.
        "started_by": POLICE_LABEL if crisis.started_by_id is not None else None,
        "instructions_changed_at": crisis.instructions_changed_at,
        "instructions": _sealed(viewer, crisis.instructions),
        "ended_at": crisis.ended_at,
        "end_message": _sealed(viewer, crisis.end_message),
    }
