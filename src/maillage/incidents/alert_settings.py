"""A commune's alert settings: its categories, the neighbour-alert policy, its limits.

THE module for these rules: the report's checks (incidents/actions.py), the neighbour
alerts (maillage.neighbours) and the coordinator's settings page all read
`for_commune`. A commune without a stored row has the product's defaults; a change is an
action (`alert_settings.changed`) that either stores a whole valid set or nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from maillage.access.policy import Action
from maillage.access.roles import MembershipStatus, Role
from maillage.errors import ApiError
from maillage.incidents.catalogue import (
    DEFAULT_CATEGORIES,
    DEFAULT_TARGET_MINUTES,
    MAX_CATEGORIES,
    MAX_LABEL,
    MAX_TARGET_MINUTES,
    SEVERITIES,
    SLUG,
    Category,
)
from maillage.incidents.models import AlertSettings
from maillage.members.models import Membership
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.territory.models import Commune
from maillage.wire import text


@dataclass(frozen=True)
class Limit:
    """At most `count` alerts per `minutes`; a count of 0 turns the limit off."""

    count: int
    minutes: int

    @property
    def seconds(self) -> int:
        return self.minutes * 60


# Per device and per shop, on reports and on neighbour alerts (docs/decisions.md,
# « Limits on alerts »): generous enough for a shop living through a bad hour, tight
# enough that a stuck button or a stolen phone cannot flood the console or the sector.
LIMIT_NAMES = ("report_device", "report_shop", "neighbour_device", "neighbour_shop")
DEFAULT_LIMITS: dict[str, Limit] = {
    "report_device": Limit(6, 10),
    "report_shop": Limit(10, 10),
    "neighbour_device": Limit(3, 30),
    "neighbour_shop": Limit(5, 30),
}
LIMIT_LABELS = {
    "report_device": "signalements par appareil",
    "report_shop": "signalements par commerce",
    "neighbour_device": "alertes aux voisins par appareil",
    "neighbour_shop": "alertes aux voisins par commerce",
}
MAX_LIMIT_COUNT = 1000
MAX_LIMIT_MINUTES = 24 * 60
MIN_EXPIRY_MINUTES = 5
MAX_EXPIRY_MINUTES = 24 * 60
DEFAULT_EXPIRY_MINUTES = 120
# Escalation (incidents/escalation.py): seconds after the report, if nobody took it.
DEFAULT_ESCALATION_FIRST = 60
DEFAULT_ESCALATION_SECOND = 180
MIN_ESCALATION_SECONDS = 15
MAX_ESCALATION_SECONDS = 3600
MAX_SUPERVISORS = 20
SUPERVISOR_ROLES = (Role.OPERATOR, Role.AGENT)


@dataclass(frozen=True)
class Settings:
    categories: tuple[Category, ...] = DEFAULT_CATEGORIES
    neighbour_validation: bool = True
    neighbour_expiry_minutes: int = DEFAULT_EXPIRY_MINUTES
    limits: dict[str, Limit] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    escalation_first_seconds: int = DEFAULT_ESCALATION_FIRST
    escalation_second_seconds: int = DEFAULT_ESCALATION_SECOND
    # Public ids of the police members alerted when an incident escalates.
    supervisors: tuple[str, ...] = ()

    def category(self, slug: str) -> Category | None:
        """An enabled category of the commune, or None."""
        for category in self.categories:
            if category.slug == slug and category.enabled:
                return category
        return None

    def enabled(self) -> list[Category]:
        return [category for category in self.categories if category.enabled]

    def limit(self, name: str) -> Limit:
        return self.limits[name]

    def as_dict(self) -> dict[str, Any]:
        return {
            "categories": [category.as_dict() for category in self.categories],
            "neighbour_validation": self.neighbour_validation,
            "neighbour_expiry_minutes": self.neighbour_expiry_minutes,
            "limits": {
                name: {"count": limit.count, "minutes": limit.minutes}
                for name, limit in self.limits.items()
            },
            "escalation_first_seconds": self.escalation_first_seconds,
            "escalation_second_seconds": self.escalation_second_seconds,
            "supervisors": list(self.supervisors),
        }


class SettingsRefused(ApiError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__("invalid_settings", message, field=field)


def for_commune(commune: Commune | int) -> Settings:
    commune_id = commune if isinstance(commune, int) else commune.pk
    row = AlertSettings.objects.filter(commune_id=commune_id).first()
    if row is None:
        return Settings()
    return Settings(
        categories=tuple(Category(**item) for item in row.categories),
        neighbour_validation=row.neighbour_validation,
        neighbour_expiry_minutes=row.neighbour_expiry_minutes,
        limits={name: Limit(**value) for name, value in row.limits.items()},
        escalation_first_seconds=row.escalation_first_seconds,
        escalation_second_seconds=row.escalation_second_seconds,
        supervisors=tuple(str(s) for s in row.supervisors),
    )


def _int(value: Any, low: int, high: int, message: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsRefused(message, where)
    return value


def _category(item: Any, index: int) -> Category:
    where = f"categories.{index}"
    if not isinstance(item, dict) or set(item) - {
        "slug",
        "label",
        "severity",
        "call_17",
        "enabled",
        "target_minutes",
    }:
        raise SettingsRefused("Catégorie invalide.", where)
    slug = item.get("slug")
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise SettingsRefused(
            "Identifiant de catégorie invalide : lettres minuscules, chiffres et « _ », "
            "40 caractères au plus, commençant par une lettre.",
            f"{where}.slug",
        )
    label = item.get("label")
    try:
        label = text.check_text(label if isinstance(label, str) else "", max_length=MAX_LABEL)
    except text.TextProblem as problem:
        raise SettingsRefused(problem.sentence, f"{where}.label") from None
    if not label.strip():
        raise SettingsRefused("Le libellé de la catégorie est obligatoire.", f"{where}.label")
    severity = item.get("severity")
    if severity not in SEVERITIES:
        raise SettingsRefused(
            "Gravité inconnue : faible, moyenne, élevée ou critique.", f"{where}.severity"
        )
    flags = {}
    for name, default in (("call_17", False), ("enabled", True)):
        value = item.get(name, default)
        if not isinstance(value, bool):
            raise SettingsRefused("Valeur oui/non attendue.", f"{where}.{name}")
        flags[name] = value
    target = _int(
        item.get("target_minutes", DEFAULT_TARGET_MINUTES),
        1,
        MAX_TARGET_MINUTES,
        f"Délai cible entre 1 et {MAX_TARGET_MINUTES} minutes.",
        f"{where}.target_minutes",
    )
    return Category(slug, label.strip(), str(severity), flags["call_17"], flags["enabled"], target)


def parse(data: dict[str, Any]) -> Settings:
    """A whole set of settings from the coordinator's form, or a French refusal."""
    raw_categories = data.get("categories")
    if not isinstance(raw_categories, list) or not 1 <= len(raw_categories) <= MAX_CATEGORIES:
        raise SettingsRefused(
            f"Entre 1 et {MAX_CATEGORIES} catégories sont attendues.", "categories"
        )
    categories = tuple(_category(item, i) for i, item in enumerate(raw_categories))
    slugs = [category.slug for category in categories]
    if len(set(slugs)) != len(slugs):
        raise SettingsRefused("Deux catégories portent le même identifiant.", "categories")
    if not any(category.enabled for category in categories):
        raise SettingsRefused("Au moins une catégorie doit rester active.", "categories")
    validation = data.get("neighbour_validation")
    if not isinstance(validation, bool):
        raise SettingsRefused("Valeur oui/non attendue.", "neighbour_validation")
    expiry = _int(
        data.get("neighbour_expiry_minutes"),
        MIN_EXPIRY_MINUTES,
        MAX_EXPIRY_MINUTES,
        f"La durée d'une alerte aux voisins va de {MIN_EXPIRY_MINUTES} minutes à 24 heures.",
        "neighbour_expiry_minutes",
    )
    raw_limits = data.get("limits")
    if not isinstance(raw_limits, dict) or set(raw_limits) != set(LIMIT_NAMES):
        raise SettingsRefused(
            "Les quatre limites sont attendues : " + ", ".join(LIMIT_NAMES) + ".", "limits"
        )
    limits = {}
    for name in LIMIT_NAMES:
        value = raw_limits[name]
        if not isinstance(value, dict) or set(value) != {"count", "minutes"}:
            raise SettingsRefused("Limite invalide : nombre et minutes attendus.", f"limits.{name}")
        limits[name] = Limit(
            _int(
                value["count"],
                0,
                MAX_LIMIT_COUNT,
                f"Nombre entre 0 (sans limite) et {MAX_LIMIT_COUNT}.",
                f"limits.{name}.count",
            ),
            _int(
                value["minutes"],
                1,
                MAX_LIMIT_MINUTES,
                "Durée entre 1 minute et 24 heures.",
                f"limits.{name}.minutes",
            ),
        )
    first = _int(
        data.get("escalation_first_seconds", DEFAULT_ESCALATION_FIRST),
        MIN_ESCALATION_SECONDS,
        MAX_ESCALATION_SECONDS,
        f"Le délai avant la première escalade va de {MIN_ESCALATION_SECONDS} secondes à une heure.",
        "escalation_first_seconds",
    )
    second = _int(
        data.get("escalation_second_seconds", DEFAULT_ESCALATION_SECOND),
        first + 1,
        MAX_ESCALATION_SECONDS,
        "Le délai avant la seconde escalade dépasse celui de la première, une heure au plus.",
        "escalation_second_seconds",
    )
    return Settings(
        categories, validation, expiry, limits, first, second, _supervisors(data.get("supervisors"))
    )


def _supervisors(raw: Any) -> tuple[str, ...]:
    """Their public ids, checked for shape here and against the commune in `change`."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_SUPERVISORS:
        raise SettingsRefused(
            f"Une liste d'au plus {MAX_SUPERVISORS} superviseurs est attendue.", "supervisors"
        )
    ids: list[str] = []
    for index, value in enumerate(raw):
        try:
            ids.append(str(uuid.UUID(str(value))))
        except ValueError:
            raise SettingsRefused(
                "Identifiant de membre invalide.", f"supervisors.{index}"
            ) from None
    return tuple(sorted(set(ids)))


def check_supervisors(commune: Commune, supervisors: tuple[str, ...]) -> None:
    """Each supervisor is an active operator or agent of the commune: they see incidents."""
    found = Membership.objects.filter(
        commune=commune,
        public_id__in=supervisors,
        role__in=SUPERVISOR_ROLES,
        status=MembershipStatus.ACTIVE,
    ).count()
    if found != len(supervisors):
        raise SettingsRefused(
            "Un superviseur doit être un opérateur ou un agent actif de la commune.",
            "supervisors",
        )


def change(actor: Actor, commune: Commune, data: dict[str, Any]) -> Settings:
    """The coordinator's new settings: all stored, with one event, or nothing."""
    settings = parse(data)
    check_supervisors(commune, settings.supervisors)
    stored = settings.as_dict()
    with action(
        actor, Action.MANAGE_ALERT_SETTINGS, commune, kind=Kind.ALERT_SETTINGS_CHANGED
    ) as act:
        current = AlertSettings.objects.select_for_update().filter(commune=commune).first()
        if current is None:
            current = AlertSettings(commune=commune)
        before = for_commune(commune).as_dict()
        if before == stored:
            act.unchanged()
            return settings
        current.categories = stored["categories"]
        current.neighbour_validation = settings.neighbour_validation
        current.neighbour_expiry_minutes = settings.neighbour_expiry_minutes
        current.limits = stored["limits"]
        current.escalation_first_seconds = settings.escalation_first_seconds
        current.escalation_second_seconds = settings.escalation_second_seconds
        current.supervisors = stored["supervisors"]
        current.save()
        act.record(
            commune,
            {
                "categories": [c.slug for c in settings.categories if c.enabled],
                "neighbour_validation": settings.neighbour_validation,
                "neighbour_expiry_minutes": settings.neighbour_expiry_minutes,
                "limits": [
                    f"{name}={limit.count}/{limit.minutes}"
                    for name, limit in settings.limits.items()
                ],
                "escalation": [
                    settings.escalation_first_seconds,
                    settings.escalation_second_seconds,
                ],
                "supervisors": len(settings.supervisors),
            },
        )
    return settings
