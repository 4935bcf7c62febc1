"""The report's clear metadata (category, severity, the neighbours switch, photos), the
commune's catalogue and settings, and the limits on reports (issue 9, items 2 and 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from maillage.incidents import alert_settings
from maillage.incidents.models import AlertSettings, Incident, SealedMessage
from maillage.incidents.tests.conftest import stored_files
from maillage.incidents.tests.helpers import Draft, post_report
from maillage.members.tests import factory
from maillage.stream.action import CLI
from maillage.stream.models import Event
from maillage.territory.models import Commune

pytestmark = pytest.mark.django_db

PHOTO = b"\x00sealed" * 100


def events(kind: str) -> list[Event]:
    return list(Event.objects.filter(kind=kind).order_by("seq"))


def settings_with(commune: Commune, **changes: Any) -> None:
    current = alert_settings.for_commune(commune).as_dict()
    current.update(changes)
    alert_settings.change(CLI, commune, current)


def test_a_report_keeps_its_category_severity_switch_and_photo_count_in_clear(
    media: Path, merchant: factory.Persona, operator: factory.Persona
) -> None:
    draft = Draft(merchant, readers=[operator.device], attachments=[PHOTO, PHOTO])
    metadata = {"category": "agression", "neighbours": "true"}
    response = post_report(merchant.client(), draft, metadata=metadata)
    assert response.status_code == 201, response.content
    body = response.json()["incident"]
    assert body["category"] == {"slug": "agression", "label": "Agression en cours"}
    assert (body["severity"], body["neighbours"], body["photos"]) == ("critical", True, 2)
    incident = Incident.objects.get()
    assert (incident.category, incident.severity, incident.neighbours, incident.photos) == (
        "agression",
        "critical",
        True,
        2,
    )
    [event] = events("incident.reported")
    assert event.payload["category"] == "agression"
    assert event.payload["severity"] == "critical"
    assert event.payload["neighbours"] is True
    assert event.payload["attachments"] == 2
    listed = operator.client().get("/api/v1/incidents").json()
    assert listed[0]["category"]["slug"] == "agression"


def test_the_reporter_may_choose_another_severity(media: Path, merchant: factory.Persona) -> None:
    response = post_report(
        merchant.client(), Draft(merchant), metadata={"category": "vol", "severity": "high"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["incident"]["severity"] == "high"


@pytest.mark.parametrize(
    ("metadata", "code", "field"),
    [
        ({}, "invalid_category", "category"),
        (
            {"category": "Un homme en sweat rouge, parti vers la gare"},
            "invalid_category",
            "category",
        ),
        ({"category": "vol", "severity": "très grave, couteau"}, "invalid_severity", "severity"),
        (
            {"category": "vol", "neighbours": "oui, prévenez Karim"},
            "invalid_neighbours",
            "neighbours",
        ),
    ],
    ids=["missing", "free-text-category", "free-text-severity", "free-text-switch"],
)
def test_free_text_in_an_enumerated_field_is_refused_and_nothing_is_stored(
    media: Path, merchant: factory.Persona, metadata: dict[str, str], code: str, field: str
) -> None:
    before = Event.objects.count()
    draft = Draft(merchant, attachments=[PHOTO])
    response = post_report(merchant.client(), draft, metadata=metadata)
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["code"], body["field"]) == (code, field)
    assert "Rien n'a été enregistré" in body["message"]
    assert Incident.objects.count() == 0
    assert SealedMessage.objects.count() == 0
    assert stored_files(media) == []
    assert Event.objects.count() == before


def test_a_disabled_category_is_refused_and_leaves_the_catalogue(
    media: Path, commune: Commune, merchant: factory.Persona
) -> None:
    categories = [
        {**c.as_dict(), "enabled": c.slug != "escroquerie"}
        for c in alert_settings.DEFAULT_CATEGORIES
    ]
    settings_with(commune, categories=categories)
    catalogue = merchant.client().get("/api/v1/incidents/catalogue").json()
    assert "escroquerie" not in [c["slug"] for c in catalogue["categories"]]
    assert catalogue["severities"] == ["low", "medium", "high", "critical"]
    response = post_report(merchant.client(), Draft(merchant), metadata={"category": "escroquerie"})
    assert response.json()["code"] == "invalid_category"
    assert Incident.objects.count() == 0


def test_the_catalogue_lists_the_default_categories_with_the_17_for_emergencies(
    merchant: factory.Persona,
) -> None:
    catalogue = merchant.client().get("/api/v1/incidents/catalogue").json()
    slugs = [c["slug"] for c in catalogue["categories"]]
    assert slugs == [
        "vol",
        "comportement_suspect",
        "agression",
        "alarme",
        "rixe",
        "degradation",
        "escroquerie",
        "autre",
    ]
    assert {c["slug"] for c in catalogue["categories"] if c["call_17"]} == {"agression", "rixe"}
    assert catalogue["neighbours"] == {"validation": True, "expiry_minutes": 120}


def _settings_body(**changes: Any) -> dict[str, Any]:
    return {**alert_settings.Settings().as_dict(), **changes}


def test_the_coordinator_changes_the_settings_in_one_action(
    commune: Commune, coordinator: factory.Persona, merchant: factory.Persona
) -> None:
    body = _settings_body(
        neighbour_validation=False,
        neighbour_expiry_minutes=60,
        categories=[
            *alert_settings.Settings().as_dict()["categories"],
            {"slug": "mendicite_agressive", "label": "Mendicité agressive", "severity": "medium"},
        ],
    )
    client = coordinator.client()
    response = client.put("/api/v1/incidents/settings", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["neighbour_expiry_minutes"] == 60
    [event] = events("alert_settings.changed")
    assert event.payload["neighbour_validation"] is False
    assert "mendicite_agressive" in event.payload["categories"]
    stored = alert_settings.for_commune(commune)
    assert stored.category("mendicite_agressive") is not None
    assert stored.neighbour_expiry_minutes == 60
    catalogue = merchant.client().get("/api/v1/incidents/catalogue").json()
    assert catalogue["neighbours"] == {"validation": False, "expiry_minutes": 60}
    # The same settings again change nothing and append nothing.
    again = client.put("/api/v1/incidents/settings", body, content_type="application/json")
    assert again.status_code == 200
    assert len(events("alert_settings.changed")) == 1


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"categories": []}, 422),
        ({"neighbour_expiry_minutes": 1}, 422),
        (
            {
                "categories": [
                    {"slug": "vol", "label": "Vol", "severity": "medium", "enabled": False}
                ]
            },
            400,
        ),
        (
            {
                "categories": [
                    {"slug": "vol", "label": "Vol", "severity": "medium"},
                    {"slug": "vol", "label": "Vol bis", "severity": "low"},
                ]
            },
            400,
        ),
        ({"categories": [{"slug": "Origine supposée", "label": "x", "severity": "low"}]}, 422),
    ],
    ids=["no-category", "expiry", "none-enabled", "duplicate", "bad-slug"],
)
def test_bad_settings_are_refused_and_nothing_changes(
    commune: Commune, coordinator: factory.Persona, changes: dict[str, Any], status: int
) -> None:
    response = coordinator.client().put(
        "/api/v1/incidents/settings", _settings_body(**changes), content_type="application/json"
    )
    assert response.status_code == status, response.content
    assert response.json()["message"]
    assert not AlertSettings.objects.filter(commune=commune).exists()
    assert events("alert_settings.changed") == []


def test_only_the_coordinator_changes_settings_and_merchants_do_not_read_them(
    merchant: factory.Persona, operator: factory.Persona
) -> None:
    body = _settings_body()
    for persona in (merchant, operator):
        response = persona.client().put(
            "/api/v1/incidents/settings", body, content_type="application/json"
        )
        assert response.status_code == 403
    assert merchant.client().get("/api/v1/incidents/settings").status_code == 403
    assert operator.client().get("/api/v1/incidents/settings").status_code == 200


def test_a_device_over_its_limit_is_told_when_to_report_again_and_the_police_sees_it(
    media: Path, commune: Commune, merchant: factory.Persona, operator: factory.Persona
) -> None:
    limits = alert_settings.Settings().as_dict()["limits"]
    limits["report_device"] = {"count": 2, "minutes": 10}
    settings_with(commune, limits=limits)
    client = merchant.client()
    sent = [Draft(merchant) for _ in range(2)]
    sealed = [draft.seal() for draft in sent]
    assert [post_report(client, d, s).status_code for d, s in zip(sent, sealed, strict=True)] == [
        201,
        201,
    ]
    refused = [post_report(client, Draft(merchant)) for _ in range(2)]
    for response in refused:
        assert response.status_code == 429
        body = response.json()
        assert body["code"] == "rate_limited"
        assert body["limit"] == "report_device"
        assert 0 < body["retry_after"] <= 600
        assert int(response["Retry-After"]) == body["retry_after"]
        assert "Prochain signalement possible à" in body["message"]
        assert "appelez le 17" in body["message"]
    assert Incident.objects.count() == 2
    # Once per window, visible to the police.
    [reached] = events("alert_limit.reached")
    assert reached.payload["limit"] == "report_device"
    assert reached.shop == merchant.membership.shop
    # An identical retry of a stored report is still answered as one, and not counted.
    retry = post_report(client, sent[0], sealed[0])
    assert retry.status_code == 200, retry.content


def test_the_shop_limit_counts_every_device_of_the_shop(
    media: Path, commune: Commune, merchant: factory.Persona
) -> None:
    limits = alert_settings.Settings().as_dict()["limits"]
    limits["report_shop"] = {"count": 1, "minutes": 10}
    settings_with(commune, limits=limits)
    colleague = factory.make_member(
        merchant.membership.role, commune, name="Collègue", shop=merchant.membership.shop
    )
    assert post_report(merchant.client(), Draft(merchant)).status_code == 201
    response = post_report(colleague.client(), Draft(colleague))
    assert response.status_code == 429
    assert response.json()["limit"] == "report_shop"
    assert "par commerce" in response.json()["message"]
