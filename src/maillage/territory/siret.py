"""SIRET validation: 14 digits and INSEE's check key, with La Poste's exception.

A typo in a SIRET would attach a shop's alerts to the wrong business or let the same shop be
enrolled twice, so every SIRET entering the system goes through `validate_siret`.

La Poste (SIREN 356000000) registered more establishments than the Luhn key leaves
numbers for, so INSEE validates its SIRETs by another rule: the sum of the 14 digits is a
multiple of 5. Its head office, 356 000 000 00048, predates the exception and keeps the
Luhn key (it fails the sum rule: 3+5+6+4+8 = 26), as python-stdnum and other validators do.
"""

from __future__ import annotations

LA_POSTE_SIREN = "356000000"
LA_POSTE_HEAD_OFFICE = "35600000000048"


class InvalidSiret(ValueError):
    """A refused SIRET; `message` is the French text shown to the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def normalize_siret(raw: str) -> str:
    """Drop every kind of whitespace people paste from SIRENE or PDF exports."""
    return "".join(raw.split())


def luhn_sum(digits: str) -> int:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total


def luhn_is_valid(digits: str) -> bool:
    return luhn_sum(digits) % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit to append to `partial` so that the whole number passes Luhn."""
    return str((10 - luhn_sum(partial + "0") % 10) % 10)


def follows_la_poste_rule(siret: str) -> bool:
    return siret.startswith(LA_POSTE_SIREN) and siret != LA_POSTE_HEAD_OFFICE


def has_valid_key(siret: str) -> bool:
    """The check key of a 14-digit SIRET, La Poste's exception included."""
    if follows_la_poste_rule(siret):
        return sum(int(char) for char in siret) % 5 == 0
    return luhn_is_valid(siret)


def validate_siret(raw: str) -> str:
    """Return the normalised SIRET or raise InvalidSiret with a French message."""
    siret = normalize_siret(raw)
    if len(siret) != 14 or not (siret.isascii() and siret.isdigit()):
        raise InvalidSiret("siret_length", "Le SIRET doit compter 14 chiffres.")
    if not has_valid_key(siret):
        raise InvalidSiret(
            "siret_checksum", f"Le SIRET {siret} n'est pas valide (clé de contrôle)."
        )
    return siret


def is_valid_siret(raw: str) -> bool:
    try:
        validate_siret(raw)
    except InvalidSiret:
        return False
    return True
