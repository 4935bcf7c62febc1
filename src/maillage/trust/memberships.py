"""Suspending, reinstating and revoking a member: the membership and its devices together.

A member's status is members/'s; their certificates are trust/'s. Every change here
publishes the revocation list the caller's device signed, withdraws the devices and
ends the sessions, in one transaction: it sits in trust/, the higher layer.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from maillage.errors import Conflict
from maillage.members import actions as member_actions
from maillage.members.models import Membership, MembershipStatus
from maillage.members.sessions import end_sessions
from maillage.trust import revocations
from maillage.trust.models import Device, DeviceStatus
from maillage.wire import chain


@transaction.atomic
def suspend_member(
    actor: Membership,
    membership: Membership,
    *,
    actor_device: Device,
    revocation_list: chain.SignedDocument | None,
) -> Membership:
    """Suspend: certificates go on the signed list (reason "suspended"), sessions end now."""
    target = member_actions.lock_for_status_change(actor, membership)
    if target.status not in {MembershipStatus.ACTIVE, MembershipStatus.PENDING}:
        raise _invalid_status("Ce membre est déjà suspendu ou révoqué.")
    live = list(target.devices.exclude(status=DeviceStatus.REVOKED))
    revocations.record_signed_revocation_list(
        actor,
        actor_device,
        target.commune,
        revocation_list,
        revocations.withdrawals(live, "suspended"),
    )
    target.devices.filter(status__in=[DeviceStatus.ACTIVE, DeviceStatus.PENDING]).update(
        status=DeviceStatus.SUSPENDED
    )
    member_actions.set_status(target, MembershipStatus.SUSPENDED)
    end_sessions(membership=target)
    return target


@transaction.atomic
def reinstate_member(actor: Membership, membership: Membership) -> Membership:
    """Lift a suspension. Suspended certificates stay on the list (lists only grow), so the
    member's devices go back to "pending" and need a fresh certificate from a coordinator."""
    target = member_actions.lock_for_status_change(actor, membership)
    if target.status != MembershipStatus.SUSPENDED:
        raise _invalid_status("Seul un membre suspendu peut être rétabli.")
    target.devices.filter(status=DeviceStatus.SUSPENDED).update(status=DeviceStatus.PENDING)
    member_actions.set_status(
        target,
        MembershipStatus.ACTIVE if target.approved_at is not None else MembershipStatus.PENDING,
    )
    return target


@transaction.atomic
def revoke_member(
    actor: Membership,
    membership: Membership,
    *,
    actor_device: Device,
    revocation_list: chain.SignedDocument | None,
) -> Membership:
    """Revoke for good: every live certificate on the signed list, devices revoked, sessions end."""
    target = member_actions.lock_for_status_change(actor, membership)
    if target.status == MembershipStatus.REVOKED:
        raise _invalid_status("Ce membre est déjà révoqué.")
    live = list(target.devices.exclude(status=DeviceStatus.REVOKED))
    revocations.record_signed_revocation_list(
        actor,
        actor_device,
        target.commune,
        revocation_list,
        revocations.withdrawals(live, "revoked"),
    )
    target.devices.exclude(status=DeviceStatus.REVOKED).update(
        status=DeviceStatus.REVOKED, revoked_at=timezone.now()
    )
    member_actions.set_status(target, MembershipStatus.REVOKED)
    end_sessions(membership=target)
    return target


def _invalid_status(message: str) -> Conflict:
    return Conflict("invalid_status", message)
