"""The first statistics page: a commune's incidents over a period, by sector, category
and hour of the day, with each step's median and 90th-percentile time and the target met.

Every rate travels with its count (`met` of `of`), and a group under `SMALL_SAMPLE`
incidents is flagged, so that three incidents never read as a trend. Drills will be
left out here once they exist (issue 10, item 8). Reads the lifecycle's projection,
whose times are its events' (stats/timings.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings

from maillage.access.policy import Action, require
from maillage.errors import ApiError
from maillage.incidents import alert_settings
from maillage.incidents.models import Incident
from maillage.members.models import Membership
from maillage.stats.timings import STEP_LABELS, STEPS, Target, Timings, percentile, timings_of
from maillage.territory.models import Sector

SMALL_SAMPLE = 10
MAX_DAYS = 366
DEFAULT_DAYS = 30


class BadPeriod(ApiError):
    status = 400

    def __init__(self, message: str, field: str) -> None:
        super().__init__("invalid_filter", message, field=field)


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    sector: Sector | None = None
    category: str | None = None


def filters_for(
    actor: Membership,
    start: date | None,
    end: date | None,
    sector: int | None,
    category: str | None,
    today: date,
) -> Filters:
    """The filters as asked, checked (French refusals naming the field)."""
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise BadPeriod("La date de début doit précéder la date de fin.", "start")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadPeriod(f"Une période de {MAX_DAYS} jours au plus.", "end")
    found = None
    if sector is not None:
        found = (
            Sector.objects.filter(commune_id=actor.commune_id, pk=sector).first()
            if 0 < sector < 2**63
            else None
        )
        if found is None:
            raise BadPeriod("Secteur inconnu dans cette commune.", "sector")
    if (
        category is not None
        and not Incident.objects.filter(commune_id=actor.commune_id, category=category).exists()
    ):
        known = {c.slug for c in alert_settings.for_commune(actor.commune_id).categories}
        if category not in known:
            raise BadPeriod("Catégorie inconnue dans cette commune.", "category")
    return Filters(start, end, found, category)


def _rate(timings: list[Timings]) -> dict[str, Any]:
    decided = [t for t in timings if t.target != Target.PENDING]
    met = sum(1 for t in decided if t.target == Target.MET)
    return {
        "met": met,
        "of": len(decided),
        "pending": len(timings) - len(decided),
        "small_sample": len(decided) < SMALL_SAMPLE,
    }


def _steps(timings: list[Timings]) -> list[dict[str, Any]]:
    out = []
    for step in STEPS:
        reached = [v for v in (t.seconds[step] for t in timings) if v is not None]
        out.append(
            {
                "step": step,
                "label": STEP_LABELS[step],
                "reached": len(reached),
                "median_seconds": percentile(reached, 0.5),
                "p90_seconds": percentile(reached, 0.9),
            }
        )
    return out


def _group(timings: list[Timings]) -> dict[str, Any]:
    taken = [v for v in (t.seconds["taken"] for t in timings) if v is not None]
    return {
        "incidents": len(timings),
        "target": _rate(timings),
        "median_to_taken_seconds": percentile(taken, 0.5),
        "small_sample": len(timings) < SMALL_SAMPLE,
    }


def summary(actor: Membership, filters: Filters, now: datetime) -> dict[str, Any]:
    require(actor, Action.VIEW_STATS)
    zone = ZoneInfo(django_settings.TIME_ZONE)
    since = datetime.combine(filters.start, time.min, zone)
    until = datetime.combine(filters.end + timedelta(days=1), time.min, zone)
    incidents = Incident.objects.filter(
        commune_id=actor.commune_id,
        created_at__gte=since,
        created_at__lt=until,
        exercise__isnull=True,  # drills are never statistics
    ).select_related("shop__sector")
    if filters.sector is not None:
        incidents = incidents.filter(shop__sector=filters.sector)
    if filters.category is not None:
        incidents = incidents.filter(category=filters.category)
    settings = alert_settings.for_commune(actor.commune_id)
    targets = {c.slug: c.target_minutes for c in settings.categories}
    everything: list[Timings] = []
    by_sector: dict[int, list[Timings]] = defaultdict(list)
    sector_names: dict[int, str] = {}
    by_category: dict[str, list[Timings]] = defaultdict(list)
    category_labels: dict[str, str] = {}
    by_hour: dict[int, list[Timings]] = defaultdict(list)
    for incident in incidents.order_by("created_at", "pk"):
        timed = timings_of(incident, targets.get(incident.category, 5), now)
        everything.append(timed)
        sector = incident.shop.sector
        by_sector[sector.pk].append(timed)
        sector_names[sector.pk] = sector.name
        by_category[incident.category].append(timed)
        category_labels.setdefault(incident.category, incident.category_label)
        by_hour[incident.created_at.astimezone(zone).hour].append(timed)
    labels = {c.slug: c.label for c in settings.categories}
    return {
        "period": {"start": filters.start, "end": filters.end},
        "sector": filters.sector.pk if filters.sector is not None else None,
        "category": filters.category,
        "incidents": len(everything),
        "small_sample_below": SMALL_SAMPLE,
        "target": _rate(everything),
        "steps": _steps(everything),
        "by_sector": [
            {"id": pk, "name": sector_names[pk], **_group(group)}
            for pk, group in sorted(by_sector.items(), key=lambda kv: sector_names[kv[0]])
        ],
        "by_category": [
            {"slug": slug, "label": labels.get(slug, category_labels[slug]), **_group(group)}
            for slug, group in sorted(by_category.items(), key=lambda kv: -len(kv[1]))
        ],
        "by_hour": [{"hour": hour, **_group(by_hour[hour])} for hour in range(24)],
    }
