"""Trust errors shared by every wire module (docs/trust.md); twin of `trust/errors.ts`.

Codes are the contract with the TypeScript twin and the API; the vectors carry the
French messages so both tables are checked against one source.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["TRUST_MESSAGES", "TrustError", "TrustErrorCode"]

TrustErrorCode = Literal[
    "root_mismatch",
    "wrong_commune",
    "expired",
    "bad_signature",
    "broken_chain",
    "not_a_certifier",
    "revoked",
    "stale_revocations",
    "malformed",
    "not_canonical",
]

TRUST_MESSAGES: Final[dict[TrustErrorCode, str]] = {
    "root_mismatch": (
        "La clé racine présentée ne correspond pas à l'empreinte de la commune "
        "enregistrée lors de l'invitation."
    ),
    "wrong_commune": "Ce document de confiance appartient à une autre commune.",
    "expired": "Ce certificat n'est pas encore valide ou a expiré.",
    "bad_signature": "La signature de ce document est invalide.",
    "broken_chain": "La chaîne de certificats ne remonte pas à la clé racine de la commune.",
    "not_a_certifier": "L'émetteur de ce document n'est pas autorisé à certifier des appareils.",
    "revoked": "Cet appareil a été révoqué ou suspendu.",
    "stale_revocations": (
        "La liste de révocation reçue est plus ancienne que la dernière liste vérifiée."
    ),
    "malformed": "Document de confiance mal formé.",
    "not_canonical": "Le document signé n'est pas en JSON canonique.",
}


class TrustError(Exception):
    """A trust check failed; `code` is stable (API, UI), `message` is French for people."""

    def __init__(self, code: TrustErrorCode, message: str | None = None) -> None:
        self.code: TrustErrorCode = code
        self.message: str = message or TRUST_MESSAGES[code]
        super().__init__(f"{code}: {self.message}")
