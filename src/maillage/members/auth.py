"""django-ninja authentication: the session's membership becomes `request.auth`.

Both classes extend ninja's SessionAuth, so the CSRF token is checked on unsafe methods
(header `X-CSRFToken` = cookie `maillage_csrf`). `member_auth` lets only an approved member
on a certified device through; `pending_auth` also admits a member the mairie has not
approved yet (to pin the root, read the charter, register a browser, sign out).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import SessionAuth
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from maillage.errors import ApiError
from maillage.members.models import MembershipStatus
from maillage.members.sessions import current_access

if TYPE_CHECKING:
    from maillage.trust.models import Device

CSRF_MESSAGE = "Jeton de sécurité (CSRF) absent ou invalide : rechargez la page puis réessayez."


class CsrfFailed(ApiError):
    status = 403

    def __init__(self) -> None:
        super().__init__("csrf_failed", CSRF_MESSAGE)


class PendingApproval(ApiError):
    status = 403

    def __init__(self) -> None:
        super().__init__(
            "pending_approval",
            "Votre inscription attend la validation de la mairie ; "
            "cette action sera possible ensuite.",
        )


class DeviceNotCertified(ApiError):
    status = 403

    def __init__(self) -> None:
        super().__init__(
            "device_not_certified",
            "Cet appareil n'est pas encore validé par la mairie ; "
            "demandez à votre coordinateur de l'approuver.",
        )


def _enforce_csrf(request: HttpRequest) -> None:
    if getattr(request, "_ninja_csrf_exempt", False):
        return
    if check_csrf(request) is not None:
        raise CsrfFailed


class _MembershipAuth(SessionAuth):
    allow_pending = False

    def _get_key(self, request: HttpRequest) -> str | None:
        # No cookie at all is "not signed in" (401), not a CSRF failure.
        key = request.COOKIES.get(self.param_name)
        if key is None:
            return None
        if self.csrf:
            _enforce_csrf(request)
        return key

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if key is None:
            return None
        access = current_access(request)
        if access is None:
            return None
        membership, device = access.membership, access.device
        if self.allow_pending:
            if membership.status in {MembershipStatus.ACTIVE, MembershipStatus.PENDING}:
                return membership
            return None
        if membership.status == MembershipStatus.PENDING:
            raise PendingApproval
        if membership.status != MembershipStatus.ACTIVE:
            return None
        if device is None or not device.is_certified:
            raise DeviceNotCertified
        return membership


class MemberAuth(_MembershipAuth):
    """An approved member whose session device holds a certificate."""


class PendingAuth(_MembershipAuth):
    """Any enrolled member not suspended or revoked, approved or not, device or not."""

    allow_pending = True


class CsrfOnly(APIKeyCookie):
    """For anonymous unsafe endpoints (sign-in, enrolment): nobody to authenticate, but
    the request must still come from our own pages."""

    param_name = settings.CSRF_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        _enforce_csrf(request)
        return "anonymous"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return True


member_auth = MemberAuth()
pending_auth = PendingAuth()
anonymous_csrf = CsrfOnly()


def session_device(request: HttpRequest) -> Device | None:
    """The device the authenticated session is bound to, or None."""
    access = current_access(request)
    return access.device if access is not None else None
