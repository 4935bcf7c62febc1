"""Cleaning of shop fields shared by the form API, the CSV import and the demo seed.

Each cleaner raises FieldProblem with a short French reason in lower case
("coordonnées manquantes"), which the CSV report prefixes with its line number and the
API turns into a sentence, so both channels refuse exactly the same values.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from maillage.territory.siret import InvalidSiret, normalize_siret, validate_siret
from maillage.wire import text as text_rule

COORDINATE_STEP = Decimal("0.000001")
MAX_LENGTHS = {
    "enseigne": 200,
    "raison_sociale": 200,
    "address": 300,
    "activity": 120,
}
LABELS = {
    "enseigne": ("enseigne", "f"),
    "raison_sociale": ("raison sociale", "f"),
    "address": ("adresse", "f"),
    "activity": ("activité", "f"),
    "siret": ("SIRET", "m"),
    "sector": ("secteur", "m"),
}


class FieldProblem(ValueError):
    def __init__(self, field: str, reason: str, code: str = "invalid") -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.code = code

    @property
    def sentence(self) -> str:
        return self.reason[:1].upper() + self.reason[1:] + "."


def missing(field: str) -> FieldProblem:
    label, gender = LABELS[field]
    return FieldProblem(field, f"{label} manquant{'e' if gender == 'f' else ''}", "required")


def clean_text(value: str | None, field: str, *, required: bool) -> str:
    """Spaces collapsed; control and bidirectional characters refused, not removed."""
    try:
        text_rule.check_text(value or "")
    except text_rule.TextProblem as problem:
        label, _ = LABELS[field]
        raise FieldProblem(field, f"{label} : {problem.reason}", problem.code) from problem
    text = " ".join((value or "").split())
    if required and not text:
        raise missing(field)
    limit = MAX_LENGTHS[field]
    if len(text) > limit:
        label, gender = LABELS[field]
        adjective = "trop longue" if gender == "f" else "trop long"
        raise FieldProblem(field, f"{label} {adjective} ({limit} caractères au plus)", "too_long")
    return text


def clean_siret(value: str | None) -> str:
    raw = normalize_siret(value or "")
    if not raw:
        raise missing("siret")
    try:
        return validate_siret(raw)
    except InvalidSiret as error:
        if error.code == "siret_length":
            reason = f"SIRET {raw} invalide (14 chiffres attendus)"
        else:
            reason = f"SIRET {raw} invalide (clé de contrôle)"
        raise FieldProblem("siret", reason, error.code) from error


def _coordinate(value: str | float | Decimal, field: str, label: str, bound: int) -> Decimal:
    text = str(value).strip().replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise FieldProblem(field, f"{label} « {value} » illisible", "not_a_number")
    if not -bound <= number <= bound:
        raise FieldProblem(
            field, f"{label} {text} hors limites (entre -{bound} et {bound})", "out_of_range"
        )
    return number.quantize(COORDINATE_STEP, rounding=ROUND_HALF_EVEN)


def is_blank(value: str | float | Decimal | None) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_latitude(value: str | float | Decimal | None) -> Decimal:
    if value is None or is_blank(value):
        raise FieldProblem("latitude", "latitude manquante", "required")
    return _coordinate(value, "latitude", "latitude", 90)


def clean_longitude(value: str | float | Decimal | None) -> Decimal:
    if value is None or is_blank(value):
        raise FieldProblem("longitude", "longitude manquante", "required")
    return _coordinate(value, "longitude", "longitude", 180)


def clean_position(
    latitude: str | float | Decimal | None, longitude: str | float | Decimal | None
) -> tuple[Decimal, Decimal]:
    if is_blank(latitude) and is_blank(longitude):
        raise FieldProblem("latitude", "coordonnées manquantes", "required")
    return clean_latitude(latitude), clean_longitude(longitude)
