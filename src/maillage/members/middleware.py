"""Throws a suspended or revoked member out at their very next request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from maillage.members.models import MemberSession
from maillage.members.sessions import (
    ACCESS_REVOKED_MESSAGE,
    AccessEnded,
    load_access,
    was_ended,
)


class ActiveAccessMiddleware:
    """Re-reads the session's membership and device on every request.

    The mairie's decision must not wait for the session cookie to expire: when the
    membership or device was suspended or revoked, the session is flushed (or was already
    deleted by the action); API calls get a 401 `access_revoked` so the app can say why,
    pages simply continue anonymously.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        cookie_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if session is not None and cookie_key:
            ended = False
            try:
                access = load_access(session)
            except AccessEnded:
                ended = True
            else:
                request.maillage_access = access  # type: ignore[attr-defined]
                ended = access is None and was_ended(cookie_key)
            if ended:
                if session.session_key:
                    MemberSession.objects.filter(session_key=session.session_key).delete()
                session.flush()
                request.maillage_access = None  # type: ignore[attr-defined]
                if request.path_info.startswith("/api/"):
                    return JsonResponse(
                        {
                            "code": "access_revoked",
                            "message": ACCESS_REVOKED_MESSAGE,
                            "field": None,
                        },
                        status=401,
                    )
        return self.get_response(request)
