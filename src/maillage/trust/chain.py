"""Device certificates and revocation lists: signing and verification (docs/trust.md).

Pure Python on purpose: the Django app and the standalone client `maillage.client` both
import it, and `frontend/src/trust/chain.ts` is its twin. Both must pass
`tests/vectors/trust-v1.json`; any change here changes the wire format and needs the
vectors, the TypeScript twin and docs/trust.md changed with it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, cast, get_args

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "CERTIFICATE_TYPE",
    "CLOCK_SKEW",
    "MAX_CHAIN_LENGTH",
    "MAX_SAFE_INTEGER",
    "REVOCATION_TYPE",
    "ROLES",
    "TRUST_MESSAGES",
    "CertificateBody",
    "RevocationEntry",
    "RevocationList",
    "RevocationReason",
    "Role",
    "SignedDocument",
    "TrustError",
    "TrustErrorCode",
    "b64url_decode",
    "b64url_encode",
    "canonical_json",
    "fingerprint",
    "issue_certificate",
    "issue_revocation_list",
    "parse_certificate",
    "parse_chain",
    "parse_revocation_document",
    "public_key_b64",
    "sign_document",
    "verify_chain",
    "verify_revocation_list",
]

CERTIFICATE_TYPE: Final = "maillage.device-certificate"
REVOCATION_TYPE: Final = "maillage.revocation-list"
# Clocks of phones drift; a certificate issued a few minutes "in the future" is accepted.
CLOCK_SKEW: Final = 300
# root -> coordinator -> (coordinator's other device) -> device is 3; leave some room.
MAX_CHAIN_LENGTH: Final = 8
# Integers must survive a round trip through a JavaScript number.
MAX_SAFE_INTEGER: Final = 2**53 - 1
# Nesting beyond this is refused so that both languages fail the same way, not by stack.
MAX_DEPTH: Final = 32

Role = Literal["commercant", "coordinateur", "operateur", "agent", "referent", "observateur", "dpo"]
ROLES: Final[frozenset[str]] = frozenset(get_args(Role))
CERTIFIER_ROLE: Final = "coordinateur"
RevocationReason = Literal["suspended", "revoked"]
REVOCATION_REASONS: Final[frozenset[str]] = frozenset(get_args(RevocationReason))

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

# Same table in chain.ts; the vectors carry it so both are checked against one source.
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


# --- base64url ------------------------------------------------------------------------

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    """base64url without padding, the only encoding of bytes on the wire."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict decoding: no padding, no stray characters, no non-zero trailing bits.

    One byte string has exactly one accepted encoding, so nobody can vary a signature's
    or a key's text without the verifier noticing.
    """
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise TrustError("malformed", "Encodage base64url invalide.")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TrustError("malformed", "Encodage base64url invalide.") from exc
    if b64url_encode(data) != text:
        raise TrustError("malformed", "Encodage base64url invalide.")
    return data


def _decode_fixed(text: object, length: int) -> bytes:
    if not isinstance(text, str):
        raise TrustError("malformed")
    data = b64url_decode(text)
    if len(data) != length:
        raise TrustError("malformed")
    return data


def fingerprint(sign_public_key_raw: bytes) -> str:
    """base64url(SHA-256(raw Ed25519 public key)): what invitation links pin."""
    if len(sign_public_key_raw) != 32:
        raise TrustError("malformed", "Une clé publique Ed25519 fait 32 octets.")
    return b64url_encode(hashlib.sha256(sign_public_key_raw).digest())


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Raw 32-byte public key, base64url: the form keys travel in."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return b64url_encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


# --- canonical JSON -------------------------------------------------------------------


def _check_canonical_value(value: object, depth: int) -> None:
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
            _check_canonical_value(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TrustError("not_canonical", "Les clés d'un objet doivent être des textes.")
            _check_text(key)
            _check_canonical_value(item, depth + 1)
        return
    raise TrustError("not_canonical", f"Type refusé en JSON canonique : {type(value).__name__}.")


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogate: no UTF-8 form, JS would escape it
        raise TrustError("not_canonical", "Texte Unicode invalide.") from exc


def canonical_json(obj: object) -> bytes:
    """The exact bytes that get signed (docs/trust.md, "Canonical JSON").

    Keys sorted by code point, no whitespace, UTF-8 as is: identical to the TypeScript
    `canonicalJson`. Floats, non-text keys, integers beyond ±(2^53 − 1) and lone
    surrogates are refused because the two languages would not write them alike.
    """
    _check_canonical_value(obj, 0)
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.encode("utf-8")


def _refuse_constant(name: str) -> object:
    raise TrustError("malformed", f"Constante JSON refusée : {name}.")


def _parse_canonical(body: object) -> dict[str, Any]:
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


# --- signed documents -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignedDocument:
    """A body exactly as signed (canonical JSON text) and its Ed25519 signature."""

    body: str
    signature: str

    @classmethod
    def from_wire(cls, obj: object) -> SignedDocument:
        """Read `{"body": ..., "signature": ...}` as it came off the network."""
        if not isinstance(obj, dict):
            raise TrustError("malformed")
        body, signature = obj.get("body"), obj.get("signature")
        if not isinstance(body, str) or not isinstance(signature, str):
            raise TrustError("malformed")
        return cls(body=body, signature=signature)

    def to_wire(self) -> dict[str, str]:
        return {"body": self.body, "signature": self.signature}


def sign_document(body_obj: object, private_key: Ed25519PrivateKey) -> SignedDocument:
    """Canonicalise `body_obj` and sign the UTF-8 bytes with Ed25519."""
    raw = canonical_json(body_obj)
    return SignedDocument(raw.decode("utf-8"), b64url_encode(private_key.sign(raw)))


def parse_chain(obj: object) -> list[SignedDocument]:
    """Read a chain (leaf first) off the wire."""
    if not isinstance(obj, list):
        raise TrustError("malformed")
    return [SignedDocument.from_wire(item) for item in obj]


def parse_revocation_document(obj: object) -> tuple[SignedDocument, list[SignedDocument]]:
    """Read `{"body", "signature", "chain"}` into (document, signer's chain)."""
    if not isinstance(obj, dict):
        raise TrustError("malformed")
    return SignedDocument.from_wire(obj), parse_chain(obj.get("chain"))


def _verify_signature(public_raw: bytes, doc: SignedDocument, signature: bytes) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, doc.body.encode("utf-8"))
    except (InvalidSignature, ValueError) as exc:
        raise TrustError("bad_signature") from exc


# --- field checks ---------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_count(value: object) -> bool:
    """An integer both languages hold exactly: 0 … 2^53 − 1 (times, list numbers)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SAFE_INTEGER


def _require_keys(obj: dict[str, Any], expected: frozenset[str]) -> None:
    if set(obj) != expected:
        raise TrustError("malformed", "Champs inattendus ou manquants.")


# Identifiers are public_ids (UUIDs); ASCII only so both languages count lengths alike.
_IDENTIFIER = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _require_text(obj: dict[str, Any], name: str) -> str:
    value = obj[name]
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise TrustError("malformed", f"Champ « {name} » invalide.")
    return value


def _require_int(obj: dict[str, Any], name: str) -> int:
    value = obj[name]
    if not _is_count(value):
        raise TrustError("malformed", f"Champ « {name} » invalide.")
    return int(value)


def _require_header(obj: dict[str, Any], doc_type: str) -> None:
    if obj.get("type") != doc_type or not _is_int(obj.get("v")) or obj.get("v") != 1:
        raise TrustError("malformed", "Type ou version de document inconnu.")


def _require_key(obj: dict[str, Any], name: str) -> str:
    value = obj[name]
    _decode_fixed(value, 32)
    return str(value)


# --- certificates ---------------------------------------------------------------------

_CERTIFICATE_KEYS: Final = frozenset(
    {
        "type",
        "v",
        "serial",
        "commune",
        "device",
        "member",
        "role",
        "shop",
        "enc_key",
        "sign_key",
        "may_certify",
        "issuer",
        "issued_at",
        "expires_at",
    }
)


@dataclass(frozen=True, slots=True)
class CertificateBody:
    """What a device certificate says (docs/trust.md, "Device certificate")."""

    serial: str
    commune: str
    device: str
    member: str
    role: Role
    shop: str | None
    enc_key: str
    sign_key: str
    may_certify: bool
    issuer: str
    issued_at: int
    expires_at: int

    def to_json(self) -> dict[str, Any]:
        return {
            "type": CERTIFICATE_TYPE,
            "v": 1,
            "serial": self.serial,
            "commune": self.commune,
            "device": self.device,
            "member": self.member,
            "role": self.role,
            "shop": self.shop,
            "enc_key": self.enc_key,
            "sign_key": self.sign_key,
            "may_certify": self.may_certify,
            "issuer": self.issuer,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> CertificateBody:
        """Check every field's type and shape; unknown or missing fields are refused."""
        _require_keys(obj, _CERTIFICATE_KEYS)
        _require_header(obj, CERTIFICATE_TYPE)
        role = obj["role"]
        if not isinstance(role, str) or role not in ROLES:
            raise TrustError("malformed", "Rôle inconnu.")
        shop = obj["shop"]
        if shop is not None:
            shop = _require_text(obj, "shop")
        if not isinstance(obj["may_certify"], bool):
            raise TrustError("malformed", "Champ « may_certify » invalide.")
        body = cls(
            serial=_require_text(obj, "serial"),
            commune=_require_text(obj, "commune"),
            device=_require_text(obj, "device"),
            member=_require_text(obj, "member"),
            role=cast(Role, role),
            shop=shop,
            enc_key=_require_key(obj, "enc_key"),
            sign_key=_require_key(obj, "sign_key"),
            may_certify=obj["may_certify"],
            issuer=_require_key(obj, "issuer"),
            issued_at=_require_int(obj, "issued_at"),
            expires_at=_require_int(obj, "expires_at"),
        )
        if body.expires_at <= body.issued_at:
            raise TrustError("malformed", "Période de validité vide.")
        return body

    @property
    def sign_key_raw(self) -> bytes:
        return b64url_decode(self.sign_key)

    @property
    def enc_key_raw(self) -> bytes:
        return b64url_decode(self.enc_key)

    @property
    def can_certify(self) -> bool:
        return self.may_certify and self.role == CERTIFIER_ROLE


def parse_certificate(doc: SignedDocument) -> CertificateBody:
    """Shape checks only, no signature check: for display, never for trust decisions."""
    return CertificateBody.from_json(_parse_canonical(doc.body))


def issue_certificate(
    issuer_key: Ed25519PrivateKey,
    *,
    commune: str,
    device: str,
    member: str,
    role: Role,
    shop: str | None,
    enc_key: str,
    sign_key: str,
    may_certify: bool,
    issued_at: int,
    expires_at: int,
    serial: str | None = None,
) -> SignedDocument:
    """Certify a device's two public keys with the root or a certifying device's key.

    The body goes through the same checks verifiers apply, so nothing unverifiable gets
    signed; `may_certify` is refused for any role but coordinator.
    """
    if may_certify and role != CERTIFIER_ROLE:
        raise TrustError("malformed", "Seul un appareil de coordinateur peut certifier.")
    body = CertificateBody(
        serial=serial or str(uuid.uuid4()),
        commune=commune,
        device=device,
        member=member,
        role=role,
        shop=shop,
        enc_key=enc_key,
        sign_key=sign_key,
        may_certify=may_certify,
        issuer=fingerprint(b64url_decode(public_key_b64(issuer_key))),
        issued_at=issued_at,
        expires_at=expires_at,
    )
    CertificateBody.from_json(body.to_json())
    return sign_document(body.to_json(), issuer_key)


# --- revocation lists -----------------------------------------------------------------

_REVOCATION_KEYS: Final = frozenset(
    {"type", "v", "commune", "number", "issued_at", "entries", "issuer"}
)
_ENTRY_KEYS: Final = frozenset({"serial", "device", "reason", "at"})


@dataclass(frozen=True, slots=True)
class RevocationEntry:
    serial: str
    device: str
    reason: RevocationReason
    at: int

    def to_json(self) -> dict[str, Any]:
        return {"serial": self.serial, "device": self.device, "reason": self.reason, "at": self.at}


@dataclass(frozen=True, slots=True)
class RevocationList:
    """A revocation list's content; only `verify_revocation_list` should hand one out."""

    commune: str
    number: int
    issued_at: int
    entries: tuple[RevocationEntry, ...]
    issuer: str

    @property
    def serials(self) -> frozenset[str]:
        return frozenset(entry.serial for entry in self.entries)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": REVOCATION_TYPE,
            "v": 1,
            "commune": self.commune,
            "number": self.number,
            "issued_at": self.issued_at,
            "entries": [entry.to_json() for entry in self.entries],
            "issuer": self.issuer,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> RevocationList:
        _require_keys(obj, _REVOCATION_KEYS)
        _require_header(obj, REVOCATION_TYPE)
        raw_entries = obj["entries"]
        if not isinstance(raw_entries, list):
            raise TrustError("malformed", "Champ « entries » invalide.")
        entries = []
        for raw in raw_entries:
            if not isinstance(raw, dict):
                raise TrustError("malformed", "Entrée de révocation invalide.")
            _require_keys(raw, _ENTRY_KEYS)
            if not isinstance(raw["reason"], str) or raw["reason"] not in REVOCATION_REASONS:
                raise TrustError("malformed", "Motif de révocation inconnu.")
            entries.append(
                RevocationEntry(
                    serial=_require_text(raw, "serial"),
                    device=_require_text(raw, "device"),
                    reason=cast(RevocationReason, raw["reason"]),
                    at=_require_int(raw, "at"),
                )
            )
        return cls(
            commune=_require_text(obj, "commune"),
            number=_require_int(obj, "number"),
            issued_at=_require_int(obj, "issued_at"),
            entries=tuple(entries),
            issuer=_require_key(obj, "issuer"),
        )


def issue_revocation_list(
    issuer_key: Ed25519PrivateKey,
    *,
    commune: str,
    number: int,
    issued_at: int,
    entries: Sequence[RevocationEntry],
) -> SignedDocument:
    """Sign list `number`; the caller must include every entry of the previous list."""
    body = RevocationList(
        commune=commune,
        number=number,
        issued_at=issued_at,
        entries=tuple(entries),
        issuer=fingerprint(b64url_decode(public_key_b64(issuer_key))),
    )
    RevocationList.from_json(body.to_json())
    return sign_document(body.to_json(), issuer_key)


# --- verification ---------------------------------------------------------------------


def _pinned_root(root_public_key_b64: str, pinned_fingerprint: str) -> bytes:
    root_raw = _decode_fixed(root_public_key_b64, 32)
    if fingerprint(root_raw) != pinned_fingerprint:
        raise TrustError("root_mismatch")
    return root_raw


def verify_chain(
    chain: Sequence[SignedDocument],
    root_public_key_b64: str,
    pinned_fingerprint: str,
    commune: str,
    revocations: RevocationList | None,
    now: int,
) -> CertificateBody:
    """Check a chain (leaf first) up to the pinned root; return the leaf's body.

    The order of checks is part of the contract (docs/trust.md, "Chain verification"):
    both implementations must report the same code for the same input. `revocations`
    must come from `verify_revocation_list`; None skips the revocation check and is only
    for bootstrapping (verifying the signer of a revocation list).
    """
    root_raw = _pinned_root(root_public_key_b64, pinned_fingerprint)
    if revocations is not None and revocations.commune != commune:
        raise TrustError("wrong_commune")
    if not _is_count(now):
        raise TrustError("malformed")
    if not isinstance(chain, Sequence) or not 0 < len(chain) <= MAX_CHAIN_LENGTH:
        raise TrustError("malformed", "Chaîne de certificats vide ou trop longue.")

    parsed: list[tuple[SignedDocument, bytes, CertificateBody]] = []
    for doc in chain:
        if not isinstance(doc, SignedDocument):
            raise TrustError("malformed")
        signature = _decode_fixed(doc.signature, 64)
        parsed.append((doc, signature, parse_certificate(doc)))

    revoked = revocations.serials if revocations is not None else frozenset()
    issuer_raw, issuer_body = root_raw, None
    for doc, signature, body in reversed(parsed):
        if body.issuer != fingerprint(issuer_raw):
            raise TrustError("broken_chain")
        _verify_signature(issuer_raw, doc, signature)
        if issuer_body is not None and not issuer_body.can_certify:
            raise TrustError("not_a_certifier")
        if body.commune != commune:
            raise TrustError("wrong_commune")
        if not body.issued_at - CLOCK_SKEW <= now < body.expires_at:
            raise TrustError("expired")
        if body.serial in revoked:
            raise TrustError("revoked")
        issuer_raw, issuer_body = body.sign_key_raw, body
    return parsed[0][2]


def verify_revocation_list(
    doc: SignedDocument,
    chain: Sequence[SignedDocument],
    root_public_key_b64: str,
    pinned_fingerprint: str,
    commune: str,
    last_seen_number: int,
    now: int,
    *,
    known_serials: Collection[str] = (),
) -> RevocationList:
    """Check a revocation list signed by the root (empty chain) or a certifying device.

    `last_seen_number` is the highest number this client verified before; a lower one is
    refused so a server cannot roll back. `known_serials` are serials this client already
    saw revoked: a list missing one is refused too, so a revoked coordinator cannot sign
    a higher-numbered list that forgets its own revocation.
    """
    root_raw = _pinned_root(root_public_key_b64, pinned_fingerprint)
    if not isinstance(doc, SignedDocument) or not _is_count(last_seen_number):
        raise TrustError("malformed")
    signature = _decode_fixed(doc.signature, 64)
    body = RevocationList.from_json(_parse_canonical(doc.body))

    if len(chain) == 0:
        signer_raw = root_raw
    else:
        signer = verify_chain(chain, root_public_key_b64, pinned_fingerprint, commune, None, now)
        if not signer.can_certify:
            raise TrustError("not_a_certifier")
        signer_raw = signer.sign_key_raw
    if body.issuer != fingerprint(signer_raw):
        raise TrustError("broken_chain")
    _verify_signature(signer_raw, doc, signature)

    if body.commune != commune:
        raise TrustError("wrong_commune")
    if body.number < last_seen_number:
        raise TrustError("stale_revocations")
    if not body.serials.issuperset(known_serials):
        raise TrustError("stale_revocations")
    if len(chain) > 0:
        verify_chain(chain, root_public_key_b64, pinned_fingerprint, commune, body, now)
    return body
