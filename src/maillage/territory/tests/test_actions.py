"""Territory actions refuse bad values with the field and a French message."""

from __future__ import annotations

import pytest

from maillage.errors import ApiError
from maillage.stream.action import CLI
from maillage.territory import actions
from maillage.territory.models import Shop
from maillage.territory.tests.factory import make_commune, make_sector, make_shop, square

pytestmark = pytest.mark.django_db


def refusal(call: object, **kwargs: object) -> ApiError:
    with pytest.raises(ApiError) as refused:
        call(**kwargs)  # type: ignore[operator]
    return refused.value


def test_it_creates_a_shop_with_a_spaced_siret() -> None:
    shop = make_shop(siret="443 061 841 00047", enseigne="  Optique   du Centre ")
    shop.refresh_from_db()
    assert (shop.siret, shop.enseigne) == ("44306184100047", "Optique du Centre")


def test_it_refuses_an_invalid_siret_as_422_on_the_siret_field() -> None:
    sector = make_sector()
    error = refusal(make_shop, sector=sector, siret="44306184100048")
    assert (error.status, error.field, error.code) == (422, "siret", "siret_checksum")
    assert error.message == "SIRET 44306184100048 invalide (clé de contrôle)."


def test_it_refuses_a_siret_already_registered_as_409() -> None:
    shop = make_shop()
    error = refusal(make_shop, siret=shop.siret)
    assert (error.status, error.code, error.field) == (409, "siret_taken", "siret")
    assert Shop.objects.count() == 1


def test_it_refuses_a_sector_of_another_commune() -> None:
    error = refusal(make_shop, commune=make_commune(), sector=make_sector())
    assert (error.status, error.field) == (422, "sector")


def test_it_refuses_missing_coordinates() -> None:
    error = refusal(make_shop, latitude="", longitude="")
    assert (error.field, error.message) == ("latitude", "Coordonnées manquantes.")


def test_it_refuses_a_second_sector_with_the_same_name() -> None:
    commune = make_commune()
    actions.create_sector(CLI, commune, name="Centre-ville")
    error = refusal(actions.create_sector, actor=CLI, commune=commune, name="centre-ville")
    assert (error.status, error.code) == (409, "sector_exists")


def test_it_derives_the_sector_slug_and_checks_its_outline() -> None:
    commune = make_commune()
    sector = actions.create_sector(CLI, commune, name="Val Fourré", geojson=square(1.69, 48.98))
    assert sector.slug == "val-fourre"
    error = refusal(
        actions.create_sector, actor=CLI, commune=commune, name="Gare", geojson={"type": "Point"}
    )
    assert (error.status, error.field) == (422, "geojson")


def test_it_refuses_a_commune_slug_or_insee_code_twice() -> None:
    commune = make_commune()
    error = refusal(
        actions.create_commune,
        actor=CLI,
        departement_code="78",
        departement_name="Yvelines",
        name="Autre",
        slug=commune.slug,
        insee_code="78361",
    )
    assert (error.status, error.field) == (409, "slug")
