"""Canonical JSON: the exact bytes that get signed (docs/trust.md, "Canonical JSON").

Twin of `frontend/src/trust/canonical.ts`; both must give the strings of the shared
vectors (tests/vectors/trust-v1.json).
"""

from __future__ import annotations

import json
from typing import Any, Final

from maillage.wire.errors import TrustError

__all__ = ["MAX_DEPTH", "MAX_SAFE_INTEGER", "canonical_json", "parse_canonical"]

# Integers must survive a round trip through a JavaScript number.
MAX_SAFE_INTEGER: Final = 2**53 - 1
# Nesting beyond this is refused so that both languages fail the same way, not by stack.
MAX_DEPTH: Final = 32


def _check_value(value: object, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise TrustError("not_canonical", "Document trop profondément imbriqué.")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise TrustError("not_canonical", "Entier hors de l'intervalle ±(2^53 − 1).")
        return
    if isinstance(value, float):
        raise TrustError("not_canonical", "Les nombres à virgule sont refusés.")
    if isinstance(value, str):
        _check_text(value)
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_value(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TrustError("not_canonical", "Les clés d'un objet doivent être des textes.")
            _check_text(key)
            _check_value(item, depth + 1)
        return
    raise TrustError("not_canonical", f"Type refusé en JSON canonique : {type(value).__name__}.")


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogate: no UTF-8 form, JS would escape it
        raise TrustError("not_canonical", "Texte Unicode invalide.") from exc


def canonical_json(obj: object) -> bytes:
    """UTF-8 bytes of the canonical JSON of `obj` (TypeScript: `canonicalBytes`).

    Keys sorted by code point, no whitespace, UTF-8 as is. Floats, non-text keys,
    integers beyond ±(2^53 − 1) and lone surrogates are refused because the two
    languages would not write them alike.
    """
    _check_value(obj, 0)
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.encode("utf-8")


def _refuse_constant(name: str) -> object:
    raise TrustError("malformed", f"Constante JSON refusée : {name}.")


def parse_canonical(body: object) -> dict[str, Any]:
    """Parse a signed body and insist its text is already canonical.

    Verifiers check the signature over the text as received, so the text itself must be
    the canonical form: re-canonicalising what was parsed must give it back exactly.
    """
    if not isinstance(body, str):
        raise TrustError("malformed")
    try:
        raw = body.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise TrustError("malformed") from exc
    try:
        parsed = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise TrustError("malformed", "Corps JSON illisible.") from exc
    if canonical_json(parsed) != raw:
        raise TrustError("not_canonical")
    if not isinstance(parsed, dict):
        raise TrustError("malformed", "Le corps signé doit être un objet JSON.")
    return parsed
