"""The demo town: the same 140-odd plausible shops, each inside its own sector."""

from __future__ import annotations

import pytest

from maillage.demo.territory import (
    DEMO_INSEE_CODE,
    DEMO_SLUG,
    SECTORS,
    demo_territory_plan,
    seed_demo_territory,
)
from maillage.territory.geo import contains
from maillage.territory.models import Commune, Sector, Shop
from maillage.territory.siret import is_valid_siret


def test_it_plans_the_same_town_every_time() -> None:
    assert demo_territory_plan() == demo_territory_plan()


@pytest.mark.django_db
def test_it_seeds_a_mantes_shaped_commune() -> None:
    commune = seed_demo_territory()

    assert (commune.slug, commune.insee_code, commune.departement.code) == (
        DEMO_SLUG,
        DEMO_INSEE_CODE,
        "78",
    )
    assert commune.is_demo
    assert sorted(commune.sectors.values_list("name", flat=True)) == sorted(
        plan.name for plan in SECTORS
    )
    assert 130 <= commune.shops.count() <= 150
    assert len(set(commune.shops.values_list("enseigne", flat=True))) == commune.shops.count()


@pytest.mark.django_db
def test_it_gives_every_shop_a_valid_siret() -> None:
    commune = seed_demo_territory()
    sirets = list(commune.shops.values_list("siret", flat=True))
    assert all(is_valid_siret(siret) for siret in sirets)
    assert len(set(sirets)) == len(sirets)


@pytest.mark.django_db
def test_it_places_every_shop_inside_its_sector_and_no_other() -> None:
    commune = seed_demo_territory()
    sectors = list(Sector.objects.filter(commune=commune))
    for shop in Shop.objects.filter(commune=commune):
        lon, lat = float(shop.longitude), float(shop.latitude)
        containing = [sector.pk for sector in sectors if contains(sector.geojson, lon, lat)]
        assert containing == [shop.sector_id], shop.enseigne


@pytest.mark.django_db
def test_it_is_idempotent() -> None:
    first = seed_demo_territory()
    second = seed_demo_territory()
    assert second.pk == first.pk
    assert Commune.objects.filter(slug=DEMO_SLUG).count() == 1
    assert Shop.objects.count() == len(demo_territory_plan())
