"""Each converted action appends exactly one event, with its actor, kind and payload."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from maillage.incidents.models import Incident
from maillage.incidents.tests.conftest import media  # noqa: F401 - fixture
from maillage.incidents.tests.helpers import Draft, make_incident, post_message, post_report
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream import log
from maillage.stream.action import CLI, Actor
from maillage.stream.models import ActorKind, Event
from maillage.stream.tests.helpers import events
from maillage.territory import actions as territory
from maillage.territory.models import Commune, Sector, Shop
from maillage.territory.tests.factory import make_commune, make_sector
from maillage.territory.tests.test_api import new_shop
from maillage.territory.tests.test_csv_import import csv_of, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(commune: Commune) -> factory.Persona:
    return factory.certifier_of(commune)


def new_events(commune: Commune, after: int) -> list[Event]:
    return [event for event in events(commune) if event.seq > after]


def head(commune: Commune) -> int:
    return events(commune)[-1].seq


def assert_member_actor(event: Event, persona: factory.Persona) -> None:
    assert event.actor_kind == ActorKind.MEMBER
    assert event.actor == persona.membership
    assert event.actor_device == persona.device.public_id


def test_create_commune_is_seq_1_by_the_cli() -> None:
    commune = make_commune(slug="pontoise", name="Pontoise")
    [event] = events(commune)
    assert (event.seq, event.kind, event.actor_kind, event.actor, event.actor_device) == (
        1,
        "commune.created",
        ActorKind.CLI,
        None,
        None,
    )
    assert (event.target_type, event.target_id) == ("commune", str(commune.public_id))
    assert event.payload == {
        "name": "Pontoise",
        "slug": "pontoise",
        "insee_code": commune.insee_code,
        "is_demo": False,
    }


def test_create_sector_records_the_member_and_device(
    commune: Commune, coordinator: factory.Persona
) -> None:
    before = head(commune)
    sector = territory.create_sector(
        Actor.member(coordinator.membership, coordinator.device), commune, name="Gare Sud"
    )
    [event] = new_events(commune, before)
    assert event.kind == "sector.created"
    assert_member_actor(event, coordinator)
    assert (event.target_type, event.target_id) == ("sector", str(sector.pk))
    assert event.payload == {"name": "Gare Sud", "slug": "gare-sud"}
    assert (event.shop, event.member) == (None, None)


def test_a_refused_sector_leaves_no_event(commune: Commune) -> None:
    make_sector(commune, name="Gare")
    before = head(commune)
    with pytest.raises(Exception, match="existe"):
        territory.create_sector(CLI, commune, name="gare")
    assert new_events(commune, before) == []


def test_create_shop_through_the_api(commune: Commune, coordinator: factory.Persona) -> None:
    sector = make_sector(commune, name="Centre")
    before = head(commune)
    response = coordinator.client().post(
        "/api/v1/territory/shops",
        new_shop(sector),
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    shop = Shop.objects.get(public_id=response.json()["id"])
    [event] = new_events(commune, before)
    assert event.kind == "shop.created"
    assert_member_actor(event, coordinator)
    assert (event.target_type, event.target_id, event.shop) == ("shop", str(shop.public_id), shop)
    assert event.payload == {
        "enseigne": shop.enseigne,
        "sector": "centre",
        "activity": shop.activity,
    }


def test_a_refused_shop_leaves_no_event(commune: Commune, coordinator: factory.Persona) -> None:
    sector = make_sector(commune)
    before = head(commune)
    response = coordinator.client().post(
        "/api/v1/territory/shops",
        new_shop(sector, siret="44306184100048"),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert new_events(commune, before) == []


def test_an_import_is_one_event_with_counts(commune: Commune, coordinator: factory.Persona) -> None:
    make_sector(commune, name="Centre-ville")
    make_sector(commune, name="Gare")
    before = head(commune)
    data = csv_of(row(), row(secteur="Gare"), row(secteur="Gare"))
    response = coordinator.client().post(
        "/api/v1/territory/import",
        {"file": SimpleUploadedFile("commerces.csv", data, "text/csv")},
    )
    assert response.status_code == 201, response.json()
    [event] = new_events(commune, before)
    assert event.kind == "shops.imported"
    assert_member_actor(event, coordinator)
    assert (event.target_type, event.target_id) == ("commune", str(commune.public_id))
    assert event.payload == {"created": 3, "sectors": 2}


def test_a_refused_import_leaves_no_event(commune: Commune) -> None:
    before = head(commune)
    result = territory.import_shops(CLI, commune, csv_of(row(secteur="Nulle part")))
    assert not result.ok
    assert new_events(commune, before) == []


def test_the_import_command_acts_as_the_cli(tmp_path: Path, commune: Commune) -> None:
    from django.core.management import call_command

    make_sector(commune, name="Centre-ville")
    path = tmp_path / "commerces.csv"
    path.write_bytes(csv_of(row()))
    before = head(commune)
    call_command("import_shops", str(path), commune=commune.slug)
    [event] = new_events(commune, before)
    assert (event.kind, event.actor_kind, event.actor) == ("shops.imported", "cli", None)


def test_a_report_is_one_event_and_its_retry_none(media: Path, commune: Commune) -> None:  # noqa: F811
    merchant = factory.make_member(Role.MERCHANT, commune)
    before = head(commune)
    draft = Draft(merchant, attachments=[b"sealed" * 10, b"more" * 10])
    sealed = draft.seal()
    client = merchant.client()
    assert post_report(client, draft, sealed).status_code == 201
    assert post_report(client, draft, sealed).status_code == 200
    [event] = new_events(commune, before)
    incident = Incident.objects.get(public_id=draft.incident)
    assert event.kind == "incident.reported"
    assert_member_actor(event, merchant)
    assert (event.target_type, event.target_id) == ("incident", draft.incident)
    assert event.shop == merchant.shop == incident.shop
    assert event.payload == {
        "message": draft.message,
        "attachments": 2,
        "category": "vol",
        "severity": "medium",
        "neighbours": False,
        "unreachable": True,  # no operator is connected to a stream in this test
        "exercise": None,  # no drill runs
    }


def test_a_message_is_one_event_and_its_retry_none(media: Path, commune: Commune) -> None:  # noqa: F811
    merchant = factory.make_member(Role.MERCHANT, commune)
    operator = factory.make_member(Role.OPERATOR, commune)
    incident, _ = make_incident(merchant)
    before = head(commune)
    reply = Draft(operator, incident=str(incident.public_id), text="Patrouille en route.")
    reply.readers = [merchant.device]
    sealed = reply.seal()
    client = operator.client()
    assert post_message(client, reply, sealed).status_code == 201
    assert post_message(client, reply, sealed).status_code == 200
    [event] = new_events(commune, before)
    assert event.kind == "message.posted"
    assert_member_actor(event, operator)
    assert (event.target_id, event.shop) == (str(incident.public_id), incident.shop)
    assert event.payload == {"message": reply.message, "attachments": 0}


def test_a_refused_message_leaves_no_event(media: Path, commune: Commune) -> None:  # noqa: F811
    merchant = factory.make_member(Role.MERCHANT, commune)
    incident, _ = make_incident(merchant)
    before = head(commune)
    moved = Draft(
        merchant, incident=str(incident.public_id), commune=str(factory.make_commune().public_id)
    )
    assert post_message(merchant.client(), moved).status_code == 400
    assert new_events(commune, before) == []


def test_the_demo_territory_is_logged_and_chained() -> None:
    from maillage.demo.territory import seed_demo_territory

    commune = seed_demo_territory()
    log_rows = events(commune)
    assert {event.actor_kind for event in log_rows} == {ActorKind.DEMO}
    assert [event.kind for event in log_rows[:2]] == ["commune.created", "sector.created"]
    shops = Shop.objects.filter(commune=commune).count()
    sectors = Sector.objects.filter(commune=commune).count()
    assert len(log_rows) == 1 + sectors + shops
    assert log.verify_chain(commune).ok
