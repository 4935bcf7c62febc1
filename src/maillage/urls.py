from django.urls import path, re_path

from maillage.api import api
from maillage.shield import api_not_found
from maillage.web import views

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found),
    path("healthz", views.healthz, name="healthz"),
    # The installable app (web/pwa.py): the worker at the root so that its scope is "/".
    path("manifest.webmanifest", views.web_manifest, name="web-manifest"),
    path("sw.js", views.service_worker, name="service-worker"),
    re_path(r"^(?!api/|static/).*$", views.app_shell, name="app"),
]
