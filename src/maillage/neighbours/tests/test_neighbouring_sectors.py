"""Neighbouring sectors: the mairie declares them (both ways, one event), their shops then
hold the sector's key and receive its alerts, live and listed, and lose them when the
neighbourhood is undone (the key must be rotated). Sealed and opened with the real wire
code and keys, as the street's devices do."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from maillage.access.policy import sectors_reached
from maillage.members.models import Membership, Role
from maillage.members.tests import factory
from maillage.stream.delivery import sealed_for
from maillage.stream.fanout import render
from maillage.stream.models import Event
from maillage.stream.sse import Connection, StreamAccess
from maillage.stream.tests.helpers import assert_by, head, since
from maillage.stream.visibility import visible_to
from maillage.territory.tests import factory as territory_factory
from maillage.trust import group_keys
from maillage.trust.models import Device, GroupKey
from maillage.trust.tests import group_key_factory as keys

from .helpers import Street, listed, make_street, open_alert, send

pytestmark = pytest.mark.django_db

SECTORS = "/api/v1/territory/sectors"


@pytest.fixture
def street() -> Street:
    return make_street()


@pytest.fixture
def coordinator(street: Street) -> factory.Persona:
    return factory.make_member(Role.COORDINATOR, street.commune)


def neighbours_of(persona: factory.Persona) -> dict[str, list[int]]:
    response = persona.client().get(SECTORS)
    assert response.status_code == 200, response.content
    return {s["name"]: s["neighbours"] for s in response.json()}


def declare(coordinator: factory.Persona, sector: Any, neighbours: list[int]) -> Any:
    return coordinator.client().put(
        f"{SECTORS}/{sector.pk}/neighbours",
        data={"neighbours": neighbours},
        content_type="application/json",
    )


def fresh(persona: factory.Persona) -> Membership:
    """The member as a new request or stream loads it (its reach read anew)."""
    return Membership.objects.select_related("commune", "shop", "shop__sector").get(
        pk=persona.membership.pk
    )


def test_the_coordinator_declares_neighbours_both_ways_in_one_event(
    street: Street, coordinator: factory.Persona
) -> None:
    assert neighbours_of(coordinator) == {"Centre": [], "Gare": []}
    before = head(street.commune)
    response = declare(coordinator, street.sector_a, [street.sector_b.pk])
    assert response.status_code == 200, response.content
    assert response.json()["neighbours"] == [street.sector_b.pk]
    [event] = since(street.commune, before)
    assert event.kind == "sector.neighbours_changed"
    assert_by(event, coordinator.membership, coordinator.device)
    assert (event.target_type, event.target_id) == ("sector", str(street.sector_a.pk))
    assert event.payload == {
        "neighbours": [street.sector_b.pk],
        "added": [street.sector_b.pk],
        "removed": [],
    }
    assert neighbours_of(street.operator) == {
        "Centre": [street.sector_b.pk],
        "Gare": [street.sector_a.pk],
    }
    # The far shop's session names the sector it now also hears from.
    session = street.far.client().get("/api/v1/session").json()
    assert session["neighbour_sectors"] == [{"id": street.sector_a.pk, "name": "Centre"}]
    assert street.operator.client().get("/api/v1/session").json()["neighbour_sectors"] == []

    # The same list again changes nothing and records nothing.
    before = head(street.commune)
    assert declare(coordinator, street.sector_a, [street.sector_b.pk]).status_code == 200
    assert since(street.commune, before) == []


def test_refused_lists_store_nothing(street: Street, coordinator: factory.Persona) -> None:
    elsewhere = territory_factory.make_sector(factory.make_commune(), name="Ailleurs")
    before = head(street.commune)
    cases = [
        (coordinator, street.sector_a.pk, [street.sector_a.pk], 422, "self"),
        (coordinator, street.sector_a.pk, [elsewhere.pk], 422, "unknown"),
        (coordinator, street.sector_a.pk, [street.sector_b.pk, 2**62], 422, "unknown"),
        (coordinator, street.sector_a.pk, [0], 422, None),
        (coordinator, street.sector_a.pk, [2**64], 422, None),
        (coordinator, elsewhere.pk, [street.sector_b.pk], 404, "not_found"),
        (coordinator, 2**70, [street.sector_b.pk], 404, "not_found"),
        (street.operator, street.sector_a.pk, [street.sector_b.pk], 403, "forbidden"),
        (street.far, street.sector_b.pk, [street.sector_a.pk], 403, "forbidden"),
    ]
    for persona, sector, neighbours, status, code in cases:
        response = persona.client().put(
            f"{SECTORS}/{sector}/neighbours",
            data={"neighbours": neighbours},
            content_type="application/json",
        )
        assert response.status_code == status, (sector, neighbours, response.content)
        body = response.json()
        assert body["message"], body
        if code is not None:
            assert body["code"] == code, body
    assert since(street.commune, before) == []
    assert neighbours_of(coordinator) == {"Centre": [], "Gare": []}


def test_a_neighbouring_sectors_shop_gets_the_key_and_the_alert_then_loses_them(
    street: Street, coordinator: factory.Persona
) -> None:
    scope_a = group_keys.scope_of(street.commune, street.scope_a)

    def entitled() -> set[int]:
        return {c.device_id for c in group_keys.entitled_certificates(scope_a)}

    assert street.far.device.pk not in entitled()
    assert sectors_reached(fresh(street.far)) == {street.sector_b.pk}
    assert declare(coordinator, street.sector_a, [street.sector_b.pk]).status_code == 200
    assert street.far.device.pk in entitled()
    assert sectors_reached(fresh(street.far)) == {street.sector_a.pk, street.sector_b.pk}
    # The console sees the far shop waiting for sector A's key, and hands it over.
    pending = street.operator.client().get(f"/api/v1/group-keys/{street.scope_a}/pending")
    assert pending.status_code == 200, pending.content
    assert str(street.far.device.public_id) in {d["device"] for d in pending.json()["devices"]}
    granted = street.operator.client().post(
        "/api/v1/group-keys/grants",
        data={"grants": [keys.grant(street.operator, street.key_a, street.far.device).to_wire()]},
        content_type="application/json",
    )
    assert granted.status_code == 201, granted.content

    text = "Deux individus partis en courant vers la gare, l'un en veste rouge."
    response = send(street.reporter, street.key_a, text)
    assert response.status_code == 201, response.content
    alert = response.json()
    before = head(street.commune)
    validated = street.operator.client().post(f"/api/v1/neighbours/alerts/{alert['id']}/validate")
    assert validated.status_code == 200, validated.content
    [event] = since(street.commune, before)
    # Live: the far shop's stream offers it, sealed to its device; listed, it opens.
    assert visible_to(event, fresh(street.far))
    assert str(street.far.device.public_id) in sealed_for([event])[event.seq].recipients
    [item] = listed(street.far)
    assert (item["id"], item["sector"]["name"]) == (alert["id"], "Centre")
    assert open_alert(street.far, item).text == text
    # A neighbour's shop cannot write to the other sector: it only hears it.
    refused = send(street.far, street.key_a, "Message du fleuriste au Centre.")
    assert refused.status_code == 403, refused.content

    # Undone: the far shop no longer sees sector A, and sector A's key must be rotated.
    newest = GroupKey.objects.get(commune=street.commune, scope=street.scope_a, number=1)
    assert not group_keys.rotation_needed(newest, scope_a)
    assert declare(coordinator, street.sector_a, []).status_code == 200
    assert street.far.device.pk not in entitled()
    assert group_keys.rotation_needed(newest, scope_a)
    assert not visible_to(event, fresh(street.far))
    assert listed(street.far) == []
    answer = street.operator.client().get(f"/api/v1/group-keys/{street.scope_a}")
    assert answer.json()["rotation_needed"] is True
    assert street.far.client().get(f"/api/v1/group-keys/{street.scope_a}").status_code == 403


def test_an_open_stream_reads_the_sectors_again_when_the_mairie_redraws_them(
    street: Street, coordinator: factory.Persona
) -> None:
    def access(persona: factory.Persona) -> StreamAccess:
        return StreamAccess("key", fresh(persona), Device.objects.get(pk=persona.device.pk))

    merchant = Connection(None, access(street.far), send=None)  # type: ignore[arg-type]
    operator = Connection(None, access(street.operator), send=None)  # type: ignore[arg-type]
    signature = merchant.access.signature()
    before = head(street.commune)
    assert declare(coordinator, street.sector_a, [street.sector_b.pk]).status_code == 200
    [item] = render(list(Event.objects.filter(commune=street.commune, seq__gt=before)), None)
    assert merchant.control(item) == "recheck"
    assert operator.control(item) is None
    assert access(street.far).signature() != signature

    # The far shop's own shop moving sector rechecks it, not another shop's.
    def shop_updated(shop: Any) -> Any:
        event = Event(
            commune=street.commune, seq=10_000, kind="shop.updated", actor_kind="cli",
            at=timezone.now(), target_type="shop", target_id=str(shop.public_id), shop=shop,
            payload={},
        )  # fmt: skip
        return render([event], None)[0]

    assert merchant.control(shop_updated(street.far.membership.shop)) == "recheck"
    assert merchant.control(shop_updated(street.reporter.membership.shop)) is None
