"""The charter's versions (GET /charter/versions) and a new one published (POST /charter)."""

from __future__ import annotations

import pytest

from maillage.members.models import CharterVersion, Role
from maillage.members.tests import factory
from maillage.stream.kinds import Kind
from maillage.stream.models import Event
from maillage.territory.models import Commune

pytestmark = pytest.mark.django_db

NEW_TEXT = "Charte révisée de la commune : signalez des faits, rien que des faits."


def test_a_published_version_is_listed_first_with_its_acceptances(commune: Commune) -> None:
    coordinator = factory.make_member(Role.COORDINATOR, commune).client()
    factory.make_member(Role.MERCHANT, commune)  # accepts version 1 on enrolment

    published = coordinator.post(
        "/api/v1/charter", {"text": NEW_TEXT}, content_type="application/json"
    )
    response = coordinator.get("/api/v1/charter/versions")

    assert published.status_code == 201
    assert response.status_code == 200
    versions = response.json()
    assert [(v["version"], v["current"]) for v in versions] == [(2, True), (1, False)]
    assert versions[0]["text"] == NEW_TEXT
    assert versions[0]["acceptances"] == 0
    assert versions[1]["acceptances"] == 2  # the coordinator and the merchant
    assert Event.objects.filter(commune=commune, kind=Kind.CHARTER_PUBLISHED).count() == 2


def test_a_too_short_charter_is_refused_and_nothing_is_published(commune: Commune) -> None:
    coordinator = factory.make_member(Role.COORDINATOR, commune).client()

    response = coordinator.post(
        "/api/v1/charter", {"text": "  court "}, content_type="application/json"
    )

    assert response.status_code == 422
    assert response.json()["message"] == "Le texte de la charte est trop court."
    assert CharterVersion.objects.filter(commune=commune).count() == 1


@pytest.mark.parametrize("role", [Role.MERCHANT, Role.OPERATOR, Role.REFERENT, Role.DPO])
def test_only_the_coordinator_lists_and_publishes_versions(commune: Commune, role: Role) -> None:
    client = factory.make_member(role, commune).client()

    listed = client.get("/api/v1/charter/versions")
    published = client.post("/api/v1/charter", {"text": NEW_TEXT}, content_type="application/json")

    assert (listed.status_code, published.status_code) == (403, 403)
    assert CharterVersion.objects.filter(commune=commune).count() == 1


def test_versions_are_the_commune_s_own(commune: Commune) -> None:
    coordinator = factory.make_member(Role.COORDINATOR, commune).client()
    other = factory.make_commune()
    elsewhere = factory.make_member(Role.COORDINATOR, other).client()
    elsewhere.post("/api/v1/charter", {"text": NEW_TEXT}, content_type="application/json")

    response = coordinator.get("/api/v1/charter/versions")

    assert [v["version"] for v in response.json()] == [1]
