"""Limits on alerts, per device and per shop, with the commune's own numbers.

Counted in the database (maillage.limits), so every server process shares the same
counts. A refusal is never silent: the reporter is told when the next alert is possible
and reminded to call the 17, and the window's first refusal appends `alert_limit.reached`
so that the police sees a shop hit its limit (docs/decisions.md, « Limits on alerts »).
"""

from __future__ import annotations

import math
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from maillage.access.policy import Action
from maillage.errors import ApiError
from maillage.incidents.alert_settings import LIMIT_LABELS, Settings
from maillage.limits import actions as limits
from maillage.members.models import Membership
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.trust.models import Device

PARIS = ZoneInfo("Europe/Paris")


class AlertLimited(ApiError):
    status = 429

    def __init__(self, name: str, key: str, count: int, minutes: int, wait: float) -> None:
        self.retry_after = max(1, math.ceil(wait))
        self.limit = name
        self.key = key
        next_at = timezone.now() + timedelta(seconds=self.retry_after)
        local = next_at.astimezone(PARIS)
        self.next_at = next_at
        what = "alerte aux voisins" if name.startswith("neighbour") else "signalement"
        super().__init__(
            "rate_limited",
            f"Limite atteinte : {count} {LIMIT_LABELS[name]} en {minutes} minutes. "
            f"Prochain {what} possible à {local:%H:%M}. "
            "En cas d'urgence, appelez le 17.",
            field=None,
        )
        self.headers = {"Retry-After": str(self.retry_after)}

    def payload(self) -> dict[str, object]:
        return {
            **super().payload(),
            "limit": self.limit,
            "retry_after": self.retry_after,
            "next_at": self.next_at.isoformat(),
        }


def count_alert(
    settings: Settings, member: Membership, device: Device, names: tuple[str, str]
) -> None:
    """Counts the alert against the device's limit and the shop's, inside the caller's
    transaction; refuses with the time of the next possible alert (the caller rolls back,
    then calls `refused`). `names`: (per-device limit, per-shop limit)."""
    per_device, per_shop = names
    keyed = ((per_device, f"device:{device.pk}"), (per_shop, f"shop:{member.shop_id}"))
    rules = {name: settings.limit(name) for name, _ in keyed}
    counted = [
        (f"alert:{name}", key, limits.Rule(rules[name].count, rules[name].seconds))
        for name, key in keyed
    ]
    if limits.count_all_in_transaction(counted) is None:
        return
    # Refused: say which limit (the device's first), with its own wait.
    for name, key in keyed:
        rule = rules[name]
        wait = limits.wait_of(f"alert:{name}", key, limits.Rule(rule.count, rule.seconds))
        if wait is not None:
            raise AlertLimited(name, key, rule.count, rule.minutes, wait)
    raise AlertLimited(per_shop, keyed[1][1], rules[per_shop].count, rules[per_shop].minutes, 60)


def refused(member: Membership, device: Device, refusal: AlertLimited) -> None:
    """After the refused action rolled back: the window's first refusal appends
    `alert_limit.reached`, so the police sees that the shop hit its limit."""
    if member.shop is None or not limits.mark_refused(f"alert:{refusal.limit}", refusal.key):
        return
    with action(
        Actor.member(member, device),
        Action.VIEW_INCIDENTS,
        member.shop,
        kind=Kind.ALERT_LIMIT_REACHED,
    ) as act:
        act.record(member.shop, {"limit": refusal.limit, "retry_after": refusal.retry_after})
