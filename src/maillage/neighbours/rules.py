"""What the commune decides about neighbour alerts, read in one place: validation or not,
the expiry, and the limits (`maillage.incidents.alert_settings`, `alert_limits`: issue 9,
Contract 1)."""

from __future__ import annotations

from maillage.incidents import alert_settings
from maillage.incidents.alert_settings import Settings
from maillage.territory.models import Commune

DEFAULT_EXPIRY_MINUTES = alert_settings.DEFAULT_EXPIRY_MINUTES
DEVICE_LIMIT = "neighbour_device"
SHOP_LIMIT = "neighbour_shop"
LIMITS = (DEVICE_LIMIT, SHOP_LIMIT)


def for_commune(commune: Commune) -> Settings:
    """`neighbour_validation` (default True), `neighbour_expiry_minutes` (default 120),
    `limit(name)`."""
    return alert_settings.for_commune(commune)
