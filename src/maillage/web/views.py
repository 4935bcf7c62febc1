"""The app shell: one French page that boots the Preact app; the API does the rest."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from maillage.web.vite import entry_assets


@ensure_csrf_cookie
def app_shell(request: HttpRequest) -> HttpResponse:
    context = {"assets": entry_assets(), "demo_mode": settings.DEMO_MODE}
    return render(request, "web/app.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
