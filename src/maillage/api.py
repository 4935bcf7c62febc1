"""The versioned JSON API (/api/v1/), one router per domain, one error shape."""

from __future__ import annotations

import math
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from maillage import shield
from maillage.errors import ApiError
from maillage.schemas import TEXT_ERROR_TYPES, ErrorOut

REFUSAL_DESCRIPTIONS = {
    400: "Requête illisible (JSON, formulaire, caractère nul)",
    401: "Non connecté",
    403: "Refusé : rôle, jeton CSRF, inscription ou appareil non validé",
    404: "Introuvable (ou objet d'une autre commune)",
    413: "Requête trop volumineuse",
    422: "Données invalides",
    429: "Trop de tentatives (en-tête Retry-After)",
}
UNSAFE = frozenset({"post", "put", "patch", "delete"})


class MaillageAPI(NinjaAPI):
    """The refusals every operation may answer are written into the OpenAPI schema once,
    here, so the schema (and the fuzz test that holds the server to it) is complete:
    400/404/413/422 everywhere, 401/403 where a session or CSRF token is checked, 429 on
    unsafe methods (rate limits). Route-specific ones (409, 410) stay on their routes."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorOut", ErrorOut.model_json_schema())
        error_ref = {"$ref": "#/components/schemas/ErrorOut"}
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                statuses = {400, 404, 413, 422}
                if operation.get("security"):
                    statuses |= {401, 403}
                if method in UNSAFE:
                    statuses.add(429)
                responses = {str(code): body for code, body in operation["responses"].items()}
                operation["responses"] = responses
                for status in sorted(statuses):
                    responses.setdefault(
                        str(status),
                        {
                            "description": REFUSAL_DESCRIPTIONS[status],
                            "content": {"application/json": {"schema": error_ref}},
                        },
                    )
        return schema


api = MaillageAPI(
    title="Maillage API",
    version="1",
    description="Signalements commerçants – police municipale. Erreurs : {code, message, field}.",
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=shield.StrictJsonParser(),
)


def _field_of(error: dict) -> str | None:
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    loc = [part for part in loc if not part.startswith("payload")] or loc
    return ".".join(loc) or None


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    response = api.create_response(request, exc.payload(), status=exc.status)
    for name, value in exc.headers.items():
        response[name] = value
    return response


GENERIC_INVALID = "Données invalides : vérifiez le champ signalé."


def _french_message(error: dict) -> tuple[str, str]:
    """(code, message) of one pydantic error: our text rule speaks French already."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    field = _field_of(error)
    where = f" ({field})" if field else ""
    if kind == "too_long" and "field_type" in ctx:
        limit = ctx.get("max_length")
        return "too_long", f"Liste trop longue{where} : {limit} éléments au plus."
    if kind in TEXT_ERROR_TYPES:
        return kind, str(error.get("msg", GENERIC_INVALID))
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return "too_long", f"Texte trop long{where} : {limit} caractères au plus."
    if kind == "missing":
        return "required", f"Champ obligatoire manquant{where}."
    return "invalid", GENERIC_INVALID


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    code, message = _french_message(first)
    payload = {
        "code": code,
        "message": message,
        "field": _field_of(first),
        "details": [
            {"field": _field_of(err), "type": err.get("type"), "msg": err.get("msg")}
            for err in exc.errors
        ],
    }
    return api.create_response(request, payload, status=422)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    payload = {
        "code": "unauthenticated",
        "message": "Connectez-vous pour continuer.",
        "field": None,
    }
    return api.create_response(request, payload, status=401)


def _delay(seconds: int) -> str:
    if seconds <= 90:
        return f"{seconds} seconde{'s' if seconds > 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    seconds = max(1, math.ceil(exc.wait or 60))
    payload = shield.error_payload(
        "rate_limited", f"Trop de tentatives : réessayez dans {_delay(seconds)}."
    )
    response = api.create_response(request, payload, status=429)
    response["Retry-After"] = str(seconds)
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, shield.BodyRefused):
        return api.create_response(request, cause.payload, status=cause.status)
    if isinstance(cause, Exception):
        return _any_error(request, cause)
    code, message = shield.GENERIC.get(exc.status_code, ("error", str(exc)))
    return api.create_response(request, shield.error_payload(code, message), status=exc.status_code)


@api.exception_handler(Exception)
def _any_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Replaces ninja's DEBUG traceback page: a hostile body gets its 4xx, a bug a plain 500."""
    refusal = shield.refusal_for(exc, request)
    if refusal is not None:
        return api.create_response(request, refusal[1], status=refusal[0])
    shield.logger.error("Erreur interne sur %s", request.path_info, exc_info=exc)
    return api.create_response(request, shield.server_error_payload(), status=500)


def _register_routers() -> None:
    """Each domain owns its router; adding one here is the only wiring needed."""
    from maillage.broadcasts.api import router as broadcasts_router
    from maillage.crisis.api import router as crisis_router
    from maillage.demo.api import router as demo_router
    from maillage.duty.api import router as duty_router
    from maillage.incidents.api import router as incidents_router
    from maillage.members.api import router as members_router
    from maillage.neighbours.api import router as neighbours_router
    from maillage.privacy.api import router as privacy_router
    from maillage.push.api import router as push_router
    from maillage.stats.api import router as stats_router
    from maillage.stream.api import router as stream_router
    from maillage.territory.api import router as territory_router
    from maillage.trust.api import devices_router, group_keys_router
    from maillage.trust.api import router as trust_router
    from maillage.web.api import router as web_router

    api.add_router("/", web_router)
    api.add_router("/", members_router)
    api.add_router("/", devices_router)
    api.add_router("/territory", territory_router)
    api.add_router("/trust", trust_router)
    api.add_router("/demo", demo_router)
    api.add_router("/incidents", incidents_router)
    api.add_router("/privacy", privacy_router)
    api.add_router("/stream", stream_router)
    api.add_router("/", group_keys_router)
    api.add_router("/broadcasts", broadcasts_router)
    api.add_router("/duty", duty_router)
    api.add_router("/neighbours", neighbours_router)
    api.add_router("/push", push_router)
    api.add_router("/stats", stats_router)
    api.add_router("/crisis", crisis_router)


_register_routers()
