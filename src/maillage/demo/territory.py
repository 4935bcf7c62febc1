"""The demo commune's territory: a fictional town shaped like Mantes-la-Jolie.

Département 78 (Yvelines), commune « Mantes-la-Jolie (démo) », slug `demo-mantes`, five
sectors drawn around 48.99 N, 1.717 E, and 140 shops (like the real scheme's 140+) with
invented names, invented but checksum-valid SIRETs and positions inside their sector.

The INSEE code is 78999: it looks like an Yvelines code but no commune holds it (codes in
78 stop below 78700), so demo data can never be mistaken for, or collide with, a real
commune's. The real Mantes-la-Jolie is 78361.

Everything comes from one seeded random generator, so every demo shows the same town;
`seed_demo_territory` writes it through the territory actions, once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import transaction

from maillage.errors import Conflict
from maillage.stream.action import DEMO
from maillage.territory import actions
from maillage.territory.geo import bounding_box, contains
from maillage.territory.models import Commune
from maillage.territory.siret import LA_POSTE_SIREN, luhn_check_digit

DEMO_SLUG = "demo-mantes"
DEMO_NAME = "Mantes-la-Jolie (démo)"
DEMO_INSEE_CODE = "78999"
DEMO_CENTRE = (Decimal("48.990000"), Decimal("1.717000"))
POSTCODE_TOWN = "78200 Mantes-la-Jolie"
SEED = 78200

Point = tuple[float, float]


@dataclass(frozen=True)
class SectorPlan:
    name: str
    slug: str
    outline: tuple[Point, ...]
    shop_count: int
    streets: tuple[str, ...]
    flavour: tuple[str, ...]

    @property
    def geojson(self) -> dict[str, Any]:
        ring = [[lon, lat] for lon, lat in self.outline]
        return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@dataclass(frozen=True)
class ShopPlan:
    sector_slug: str
    enseigne: str
    raison_sociale: str
    siret: str
    address: str
    latitude: Decimal
    longitude: Decimal
    activity: str


# Outlines are (longitude, latitude), counter-clockwise; neighbours share their borders so
# no point belongs to two sectors. The Seine runs along the north.
SECTORS: tuple[SectorPlan, ...] = (
    SectorPlan(
        name="Centre-ville",
        slug="centre-ville",
        outline=(
            (1.7100, 48.9875),
            (1.7220, 48.9872),
            (1.7320, 48.9880),
            (1.7320, 48.9930),
            (1.7200, 48.9935),
            (1.7100, 48.9932),
        ),
        shop_count=46,
        streets=(
            "rue Nationale",
            "place du Marché",
            "rue de la Collégiale",
            "rue Victor-Hugo",
            "rue des Halles",
            "place de l'Hôtel-de-Ville",
            "rue Thiers",
        ),
        flavour=("du Marché", "de la Collégiale", "du Centre", "des Halles", "de la Place"),
    ),
    SectorPlan(
        name="Gare",
        slug="gare",
        outline=(
            (1.6980, 48.9860),
            (1.7100, 48.9860),
            (1.7100, 48.9932),
            (1.7000, 48.9930),
            (1.6980, 48.9928),
        ),
        shop_count=26,
        streets=(
            "avenue de la Gare",
            "rue du Chemin-de-Fer",
            "boulevard Carnot",
            "rue de la Paix",
            "place de l'Europe",
        ),
        flavour=("de la Gare", "du Terminus", "de l'Europe", "des Voyageurs"),
    ),
    SectorPlan(
        name="Val Fourré",
        slug="val-fourre",
        outline=(
            (1.6750, 48.9800),
            (1.6880, 48.9785),
            (1.6980, 48.9800),
            (1.6980, 48.9900),
            (1.6850, 48.9910),
            (1.6750, 48.9890),
        ),
        shop_count=30,
        streets=(
            "place du Commerce",
            "boulevard des Lettres",
            "rue des Écrivains",
            "avenue de la Paix",
            "place des Sports",
            "rue des Peintres",
        ),
        flavour=("du Val", "du Parc", "des Écrivains", "des Peintres", "du Mail"),
    ),
    SectorPlan(
        name="Quai de Seine",
        slug="quai-de-seine",
        outline=(
            (1.7000, 48.9930),
            (1.7100, 48.9932),
            (1.7200, 48.9935),
            (1.7320, 48.9930),
            (1.7320, 48.9962),
            (1.7200, 48.9968),
            (1.7100, 48.9966),
            (1.7000, 48.9960),
        ),
        shop_count=16,
        streets=("quai des Cordeliers", "quai de la Vieille-Ville", "rue du Port", "rue du Pont"),
        flavour=("de la Seine", "du Quai", "du Port", "des Mariniers"),
    ),
    SectorPlan(
        name="Les Garennes",
        slug="les-garennes",
        outline=(
            (1.7000, 48.9790),
            (1.7350, 48.9795),
            (1.7350, 48.9880),
            (1.7320, 48.9880),
            (1.7220, 48.9872),
            (1.7100, 48.9875),
            (1.7100, 48.9860),
            (1.7000, 48.9860),
        ),
        shop_count=22,
        streets=(
            "avenue des Garennes",
            "rue des Tilleuls",
            "rue des Acacias",
            "allée des Érables",
            "rue des Coteaux",
        ),
        flavour=("des Garennes", "des Tilleuls", "des Coteaux", "des Acacias"),
    ),
)

# (activity, enseigne prefix, weight): the mix of a town centre's ground-floor shops.
ACTIVITIES: tuple[tuple[str, str, int], ...] = (
    ("boulangerie", "Boulangerie", 10),
    ("pharmacie", "Pharmacie", 8),
    ("tabac-presse", "Tabac-Presse", 8),
    ("téléphonie", "Téléphonie", 7),
    ("supermarché", "Supermarché", 4),
    ("épicerie", "Épicerie", 7),
    ("opticien", "Optique", 5),
    ("bijouterie", "Bijouterie", 5),
    ("boucherie", "Boucherie", 5),
    ("coiffure", "Salon de coiffure", 7),
    ("café-bar", "Café", 7),
    ("restauration rapide", "Snack", 6),
    ("restaurant", "Restaurant", 5),
    ("prêt-à-porter", "Boutique", 6),
    ("chaussures", "Chaussures", 3),
    ("fleuriste", "Fleurs", 3),
    ("pressing", "Pressing", 3),
    ("librairie", "Librairie", 2),
    ("pâtisserie", "Pâtisserie", 3),
    ("cordonnerie", "Cordonnerie", 2),
    ("bureau de change", "Change", 1),
    ("caviste", "Cave", 2),
)
COMMON_FLAVOURS = (
    "des Tilleuls",
    "Saint-Maclou",
    "de la République",
    "du Mantois",
    "des Lilas",
    "du Soleil",
    "de l'Étoile",
    "des Quatre-Saisons",
)
FAMILY_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Laurent",
    "Benali",
    "Nguyen",
    "Da Silva",
    "Traoré",
    "Mercier",
    "Haddad",
    "Fontaine",
    "Rousseau",
    "Kaya",
    "Diallo",
    "Garnier",
    "Chevalier",
)
LEGAL_FORMS = ("SARL", "SAS", "EURL", "SASU", "SNC")


def _fake_siret(rng: random.Random, taken: set[str]) -> str:
    """A SIREN with its own key plus an establishment number and the SIRET key."""
    while True:
        body = str(rng.randint(3, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
        siren = body + luhn_check_digit(body)
        nic = f"{rng.randint(1, 9):04d}"
        siret = siren + nic + luhn_check_digit(siren + nic)
        if siret not in taken and not siret.startswith(LA_POSTE_SIREN):
            taken.add(siret)
            return siret


def _position(rng: random.Random, sector: SectorPlan) -> tuple[Decimal, Decimal]:
    geojson = sector.geojson
    min_lon, min_lat, max_lon, max_lat = bounding_box(geojson["coordinates"])
    step = Decimal("0.000001")
    while True:
        lat = Decimal(str(rng.uniform(min_lat, max_lat))).quantize(step, ROUND_HALF_EVEN)
        lon = Decimal(str(rng.uniform(min_lon, max_lon))).quantize(step, ROUND_HALF_EVEN)
        if contains(geojson, float(lon), float(lat)):
            return lat, lon


def _enseigne(
    rng: random.Random, prefix: str, family: str, sector: SectorPlan, taken: set[str]
) -> str:
    while True:
        roll = rng.random()
        if roll < 0.25:
            name = f"{prefix} {family}"
            family = rng.choice(FAMILY_NAMES)
        elif roll < 0.65:
            name = f"{prefix} {rng.choice(sector.flavour)}"
        else:
            name = f"{prefix} {rng.choice(COMMON_FLAVOURS)}"
        if name not in taken:
            taken.add(name)
            return name


def _legal_form(rng: random.Random, activity: str) -> str:
    """Pharmacists may only trade through professional companies (SELARL, SELAS)."""
    return rng.choice(("SELARL", "SELAS") if activity == "pharmacie" else LEGAL_FORMS)


def demo_territory_plan() -> list[ShopPlan]:
    """The same 140 shops on every call (seeded), in sector order."""
    rng = random.Random(SEED)
    weights = [weight for _, _, weight in ACTIVITIES]
    sirets: set[str] = set()
    enseignes: set[str] = set()
    shops: list[ShopPlan] = []
    for sector in SECTORS:
        for _ in range(sector.shop_count):
            activity, prefix, _weight = rng.choices(ACTIVITIES, weights=weights)[0]
            family = rng.choice(FAMILY_NAMES)
            enseigne = _enseigne(rng, prefix, family, sector, enseignes)
            legal_name = rng.choice(
                (f"{family} et Fils", f"{family} Commerce", enseigne, f"Établissements {family}")
            )
            latitude, longitude = _position(rng, sector)
            shops.append(
                ShopPlan(
                    sector_slug=sector.slug,
                    enseigne=enseigne,
                    raison_sociale=f"{_legal_form(rng, activity)} {legal_name.upper()}",
                    siret=_fake_siret(rng, sirets),
                    address=f"{rng.randint(1, 120)} {rng.choice(sector.streets)}, {POSTCODE_TOWN}",
                    latitude=latitude,
                    longitude=longitude,
                    activity=activity,
                )
            )
    return shops


def seed_demo_territory() -> Commune:
    """Create the demo commune once; later calls return it untouched."""
    existing = Commune.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _create()
    except Conflict as conflict:
        if conflict.code != "commune_exists":
            raise
        return Commune.objects.get(slug=DEMO_SLUG)


def _create() -> Commune:
    commune = actions.create_commune(
        DEMO,
        departement_code="78",
        departement_name="Yvelines",
        name=DEMO_NAME,
        slug=DEMO_SLUG,
        insee_code=DEMO_INSEE_CODE,
        latitude=DEMO_CENTRE[0],
        longitude=DEMO_CENTRE[1],
        is_demo=True,
    )
    sectors = {
        plan.slug: actions.create_sector(
            DEMO, commune, name=plan.name, slug=plan.slug, geojson=plan.geojson
        )
        for plan in SECTORS
    }
    for shop in demo_territory_plan():
        actions.create_shop(
            DEMO,
            commune,
            sector=sectors[shop.sector_slug],
            enseigne=shop.enseigne,
            raison_sociale=shop.raison_sociale,
            siret=shop.siret,
            address=shop.address,
            latitude=shop.latitude,
            longitude=shop.longitude,
            activity=shop.activity,
        )
    return commune
