"""Enrolment completed: the member (members/) and their first device (here), all or nothing.

Enrolment spans two layers: members/ consumes the invitation and creates the person,
membership and passkey; trust/, the layer above, adds the device. The orchestration sits
here, in the higher layer, so that members/ never imports trust/ (docs/decisions.md).
It is one action and leaves one event, `member.enrolled`, covering person, membership,
passkey and device (no separate `device.registered`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from maillage.members import actions as member_actions
from maillage.members.models import Membership
from maillage.members.passkeys import NewPasskey
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.trust import devices
from maillage.trust.devices import DeviceKeys
from maillage.trust.models import Device


@dataclass(frozen=True)
class Enrolment:
    membership: Membership
    device: Device


def complete_enrolment(
    actor: Actor,
    token: str,
    *,
    charter_version: int,
    passkey: NewPasskey,
    device: DeviceKeys,
    now: datetime | None = None,
) -> Enrolment:
    """The pending member with passkey and device; refused keys leave no person behind.

    `actor` is INVITEE for a link opened in a browser (DEMO for the demo seeding): the
    authority is the invitation token, so a signed-in member may not take this action.
    """
    with action(actor, None, kind=Kind.MEMBER_ENROLLED) as act:
        devices.check_new_device_keys(device)
        enrolled = member_actions.enrol_member(
            token, charter_version=charter_version, passkey=passkey, now=now
        )
        membership = enrolled.membership
        new_device = devices.create_device(
            membership, label=device.label, enc_key=device.enc_key, sign_key=device.sign_key
        )
        act.record(
            membership,
            {
                "role": membership.role,
                "shop": str(membership.shop.public_id) if membership.shop else None,
                "invitation": str(enrolled.invitation.public_id),
                "charter_version": enrolled.charter.version,
                "device": str(new_device.public_id),
            },
        )
    return Enrolment(membership=membership, device=new_device)
