"""What one member's device receives of one event: the event itself, and its sealed copy.

The one rule for every channel that carries events to a device: the live stream asks it
per connection (stream/sse.py), Web Push per subscription (maillage.push). No query: the
membership's bounds (sectors, dispatches) are read when the channel loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from maillage.access.policy import addressee_bound, may
from maillage.access.roles import MembershipStatus
from maillage.stream.delivery import content_right
from maillage.stream.fanout import Item
from maillage.stream.kinds import SPECS, Kind
from maillage.stream.visibility import visible_to

if TYPE_CHECKING:
    from maillage.members.models import Membership
    from maillage.trust.models import Device


def certified(membership: Membership, device: Device) -> bool:
    return bool(device.is_certified) and membership.status == MembershipStatus.ACTIVE


def addressed(membership: Membership, device: Device, item: Item) -> bool:
    """The event carries an envelope of this commune sealed to this (certified) device."""
    return (
        item.sealed is not None
        and certified(membership, device)
        and item.event.commune_id == membership.commune_id
        and str(device.public_id) in item.sealed.recipients
    )


def sees(membership: Membership, device: Device, item: Item) -> bool:
    event = item.event
    view = SPECS[Kind(event.kind)].view
    if addressee_bound(membership, view):
        # The fallback partner sees a case only as sealed to this device.
        return addressed(membership, device, item) and may(membership, view)
    if not visible_to(event, membership):
        return False
    # An approved member on a device not yet certified sees only what is about them.
    return certified(membership, device) or event.member_id == membership.pk


def gets_sealed(membership: Membership, device: Device, item: Item) -> bool:
    """The event's sealed copy goes with it (asked after `sees`)."""
    sealed = item.sealed
    # A broadcast's content right is the one that lists it (`broadcasts.view`, which
    # `sees` has asked): GET /broadcasts asks nothing more (delivery.content_right).
    right = content_right(item.event.kind)
    if addressee_bound(membership, right):
        return addressed(membership, device, item) and may(membership, right)
    return (
        sealed is not None
        and certified(membership, device)
        and str(device.public_id) in sealed.recipients
        and may(membership, right, item.event)
    )
