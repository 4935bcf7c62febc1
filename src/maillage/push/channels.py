"""How each certified device of a commune can be reached now, channel by channel, so the
police and the coordinator see the devices no channel reaches (a phone whose user never
accepted notifications, a subscription the push service dropped).

    Web Push: a live subscription whose last try did not fail (or was never tried);
    stream:   an open live stream (tracked for police devices, maillage.duty.presence;
              a merchant's open page is not tracked: it counts for nothing here).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from maillage.access.roles import MembershipStatus, Role
from maillage.duty.presence import connected_devices
from maillage.push.models import PushSubscription
from maillage.territory.models import Commune
from maillage.trust.models import Device, DeviceStatus


@dataclass(frozen=True)
class DeviceChannels:
    device: Device
    push_live: int
    push_working: bool
    push_disabled_reason: str | None
    last_push_success: datetime | None
    last_push_failure: datetime | None
    stream_connected: bool

    @property
    def reachable(self) -> bool:
        return self.push_working or self.stream_connected


def for_commune(commune: Commune) -> list[DeviceChannels]:
    """Three queries, whatever the number of devices."""
    devices = list(
        Device.objects.filter(
            membership__commune=commune,
            membership__status=MembershipStatus.ACTIVE,
            status=DeviceStatus.ACTIVE,
        )
        .exclude(membership__role=Role.OBSERVER)
        .select_related("membership", "membership__person", "membership__shop")
        .order_by("membership__role", "pk")
    )
    subs: dict[int, list[PushSubscription]] = defaultdict(list)
    for sub in PushSubscription.objects.filter(commune=commune).order_by("created_at"):
        subs[sub.device_id].append(sub)
    streaming = connected_devices(commune.pk)
    result = []
    for device in devices:
        mine = subs.get(device.pk, [])
        live = [s for s in mine if s.disabled_at is None]
        working = any(
            s.last_failure_at is None
            or (s.last_success_at is not None and s.last_success_at >= s.last_failure_at)
            for s in live
        )
        dead = [s for s in mine if s.disabled_at is not None]
        successes = [s.last_success_at for s in mine if s.last_success_at]
        failures = [s.last_failure_at for s in mine if s.last_failure_at]
        result.append(
            DeviceChannels(
                device=device,
                push_live=len(live),
                push_working=working,
                push_disabled_reason=dead[-1].disabled_reason if dead and not live else None,
                last_push_success=max(successes) if successes else None,
                last_push_failure=max(failures) if failures else None,
                stream_connected=device.pk in streaming,
            )
        )
    return result
