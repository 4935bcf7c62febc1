from django.urls import path, re_path

from maillage.api import api
from maillage.web import views

urlpatterns = [
    path("api/v1/", api.urls),
    path("healthz", views.healthz, name="healthz"),
    re_path(r"^(?!api/|static/).*$", views.app_shell, name="app"),
]
