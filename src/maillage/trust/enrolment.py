"""Enrolment completed: the member (members/) and their first device (here), all or nothing.

Enrolment spans two layers: members/ consumes the invitation and creates the person,
membership and passkey; trust/, the layer above, adds the device. The orchestration sits
here, in the higher layer, so that members/ never imports trust/ (docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from maillage.members import actions as member_actions
from maillage.members.models import Membership
from maillage.members.passkeys import NewPasskey
from maillage.trust import devices
from maillage.trust.devices import DeviceKeys
from maillage.trust.models import Device


@dataclass(frozen=True)
class Enrolment:
    membership: Membership
    device: Device


@transaction.atomic
def complete_enrolment(
    token: str,
    *,
    charter_version: int,
    passkey: NewPasskey,
    device: DeviceKeys,
    now: datetime | None = None,
) -> Enrolment:
    """The pending member with passkey and device; refused keys leave no person behind."""
    devices.check_new_device_keys(device)
    membership = member_actions.enrol_member(
        token, charter_version=charter_version, passkey=passkey, now=now
    )
    new_device = devices.create_device(
        membership, label=device.label, enc_key=device.enc_key, sign_key=device.sign_key
    )
    return Enrolment(membership=membership, device=new_device)
