"""Reading and checking the mairie's shop list (CSV) before anything is stored.

The import is all-or-nothing: a half-imported list would leave the mairie guessing which
shops are enrolled, so `validate_shops_csv` checks every row (against the file itself and
the database) and reports every problem at once, one French line per rejected row; the
write lives in `maillage.territory.actions.import_shops`.

Accepted: UTF-8 with or without BOM, `;` (Excel in French) or `,` as delimiter, header
names in any case and with or without accents ("Raison sociale", "activité"), decimal
commas in coordinates. Rows that are entirely empty (Excel's trailing `;;;;`) are skipped.

A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is refused with its
line, so the list never carries one back into the mairie's Excel: in the numeric columns
(SIRET, latitude, longitude) a signed number is data ("-1,55", west of Greenwich); in the
text columns (enseigne, raison sociale, adresse, secteur, activité) nothing may start so.
A future telephone column would take "+33 …" as data: decide it there, with
`maillage.wire.text.check_cell` and its number rule.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from maillage.territory.fields import (
    FieldProblem,
    clean_latitude,
    clean_longitude,
    clean_siret,
    clean_text,
    is_blank,
    missing,
)
from maillage.territory.models import Commune, Sector, Shop
from maillage.wire.text import TextProblem, check_cell

COLUMNS = (
    "enseigne",
    "raison_sociale",
    "siret",
    "adresse",
    "latitude",
    "longitude",
    "secteur",
    "activite",
)
REQUIRED_COLUMNS = ("enseigne", "siret", "adresse", "latitude", "longitude", "secteur")
NUMERIC_COLUMNS = frozenset({"siret", "latitude", "longitude"})
FIELD_OF_COLUMN = {"adresse": "address", "secteur": "sector", "activite": "activity"}
MAX_ROWS = 5000

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    """One problem; `line` is the file's line (the header is line 1), None for the file."""

    line: int | None
    field: str | None
    reason: str

    @property
    def message(self) -> str:
        if self.line is None:
            return self.reason[:1].upper() + self.reason[1:]
        return f"Ligne {self.line} : {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class ShopRow:
    line: int
    enseigne: str
    raison_sociale: str
    siret: str
    address: str
    latitude: Decimal
    longitude: Decimal
    sector: Sector
    activity: str


@dataclass
class ImportResult:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rejected_lines(self) -> list[int]:
        return sorted({error.line for error in self.errors if error.line is not None})

    def report_lines(self) -> list[str]:
        """One French line per rejected row (file-level problems first)."""
        lines = [error.message for error in self.errors if error.line is None]
        for number in self.rejected_lines:
            reasons = [error.reason for error in self.errors if error.line == number]
            lines.append(f"Ligne {number} : " + " ; ".join(reasons))
        return lines

    @property
    def summary(self) -> str:
        if self.ok:
            noun = "commerce importé" if self.created == 1 else "commerces importés"
            return f"{self.created} {noun}."
        count = len(self.rejected_lines)
        if count == 0:
            return "Import refusé : aucun commerce enregistré."
        plural = "s" if count > 1 else ""
        return f"Import refusé : {count} ligne{plural} en erreur, aucun commerce enregistré."


def normalize_header(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.strip().lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\s\-]+", "_", plain)


def decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    return data.decode("utf-8-sig")


def sniff_delimiter(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def read_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, values), skipping blank records."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        if any(value.strip() for value in values):
            yield start, values


class SectorIndex:
    """A commune's sectors, found by name (any case) or by slug."""

    def __init__(self, commune: Commune) -> None:
        self.by_key: dict[str, Sector] = {}
        for sector in Sector.objects.filter(commune=commune):
            self.by_key.setdefault(sector.slug.casefold(), sector)
            self.by_key[" ".join(sector.name.split()).casefold()] = sector

    def find(self, value: str) -> Sector | None:
        return self.by_key.get(" ".join(value.split()).casefold())


def _clean_row(
    line: int, values: dict[str, str], sectors: SectorIndex
) -> tuple[ShopRow | None, list[RowError]]:
    formulas = _formula_cells(line, values)
    if formulas:
        return None, formulas
    problems: list[FieldProblem] = []

    def attempt(clean: Callable[[], T]) -> T | None:
        try:
            return clean()
        except FieldProblem as problem:
            problems.append(problem)
            return None

    enseigne = attempt(lambda: clean_text(values["enseigne"], "enseigne", required=True))
    raison_sociale = attempt(
        lambda: clean_text(values.get("raison_sociale"), "raison_sociale", required=False)
    )
    siret = attempt(lambda: clean_siret(values["siret"]))
    address = attempt(lambda: clean_text(values["adresse"], "address", required=True))
    latitude = longitude = None
    if is_blank(values["latitude"]) and is_blank(values["longitude"]):
        problems.append(FieldProblem("latitude", "coordonnées manquantes", "required"))
    else:
        latitude = attempt(lambda: clean_latitude(values["latitude"]))
        longitude = attempt(lambda: clean_longitude(values["longitude"]))
    sector_name = " ".join(values["secteur"].split())
    sector = sectors.find(sector_name) if sector_name else None
    if not sector_name:
        problems.append(missing("sector"))
    elif sector is None:
        problems.append(FieldProblem("sector", f"secteur « {sector_name} » inconnu", "unknown"))
    activity = attempt(lambda: clean_text(values.get("activite"), "activity", required=False))

    if (
        problems
        or enseigne is None
        or raison_sociale is None
        or siret is None
        or address is None
        or latitude is None
        or longitude is None
        or sector is None
        or activity is None
    ):
        return None, [RowError(line, problem.field, problem.reason) for problem in problems]
    row = ShopRow(
        line=line,
        enseigne=enseigne,
        raison_sociale=raison_sociale,
        siret=siret,
        address=address,
        latitude=latitude,
        longitude=longitude,
        sector=sector,
        activity=activity,
    )
    return row, []


def _formula_cells(line: int, values: dict[str, str]) -> list[RowError]:
    found = []
    for column in COLUMNS:
        try:
            check_cell(values.get(column) or "", number_allowed=column in NUMERIC_COLUMNS)
        except TextProblem as problem:
            field = FIELD_OF_COLUMN.get(column, column)
            found.append(RowError(line, field, f"{column} : {problem.reason}"))
    return found


def validate_shops_csv(commune: Commune, data: bytes | str) -> tuple[list[ShopRow], list[RowError]]:
    """Every row checked; the rows are only worth storing when the error list is empty."""
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return [], [
            RowError(
                None,
                "file",
                "le fichier n'est pas encodé en UTF-8 : dans Excel, enregistrez-le au format "
                "« CSV UTF-8 »",
            )
        ]
    records = read_records(text)
    try:
        header_line, header = next(records)
    except StopIteration:
        return [], [RowError(None, "file", "le fichier est vide")]
    except csv.Error as error:
        return [], [RowError(1, "file", f"en-tête illisible ({error})")]

    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(normalize_header(name), index)
    absent = [name for name in REQUIRED_COLUMNS if name not in columns]
    if absent:
        plural = "s" if len(absent) > 1 else ""
        reason = (
            f"colonne{plural} manquante{plural} : {', '.join(absent)} "
            f"(colonnes attendues : {', '.join(COLUMNS)})"
        )
        return [], [RowError(header_line, "header", reason)]

    sectors = SectorIndex(commune)
    rows: list[ShopRow] = []
    errors: list[RowError] = []
    first_line_of: dict[str, int] = {}
    line = header_line
    count = 0
    try:
        for line, raw in records:
            count += 1
            if count > MAX_ROWS:
                return [], [RowError(None, "file", f"le fichier dépasse {MAX_ROWS} commerces")]
            values = {
                name: (raw[index] if index < len(raw) else "") for name, index in columns.items()
            }
            row, row_errors = _clean_row(line, values, sectors)
            siret = row.siret if row else _siret_or_none(values["siret"])
            if siret is not None:
                if siret in first_line_of:
                    row_errors.append(
                        RowError(
                            line, "siret", f"SIRET en double (déjà ligne {first_line_of[siret]})"
                        )
                    )
                    row = None
                else:
                    first_line_of[siret] = line
            errors.extend(row_errors)
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        errors.append(RowError(line + 1, "file", f"ligne CSV illisible ({error})"))

    if count == 0 and not errors:
        errors.append(RowError(None, "file", "le fichier ne contient aucun commerce"))
    known = set(Shop.objects.filter(siret__in=list(first_line_of)).values_list("siret", flat=True))
    for siret in known:
        errors.append(RowError(first_line_of[siret], "siret", "SIRET déjà enregistré"))
    rows = [row for row in rows if row.siret not in known]
    errors.sort(key=lambda error: -1 if error.line is None else error.line)
    return rows, errors


def _siret_or_none(value: str) -> str | None:
    try:
        return clean_siret(value)
    except FieldProblem:
        return None
