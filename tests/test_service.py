"""The service boots, serves the French shell and its health check, and describes its API."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_home_page_is_french(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="fr">' in body
    assert "commerçants" in body


@pytest.mark.django_db
def test_healthz_touches_the_database(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_openapi_schema_is_served(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Maillage API"
    assert "/api/v1/meta" in schema["paths"]


def test_validation_errors_are_structured(client: Client) -> None:
    response = client.get("/api/v1/meta")
    assert response.json()["demo_mode"] is False
