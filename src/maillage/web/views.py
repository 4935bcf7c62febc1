"""The app shell: one French page that boots the Preact app; the API does the rest. Beside
it, what makes it an installable app: its manifest and its service worker (web/pwa.py)."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from maillage.shield import error_payload
from maillage.web import pwa


@ensure_csrf_cookie
def app_shell(request: HttpRequest) -> HttpResponse:
    return render(request, "web/app.html", pwa.shell_context())


def web_manifest(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(
        pwa.web_manifest(),
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "no-cache"
    return response


def service_worker(request: HttpRequest) -> HttpResponse:
    """`no-cache`: the browser checks for a new worker at every launch, never an old copy."""
    source = pwa.service_worker()
    if source is None:
        response: HttpResponse = JsonResponse(
            error_payload("not_built", "Le front end n'est pas construit (npm run build)."),
            status=404,
        )
    else:
        response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
