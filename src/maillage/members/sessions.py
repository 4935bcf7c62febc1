"""Server-side sessions of members: what a session is bound to, and how it ends.

A session names a membership (`membership_id`) and, once the browser registered its keys,
a device (`device_id`). The middleware re-reads both on every request, and the actions that
suspend or revoke someone delete their sessions outright, so access ends at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, cast

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.middleware.csrf import rotate_token
from django.utils import timezone

from maillage.members.models import MemberSession, Membership, MembershipStatus

if TYPE_CHECKING:
    from maillage.trust.models import Device

SESSION_PERSON = "person_id"
SESSION_MEMBERSHIP = "membership_id"
SESSION_DEVICE = "device_id"

ACCESS_REVOKED_MESSAGE = "Votre accès a été suspendu ou révoqué par la mairie."

_ENDED_MEMBERSHIP = frozenset({MembershipStatus.SUSPENDED, MembershipStatus.REVOKED})
# What the API's checks read of the session's member (policy, serialisers), loaded with it.
_MEMBER = ("person", "commune", "shop", "shop__sector")
_DEVICE_MEMBER = tuple(f"membership__{name}" for name in _MEMBER)


@dataclass(frozen=True)
class Access:
    """What the current session is allowed to stand for, freshly read from the database."""

    membership: Membership
    device: Device | None


class AccessEnded(Exception):
    """The session points at a membership or device the mairie suspended or revoked."""


def load_access(session: SessionBase) -> Access | None:
    """The session's membership and device, or None for an anonymous session.

    Raises AccessEnded when the membership or device is no longer usable, or when the
    session's device is not one of the membership's (a forged or stale session).
    """
    membership_id = session.get(SESSION_MEMBERSHIP)
    if membership_id is None:
        return None
    device_id = session.get(SESSION_DEVICE)
    if device_id is not None:
        # Every request of a device pays this: one query for the device and its member
        # (the device must be one of the session's membership's). trust/ sits above
        # members/, hence the model by name.
        devices = apps.get_model("trust", "Device")._default_manager
        device = cast(
            "Device | None",
            devices.select_related(*_DEVICE_MEMBER)
            .filter(pk=device_id, membership_id=membership_id)
            .first(),
        )
        if device is None or device.is_withdrawn:
            raise AccessEnded
        if device.membership.status in _ENDED_MEMBERSHIP:
            raise AccessEnded
        return Access(membership=device.membership, device=device)
    membership = Membership.objects.select_related(*_MEMBER).filter(pk=membership_id).first()
    if membership is None or membership.status in _ENDED_MEMBERSHIP:
        raise AccessEnded
    return Access(membership=membership, device=None)


def current_access(request: HttpRequest) -> Access | None:
    """The access the middleware loaded for this request (loaded here if it did not run)."""
    if not hasattr(request, "maillage_access"):
        try:
            request.maillage_access = load_access(request.session)  # type: ignore[attr-defined]
        except AccessEnded:
            request.maillage_access = None  # type: ignore[attr-defined]
    return request.maillage_access  # type: ignore[attr-defined]


def start_session(request: HttpRequest, membership: Membership, device: Device | None) -> None:
    """Sign in: a fresh session key (no fixation), a fresh CSRF token, a recorded binding."""
    session = request.session
    if session.session_key:
        MemberSession.objects.filter(session_key=session.session_key).delete()
    session.flush()
    session[SESSION_PERSON] = membership.person_id
    session[SESSION_MEMBERSHIP] = membership.pk
    session[SESSION_DEVICE] = device.pk if device is not None else None
    session.save()
    rotate_token(request)
    assert session.session_key is not None
    MemberSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={"membership": membership, "device_id": device.pk if device else None},
    )
    request.maillage_access = Access(membership=membership, device=device)  # type: ignore[attr-defined]


def bind_device(request: HttpRequest, device: Device) -> None:
    """Attach the device this browser just registered to the current session."""
    session = request.session
    session[SESSION_DEVICE] = device.pk
    session.save()
    if session.session_key:
        MemberSession.objects.filter(session_key=session.session_key).update(device_id=device.pk)
    request.maillage_access = Access(membership=device.membership, device=device)  # type: ignore[attr-defined]


def end_session(request: HttpRequest) -> None:
    """Sign out this browser."""
    key = request.session.session_key
    request.session.flush()
    if key:
        MemberSession.objects.filter(session_key=key).delete()
    request.maillage_access = None  # type: ignore[attr-defined]


def end_sessions(*, membership: Membership | None = None, device: Device | None = None) -> int:
    """Delete every server-side session of a membership or of one device; returns how many.

    The middleware would throw these sessions out at their next request anyway; deleting
    them also ends them for anything that only checks that the session still exists.
    """
    if membership is None and device is None:
        return 0
    records = MemberSession.objects.filter(ended_at__isnull=True)
    if membership is not None:
        records = records.filter(membership=membership)
    if device is not None:
        records = records.filter(device_id=device.pk)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(records.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete(key)
    records.update(ended_at=timezone.now())
    return len(keys)


def was_ended(session_key: str | None) -> bool:
    """Whether this (now empty) session was ended by the mairie; reported once, then forgotten."""
    if not session_key:
        return False
    deleted, _ = MemberSession.objects.filter(
        session_key=session_key, ended_at__isnull=False
    ).delete()
    return deleted > 0
