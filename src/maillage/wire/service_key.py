"""The commune's police service key: documents, verification, grants (docs/envelope.md).

Police content is always also wrapped to the current generation of this key, so an
operator device approved later reads the history once another operator device grants it
the private half. Every check runs on the device: the server only stores and hands out
what operator devices signed. No Django: the server's checks (`trust/service_keys.py`)
use the same parsers. Twin of `frontend/src/envelope/serviceKey.ts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.wire import chain
from maillage.wire.canonical import canonical_json, parse_canonical
from maillage.wire.envelope import EnvelopeError, Recipient, TrustContext
from maillage.wire.errors import TrustError
from maillage.wire.generations import (
    as_of,
    fingerprint_of,
    is_mine,
    open_private_key,
    seal_private_key,
    sign_body,
    verify_signer,
)
from maillage.wire.hpke import x25519_public_of
from maillage.wire.ids import (
    require_bytes,
    require_count,
    require_header,
    require_identifier,
    require_keys,
)

__all__ = [
    "GRANT_TYPE",
    "SERVICE",
    "SERVICE_KEY_TYPE",
    "GrantBody",
    "ServiceKeyDocument",
    "generate_service_key",
    "issue_service_key",
    "open_grant",
    "parse_grant",
    "parse_service_key_document",
    "seal_grant",
    "service_recipient",
    "verify_service_key",
]

SERVICE: Final = "police"
SERVICE_KEY_TYPE: Final = "maillage.service-key"
GRANT_TYPE: Final = "maillage.service-key-grant"
GRANT_INFO: Final = b"maillage.service-key.v1"

_DOCUMENT_KEYS: Final = frozenset(
    {"type", "v", "commune", "service", "number", "key", "issued_at", "issuer"}
)
_GRANT_KEYS: Final = frozenset(
    {
        "type",
        "v",
        "commune",
        "service",
        "number",
        "recipient",
        "recipient_key",
        "enc",
        "wrapped",
        "issued_at",
        "issuer",
    }
)


@dataclass(frozen=True, slots=True)
class ServiceKeyDocument:
    commune: str
    service: str
    number: int
    key: str
    issued_at: int
    issuer: str

    def to_json(self) -> dict[str, Any]:
        return {
            "type": SERVICE_KEY_TYPE,
            "v": 1,
            "commune": self.commune,
            "service": self.service,
            "number": self.number,
            "key": self.key,
            "issued_at": self.issued_at,
            "issuer": self.issuer,
        }


@dataclass(frozen=True, slots=True)
class GrantBody:
    commune: str
    service: str
    number: int
    recipient: str
    recipient_key: str
    enc: str
    wrapped: str
    issued_at: int
    issuer: str

    def to_json(self) -> dict[str, Any]:
        return {
            "type": GRANT_TYPE,
            "v": 1,
            "commune": self.commune,
            "service": self.service,
            "number": self.number,
            "recipient": self.recipient,
            "recipient_key": self.recipient_key,
            "enc": self.enc,
            "wrapped": self.wrapped,
            "issued_at": self.issued_at,
            "issuer": self.issuer,
        }


# --- shape ----------------------------------------------------------------------------


def _fields(doc: chain.SignedDocument, doc_type: str, keys: frozenset[str]) -> dict[str, Any]:
    """Parse a signed body as trust.md does and check its exact field set and type."""
    if not isinstance(doc, chain.SignedDocument):
        raise EnvelopeError("malformed")
    try:
        obj = parse_canonical(doc.body)
        require_keys(obj, keys)
        require_header(obj, doc_type)
        if obj["service"] != SERVICE:
            raise TrustError("malformed", "Service inconnu.")
        if require_count(obj, "number") < 1:
            raise TrustError("malformed", "Les générations commencent à 1.")
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc) from exc
    return obj


def parse_service_key_document(doc: chain.SignedDocument) -> ServiceKeyDocument:
    """Shape only, no signature check: for display and for the server's own checks."""
    obj = _fields(doc, SERVICE_KEY_TYPE, _DOCUMENT_KEYS)
    try:
        return ServiceKeyDocument(
            commune=require_identifier(obj, "commune"),
            service=SERVICE,
            number=require_count(obj, "number"),
            key=require_bytes(obj, "key"),
            issued_at=require_count(obj, "issued_at"),
            issuer=require_bytes(obj, "issuer"),
        )
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc) from exc


def parse_grant(doc: chain.SignedDocument) -> GrantBody:
    """Shape only, no signature check (the server stores grants it cannot open)."""
    obj = _fields(doc, GRANT_TYPE, _GRANT_KEYS)
    try:
        wrapped = require_bytes(obj, "wrapped", 48)
        return GrantBody(
            commune=require_identifier(obj, "commune"),
            service=SERVICE,
            number=require_count(obj, "number"),
            recipient=require_identifier(obj, "recipient"),
            recipient_key=require_bytes(obj, "recipient_key"),
            enc=require_bytes(obj, "enc"),
            wrapped=wrapped,
            issued_at=require_count(obj, "issued_at"),
            issuer=require_bytes(obj, "issuer"),
        )
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc) from exc


# --- issuing --------------------------------------------------------------------------


def generate_service_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def issue_service_key(
    sign_key: Ed25519PrivateKey, *, commune: str, number: int, public_key: str, issued_at: int
) -> chain.SignedDocument:
    """Sign generation `number` with the operator device's key; checked like a verifier."""
    body = ServiceKeyDocument(
        commune=commune,
        service=SERVICE,
        number=number,
        key=public_key,
        issued_at=issued_at,
        issuer=fingerprint_of(sign_key),
    )
    doc = sign_body(body.to_json(), sign_key)
    parse_service_key_document(doc)
    return doc


def _grant_aad(commune: str, number: int, recipient: str) -> bytes:
    return canonical_json(
        {
            "type": GRANT_TYPE,
            "v": 1,
            "commune": commune,
            "service": SERVICE,
            "number": number,
            "recipient": recipient,
        }
    )


def seal_grant(
    sign_key: Ed25519PrivateKey,
    *,
    commune: str,
    number: int,
    recipient_device: str,
    recipient_key: str,
    service_private_key: X25519PrivateKey,
    issued_at: int,
) -> chain.SignedDocument:
    """Wrap the service private key for one operator device (whose chain the caller
    verified) and sign the grant."""
    enc, wrapped = seal_private_key(
        recipient_key,
        service_private_key,
        info=GRANT_INFO,
        aad=_grant_aad(commune, number, recipient_device),
    )
    body = GrantBody(
        commune=commune,
        service=SERVICE,
        number=number,
        recipient=recipient_device,
        recipient_key=recipient_key,
        enc=enc,
        wrapped=wrapped,
        issued_at=issued_at,
        issuer=fingerprint_of(sign_key),
    )
    doc = sign_body(body.to_json(), sign_key)
    parse_grant(doc)
    return doc


# --- verifying ------------------------------------------------------------------------


def verify_service_key(
    wire: object,
    trust: TrustContext,
    now: int,
    last_seen_number: int = 0,
    *,
    as_of_issue: bool = False,
) -> ServiceKeyDocument:
    """Accept a published generation: signed by a certified, unrevoked operator device of
    this commune, and not older than the newest generation this device verified.

    `as_of_issue` is for an older generation received to read history: its signer may
    have been revoked since (often the very reason for the rotation), so the chain is
    checked as it stood at `issued_at`, as envelopes are as of `sent_at`, and an older
    number is expected. Senders never use it: they only wrap to the latest generation.
    """
    if not isinstance(wire, dict):
        raise EnvelopeError("malformed")
    try:
        doc = chain.SignedDocument.from_wire(wire)
        signer_chain = chain.parse_chain(wire.get("chain"))
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc) from exc
    body = parse_service_key_document(doc)
    if as_of_issue:
        verify_signer(doc, signer_chain, body.issuer, as_of(trust, body.issued_at), body.issued_at)
    else:
        verify_signer(doc, signer_chain, body.issuer, trust, now)
    if body.commune != trust.commune:
        raise EnvelopeError("wrong_commune", field="commune")
    if not as_of_issue and body.number < last_seen_number:
        raise EnvelopeError("stale_service_key", field="number")
    return body


def open_grant(
    doc: chain.SignedDocument,
    granter_chain: list[chain.SignedDocument],
    my_device: str,
    my_private_key: X25519PrivateKey,
    service_key: ServiceKeyDocument,
    trust: TrustContext,
    now: int,
) -> X25519PrivateKey:
    """Unwrap the service private key granted to this device, and prove it is the
    private half of the verified published key (`wrong_service_key` otherwise).

    The granter is checked as of the grant's `issued_at` (which the server keeps near its
    clock): a holder revoked after granting must not strand the devices it served, and the
    key check above is what makes a grant trustworthy, whoever handed it over.
    """
    grant = parse_grant(doc)
    verify_signer(doc, granter_chain, grant.issuer, as_of(trust, grant.issued_at), grant.issued_at)
    if grant.commune != trust.commune:
        raise EnvelopeError("wrong_commune", field="commune")
    if grant.number != service_key.number or grant.commune != service_key.commune:
        raise EnvelopeError("wrong_service_key", field="number")
    if not is_mine(grant.recipient, grant.recipient_key, my_device, my_private_key):
        raise EnvelopeError("not_a_recipient", field="recipient")
    private = open_private_key(
        my_private_key,
        grant.enc,
        grant.wrapped,
        info=GRANT_INFO,
        aad=_grant_aad(grant.commune, grant.number, grant.recipient),
    )
    if x25519_public_of(private) != service_key.key:
        raise EnvelopeError("wrong_service_key")
    return private


def service_recipient(doc: ServiceKeyDocument) -> Recipient:
    """The recipient entry for a verified generation: `police:<number>`."""
    return Recipient(kind="service", id=f"{doc.service}:{doc.number}", key=doc.key)
