"""No request can break the server: every malformed request gets the structured error.

Three layers, outermost first:

- `BodyLimit` wraps the ASGI application: a declared Content-Length over the limit is
  answered 413 before one byte of the body is read, and a body without Content-Length
  (chunked) is cut off as soon as it passes the limit, so nothing big is ever spooled.
- `ApiShield`, the first Django middleware, repeats the length check for other servers
  and the test client, refuses a multipart body without a usable boundary, NUL characters
  in the path, query string or cookies, and turns every error response of /api/ that is
  not already ours (Django's 404 page, ninja's 405 text, a 400 page) into JSON. A member's
  refused request (401, 403, 404) is recorded for the DPO (maillage.privacy.actions).
- `refusal_for` maps the exceptions a hostile body can raise deep inside Django or the
  database driver to a 4xx, for ninja's handler and the middleware alike.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import DataError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.http.request import RawPostDataException
from django.utils.http import parse_header_parameters
from django.utils.regex_helper import _lazy_re_compile
from django.views.decorators.csrf import csrf_exempt
from ninja.parser import Parser

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_JSON_DEPTH = 32

TOO_LARGE = "Requête trop volumineuse : au plus {limit} Mo."
SEALED_TOO_LARGE = "Envoi trop volumineux : au plus 4 pièces jointes chiffrées de 3 Mo chacune."
BAD_LENGTH = "En-tête Content-Length invalide."
NO_BOUNDARY = "Formulaire multipart illisible : délimiteur (boundary) absent ou invalide."
UNREADABLE_FORM = "Formulaire illisible : renvoyez la demande depuis l'application."
UNREADABLE_JSON = "Corps de requête illisible : JSON attendu."
TOO_DEEP = f"JSON trop imbriqué : au plus {MAX_JSON_DEPTH} niveaux."
NUL_REFUSED = "Caractère nul (U+0000) refusé."
DATABASE_REFUSED = "Valeur refusée : trop longue ou mal formée."
NOT_FOUND = "Adresse d'API inconnue."
METHOD_NOT_ALLOWED = "Méthode HTTP non autorisée sur cette adresse."
SERVER_ERROR = "Erreur interne du serveur : l'équipe technique est prévenue. Réessayez plus tard."
GENERIC = {
    400: ("bad_request", "Requête invalide."),
    401: ("unauthenticated", "Connectez-vous pour continuer."),
    403: ("forbidden", "Action non autorisée."),
    404: ("not_found", NOT_FOUND),
    405: ("method_not_allowed", METHOD_NOT_ALLOWED),
    413: ("too_large", "Requête trop volumineuse."),
}
_BOUNDARY = _lazy_re_compile(r"[ -~]{0,200}[!-~]")


def is_sealed_upload(method: str, path: str) -> bool:
    """POST /api/v1/incidents, POST /api/v1/incidents/<id>/messages, POST
    /api/v1/broadcasts and the neighbour alerts' (docs/envelope.md)."""
    if method != "POST":
        return False
    path = path.rstrip("/")
    return (
        path in ("/api/v1/incidents", "/api/v1/broadcasts", "/api/v1/neighbours/alerts")
        or (path.startswith("/api/v1/incidents/") and path.endswith("/messages"))
        # A neighbour alert's « fin d'alerte » may carry a sealed message (issue 9).
        or (path.startswith("/api/v1/neighbours/alerts/") and path.endswith("/end"))
    )


def body_limit(method: str, path: str) -> int:
    if is_sealed_upload(method, path):
        return int(settings.SEALED_UPLOAD_MAX_BYTES)
    return int(settings.MAX_REQUEST_BYTES)


def error_payload(code: str, message: str, field: str | None = None) -> dict[str, str | None]:
    return {"code": code, "message": message, "field": field}


def too_large_payload(method: str, path: str) -> dict[str, str | None]:
    if is_sealed_upload(method, path):
        return error_payload("too_large", SEALED_TOO_LARGE, "attachments")
    megabytes = round(body_limit(method, path) / 1_048_576, 1)
    return error_payload("too_large", TOO_LARGE.format(limit=f"{megabytes:g}".replace(".", ",")))


# --- ASGI: refuse big bodies before reading them --------------------------------------

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _send_json(send: Send, status: int, payload: dict[str, str | None]) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware around the Django application (maillage.asgi)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        limit = body_limit(method, path)
        declared = [value for name, value in scope["headers"] if name == b"content-length"]
        if declared:
            try:
                length = int(declared[0])
            except ValueError:
                length = -1
            if length < 0:
                await _send_json(send, 400, error_payload("bad_length", BAD_LENGTH))
                return
            if length > limit:
                await _send_json(send, 413, too_large_payload(method, path))
                return
        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _send_json(send, 413, too_large_payload(method, path))
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, guarded_send)


# --- Django: the structured error for every malformed request ------------------------


def refusal_for(exc: BaseException, request: HttpRequest) -> tuple[int, dict[str, Any]] | None:
    """The 4xx a request-borne exception deserves, or None for a real bug."""
    if isinstance(exc, RequestDataTooBig):
        return 413, too_large_payload(request.method or "", request.path_info)
    if isinstance(exc, TooManyFilesSent | TooManyFieldsSent):
        return 413, error_payload("too_many_parts", UNREADABLE_FORM)
    if isinstance(exc, MultiPartParserError):
        return 400, error_payload("unreadable_form", UNREADABLE_FORM)
    if isinstance(exc, RawPostDataException):
        return 400, error_payload("unreadable_json", UNREADABLE_JSON)
    if isinstance(exc, SuspiciousOperation):
        return 400, error_payload("bad_request", GENERIC[400][1])
    if isinstance(exc, DataError):
        return 422, error_payload("invalid", DATABASE_REFUSED)
    if isinstance(exc, ValueError) and "NUL" in str(exc) and "0x00" in str(exc):
        # psycopg refuses NUL in a string before sending it; SQLite would store it.
        return 422, error_payload("control_character", NUL_REFUSED)
    return None


def server_error_payload() -> dict[str, str | None]:
    return error_payload("server_error", SERVER_ERROR)


def _json(status: int, payload: dict[str, Any]) -> JsonResponse:
    return JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    if any("\x00" in key or "\x00" in value for key, value in request.GET.items()):
        return True
    return any("\x00" in key or "\x00" in value for key, value in request.COOKIES.items())


def _multipart_without_boundary(request: HttpRequest) -> bool:
    content_type, params = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
    if not content_type.startswith("multipart/"):
        return False
    boundary = params.get("boundary", "")
    return not boundary or not _BOUNDARY.fullmatch(boundary)


class ApiShield:
    """Outermost Django middleware (first in settings.MIDDLEWARE)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        refusal = self._refusal(request)
        if refusal is not None:
            return _json(*refusal)
        response = self.get_response(request)
        if request.path_info.startswith(API_PREFIX):
            response = _structured(response)
            from maillage.privacy.actions import record_refusal

            record_refusal(request, response)
        return response

    def _refusal(self, request: HttpRequest) -> tuple[int, dict[str, Any]] | None:
        method = request.method or ""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 400, error_payload("bad_length", BAD_LENGTH)
        if length > body_limit(method, request.path_info):
            return 413, too_large_payload(method, request.path_info)
        if method in UNSAFE_METHODS and _multipart_without_boundary(request):
            return 400, error_payload("unreadable_form", NO_BOUNDARY)
        if _has_nul(request):
            return 400, error_payload("control_character", NUL_REFUSED)
        return None

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not request.path_info.startswith(API_PREFIX):
            return None
        refusal = refusal_for(exc, request)
        if refusal is not None:
            return _json(*refusal)
        logger.error("Erreur interne sur %s", request.path_info, exc_info=exc)
        return _json(500, server_error_payload())


def _structured(response: HttpResponseBase) -> HttpResponseBase:
    """An API error response that is not JSON becomes {code, message, field}."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith(
        "application/json"
    ):
        return response
    code, message = GENERIC.get(response.status_code, ("error", GENERIC[400][1]))
    if response.status_code >= 500:
        code, message = "server_error", SERVER_ERROR
    structured = _json(response.status_code, error_payload(code, message))
    if response.has_header("Allow"):
        structured["Allow"] = response["Allow"]
    return structured


@csrf_exempt
def api_not_found(request: HttpRequest, **_: Any) -> JsonResponse:
    """Unknown /api/… address: a JSON 404 in development too (no Django debug page)."""
    return _json(404, error_payload("not_found", NOT_FOUND))


# --- ninja: JSON bodies ----------------------------------------------------------------


class BodyRefused(ValueError):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.payload = error_payload(code, message, field)


def _check_tree(data: Any) -> None:
    """Iterative walk: depth and NUL, without recursion a hostile body could exhaust."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        node, depth, where = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BodyRefused(422, "too_deep", TOO_DEEP)
        if isinstance(node, str):
            if "\x00" in node:
                raise BodyRefused(422, "control_character", NUL_REFUSED, where or None)
        elif isinstance(node, dict):
            for key, value in node.items():
                path = f"{where}.{key}" if where else str(key)
                if "\x00" in key:
                    raise BodyRefused(422, "control_character", NUL_REFUSED, where or None)
                stack.append((value, depth + 1, path))
        elif isinstance(node, list):
            stack.extend((value, depth + 1, f"{where}.{i}") for i, value in enumerate(node))


class StrictJsonParser(Parser):
    """ninja's parser with French refusals, a depth limit and no NUL anywhere."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = json.loads(request.body)
        except RecursionError as error:
            raise BodyRefused(422, "too_deep", TOO_DEEP) from error
        except ValueError as error:
            raise BodyRefused(400, "unreadable_json", UNREADABLE_JSON) from error
        _check_tree(data)
        return data
