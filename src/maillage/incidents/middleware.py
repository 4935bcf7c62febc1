"""Sealed uploads: refuse an oversized body before it is read, and a broken one with our
structured error rather than Django's bare 400 page."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

from maillage import shield

TOO_LARGE_MESSAGE = "Envoi trop volumineux : au plus 4 pièces jointes chiffrées de 3 Mo chacune."
UNREADABLE_MESSAGE = "Formulaire d'envoi illisible : renvoyez le message depuis l'application."


def is_sealed_upload(request: HttpRequest) -> bool:
    return shield.is_sealed_upload(request.method or "", request.path_info)


def _refusal(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "field": "attachments"}, status=status)


class SealedUploadLimit:
    """Runs before the CSRF middleware, whose token lookup would parse the body first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_sealed_upload(request):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.SEALED_UPLOAD_MAX_BYTES:
                return _refusal("too_large", TOO_LARGE_MESSAGE, 413)
            try:
                request.POST  # noqa: B018 - parse now, while we can still answer cleanly
            except (RequestDataTooBig, TooManyFilesSent):
                return _refusal("too_large", TOO_LARGE_MESSAGE, 413)
            except MultiPartParserError:
                return _refusal("unreadable_upload", UNREADABLE_MESSAGE, 400)
        return self.get_response(request)
