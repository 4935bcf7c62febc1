"""Clean text: the one rule for every free-text value that enters Maillage (no Django).

A name or an address is shown to other members, written in CSV files and in logs, so it
must not carry what could fool a reader or a program: control characters (CR, LF, ESC,
BEL, NUL…: forged log lines, terminal escapes, PostgreSQL refuses NUL) and the Unicode
bidirectional overrides and isolates (a name that reads backwards, "Trojan Source").
Multi-line texts (the charter) may hold line feeds and tabs, nothing else. E-mail
addresses get a plain, strict shape check. CSV cells that a spreadsheet would run as a
formula are refused on import and neutralised on export.

Reasons are short French phrases in lower case ("caractère de contrôle interdit (U+001B)"),
which the API turns into a sentence and the CSV report prefixes with its line number.
"""

from __future__ import annotations

import re
import unicodedata

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MULTILINE_ALLOWED = frozenset("\n\t")
EMAIL_MAX_LENGTH = 254
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_NAMES = {
    "\x00": "caractère nul",
    "\x07": "sonnerie",
    "\x09": "tabulation",
    "\x0a": "saut de ligne",
    "\x0d": "retour chariot",
    "\x1b": "échappement",
}
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


class TextProblem(ValueError):
    """A refused value: `code` for programs, `reason` for people (French, lower case)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason

    @property
    def sentence(self) -> str:
        return self.reason[:1].upper() + self.reason[1:] + "."


def is_forbidden(char: str, *, multiline: bool = False) -> bool:
    if multiline and char in MULTILINE_ALLOWED:
        return False
    return char in BIDI_CONTROLS or unicodedata.category(char) == "Cc"


def describe(char: str) -> str:
    name = _NAMES.get(char) or ("contrôle bidirectionnel" if char in BIDI_CONTROLS else "")
    code_point = f"U+{ord(char):04X}"
    return f"{code_point}, {name}" if name else code_point


def check_text(value: str, *, max_length: int | None = None, multiline: bool = False) -> str:
    """The value itself when clean; TextProblem otherwise (nothing is silently removed)."""
    for char in value:
        if is_forbidden(char, multiline=multiline):
            raise TextProblem(
                "control_character", f"caractère de contrôle interdit ({describe(char)})"
            )
    if max_length is not None and len(value) > max_length:
        raise TextProblem(
            "too_long", f"texte trop long : {max_length} caractères au plus, {len(value)} reçus"
        )
    return value


def check_email(value: str, *, required: bool = False) -> str:
    """A plain address `nom@domaine.fr`, trimmed, domain in lower case; '' when optional."""
    address = check_text(value.strip(), max_length=EMAIL_MAX_LENGTH)
    if not address:
        if required:
            raise TextProblem("required", "adresse e-mail manquante")
        return ""
    if not _EMAIL.fullmatch(address) or len(address.split("@", 1)[0]) > 64:
        raise TextProblem("invalid_email", f"adresse e-mail « {address} » invalide")
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def is_plain_number(value: str) -> bool:
    return bool(_NUMBER.fullmatch(value.strip()))


def is_formula(cell: str, *, number_allowed: bool = False) -> bool:
    """Would a spreadsheet run this cell? (`=`, `+`, `-`, `@`, tab or CR first.)

    number_allowed: in a numeric column a signed number ("-1.55") is data, not a formula.
    """
    text = cell.lstrip(" ")
    if not text.startswith(FORMULA_STARTS):
        return False
    return not (number_allowed and is_plain_number(text))


def check_cell(cell: str, *, number_allowed: bool = False) -> str:
    if is_formula(cell, number_allowed=number_allowed):
        raise TextProblem(
            "formula",
            f"valeur « {cell[:30]} » refusée : elle commence par {cell.lstrip(' ')[:1]!r} "
            "et serait exécutée comme une formule par un tableur",
        )
    return cell


def neutralise_cell(cell: str, *, number_allowed: bool = False) -> str:
    """For every CSV export: a leading apostrophe makes a spreadsheet show the text as is."""
    return "'" + cell if is_formula(cell, number_allowed=number_allowed) else cell
