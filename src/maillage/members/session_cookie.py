"""Django's session middleware, without one race: a stale cookie never deletes a new one.

Signing in replaces the browser's session (`start_session` deletes the old one, against
fixation). A request the page sent just before, still in flight with the old cookie, finds
no session, and Django's middleware answers it with a cookie deletion; arriving after the
sign-in's answer, that deletion signs the browser out of the session it just opened (seen
in the demo's « changer de compte » under load). Here only a request that emptied its own
session (sign-out, an ended access flushed by ActiveAccessMiddleware) deletes the cookie;
a cookie naming no session is left alone, and its requests are simply anonymous.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        stale = (
            session is not None
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and not session.modified
            and session.is_empty()
        )
        if stale:
            assert session is not None
            if session.accessed:
                patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)
