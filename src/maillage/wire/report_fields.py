"""The sealed descriptors of a report (`fields.report` of the content object, Contract 2).

Twin of `frontend/src/alert/descriptors.ts`: the same fixed lists, the same checks, so a
report built by the Python client or the simulator opens in the browser exactly as one
built there (and the other way round). The server never sees these: they are sealed.

No list invites sensitive data (supposed origin, skin, religion, health, disability and
the like): « couleurs » are the colours of clothes, and a commune cannot add a
descriptor (these lists are code, not settings). `tests/test_report_fields.py` holds the
two languages in step by reading the TypeScript file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

__all__ = [
    "CLOTHING",
    "COLOURS",
    "DIRECTIONS",
    "LISTS",
    "MULTI_KEYS",
    "PEOPLE",
    "REPORT_FIELDS_VERSION",
    "SIGNS",
    "SINGLE_KEYS",
    "VEHICLES",
    "ReportFieldsError",
    "build_report",
    "sealed_fields",
    "validate_report",
]

REPORT_FIELDS_VERSION: Final = 1

PEOPLE: Final = ("1", "2", "3", "4+")
CLOTHING: Final = (
    "capuche",
    "casquette",
    "bonnet",
    "blouson",
    "manteau",
    "survetement",
    "tee_shirt",
    "chemise",
    "pantalon",
    "jean",
    "short",
    "jupe_robe",
)
COLOURS: Final = (
    "noir",
    "blanc",
    "gris",
    "bleu",
    "rouge",
    "vert",
    "jaune",
    "orange",
    "marron",
    "beige",
    "rose",
    "violet",
)
SIGNS: Final = (
    "visage_couvert",
    "lunettes",
    "casque",
    "gants",
    "sac_a_dos",
    "sac",
    "tatouage_visible",
    "barbe",
    "arme_visible",
)
DIRECTIONS: Final = ("gauche", "droite", "en_face", "nord", "sud", "est", "ouest", "sur_place")
VEHICLES: Final = ("a_pied", "velo", "trottinette", "deux_roues", "voiture", "utilitaire")

SingleKey = Literal["people", "direction", "vehicle"]
MultiKey = Literal["clothing", "colours", "signs"]

SINGLE_KEYS: Final[tuple[SingleKey, ...]] = ("people", "direction", "vehicle")
MULTI_KEYS: Final[tuple[MultiKey, ...]] = ("clothing", "colours", "signs")
LISTS: Final[Mapping[str, tuple[str, ...]]] = {
    "people": PEOPLE,
    "clothing": CLOTHING,
    "colours": COLOURS,
    "signs": SIGNS,
    "direction": DIRECTIONS,
    "vehicle": VEHICLES,
}
_KEYS: Final = frozenset({"v", *LISTS})


class ReportFieldsError(ValueError):
    """A descriptor object that breaks the contract; `field` names the offending key."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.message = f"Descripteur invalide : {field}."
        super().__init__(self.message)


def validate_report(value: object) -> dict[str, Any]:
    """The checked descriptor object (a fresh dict), or ReportFieldsError.

    Exactly the keys of Contract 2; `v` is 1; a single choice is a slug of its list or
    None; a multiple choice is a list of slugs of its list, each once, in the list's order
    (so one choice has one sealed form, as in TypeScript).
    """
    if not isinstance(value, Mapping):
        raise ReportFieldsError("report")
    keys = set(value)
    if keys != _KEYS:
        odd = sorted(keys - _KEYS) or sorted(_KEYS - keys)
        raise ReportFieldsError(str(odd[0]))
    version = value["v"]
    if isinstance(version, bool) or version != REPORT_FIELDS_VERSION:
        raise ReportFieldsError("v")
    out: dict[str, Any] = {"v": REPORT_FIELDS_VERSION}
    for key in SINGLE_KEYS:
        item = value[key]
        if item is not None and (not isinstance(item, str) or item not in LISTS[key]):
            raise ReportFieldsError(key)
        out[key] = item
    for multi in MULTI_KEYS:
        items = value[multi]
        if not isinstance(items, list):
            raise ReportFieldsError(multi)
        allowed = LISTS[multi]
        last = -1
        for item in items:
            index = allowed.index(item) if isinstance(item, str) and item in allowed else -1
            if index <= last:
                raise ReportFieldsError(multi)
            last = index
        out[multi] = list(items)
    return out


def build_report(
    *,
    people: str | None = None,
    clothing: Iterable[str] = (),
    colours: Iterable[str] = (),
    signs: Iterable[str] = (),
    direction: str | None = None,
    vehicle: str | None = None,
) -> dict[str, Any]:
    """A descriptor object from choices in any order (sorted into list order, checked)."""

    def ordered(key: MultiKey, chosen: Iterable[str]) -> list[str]:
        picked = list(chosen)
        unknown = [item for item in picked if item not in LISTS[key]]
        if unknown or len(set(picked)) != len(picked):
            raise ReportFieldsError(key)
        return [slug for slug in LISTS[key] if slug in picked]

    return validate_report(
        {
            "v": REPORT_FIELDS_VERSION,
            "people": people,
            "clothing": ordered("clothing", clothing),
            "colours": ordered("colours", colours),
            "signs": ordered("signs", signs),
            "direction": direction,
            "vehicle": vehicle,
        }
    )


def is_empty(report: Mapping[str, Any]) -> bool:
    return all(report[key] is None for key in SINGLE_KEYS) and all(
        not report[key] for key in MULTI_KEYS
    )


def sealed_fields(report: Mapping[str, Any] | None) -> dict[str, Any]:
    """The content object's `fields`: `{"report": …}` once something is chosen, else `{}`
    (a category-only report), as the browser seals it."""
    if report is None:
        return {}
    checked = validate_report(report)
    return {} if is_empty(checked) else {"report": checked}
