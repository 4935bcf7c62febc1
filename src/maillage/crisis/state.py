"""Whether a commune is in « mode crise », for the domains that route differently while it
is (a merchant's neighbour alert is held for the police's validation)."""

from __future__ import annotations

from maillage.crisis.models import CrisisMode
from maillage.territory.models import Commune


def current(commune: Commune) -> CrisisMode | None:
    return CrisisMode.objects.filter(commune=commune).first()


def is_on(commune: Commune) -> bool:
    return CrisisMode.objects.filter(commune=commune, active=True).exists()
