"""Editing a shop (PATCH /territory/shops/{id}) and searching the shop list (?q=)."""

from __future__ import annotations

import pytest
from django.test import Client

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.kinds import Kind
from maillage.stream.models import Event
from maillage.territory.models import Commune, Sector, Shop
from maillage.territory.tests.factory import make_sector, make_shop, valid_siret

pytestmark = pytest.mark.django_db

BASE = "/api/v1/territory"


@pytest.fixture
def sector(commune: Commune) -> Sector:
    return make_sector(commune, name="Centre-ville")


@pytest.fixture
def shop(commune: Commune, sector: Sector) -> Shop:
    return make_shop(commune, sector, enseigne="Boulangerie du Marché")


@pytest.fixture
def coordinator(commune: Commune) -> Client:
    return factory.make_member(Role.COORDINATOR, commune).client()


def patch(client: Client, shop: Shop, **values: object) -> object:
    return client.patch(f"{BASE}/shops/{shop.public_id}", values, content_type="application/json")


def events(commune: Commune, kind: Kind) -> list[Event]:
    return list(Event.objects.filter(commune=commune, kind=kind).order_by("seq"))


def test_a_coordinator_edits_a_shop_with_one_event(
    coordinator: Client, commune: Commune, shop: Shop
) -> None:
    other = make_sector(commune, name="Gare")
    siret = valid_siret()

    response = patch(
        coordinator, shop, enseigne="  Boulangerie  de la Gare ", sector=other.slug, siret=siret
    )

    assert response.status_code == 200, response.content  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert (body["enseigne"], body["sector"]["slug"], body["siret"]) == (
        "Boulangerie de la Gare",
        "gare",
        siret,
    )
    shop.refresh_from_db()
    assert (shop.enseigne, shop.sector_id, shop.siret) == (
        "Boulangerie de la Gare",
        other.pk,
        siret,
    )
    [event] = events(commune, Kind.SHOP_UPDATED)
    assert event.payload == {
        "enseigne": "Boulangerie de la Gare",
        "sector": "gare",
        "activity": shop.activity,
        "changed": ["enseigne", "siret", "sector"],
    }
    assert event.shop_id == shop.pk


def test_an_edit_that_changes_nothing_records_nothing(coordinator: Client, shop: Shop) -> None:
    response = patch(coordinator, shop, enseigne=shop.enseigne, siret=shop.siret)

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert events(shop.commune, Kind.SHOP_UPDATED) == []


def test_a_bad_siret_is_refused_in_french_and_nothing_changes(
    coordinator: Client, shop: Shop
) -> None:
    before = (shop.enseigne, shop.siret)
    bad = shop.siret[:-1] + str((int(shop.siret[-1]) + 1) % 10)

    response = patch(coordinator, shop, enseigne="Autre nom", siret=bad)

    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.json() == {  # type: ignore[attr-defined]
        "code": "siret_checksum",
        "message": f"SIRET {bad} invalide (clé de contrôle).",
        "field": "siret",
    }
    shop.refresh_from_db()
    assert (shop.enseigne, shop.siret) == before
    assert events(shop.commune, Kind.SHOP_UPDATED) == []


def test_an_empty_required_field_is_refused(coordinator: Client, shop: Shop) -> None:
    response = patch(coordinator, shop, address="   ")

    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.json()["field"] == "address"  # type: ignore[attr-defined]
    assert response.json()["message"] == "Adresse manquante."  # type: ignore[attr-defined]


def test_a_siret_of_another_shop_is_a_conflict(coordinator: Client, shop: Shop) -> None:
    other = make_shop(factory.make_commune())

    response = patch(coordinator, shop, siret=other.siret)

    assert response.status_code == 409  # type: ignore[attr-defined]
    assert response.json()["code"] == "siret_taken"  # type: ignore[attr-defined]
    assert Shop.objects.get(pk=shop.pk).siret != other.siret


def test_a_sector_of_another_commune_is_refused(coordinator: Client, shop: Shop) -> None:
    elsewhere = make_sector(factory.make_commune(), name="Ailleurs")

    response = patch(coordinator, shop, sector=elsewhere.pk)

    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.json()["field"] == "sector"  # type: ignore[attr-defined]
    assert Shop.objects.get(pk=shop.pk).sector_id == shop.sector_id


def test_out_of_range_coordinates_are_refused(coordinator: Client, shop: Shop) -> None:
    response = patch(coordinator, shop, latitude="91")

    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.json()["field"] == "latitude"  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", [Role.MERCHANT, Role.OPERATOR, Role.REFERENT, Role.DPO])
def test_only_the_coordinator_edits_a_shop(commune: Commune, shop: Shop, role: Role) -> None:
    persona = factory.make_member(role, commune, shop if role == Role.MERCHANT else None)

    response = patch(persona.client(), shop, enseigne="Pris par un autre rôle")

    assert response.status_code == 403  # type: ignore[attr-defined]
    assert response.json()["code"] == "forbidden"  # type: ignore[attr-defined]
    assert Shop.objects.get(pk=shop.pk).enseigne == "Boulangerie du Marché"
    assert events(commune, Kind.SHOP_UPDATED) == []


def test_a_shop_of_another_commune_is_not_found(coordinator: Client) -> None:
    elsewhere = make_shop(factory.make_commune())

    response = patch(coordinator, elsewhere, enseigne="Intrus")

    assert response.status_code == 404  # type: ignore[attr-defined]
    assert Shop.objects.get(pk=elsewhere.pk).enseigne != "Intrus"


def test_the_shop_list_is_searched_by_words(
    coordinator: Client, commune: Commune, sector: Sector, shop: Shop
) -> None:
    make_shop(commune, sector, enseigne="Pharmacie de la Gare")
    make_shop(commune, sector, enseigne="Tabac du Marché", address="2 place du Marché")

    def found(query: str) -> list[str]:
        response = coordinator.get(f"{BASE}/shops", {"q": query})
        assert response.status_code == 200
        return sorted(row["enseigne"] for row in response.json())

    assert found("marché") == ["Boulangerie du Marché", "Tabac du Marché"]
    assert found("tabac marché") == ["Tabac du Marché"]
    assert found(shop.siret) == ["Boulangerie du Marché"]
    assert found("introuvable") == []
