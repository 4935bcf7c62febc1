"""Identifiers and the field checks every signed body uses (docs/trust.md, shape rules).

The identifier rule lives here and nowhere else in Python (`frontend/src/trust/ids.ts`
in TypeScript). Every check raises `TrustError("malformed")`; envelope code turns that
into its own error with the wire field.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, Final, TypeGuard

from maillage.wire.b64 import decode_fixed
from maillage.wire.canonical import MAX_SAFE_INTEGER
from maillage.wire.errors import TrustError

__all__ = [
    "IDENTIFIER",
    "is_count",
    "is_identifier",
    "is_int",
    "require_bytes",
    "require_count",
    "require_header",
    "require_identifier",
    "require_keys",
]

# Identifiers are public_ids (UUIDs) or `police:<n>`; ASCII only so both languages count
# lengths alike.
IDENTIFIER: Final = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def is_identifier(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and IDENTIFIER.fullmatch(value) is not None


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def is_count(value: object) -> TypeGuard[int]:
    """An integer both languages hold exactly: 0 … 2^53 − 1 (times, sizes, numbers)."""
    return is_int(value) and 0 <= value <= MAX_SAFE_INTEGER


def require_keys(obj: dict[str, Any], expected: Collection[str]) -> None:
    """Exactly these fields: unknown or missing ones are refused."""
    if set(obj) != set(expected):
        raise TrustError("malformed", "Champs inattendus ou manquants.")


def _invalid(name: str) -> TrustError:
    return TrustError("malformed", f"Champ « {name} » invalide.")


def require_identifier(obj: dict[str, Any], name: str) -> str:
    value = obj[name]
    if not is_identifier(value):
        raise _invalid(name)
    return value


def require_count(obj: dict[str, Any], name: str) -> int:
    value = obj[name]
    if not is_count(value):
        raise _invalid(name)
    return int(value)


def require_bytes(obj: dict[str, Any], name: str, length: int = 32) -> str:
    """A base64url field of exactly `length` bytes (a key by default); returns the text."""
    value = obj[name]
    try:
        decode_fixed(value, length)
    except TrustError as exc:
        raise _invalid(name) from exc
    return str(value)


def require_header(obj: dict[str, Any], doc_type: str) -> None:
    """`type` is `doc_type` and `v` the integer 1 (not `true`)."""
    if obj.get("type") != doc_type or not is_int(obj.get("v")) or obj.get("v") != 1:
        raise TrustError("malformed", "Type ou version de document inconnu.")
