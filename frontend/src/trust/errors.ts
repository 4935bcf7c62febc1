/**
 * Trust errors shared by every trust module. Codes are the contract with the Python
 * twin (src/maillage/wire/errors.py); the vectors carry the French messages so both
 * tables are checked against one source.
 */

export type TrustErrorCode =
  | "root_mismatch"
  | "wrong_commune"
  | "expired"
  | "bad_signature"
  | "broken_chain"
  | "not_a_certifier"
  | "revoked"
  | "stale_revocations"
  | "malformed"
  | "not_canonical";

export const TRUST_MESSAGES: Readonly<Record<TrustErrorCode, string>> = {
  root_mismatch:
    "La clé racine présentée ne correspond pas à l'empreinte de la commune enregistrée lors de l'invitation.",
  wrong_commune: "Ce document de confiance appartient à une autre commune.",
  expired: "Ce certificat n'est pas encore valide ou a expiré.",
  bad_signature: "La signature de ce document est invalide.",
  broken_chain: "La chaîne de certificats ne remonte pas à la clé racine de la commune.",
  not_a_certifier: "L'émetteur de ce document n'est pas autorisé à certifier des appareils.",
  revoked: "Cet appareil a été révoqué ou suspendu.",
  stale_revocations:
    "La liste de révocation reçue est plus ancienne que la dernière liste vérifiée.",
  malformed: "Document de confiance mal formé.",
  not_canonical: "Le document signé n'est pas en JSON canonique.",
};

/** A trust check failed: `code` is stable (API, UI), `message` is French for people. */
export class TrustError extends Error {
  readonly code: TrustErrorCode;

  constructor(code: TrustErrorCode, message?: string) {
    super(message ?? TRUST_MESSAGES[code]);
    this.name = "TrustError";
    this.code = code;
  }
}
