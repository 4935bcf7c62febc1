"""Which events a member may see: the policy's own rule, asked with the event as target.

An event carries its commune and, where it belongs to one shop, that shop: the policy
bounds the kind's view action by both, exactly as it does for the objects themselves.
The member an event is about also sees it (their approval, their suspension).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from maillage.access.policy import may
from maillage.access.roles import MembershipStatus
from maillage.stream.kinds import SPECS, Kind
from maillage.stream.models import Event

if TYPE_CHECKING:
    from maillage.members.models import Membership

_LIVE = frozenset({MembershipStatus.ACTIVE, MembershipStatus.PENDING})


def visible_to(event: Event, viewer: Membership) -> bool:
    if event.commune_id != viewer.commune_id:
        return False
    spec = SPECS[Kind(event.kind)]
    if spec.subject_sees and event.member_id == viewer.pk and viewer.status in _LIVE:
        return True
    return may(viewer, spec.view, event)
