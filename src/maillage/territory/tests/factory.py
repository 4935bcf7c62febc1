"""Test data for the territory: communes, sectors, shops (members: members/tests/factory.py)."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from maillage.stream.action import CLI
from maillage.territory import actions
from maillage.territory.models import Commune, Sector, Shop
from maillage.territory.siret import luhn_check_digit

_counter = itertools.count(1)
_communes = itertools.count(1)


def valid_siret(number: int | None = None) -> str:
    """A Luhn-valid SIRET, different for every call unless `number` is given."""
    body = f"{number if number is not None else next(_counter) + 500_000:013d}"
    return body + luhn_check_digit(body)


def square(lon: float, lat: float, half: float = 0.005) -> dict[str, Any]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def make_commune(slug: str | None = None, name: str | None = None) -> Commune:
    number = next(_communes)
    return actions.create_commune(
        CLI,
        departement_code="78",
        departement_name="Yvelines",
        name=name or f"Commune {number}",
        slug=slug or f"commune-{number}",
        insee_code=f"{78000 + number:05d}",
        latitude=Decimal("48.990000"),
        longitude=Decimal("1.717000"),
    )


def make_sector(commune: Commune | None = None, name: str | None = None, slug: str = "") -> Sector:
    commune = commune or make_commune()
    return actions.create_sector(
        CLI,
        commune,
        name=name or f"Secteur {next(_counter)}",
        slug=slug,
        geojson=square(1.717, 48.99),
    )


def make_shop(commune: Commune | None = None, sector: Sector | None = None, **fields: Any) -> Shop:
    if sector is None:
        sector = make_sector(commune)
    commune = commune or sector.commune
    values: dict[str, Any] = {
        "enseigne": f"Boulangerie n° {next(_counter)}",
        "raison_sociale": "SARL MARTIN",
        "siret": valid_siret(),
        "address": "1 rue Nationale, 78200 Mantes-la-Jolie",
        "latitude": Decimal("48.990000"),
        "longitude": Decimal("1.717000"),
        "activity": "boulangerie",
    }
    values.update(fields)
    return actions.create_shop(CLI, commune, sector=sector, **values)
