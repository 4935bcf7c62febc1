"""The Content-Security-Policy header on every response (settings.CONTENT_SECURITY_POLICY).

Device keys live on this origin: a script from anywhere else, or injected inline, could
read them. The shell page and the API docs page (Swagger UI from ninja's own static files)
load scripts from /static/ only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class ContentSecurityPolicy:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
