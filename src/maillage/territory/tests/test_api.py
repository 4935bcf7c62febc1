"""The territory API: bounded by commune, shaped by role."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.territory.models import Commune, Sector, Shop
from maillage.territory.tests.factory import make_sector, make_shop, valid_siret

pytestmark = pytest.mark.django_db

BASE = "/api/v1/territory"


@pytest.fixture
def sector(commune: Commune) -> Sector:
    return make_sector(commune, name="Centre-ville")


@pytest.fixture
def coordinator(commune: Commune) -> Client:
    return factory.make_member(Role.COORDINATOR, commune).client()


def new_shop(target: Sector, **values: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "enseigne": "Bijouterie Saint-Maclou",
        "raison_sociale": "SAS SAINT-MACLOU",
        "siret": valid_siret(),
        "address": "3 rue Nationale, 78200 Mantes-la-Jolie",
        "latitude": 48.9905,
        "longitude": 1.7172,
        "sector": target.slug,
        "activity": "bijouterie",
    }
    payload.update(values)
    return payload


def test_it_lists_sectors_with_their_shop_count(coordinator: Client, sector: Sector) -> None:
    make_shop(sector=sector)
    make_shop(sector=sector)
    make_sector(factory.make_commune())

    response = coordinator.get(f"{BASE}/sectors")

    assert response.status_code == 200
    [listed] = response.json()
    assert (listed["slug"], listed["shop_count"]) == ("centre-ville", 2)
    assert listed["geojson"]["type"] == "Polygon"


def test_it_lists_only_the_commune_s_shops_filtered_by_sector(
    coordinator: Client, commune: Commune, sector: Sector
) -> None:
    shop = make_shop(sector=sector)
    make_shop(sector=make_sector(commune, name="Gare"))
    make_shop(factory.make_commune())

    everything = coordinator.get(f"{BASE}/shops").json()
    centre = coordinator.get(f"{BASE}/shops", {"sector": "centre-ville"}).json()

    assert len(everything) == 2
    assert [item["id"] for item in centre] == [str(shop.public_id)]
    assert centre[0]["sector"] == {"id": sector.pk, "name": "Centre-ville", "slug": "centre-ville"}
    assert centre[0]["siret"] == shop.siret


def test_it_shows_a_merchant_only_their_own_shop(commune: Commune, sector: Sector) -> None:
    own = make_shop(sector=sector)
    other = make_shop(sector=sector)
    merchant = factory.make_member(Role.MERCHANT, commune, shop=own).client()

    assert [item["id"] for item in merchant.get(f"{BASE}/shops").json()] == [str(own.public_id)]
    assert merchant.get(f"{BASE}/shops/{own.public_id}").status_code == 200
    assert merchant.get(f"{BASE}/shops/{other.public_id}").status_code == 403


def test_it_answers_404_for_a_shop_of_another_commune(coordinator: Client) -> None:
    elsewhere = make_shop(factory.make_commune())

    response = coordinator.get(f"{BASE}/shops/{elsewhere.public_id}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert coordinator.get(f"{BASE}/shops/{uuid.uuid4()}").status_code == 404


def test_it_lets_a_coordinator_create_a_shop(
    coordinator: Client, commune: Commune, sector: Sector
) -> None:
    response = coordinator.post(f"{BASE}/shops", new_shop(sector), content_type="application/json")

    assert response.status_code == 201
    created = Shop.objects.get(public_id=response.json()["id"])
    assert (created.commune, created.sector, created.enseigne) == (
        commune,
        sector,
        "Bijouterie Saint-Maclou",
    )


def test_it_forbids_a_merchant_to_create_a_shop(commune: Commune, sector: Sector) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune).client()
    before = Shop.objects.count()

    response = merchant.post(f"{BASE}/shops", new_shop(sector), content_type="application/json")

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Shop.objects.count() == before


def test_it_refuses_an_invalid_siret_with_a_french_message(
    coordinator: Client, sector: Sector
) -> None:
    response = coordinator.post(
        f"{BASE}/shops", new_shop(sector, siret="123"), content_type="application/json"
    )

    assert response.status_code == 422
    assert response.json() == {
        "code": "siret_length",
        "message": "SIRET 123 invalide (14 chiffres attendus).",
        "field": "siret",
    }


def test_it_answers_409_for_a_siret_already_registered(coordinator: Client, sector: Sector) -> None:
    existing = make_shop(factory.make_commune())
    response = coordinator.post(
        f"{BASE}/shops", new_shop(sector, siret=existing.siret), content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["field"] == "siret"


def test_it_refuses_a_sector_of_another_commune(coordinator: Client) -> None:
    foreign = make_sector(factory.make_commune())
    response = coordinator.post(
        f"{BASE}/shops", new_shop(foreign, sector=foreign.pk), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == "sector"


def test_it_imports_a_csv_upload(coordinator: Client, sector: Sector) -> None:
    data = (
        "enseigne;raison_sociale;siret;adresse;latitude;longitude;secteur;activite\n"
        f"Fleurs du Marché;SARL FLEURS;{valid_siret()};2 place du Marché;48.99;1.717;"
        "Centre-ville;fleuriste\n"
    ).encode()

    response = coordinator.post(
        f"{BASE}/import", {"file": SimpleUploadedFile("commerces.csv", data, "text/csv")}
    )

    assert response.status_code == 201
    assert response.json() == {"created": 1, "message": "1 commerce importé."}


def test_it_rejects_a_csv_upload_as_a_whole(coordinator: Client, sector: Sector) -> None:
    data = (
        "enseigne;raison_sociale;siret;adresse;latitude;longitude;secteur;activite\n"
        f"Fleurs du Marché;;{valid_siret()};2 place du Marché;48.99;1.717;Centre-ville;\n"
        f"Tabac de la Gare;;{valid_siret()};1 avenue de la Gare;48.99;1.71;Gare Nord;\n"
    ).encode()

    response = coordinator.post(
        f"{BASE}/import", {"file": SimpleUploadedFile("commerces.csv", data, "text/csv")}
    )

    assert response.status_code == 422
    assert response.json() == {
        "code": "import_rejected",
        "message": "Import refusé : 1 ligne en erreur, aucun commerce enregistré.",
        "field": "file",
        "errors": [
            {"line": 3, "field": "sector", "message": "Ligne 3 : secteur « Gare Nord » inconnu"}
        ],
    }
    assert not Shop.objects.exists()


def test_it_forbids_a_merchant_to_import(commune: Commune) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune).client()
    response = merchant.post(
        f"{BASE}/import", {"file": SimpleUploadedFile("c.csv", b"enseigne\n", "text/csv")}
    )
    assert response.status_code == 403


def test_it_keeps_the_dpo_out_of_the_shop_list(commune: Commune) -> None:
    dpo = factory.make_member(Role.DPO, commune).client()
    assert dpo.get(f"{BASE}/sectors").status_code == 200
    assert dpo.get(f"{BASE}/shops").status_code == 403


def test_it_asks_strangers_to_sign_in() -> None:
    response = Client().get(f"{BASE}/sectors")
    assert response.status_code == 401
