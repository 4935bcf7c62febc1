"""/api/v1/duty and what depends on it: the schedule as the coordinator sets it, presence
and reachability, the fallback recipients in the key directory, and what the partner
may see (only what was sealed to it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from maillage.duty import actions, presence
from maillage.duty.models import DutySchedule, FallbackRecipient, OperatorPresence
from maillage.duty.reachability import reachable, status
from maillage.incidents.models import Incident
from maillage.incidents.tests.helpers import Draft, post_report
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.models import Event
from maillage.territory.models import Commune

pytestmark = pytest.mark.django_db

Clock = Callable[[datetime | str], None]
MONDAY_MORNING = "2026-12-07 09:30"
SUNDAY = "2026-12-13 15:00"


def put(client: Client, url: str, body: Any) -> Any:
    return client.put(url, data=json.dumps(body), content_type="application/json")


def events(commune: Commune, kind: str) -> list[Event]:
    return list(Event.objects.filter(commune=commune, kind=kind))


@pytest.fixture
def cast(commune: Commune) -> dict[str, factory.Persona]:
    people: dict[str, factory.Persona] = {
        role: factory.make_member(role, commune)
        for role in (Role.COORDINATOR, Role.MERCHANT, Role.OPERATOR, Role.PARTNER)
    }
    return people


def name_fallback(cast: dict[str, factory.Persona], partner: factory.Persona) -> None:
    coordinator = cast[Role.COORDINATOR]
    actions.set_recipients(coordinator.actor(), coordinator.commune, [partner.membership.public_id])


def test_the_schedule_starts_at_the_default_and_the_coordinator_changes_it(
    commune: Commune, cast: dict[str, factory.Persona], duty_clock: Clock
) -> None:
    duty_clock(SUNDAY)
    coordinator = cast[Role.COORDINATOR].client()
    first = coordinator.get("/api/v1/duty/schedule").json()
    assert first["default"] is True and first["timezone"] == "Europe/Paris"
    assert first["weekly"]["mon"] == [{"start": "08:00", "end": "20:00"}]
    assert first["weekly"]["sun"] == [] and first["on_duty"] is False
    assert cast[Role.OPERATOR].client().get("/api/v1/duty/schedule").status_code == 200
    assert cast[Role.MERCHANT].client().get("/api/v1/duty/schedule").status_code == 403

    wanted = {
        "weekly": {"sun": [{"start": "14:00", "end": "02:00"}]},
        "exceptions": [{"date": "2026-12-25", "closed": True, "label": "Noël"}],
    }
    answer = put(coordinator, "/api/v1/duty/schedule", wanted)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["default"] is False and body["on_duty"] is True
    assert body["weekly"]["sun"] == [{"start": "14:00", "end": "02:00"}]
    assert body["weekly"]["mon"] == []
    assert body["exceptions"] == [
        {"date": "2026-12-25", "closed": True, "ranges": [], "label": "Noël"}
    ]
    changed = events(commune, "duty.schedule_changed")
    assert len(changed) == 1 and changed[0].payload == {"ranges": 1, "exceptions": 1}
    assert changed[0].actor_id == cast[Role.COORDINATOR].membership.pk

    # The same again changes nothing and leaves no event.
    assert put(coordinator, "/api/v1/duty/schedule", wanted).status_code == 200
    assert len(events(commune, "duty.schedule_changed")) == 1
    # Only the coordinator sets them.
    refused = put(cast[Role.OPERATOR].client(), "/api/v1/duty/schedule", wanted)
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"weekly": {"mon": [{"start": "25:00", "end": "26:00"}]}}, "invalid_time", None),
        (
            {
                "weekly": {
                    "mon": [{"start": "08:00", "end": "12:00"}, {"start": "10:00", "end": "14:00"}]
                }
            },
            "overlapping_ranges",
            "weekly.mon[1]",
        ),
        ({"weekly": {"lundi": []}}, "unknown_weekday", "weekly.lundi"),
    ],
)
def test_a_refused_schedule_stores_nothing_and_says_why_in_french(
    commune: Commune, cast: dict[str, factory.Persona], body: Any, code: str, field: str | None
) -> None:
    answer = put(cast[Role.COORDINATOR].client(), "/api/v1/duty/schedule", body)
    assert answer.status_code == 400, answer.content
    error = answer.json()
    assert error["code"] == code
    if field is not None:
        assert error["field"] == field
    assert not DutySchedule.objects.filter(commune=commune).exists()
    assert events(commune, "duty.schedule_changed") == []


def test_presence_rows_of_two_processes_count_until_both_leave_or_go_stale(
    commune: Commune, cast: dict[str, factory.Persona], settings: Any
) -> None:
    operator = cast[Role.OPERATOR]
    assert not presence.operators_connected(commune)
    first = presence.arrive(operator.membership, operator.device, process="web-1:100")
    second = presence.arrive(operator.membership, operator.device, process="web-2:200")
    assert OperatorPresence.objects.filter(commune=commune).count() == 2
    assert presence.operators_connected(commune)
    presence.leave(first)
    assert presence.operators_connected(commune)
    # The second process died without leaving: its row stops counting once stale.
    stale = timezone.now() - timedelta(seconds=settings.DUTY_PRESENCE_STALE_SECONDS + 1)
    OperatorPresence.objects.filter(pk=second).update(seen_at=stale)
    assert not presence.operators_connected(commune)
    presence.beat(second)
    assert presence.operators_connected(commune)
    presence.leave(second)
    assert not presence.operators_connected(commune)
    # A merchant's stream never counts (the stream does not even record it).
    merchant = cast[Role.MERCHANT]
    presence.arrive(merchant.membership, merchant.device)
    assert OperatorPresence.objects.filter(membership=merchant.membership).exists()


def test_reachability_is_on_duty_and_an_operator_connected(
    commune: Commune, cast: dict[str, factory.Persona], duty_clock: Clock
) -> None:
    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT].client()

    def reach() -> dict[str, bool]:
        answer = merchant.get("/api/v1/duty/reachability")
        assert answer.status_code == 200
        return dict(answer.json())

    duty_clock(MONDAY_MORNING)
    assert reach() == {
        "reachable": False,
        "on_duty": True,
        "operators_connected": False,
        "fallback": False,
    }
    assert reachable(commune) is False
    row = presence.arrive(operator.membership, operator.device)
    assert reach()["reachable"] is True
    assert reachable(commune) is True
    duty_clock(SUNDAY)
    assert reach() == {
        "reachable": False,
        "on_duty": False,
        "operators_connected": True,
        "fallback": False,
    }
    presence.leave(row)
    partner = cast[Role.PARTNER]
    name_fallback(cast, partner)
    assert status(commune).fallback is True
    assert reach()["fallback"] is True
    # Every role reads it; another commune's member reads its own commune's.
    assert cast[Role.PARTNER].client().get("/api/v1/duty/reachability").status_code == 200


def test_only_partners_can_be_fallback_recipients(
    commune: Commune, cast: dict[str, factory.Persona]
) -> None:
    coordinator = cast[Role.COORDINATOR].client()
    partner = cast[Role.PARTNER].membership
    listed = coordinator.get("/api/v1/duty/fallback").json()
    assert listed["recipients"] == []
    assert [c["membership"] for c in listed["candidates"]] == [str(partner.public_id)]

    operator = cast[Role.OPERATOR].membership
    refused = put(coordinator, "/api/v1/duty/fallback", {"recipients": [str(operator.public_id)]})
    assert refused.status_code == 400 and refused.json()["code"] == "not_partner"
    assert refused.json()["field"] == "recipients[0]"
    elsewhere = factory.make_member(Role.PARTNER, factory.make_commune()).membership
    unknown = put(coordinator, "/api/v1/duty/fallback", {"recipients": [str(elsewhere.public_id)]})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_member"
    assert not FallbackRecipient.objects.exists()
    assert events(commune, "duty.fallback_changed") == []

    answer = put(coordinator, "/api/v1/duty/fallback", {"recipients": [str(partner.public_id)]})
    assert answer.status_code == 200, answer.content
    assert [r["membership"] for r in answer.json()["recipients"]] == [str(partner.public_id)]
    changed = events(commune, "duty.fallback_changed")
    assert len(changed) == 1 and changed[0].payload == {"recipients": [str(partner.public_id)]}
    assert (
        put(cast[Role.OPERATOR].client(), "/api/v1/duty/fallback", {"recipients": []}).status_code
        == 403
    )


def _directory(client: Client) -> dict[str, Any]:
    answer = client.get("/api/v1/trust/recipients")
    assert answer.status_code == 200, answer.content
    return dict(answer.json())


def test_the_directory_lists_the_fallback_devices_only_while_the_police_is_unreachable(
    commune: Commune, cast: dict[str, factory.Persona], duty_clock: Clock
) -> None:
    merchant, operator, partner = cast[Role.MERCHANT], cast[Role.OPERATOR], cast[Role.PARTNER]
    name_fallback(cast, partner)
    client = merchant.client()
    partner_id = str(partner.device.public_id)

    duty_clock(MONDAY_MORNING)
    row = presence.arrive(operator.membership, operator.device)
    reachable = _directory(client)
    assert partner_id not in [entry["device"] for entry in reachable["devices"]]
    assert all("fallback" not in entry for entry in reachable["devices"])

    duty_clock(SUNDAY)  # off duty, although the operator is connected
    off = _directory(client)
    entries = {entry["device"]: entry for entry in off["devices"]}
    assert entries[partner_id]["fallback"] is True
    assert "fallback" not in entries[str(operator.device.public_id)]
    assert "fallback" not in entries[str(merchant.device.public_id)]

    duty_clock(MONDAY_MORNING)
    presence.leave(row)  # on duty, nobody connected
    assert partner_id in [entry["device"] for entry in _directory(client)["devices"]]
    # Never for a message in an incident nor a sector alert.
    sector = merchant.shop.sector_id
    alert = client.get(f"/api/v1/trust/recipients?sector={sector}").json()
    assert partner_id not in [entry["device"] for entry in alert["devices"]]


def test_the_partner_sees_only_the_reports_sealed_to_it(
    media: Any, commune: Commune, cast: dict[str, factory.Persona]
) -> None:
    merchant, operator, partner = cast[Role.MERCHANT], cast[Role.OPERATOR], cast[Role.PARTNER]
    client = merchant.client()
    sealed_to_partner = Draft(merchant, readers=[operator.device, partner.device])
    assert post_report(client, sealed_to_partner).status_code == 201
    police_only = Draft(merchant, readers=[operator.device])
    assert post_report(client, police_only).status_code == 201

    reader = partner.client()
    listed = reader.get("/api/v1/incidents")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()] == [sealed_to_partner.incident]
    messages = reader.get(f"/api/v1/incidents/{sealed_to_partner.incident}/messages")
    assert messages.status_code == 200 and len(messages.json()) == 1
    hidden = reader.get(f"/api/v1/incidents/{police_only.incident}/messages")
    assert hidden.status_code in (403, 404)
    assert Incident.objects.count() == 2
    # Nor does the partner report, post or see the commune's shops.
    assert reader.get("/api/v1/territory/shops").status_code == 403
    assert operator.client().get("/api/v1/incidents").json()[0]["id"] in {
        sealed_to_partner.incident,
        police_only.incident,
    }
