"""Suspending, reinstating and revoking a member: the membership and its devices together.

A member's status is members/'s; their certificates are trust/'s. Every change here
publishes the revocation list the caller's device signed, withdraws the devices and
ends the sessions, in one action that leaves one event (`member.suspended`,
`member.reinstated`, `member.revoked`, naming who did it): it sits in trust/, the higher
layer. The revocation list is part of the action, not an event of its own.
"""

from __future__ import annotations

from django.utils import timezone

from maillage.access.policy import Action
from maillage.errors import Conflict, Forbidden
from maillage.members import actions as member_actions
from maillage.members.models import Membership, MembershipStatus
from maillage.members.sessions import end_sessions
from maillage.stream.action import Act, Actor, action
from maillage.stream.kinds import Kind
from maillage.trust import revocations
from maillage.trust.models import DeviceStatus, RevocationList
from maillage.wire import chain


def suspend_member(
    actor: Actor, membership: Membership, *, revocation_list: chain.SignedDocument | None
) -> Membership:
    """Suspend: certificates go on the signed list (reason "suspended"), sessions end now."""
    with action(actor, Action.MANAGE_MEMBER, membership, kind=Kind.MEMBER_SUSPENDED) as act:
        target = member_actions.lock_for_status_change(actor, membership)
        if target.status not in {MembershipStatus.ACTIVE, MembershipStatus.PENDING}:
            raise _invalid_status("Ce membre est déjà suspendu ou révoqué.")
        published = _withdraw(actor, target, revocation_list, "suspended")
        withdrawn = target.devices.filter(
            status__in=[DeviceStatus.ACTIVE, DeviceStatus.PENDING]
        ).update(status=DeviceStatus.SUSPENDED)
        member_actions.set_status(target, MembershipStatus.SUSPENDED)
        end_sessions(membership=target)
        _record_withdrawal(act, target, published, withdrawn)
    return target


def reinstate_member(actor: Actor, membership: Membership) -> Membership:
    """Lift a suspension. Suspended certificates stay on the list (lists only grow), so the
    member's devices go back to "pending" and need a fresh certificate from a coordinator."""
    with action(actor, Action.MANAGE_MEMBER, membership, kind=Kind.MEMBER_REINSTATED) as act:
        target = member_actions.lock_for_status_change(actor, membership)
        if target.status != MembershipStatus.SUSPENDED:
            raise _invalid_status("Seul un membre suspendu peut être rétabli.")
        target.devices.filter(status=DeviceStatus.SUSPENDED).update(status=DeviceStatus.PENDING)
        status = (
            MembershipStatus.ACTIVE if target.approved_at is not None else MembershipStatus.PENDING
        )
        member_actions.set_status(target, status)
        act.record(target, {"status": str(status)})
    return target


def revoke_member(
    actor: Actor, membership: Membership, *, revocation_list: chain.SignedDocument | None
) -> Membership:
    """Revoke for good: every live certificate on the signed list, devices revoked, sessions end."""
    with action(actor, Action.MANAGE_MEMBER, membership, kind=Kind.MEMBER_REVOKED) as act:
        target = member_actions.lock_for_status_change(actor, membership)
        if target.status == MembershipStatus.REVOKED:
            raise _invalid_status("Ce membre est déjà révoqué.")
        published = _withdraw(actor, target, revocation_list, "revoked")
        withdrawn = target.devices.exclude(status=DeviceStatus.REVOKED).update(
            status=DeviceStatus.REVOKED, revoked_at=timezone.now()
        )
        member_actions.set_status(target, MembershipStatus.REVOKED)
        end_sessions(membership=target)
        _record_withdrawal(act, target, published, withdrawn)
    return target


def _withdraw(
    actor: Actor,
    target: Membership,
    revocation_list: chain.SignedDocument | None,
    reason: str,
) -> RevocationList | None:
    """Store the list the actor's device signed for the target's live certificates, if any.

    Only a coordinator's certified device signs a list: without one (or without anything
    to withdraw) nothing is published."""
    needed = revocations.withdrawals(target.devices.exclude(status=DeviceStatus.REVOKED), reason)
    if not needed:
        return None
    if actor.membership is None or actor.device is None:
        raise Forbidden("Cet appareil n'a pas de certificat valide pour signer une révocation.")
    return revocations.record_signed_revocation_list(
        actor.membership, actor.device, target.commune, revocation_list, needed
    )


def _record_withdrawal(
    act: Act, target: Membership, published: RevocationList | None, devices: int
) -> None:
    act.record(
        target,
        {"revocation_list": published.number if published else None, "devices": devices},
    )


def _invalid_status(message: str) -> Conflict:
    return Conflict("invalid_status", message)
