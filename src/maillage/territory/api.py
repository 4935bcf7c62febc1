"""JSON API of the territory domain (/api/v1/territory): sectors, shops, CSV import.

Every query starts from the signed-in membership's commune, and every endpoint asks the
access policy; a shop of another commune is answered 404, as if it did not exist.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from maillage.access.policy import Action, require, visible
from maillage.errors import NotFound, Unauthenticated
from maillage.members.auth import member_auth, session_device
from maillage.members.models import Membership
from maillage.schemas import ErrorOut
from maillage.stream.action import Actor
from maillage.territory import actions
from maillage.territory.models import Sector, Shop

router = Router(tags=["territory"], auth=member_auth)

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_ID = 2**63 - 1  # what a database primary key holds; beyond, no such row


class SectorOut(Schema):
    id: int
    name: str
    slug: str
    geojson: dict[str, Any] | None
    shop_count: int
    neighbours: list[int]


class SectorNeighboursIn(Schema):
    """The whole list: the sectors that neighbour this one afterwards (ids)."""

    neighbours: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        max_length=actions.MAX_SECTOR_NEIGHBOURS + 1
    )


class SectorRef(Schema):
    id: int
    name: str
    slug: str


class ShopOut(Schema):
    id: uuid.UUID
    enseigne: str
    raison_sociale: str
    siret: str
    address: str
    latitude: float
    longitude: float
    sector: SectorRef
    activity: str


class ShopIn(Schema):
    """Fields default to empty so missing values get the domain's French messages."""

    enseigne: str = ""
    raison_sociale: str = ""
    siret: str = ""
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    sector: int | str | None = None
    activity: str = ""


class ShopPatchIn(Schema):
    """Only the fields sent change; a field sent empty is checked (and refused if required)."""

    enseigne: str | None = None
    raison_sociale: str | None = None
    siret: str | None = None
    address: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    sector: int | str | None = None
    activity: str | None = None


class ImportOut(Schema):
    created: int
    message: str


class ImportErrorOut(Schema):
    line: int | None
    field: str | None
    message: str


class ImportRejectedOut(Schema):
    """A rejected file lists its line errors; a malformed request (no file) has none."""

    code: str
    message: str
    field: str | None
    errors: list[ImportErrorOut] = []


def _actor(request: HttpRequest) -> Membership:
    """The active membership member_auth attached; the policy refuses anything else."""
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Membership):
        raise Unauthenticated()
    return actor


def _sector_ref(sector: Sector) -> dict[str, Any]:
    return {"id": sector.pk, "name": sector.name, "slug": sector.slug}


def _shop_out(shop: Shop) -> dict[str, Any]:
    return {
        "id": shop.public_id,
        "enseigne": shop.enseigne,
        "raison_sociale": shop.raison_sociale,
        "siret": shop.siret,
        "address": shop.address,
        "latitude": float(shop.latitude),
        "longitude": float(shop.longitude),
        "sector": _sector_ref(shop.sector),
        "activity": shop.activity,
    }


def _sector_lookup(commune_id: int, value: int | str) -> Q:
    text = str(value).strip()
    if isinstance(value, int) or text.isdigit():
        return Q(commune_id=commune_id, pk=int(text))
    return Q(commune_id=commune_id, slug=text)


def _visible_shops(actor: Membership) -> QuerySet[Shop]:
    return visible(actor, Shop).filter(is_active=True).select_related("sector")


@router.get("/sectors", response=list[SectorOut], summary="Secteurs de la commune")
def list_sectors(request: HttpRequest) -> list[dict[str, Any]]:
    actor = _actor(request)
    require(actor, Action.VIEW_TERRITORY)
    sectors = (
        visible(actor, Sector)
        .annotate(shop_count=Count("shops", filter=Q(shops__is_active=True)))
        .prefetch_related("neighbours")
    )
    return [_sector_out(sector, sector.shop_count) for sector in sectors]


def _sector_out(sector: Sector, shop_count: int) -> dict[str, Any]:
    return {
        "id": sector.pk,
        "name": sector.name,
        "slug": sector.slug,
        "geojson": sector.geojson,
        "shop_count": shop_count,
        "neighbours": sorted(n.pk for n in sector.neighbours.all()),
    }


@router.put(
    "/sectors/{sector_id}/neighbours",
    response={200: SectorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Déclarer les secteurs voisins d'un secteur (coordinateur)",
)
def set_sector_neighbours(
    request: HttpRequest, sector_id: int, payload: SectorNeighboursIn
) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.MANAGE_TERRITORY)
    sector = (
        Sector.objects.filter(commune_id=actor.commune_id, pk=sector_id).first()
        if 0 < sector_id <= MAX_ID
        else None
    )
    if sector is None:
        raise NotFound("Secteur introuvable.")
    wanted = set(payload.neighbours)
    found = list(Sector.objects.filter(commune_id=actor.commune_id, pk__in=wanted))
    if len(found) != len(wanted):
        raise actions.invalid("neighbours", "Secteur inconnu dans cette commune.", "unknown")
    updated = actions.set_sector_neighbours(
        Actor.member(actor, session_device(request)), sector, found
    )
    shop_count = updated.shops.filter(is_active=True).count()
    return _sector_out(updated, shop_count)


def _search(shops: QuerySet[Shop], text: str) -> QuerySet[Shop]:
    """Every word must appear in the enseigne, raison sociale, address or SIRET."""
    for word in text.split()[:8]:
        digits = "".join(word.split())
        shops = shops.filter(
            Q(enseigne__icontains=word)
            | Q(raison_sociale__icontains=word)
            | Q(address__icontains=word)
            | Q(activity__icontains=word)
            | Q(siret__startswith=digits)
        )
    return shops


@router.get("/shops", response=list[ShopOut], summary="Commerces (un commerçant : le sien)")
def list_shops(
    request: HttpRequest, sector: str | None = None, q: str | None = None
) -> list[dict[str, Any]]:
    """`sector`: id or slug; `q`: words searched in enseigne, raison sociale, address,
    activity, or the start of the SIRET."""
    actor = _actor(request)
    require(actor, Action.VIEW_SHOP)
    shops = _visible_shops(actor)
    if sector:
        sectors = Sector.objects.filter(_sector_lookup(actor.commune_id, sector))
        shops = shops.filter(sector__in=sectors)
    if q and q.strip():
        shops = _search(shops, q[:200])
    return [_shop_out(shop) for shop in shops]


@router.get(
    "/shops/{public_id}",
    response={200: ShopOut, 403: ErrorOut, 404: ErrorOut},
    summary="Un commerce",
)
def get_shop(request: HttpRequest, public_id: uuid.UUID) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_SHOP)
    shop = (
        Shop.objects.filter(commune_id=actor.commune_id, public_id=public_id)
        .select_related("sector")
        .first()
    )
    if shop is None:
        raise NotFound("Commerce introuvable.")
    require(actor, Action.VIEW_SHOP, shop)
    return _shop_out(shop)


@router.post(
    "/shops",
    response={201: ShopOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Enregistrer un commerce (coordinateur)",
)
def create_shop(request: HttpRequest, payload: ShopIn) -> Status[dict[str, Any]]:
    actor = _actor(request)
    require(actor, Action.MANAGE_TERRITORY)
    if payload.sector is None or payload.sector == "":
        raise actions.invalid("sector", "Secteur manquant.", "required")
    sector = Sector.objects.filter(_sector_lookup(actor.commune_id, payload.sector)).first()
    if sector is None:
        raise actions.invalid("sector", "Secteur inconnu dans cette commune.", "unknown")
    shop = actions.create_shop(
        Actor.member(actor, session_device(request)),
        actor.commune,
        sector=sector,
        enseigne=payload.enseigne,
        raison_sociale=payload.raison_sociale,
        siret=payload.siret,
        address=payload.address,
        latitude=payload.latitude if payload.latitude is not None else "",
        longitude=payload.longitude if payload.longitude is not None else "",
        activity=payload.activity,
    )
    return Status(201, _shop_out(shop))


@router.patch(
    "/shops/{public_id}",
    response={200: ShopOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Modifier un commerce (coordinateur)",
)
def update_shop(request: HttpRequest, public_id: uuid.UUID, payload: ShopPatchIn) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.MANAGE_TERRITORY)
    shop = (
        Shop.objects.filter(commune_id=actor.commune_id, public_id=public_id, is_active=True)
        .select_related("sector", "commune")
        .first()
    )
    if shop is None:
        raise NotFound("Commerce introuvable.")
    sector = None
    if payload.sector is not None:
        if payload.sector == "":
            raise actions.invalid("sector", "Secteur manquant.", "required")
        sector = Sector.objects.filter(_sector_lookup(actor.commune_id, payload.sector)).first()
        if sector is None:
            raise actions.invalid("sector", "Secteur inconnu dans cette commune.", "unknown")
    updated = actions.update_shop(
        Actor.member(actor, session_device(request)),
        shop,
        sector=sector,
        enseigne=payload.enseigne,
        raison_sociale=payload.raison_sociale,
        siret=payload.siret,
        address=payload.address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        activity=payload.activity,
    )
    return _shop_out(updated)


@router.post(
    "/import",
    response={201: ImportOut, 403: ErrorOut, 422: ImportRejectedOut},
    summary="Importer la liste CSV des commerces (tout ou rien, coordinateur)",
)
def import_csv(request: HttpRequest, file: UploadedFile = File(...)) -> Status[dict[str, Any]]:  # noqa: B008
    actor = _actor(request)
    require(actor, Action.MANAGE_TERRITORY)
    if file.size is not None and file.size > MAX_IMPORT_BYTES:
        raise actions.invalid("file", "Le fichier dépasse 2 Mo.", "file_too_large")
    result = actions.import_shops(
        Actor.member(actor, session_device(request)), actor.commune, file.read()
    )
    if not result.ok:
        return Status(
            422,
            {
                "code": "import_rejected",
                "message": result.summary,
                "field": "file",
                "errors": [error.as_dict() for error in result.errors],
            },
        )
    return Status(201, {"created": result.created, "message": result.summary})
