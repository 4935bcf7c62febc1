from django.urls import path, re_path

from maillage.api import api
from maillage.shield import api_not_found
from maillage.web import views

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found),
    path("healthz", views.healthz, name="healthz"),
    re_path(r"^(?!api/|static/).*$", views.app_shell, name="app"),
]
