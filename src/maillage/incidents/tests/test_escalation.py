"""Escalation: an incident nobody took escalates at the commune's first delay, then at its
second, once each, never once taken; supervisors are named and the reporting shop is
told; two timers racing fire each escalation once; the commune's delays and supervisors
are checked like every setting (nothing stored on a refusal)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import close_old_connections

from maillage.incidents import alert_settings, escalation, workflow
from maillage.incidents.models import AlertSettings, Incident
from maillage.incidents.tests.helpers import make_incident
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream import ticker
from maillage.stream.models import ActorKind, Event
from maillage.stream.tests.helpers import head, since
from maillage.stream.visibility import visible_to
from maillage.territory.models import Commune

pytestmark = pytest.mark.django_db

SETTINGS = "/api/v1/incidents/settings"


@pytest.fixture
def commune() -> Commune:
    commune = factory.make_commune()
    factory.make_member(Role.COORDINATOR, commune)
    return commune


def escalations(incident: Incident) -> list[Event]:
    return list(
        Event.objects.filter(kind="incident.escalated", target_id=str(incident.public_id))
        .select_related("member", "shop")
        .order_by("seq")
    )


def test_an_incident_nobody_takes_escalates_twice_then_no_more(commune: Commune) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune)
    operator = factory.make_member(Role.OPERATOR, commune)
    other_shop = factory.make_member(Role.MERCHANT, commune)
    incident, _ = make_incident(merchant)
    reported = incident.created_at
    assert incident.escalation_due_at is not None
    assert abs((incident.escalation_due_at - reported).total_seconds() - 60) < 1

    assert escalation.escalate_due(reported + timedelta(seconds=59)) == 0
    before = head(commune)
    assert escalation.escalate_due(reported + timedelta(seconds=61)) == 1
    [event] = since(commune, before)
    assert event.kind == "incident.escalated"
    assert event.actor_kind == ActorKind.SYSTEM and event.actor_id is None
    assert event.payload == {"level": 1, "waited": 61, "supervisors": []}
    assert event.shop_id == merchant.membership.shop_id
    assert visible_to(event, operator.membership) and visible_to(event, merchant.membership)
    assert not visible_to(event, other_shop.membership)
    incident.refresh_from_db()
    assert incident.escalation_level == 1
    assert incident.escalation_due_at == reported + timedelta(seconds=180)
    # Once: the same instant again, or a little later, fires nothing more.
    assert escalation.escalate_due(reported + timedelta(seconds=61)) == 0
    assert escalation.escalate_due(reported + timedelta(seconds=179)) == 0

    assert escalation.escalate_due(reported + timedelta(seconds=200)) == 1
    assert [e.payload["level"] for e in escalations(incident)] == [1, 2]
    assert escalations(incident)[1].payload["waited"] == 200
    incident.refresh_from_db()
    assert (incident.escalation_level, incident.escalation_due_at) == (2, None)
    assert escalation.escalate_due(reported + timedelta(hours=5)) == 0
    assert len(escalations(incident)) == 2
    # Shown on the incident.
    listed = merchant.client().get("/api/v1/incidents").json()
    assert [i["escalation_level"] for i in listed] == [2]


def test_an_incident_taken_in_time_never_escalates(commune: Commune) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune)
    operator = factory.make_member(Role.OPERATOR, commune)
    incident, _ = make_incident(merchant)
    workflow.take(operator.membership, operator.device, incident)
    incident.refresh_from_db()
    assert incident.escalation_due_at is None
    assert escalation.escalate_due(incident.created_at + timedelta(hours=1)) == 0
    assert escalations(incident) == []

    # Taken after the first escalation: the second never comes.
    late, _ = make_incident(merchant)
    assert escalation.escalate_due(late.created_at + timedelta(seconds=90)) == 1
    workflow.take(operator.membership, operator.device, late)
    assert escalation.escalate_due(late.created_at + timedelta(hours=1)) == 0
    assert [e.payload["level"] for e in escalations(late)] == [1]


def test_the_communes_delays_and_supervisors_apply_to_new_reports(commune: Commune) -> None:
    coordinator = factory.make_member(Role.COORDINATOR, commune)
    supervisor = factory.make_member(Role.OPERATOR, commune, name="Cheffe de poste")
    merchant = factory.make_member(Role.MERCHANT, commune)
    data = {
        **alert_settings.Settings().as_dict(),
        "escalation_first_seconds": 30,
        "escalation_second_seconds": 90,
        "supervisors": [str(supervisor.membership.public_id)],
    }
    response = coordinator.client().put(SETTINGS, data, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["escalation_first_seconds"], body["escalation_second_seconds"]) == (30, 90)
    assert body["supervisors"] == [str(supervisor.membership.public_id)]
    [changed] = Event.objects.filter(commune=commune, kind="alert_settings.changed")
    assert (changed.payload["escalation"], changed.payload["supervisors"]) == ([30, 90], 1)

    incident, _ = make_incident(merchant)
    assert escalation.escalate_due(incident.created_at + timedelta(seconds=31)) == 1
    assert escalation.escalate_due(incident.created_at + timedelta(seconds=91)) == 1
    assert [e.payload["supervisors"] for e in escalations(incident)] == [
        [str(supervisor.membership.public_id)]
    ] * 2


def test_refused_escalation_settings_store_nothing(commune: Commune) -> None:
    coordinator = factory.make_member(Role.COORDINATOR, commune)
    merchant = factory.make_member(Role.MERCHANT, commune)
    elsewhere = factory.make_member(Role.OPERATOR, factory.make_commune())
    suspended = factory.suspend(factory.make_member(Role.OPERATOR, commune))
    base = alert_settings.Settings().as_dict()
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"escalation_first_seconds": 60, "escalation_second_seconds": 60},
            "escalation_second_seconds",
        ),
        ({"escalation_first_seconds": 5}, "escalation_first_seconds"),
        ({"supervisors": [str(merchant.membership.public_id)]}, "supervisors"),
        ({"supervisors": [str(elsewhere.membership.public_id)]}, "supervisors"),
        ({"supervisors": [str(suspended.membership.public_id)]}, "supervisors"),
        ({"supervisors": ["pas-un-identifiant"]}, "supervisors.0"),
    ]
    before = head(commune)
    for change, field in cases:
        response = coordinator.client().put(
            SETTINGS, {**base, **change}, content_type="application/json"
        )
        assert response.status_code in (400, 422), (change, response.content)
        body = response.json()
        assert body["message"] and body["field"].startswith(field.split(".")[0]), body
    assert since(commune, before) == []
    assert not AlertSettings.objects.filter(commune=commune).exists()


@pytest.mark.django_db(transaction=True)
def test_two_timers_racing_fire_each_escalation_once() -> None:
    """Threads with their own connections: on PostgreSQL the claim is FOR UPDATE SKIP
    LOCKED, on SQLite the conditional UPDATE serialises."""
    commune = factory.make_commune()
    factory.make_member(Role.COORDINATOR, commune)
    merchant = factory.make_member(Role.MERCHANT, commune)
    incidents = [make_incident(merchant)[0] for _ in range(5)]
    later = max(i.created_at for i in incidents) + timedelta(seconds=61)
    barrier = threading.Barrier(2)
    fired: list[int] = []

    def timer() -> None:
        try:
            barrier.wait()
            fired.append(escalation.escalate_due(later))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=timer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(fired) == 5
    for incident in incidents:
        assert [e.payload["level"] for e in escalations(incident)] == [1]


def test_the_timers_clock_reads_the_test_file(settings: Any, tmp_path: Any) -> None:
    clock = tmp_path / "clock"
    settings.TIMER_CLOCK_FILE = str(clock)
    real = ticker.now()
    clock.write_text("2031-05-04T03:02:01+02:00", encoding="utf-8")
    assert ticker.now().isoformat() == "2031-05-04T03:02:01+02:00"
    clock.write_text("", encoding="utf-8")
    assert abs((ticker.now() - real).total_seconds()) < 60
    clock.write_text("2031-05-04T03:02:01", encoding="utf-8")
    with pytest.raises(ValueError):
        ticker.now()


def test_the_incidents_app_registers_its_escalation_job() -> None:
    assert "escalation" in {job.name for job in ticker.jobs()}
