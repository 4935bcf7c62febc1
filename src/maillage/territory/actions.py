"""State changes of the territory: the only code that writes communes, sectors and shops.

Views, the CLI and the demo seed call these functions and never `.save()` a territory
model themselves, so every write is validated the same way, runs in one transaction and
leaves one event in the commune's log (maillage.stream.action, docs/events.md).
Refusals are ApiError instances (French message, offending field) that the API returns
as they are and the CLI prints.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError
from django.utils.text import slugify

from maillage.access.policy import Action
from maillage.errors import ApiError, Conflict
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.territory.csv_import import ImportResult, RowError, validate_shops_csv
from maillage.territory.fields import FieldProblem, clean_position, clean_siret, clean_text
from maillage.territory.geo import is_polygon_geojson
from maillage.territory.models import Commune, Departement, Sector, Shop

INSEE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


def invalid(field: str, message: str, code: str = "invalid") -> ApiError:
    return ApiError(code, message, field=field, status=422)


def _from_problem(problem: FieldProblem) -> ApiError:
    return invalid(problem.field, problem.sentence, problem.code)


def create_commune(
    actor: Actor,
    *,
    departement_code: str,
    departement_name: str,
    name: str,
    slug: str,
    insee_code: str,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    is_demo: bool = False,
) -> Commune:
    """A new commune, from the mairie's machine only (no member may create one)."""
    name = " ".join(name.split())
    if not name:
        raise invalid("name", "Nom de commune manquant.")
    if not INSEE_CODE.match(insee_code):
        raise invalid("insee_code", "Le code INSEE doit compter 5 caractères (ex. 78361).")
    if slug != slugify(slug) or not slug:
        raise invalid("slug", "Identifiant invalide : minuscules, chiffres et tirets seulement.")
    if Commune.objects.filter(slug=slug).exists():
        raise Conflict("commune_exists", f"La commune « {slug} » existe déjà.", field="slug")
    if Commune.objects.filter(insee_code=insee_code).exists():
        raise Conflict(
            "commune_exists", f"Le code INSEE {insee_code} est déjà utilisé.", field="insee_code"
        )
    with action(actor, None, kind=Kind.COMMUNE_CREATED) as act:
        departement, _ = Departement.objects.get_or_create(
            code=departement_code, defaults={"name": departement_name}
        )
        commune = Commune.objects.create(
            departement=departement,
            name=name,
            slug=slug,
            insee_code=insee_code,
            latitude=latitude,
            longitude=longitude,
            is_demo=is_demo,
        )
        act.record(
            commune,
            {"name": name, "slug": slug, "insee_code": insee_code, "is_demo": is_demo},
        )
    return commune


def create_sector(
    actor: Actor,
    commune: Commune,
    *,
    name: str,
    slug: str = "",
    geojson: dict[str, Any] | None = None,
) -> Sector:
    name = " ".join(name.split())
    if not name:
        raise invalid("name", "Nom de secteur manquant.")
    if len(name) > 120:
        raise invalid("name", "Nom de secteur trop long (120 caractères au plus).")
    slug = slug or slugify(name)[:60]
    if not slug or slug != slugify(slug):
        raise invalid("slug", "Identifiant invalide : minuscules, chiffres et tirets seulement.")
    if geojson is not None and not is_polygon_geojson(geojson):
        raise invalid("geojson", "Le contour doit être un polygone GeoJSON (Polygon).")
    exists = Conflict("sector_exists", f"Le secteur « {name} » existe déjà.", field="name")
    try:
        with action(actor, Action.MANAGE_TERRITORY, commune, kind=Kind.SECTOR_CREATED) as act:
            sectors = Sector.objects.filter(commune=commune)
            if sectors.filter(name__iexact=name).exists() or sectors.filter(slug=slug).exists():
                raise exists
            sector = Sector.objects.create(commune=commune, name=name, slug=slug, geojson=geojson)
            act.record(sector, {"name": name, "slug": slug})
    except IntegrityError as error:
        raise exists from error
    return sector


MAX_SECTOR_NEIGHBOURS = 30


def set_sector_neighbours(actor: Actor, sector: Sector, neighbours: Sequence[Sector]) -> Sector:
    """Declare the sectors that neighbour `sector` (the relation goes both ways): their
    shops then receive its alerts and messages, and its shops theirs.

    One action, one `sector.neighbours_changed` event naming the sectors added and removed;
    the same list again records nothing. A sector of another commune, or the sector
    itself, refuses the whole list. Removing a neighbour makes the sector keys its shops
    held stale: the console rotates them (trust/group_keys.py, `rotation_needed`).
    """
    wanted = {s.pk: s for s in neighbours}
    if any(s.commune_id != sector.commune_id for s in wanted.values()):
        raise invalid("neighbours", "Secteur inconnu dans cette commune.", "unknown")
    if sector.pk in wanted:
        raise invalid("neighbours", "Un secteur ne peut pas être son propre voisin.", "self")
    if len(wanted) > MAX_SECTOR_NEIGHBOURS:
        raise invalid(
            "neighbours", f"Trop de secteurs voisins ({MAX_SECTOR_NEIGHBOURS} au plus).", "too_many"
        )
    with action(
        actor, Action.MANAGE_TERRITORY, sector.commune, kind=Kind.SECTOR_NEIGHBOURS_CHANGED
    ) as act:
        current = Sector.objects.select_for_update().get(pk=sector.pk)
        before = set(current.neighbours.values_list("pk", flat=True))
        added, removed = sorted(set(wanted) - before), sorted(before - set(wanted))
        if not added and not removed:
            act.unchanged()
            return current
        current.neighbours.remove(*removed)
        current.neighbours.add(*added)
        act.record(current, {"neighbours": sorted(wanted), "added": added, "removed": removed})
    return current


def create_shop(
    actor: Actor,
    commune: Commune,
    *,
    sector: Sector,
    enseigne: str,
    siret: str,
    address: str,
    latitude: Decimal | float | str,
    longitude: Decimal | float | str,
    raison_sociale: str = "",
    activity: str = "",
) -> Shop:
    """Enrol one shop; SIRETs are unique across the whole deployment, like in SIRENE."""
    if sector.commune_id != commune.pk:
        raise invalid("sector", "Secteur inconnu dans cette commune.", "unknown")
    try:
        fields = {
            "enseigne": clean_text(enseigne, "enseigne", required=True),
            "raison_sociale": clean_text(raison_sociale, "raison_sociale", required=False),
            "siret": clean_siret(siret),
            "address": clean_text(address, "address", required=True),
            "activity": clean_text(activity, "activity", required=False),
        }
        lat, lon = clean_position(latitude, longitude)
    except FieldProblem as problem:
        raise _from_problem(problem) from problem
    taken = Conflict("siret_taken", "Ce SIRET est déjà enregistré.", field="siret")
    try:
        with action(actor, Action.MANAGE_TERRITORY, commune, kind=Kind.SHOP_CREATED) as act:
            if Shop.objects.filter(siret=fields["siret"]).exists():
                raise taken
            shop = Shop.objects.create(
                commune=commune, sector=sector, latitude=lat, longitude=lon, **fields
            )
            payload = {
                "enseigne": shop.enseigne,
                "sector": sector.slug,
                "activity": shop.activity,
            }
            act.record(shop, payload)
    except IntegrityError as error:
        raise taken from error
    return shop


EDITABLE_SHOP_FIELDS = (
    "enseigne",
    "raison_sociale",
    "siret",
    "address",
    "latitude",
    "longitude",
    "sector",
    "activity",
)


def update_shop(
    actor: Actor,
    shop: Shop,
    *,
    sector: Sector | None = None,
    enseigne: str | None = None,
    raison_sociale: str | None = None,
    siret: str | None = None,
    address: str | None = None,
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
    activity: str | None = None,
) -> Shop:
    """Edit a shop: only the fields given (not None) change, each checked as at creation.

    One action, one `shop.updated` event naming the changed fields (never their values
    beyond what `shop.created` already carries); a call that changes nothing records none.
    A refused field refuses the whole edit: nothing is stored.
    """
    if sector is not None and sector.commune_id != shop.commune_id:
        raise invalid("sector", "Secteur inconnu dans cette commune.", "unknown")
    wanted: dict[str, Any] = {}
    try:
        if enseigne is not None:
            wanted["enseigne"] = clean_text(enseigne, "enseigne", required=True)
        if raison_sociale is not None:
            wanted["raison_sociale"] = clean_text(raison_sociale, "raison_sociale", required=False)
        if siret is not None:
            wanted["siret"] = clean_siret(siret)
        if address is not None:
            wanted["address"] = clean_text(address, "address", required=True)
        if activity is not None:
            wanted["activity"] = clean_text(activity, "activity", required=False)
        if latitude is not None or longitude is not None:
            lat, lon = clean_position(
                shop.latitude if latitude is None else latitude,
                shop.longitude if longitude is None else longitude,
            )
            wanted["latitude"], wanted["longitude"] = lat, lon
    except FieldProblem as problem:
        raise _from_problem(problem) from problem
    if sector is not None:
        wanted["sector"] = sector
    taken = Conflict("siret_taken", "Ce SIRET est déjà enregistré.", field="siret")
    try:
        with action(actor, Action.MANAGE_TERRITORY, shop.commune, kind=Kind.SHOP_UPDATED) as act:
            current = Shop.objects.select_for_update().select_related("sector").get(pk=shop.pk)
            changed = [
                name
                for name in EDITABLE_SHOP_FIELDS
                if name in wanted and getattr(current, name) != wanted[name]
            ]
            if not changed:
                act.unchanged()
                return current
            if (
                "siret" in changed
                and Shop.objects.filter(siret=wanted["siret"]).exclude(pk=current.pk).exists()
            ):
                raise taken
            for name in changed:
                setattr(current, name, wanted[name])
            current.save(update_fields=changed)
            act.record(
                current,
                {
                    "enseigne": current.enseigne,
                    "sector": current.sector.slug,
                    "activity": current.activity,
                    "changed": changed,
                },
            )
    except IntegrityError as error:
        raise taken from error
    return current


def import_shops(actor: Actor, commune: Commune, data: bytes | str) -> ImportResult:
    """All-or-nothing import of the mairie's CSV: every row stored, or none.

    One import is one action: one event with the counts, not one per shop.
    """
    try:
        with action(actor, Action.MANAGE_TERRITORY, commune, kind=Kind.SHOPS_IMPORTED) as act:
            rows, errors = validate_shops_csv(commune, data)
            if errors:
                act.unchanged()
                return ImportResult(created=0, errors=errors)
            Shop.objects.bulk_create(
                Shop(
                    commune=commune,
                    sector=row.sector,
                    enseigne=row.enseigne,
                    raison_sociale=row.raison_sociale,
                    siret=row.siret,
                    address=row.address,
                    latitude=row.latitude,
                    longitude=row.longitude,
                    activity=row.activity,
                )
                for row in rows
            )
            sectors = len({row.sector.pk for row in rows})
            act.record(commune, {"created": len(rows), "sectors": sectors})
            return ImportResult(created=len(rows))
    except IntegrityError:
        # Another import stored some of these SIRETs between our check and our write.
        _, errors = validate_shops_csv(commune, data)
        return ImportResult(
            created=0,
            errors=errors
            or [RowError(None, "file", "conflit avec un enregistrement simultané, réessayez")],
        )
