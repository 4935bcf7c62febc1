"""What the stream tests read back: a commune's events, oldest first."""

from __future__ import annotations

from maillage.stream.models import Event
from maillage.territory.models import Commune


def events(commune: Commune) -> list[Event]:
    return list(Event.objects.filter(commune=commune).order_by("seq"))


def kinds(commune: Commune) -> list[str]:
    return [event.kind for event in events(commune)]
