"""Whether the police municipale can be reached now: on duty and someone connected.

    reachable = on_duty (the commune's hours, maillage.duty.schedule, at clock.now())
                and operators_connected (an operator device on the live stream)

Not reachable: the reporter is told to call 17 before sending, and a new report is also
sealed to the commune's fallback recipients (trust/api.py's recipients route asks
`fallback_for_report`). The incidents domain stores `status(commune).reachable` with
each report, so the console shows what arrived while nobody could see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from maillage.duty import actions, clock, fallback, presence, schedule
from maillage.territory.models import Commune


@dataclass(frozen=True)
class Reachability:
    on_duty: bool
    operators_connected: bool
    fallback: bool

    @property
    def reachable(self) -> bool:
        return self.on_duty and self.operators_connected

    def as_dict(self) -> dict[str, bool]:
        return {
            "reachable": self.reachable,
            "on_duty": self.on_duty,
            "operators_connected": self.operators_connected,
            "fallback": self.fallback,
        }


def on_duty(commune: Commune) -> bool:
    return schedule.on_duty(actions.current(commune), clock.now())


def reachable(commune: Commune) -> bool:
    """`status(commune).reachable` in at most two queries (the hours, then the presence):
    what a report stores as `reported_unreachable = not reachable(commune)`."""
    return on_duty(commune) and presence.operators_connected(commune)


def status(commune: Commune) -> Reachability:
    return Reachability(
        on_duty=on_duty(commune),
        operators_connected=presence.operators_connected(commune),
        fallback=fallback.has_devices(commune),
    )


def fallback_for_report(commune: Commune) -> list[int]:
    """The fallback members a new report must also be sealed to now (their membership
    ids): none while the police is reachable."""
    named = fallback.active_ids(commune)  # first: most communes name none (one query)
    if not named or (on_duty(commune) and presence.operators_connected(commune)):
        return []
    return named
