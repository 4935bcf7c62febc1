"""What the commune decides about neighbour alerts, and the limits on them, read in one
place (issue 9, Contract 1: `maillage.incidents.alert_settings` and `alert_limits`, which
the coordinator builds on main).

Until those modules exist, the defaults apply (validation by an operator, 2 hours) and no
limit is counted: imported by name so that this app works before and after they land.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from maillage.territory.models import Commune

DEFAULT_VALIDATION = True
DEFAULT_EXPIRY_MINUTES = 120
DEVICE_LIMIT = "neighbour_device"
SHOP_LIMIT = "neighbour_shop"


@dataclass(frozen=True)
class NeighbourRules:
    validation: bool
    expiry_minutes: int


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def for_commune(commune: Commune) -> NeighbourRules:
    module = _module("maillage.incidents.alert_settings")
    if module is None:
        return NeighbourRules(DEFAULT_VALIDATION, DEFAULT_EXPIRY_MINUTES)
    found = module.for_commune(commune)
    minutes = int(getattr(found, "neighbour_expiry_minutes", DEFAULT_EXPIRY_MINUTES))
    validation = bool(getattr(found, "neighbour_validation", DEFAULT_VALIDATION))
    return NeighbourRules(validation, max(minutes, 1))


def hit(commune: Commune, name: str, key: str) -> None:
    """Count one neighbour alert against limit `name` for `key`; raises the 429
    `rate_limited` refusal when it is reached (Contract 1)."""
    module = _module("maillage.incidents.alert_limits")
    if module is None:
        # TODO(issue 9, Contract 1): counted once maillage.incidents.alert_limits lands.
        return
    module.hit(commune, name, key)
