"""Device certificates and revocation lists: signing and verification (docs/trust.md).

No Django: the server and the standalone client `maillage.client` both import it, and
`frontend/src/trust/chain.ts` is its twin. Both must pass `tests/vectors/trust-v1.json`;
any change here changes the wire format and needs the vectors, the TypeScript twin and
docs/trust.md changed with it. Like chain.ts, it re-exports the encodings and errors its
users need with it (base64url, canonical JSON, `TrustError`), defined in their own modules.
"""

from __future__ import annotations

import hashlib
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

from maillage.wire.b64 import b64url_decode, b64url_encode, decode_fixed
from maillage.wire.canonical import MAX_SAFE_INTEGER, canonical_json, parse_canonical
from maillage.wire.errors import TRUST_MESSAGES, TrustError, TrustErrorCode
from maillage.wire.ids import (
    is_count,
    require_bytes,
    require_count,
    require_header,
    require_identifier,
    require_keys,
)

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
    "revocations_as_of",
    "sign_document",
    "signature_valid",
    "verify_chain",
    "verify_revocation_list",
]

CERTIFICATE_TYPE: Final = "maillage.device-certificate"
REVOCATION_TYPE: Final = "maillage.revocation-list"
# Clocks of phones drift; a certificate issued a few minutes "in the future" is accepted.
CLOCK_SKEW: Final = 300
# root -> coordinator -> (coordinator's other device) -> device is 3; leave some room.
MAX_CHAIN_LENGTH: Final = 8

Role = Literal[
    "commercant",
    "coordinateur",
    "operateur",
    "agent",
    "referent",
    "observateur",
    "dpo",
    "partenaire",
]
ROLES: Final[frozenset[str]] = frozenset(get_args(Role))
CERTIFIER_ROLE: Final = "coordinateur"
RevocationReason = Literal["suspended", "revoked"]
REVOCATION_REASONS: Final[frozenset[str]] = frozenset(get_args(RevocationReason))

# --- keys -----------------------------------------------------------------------------


def fingerprint(sign_public_key_raw: bytes) -> str:
    """base64url(SHA-256(raw Ed25519 public key)): what invitation links pin."""
    if len(sign_public_key_raw) != 32:
        raise TrustError("malformed", "Une clé publique Ed25519 fait 32 octets.")
    return b64url_encode(hashlib.sha256(sign_public_key_raw).digest())


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Raw 32-byte public key, base64url: the form keys travel in."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return b64url_encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


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


def signature_valid(public_raw: bytes, body: str, signature: bytes) -> bool:
    """Whether `signature` is a valid Ed25519 signature of `body`'s UTF-8 bytes."""
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, body.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


def _verify_signature(public_raw: bytes, doc: SignedDocument, signature: bytes) -> None:
    if not signature_valid(public_raw, doc.body, signature):
        raise TrustError("bad_signature")


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
        require_keys(obj, _CERTIFICATE_KEYS)
        require_header(obj, CERTIFICATE_TYPE)
        role = obj["role"]
        if not isinstance(role, str) or role not in ROLES:
            raise TrustError("malformed", "Rôle inconnu.")
        shop = obj["shop"]
        if shop is not None:
            shop = require_identifier(obj, "shop")
        if not isinstance(obj["may_certify"], bool):
            raise TrustError("malformed", "Champ « may_certify » invalide.")
        body = cls(
            serial=require_identifier(obj, "serial"),
            commune=require_identifier(obj, "commune"),
            device=require_identifier(obj, "device"),
            member=require_identifier(obj, "member"),
            role=cast(Role, role),
            shop=shop,
            enc_key=require_bytes(obj, "enc_key"),
            sign_key=require_bytes(obj, "sign_key"),
            may_certify=obj["may_certify"],
            issuer=require_bytes(obj, "issuer"),
            issued_at=require_count(obj, "issued_at"),
            expires_at=require_count(obj, "expires_at"),
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
    return CertificateBody.from_json(parse_canonical(doc.body))


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
        require_keys(obj, _REVOCATION_KEYS)
        require_header(obj, REVOCATION_TYPE)
        raw_entries = obj["entries"]
        if not isinstance(raw_entries, list):
            raise TrustError("malformed", "Champ « entries » invalide.")
        entries = []
        for raw in raw_entries:
            if not isinstance(raw, dict):
                raise TrustError("malformed", "Entrée de révocation invalide.")
            require_keys(raw, _ENTRY_KEYS)
            if not isinstance(raw["reason"], str) or raw["reason"] not in REVOCATION_REASONS:
                raise TrustError("malformed", "Motif de révocation inconnu.")
            entries.append(
                RevocationEntry(
                    serial=require_identifier(raw, "serial"),
                    device=require_identifier(raw, "device"),
                    reason=cast(RevocationReason, raw["reason"]),
                    at=require_count(raw, "at"),
                )
            )
        return cls(
            commune=require_identifier(obj, "commune"),
            number=require_count(obj, "number"),
            issued_at=require_count(obj, "issued_at"),
            entries=tuple(entries),
            issuer=require_bytes(obj, "issuer"),
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
    root_raw = decode_fixed(root_public_key_b64, 32)
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
    if not is_count(now):
        raise TrustError("malformed")
    if not isinstance(chain, Sequence) or not 0 < len(chain) <= MAX_CHAIN_LENGTH:
        raise TrustError("malformed", "Chaîne de certificats vide ou trop longue.")

    parsed: list[tuple[SignedDocument, bytes, CertificateBody]] = []
    for doc in chain:
        if not isinstance(doc, SignedDocument):
            raise TrustError("malformed")
        signature = decode_fixed(doc.signature, 64)
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
    if not isinstance(doc, SignedDocument) or not is_count(last_seen_number):
        raise TrustError("malformed")
    signature = decode_fixed(doc.signature, 64)
    body = RevocationList.from_json(parse_canonical(doc.body))

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


def revocations_as_of(revocations: RevocationList, at: int) -> RevocationList:
    """The list as it stood at `at`: later revocations do not unsay what was signed before
    (an envelope as of its `sent_at`, a service key or a grant as of its `issued_at`)."""
    return RevocationList(
        commune=revocations.commune,
        number=revocations.number,
        issued_at=revocations.issued_at,
        entries=tuple(e for e in revocations.entries if e.at <= at),
        issuer=revocations.issuer,
    )
