"""What the stream tests read back: a commune's events, oldest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from maillage.stream.models import ActorKind, Event
from maillage.territory.models import Commune

if TYPE_CHECKING:
    from maillage.members.models import Membership
    from maillage.trust.models import Device


def events(commune: Commune) -> list[Event]:
    return list(Event.objects.filter(commune=commune).order_by("seq"))


def kinds(commune: Commune) -> list[str]:
    return [event.kind for event in events(commune)]


def head(commune: Commune) -> int:
    """The commune's last seq: what a test reads before acting."""
    return events(commune)[-1].seq


def since(commune: Commune, seq: int) -> list[Event]:
    """The events appended after `seq`."""
    return list(Event.objects.filter(commune=commune, seq__gt=seq).order_by("seq"))


def assert_by(event: Event, membership: Membership, device: Device) -> None:
    """The event names this member and the device they acted from."""
    assert (event.actor_kind, event.actor, event.actor_device) == (
        ActorKind.MEMBER,
        membership,
        device.public_id,
    )
