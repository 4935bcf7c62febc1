"""What a report says in clear: its category and severity (docs/privacy.md).

The server keeps these because routing, the workflow and statistics need them; every
description of a person, the direction of flight, a vehicle, the free text and the photos
are sealed on the device (the content object's `fields`, docs/envelope.md) and never
reach it. A commune chooses its categories (labels, order, default severity, which ones
call for the 17); the severity scale and the descriptor lists are the product's, so no
commune can add a list that invites sensitive data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SEVERITIES = ("low", "medium", "high", "critical")

SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_CATEGORIES = 20
MAX_LABEL = 60
# The scheme's promise: doubt lifted and a first intervention engaged within five minutes
# of the report (docs/decisions.md, "Timings"). A commune sets its own per category.
DEFAULT_TARGET_MINUTES = 5
MAX_TARGET_MINUTES = 120


@dataclass(frozen=True)
class Category:
    slug: str
    label: str
    severity: str
    call_17: bool
    enabled: bool = True
    target_minutes: int = DEFAULT_TARGET_MINUTES

    def as_dict(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "label": self.label,
            "severity": self.severity,
            "call_17": self.call_17,
            "enabled": self.enabled,
            "target_minutes": self.target_minutes,
        }


# The scheme's categories (the seed article): « agression en cours » and « rixe » are
# emergencies, for which the reporter is told to call the 17 before anything else.
DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("vol", "Vol / vol à l'étalage", "medium", call_17=False),
    Category("comportement_suspect", "Comportement suspect", "low", call_17=False),
    Category("agression", "Agression en cours", "critical", call_17=True),
    Category("alarme", "Alarme", "high", call_17=False),
    Category("rixe", "Rixe", "critical", call_17=True),
    Category("degradation", "Dégradation", "medium", call_17=False),
    Category("escroquerie", "Escroquerie / faux billets", "medium", call_17=False),
    Category("autre", "Autre", "low", call_17=False),
)

# The discreet alert (docs/decisions.md, « Alerte discrète ») always sends this one.
DISCREET_CATEGORY = "agression"
