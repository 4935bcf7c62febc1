"""JSON API of the statistics (/api/v1/stats): the first page, for the mairie and the police."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from maillage.access.policy import Action, require
from maillage.errors import Unauthenticated
from maillage.members.auth import member_auth
from maillage.members.models import Membership
from maillage.schemas import errors
from maillage.stats import summary

router = Router(tags=["stats"], auth=member_auth)


class SummaryQuery(Schema):
    start: date | None = Field(
        default=None, description="Premier jour (AAAA-MM-JJ, heure de Paris)"
    )
    end: date | None = Field(
        default=None, description="Dernier jour inclus (par défaut : aujourd'hui)"
    )
    sector: int | None = Field(default=None, description="Un secteur de la commune (id)")
    category: str | None = Field(default=None, max_length=40, pattern="^[a-z][a-z0-9_]{0,39}$")


class RateOut(Schema):
    met: int
    of: int
    pending: int
    small_sample: bool


class StepOut(Schema):
    step: str
    label: str
    reached: int
    median_seconds: float | None
    p90_seconds: float | None


class GroupOut(Schema):
    incidents: int
    target: RateOut
    median_to_taken_seconds: float | None
    small_sample: bool


class SectorGroupOut(GroupOut):
    id: int
    name: str


class CategoryGroupOut(GroupOut):
    slug: str
    label: str


class HourGroupOut(GroupOut):
    hour: int


class PeriodOut(Schema):
    start: date
    end: date


class SummaryOut(Schema):
    period: PeriodOut
    sector: int | None
    category: str | None
    incidents: int
    small_sample_below: int
    target: RateOut
    steps: list[StepOut]
    by_sector: list[SectorGroupOut]
    by_category: list[CategoryGroupOut]
    by_hour: list[HourGroupOut]


def _actor(request: HttpRequest) -> Membership:
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Membership):
        raise Unauthenticated()
    return actor


@router.get(
    "/summary",
    response={200: SummaryOut, **errors(400, 403)},
    summary="Statistiques : délais et objectif par période, secteur, catégorie et heure",
)
def get_summary(request: HttpRequest, query: Query[SummaryQuery]) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_STATS)
    now = timezone.now()
    filters = summary.filters_for(
        actor, query.start, query.end, query.sector, query.category, timezone.localdate(now)
    )
    return summary.summary(actor, filters, now)
