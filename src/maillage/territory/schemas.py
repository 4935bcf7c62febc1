"""Shapes of territory objects that other domains' responses embed (a member's shop)."""

from __future__ import annotations

import uuid
from typing import Any

from ninja import Schema

from maillage.territory.models import Shop


class SectorRefOut(Schema):
    id: int
    name: str


class ShopRefOut(Schema):
    id: uuid.UUID
    enseigne: str
    address: str
    activity: str
    sector: SectorRefOut


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
