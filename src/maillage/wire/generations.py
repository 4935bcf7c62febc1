"""Numbered key generations handed out by signed grants: the rules the police service key
and the broadcast group keys share (docs/envelope.md, "Police service key" and
"Broadcasts and group keys").

A generation document and its grants are signed by an operator device with a certified
chain; a grant is a generation's X25519 private half HPKE-sealed to one device's enc key.
Twin of `frontend/src/envelope/generations.ts`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from maillage.wire import chain
from maillage.wire.b64 import b64url_decode, b64url_encode, decode_fixed
from maillage.wire.envelope import EnvelopeError, TrustContext
from maillage.wire.errors import TrustError
from maillage.wire.hpke import HpkeFailure, hpke_open, hpke_seal, x25519_public_of

__all__ = [
    "ISSUER_ROLES",
    "as_of",
    "fingerprint_of",
    "is_mine",
    "open_private_key",
    "open_secret",
    "seal_private_key",
    "seal_secret",
    "sign_body",
    "verify_leaf",
    "verify_signer",
]

# Only operator devices sign generations and grants (police key and group keys alike).
ISSUER_ROLES: Final = frozenset({"operateur"})


def as_of(trust: TrustContext, at: int) -> TrustContext:
    """The trust context as it stood at `at`: revocations dated later are ignored."""
    return replace(trust, revocations=chain.revocations_as_of(trust.revocations, at))


def fingerprint_of(sign_key: Ed25519PrivateKey) -> str:
    return chain.fingerprint(b64url_decode(chain.public_key_b64(sign_key)))


def sign_body(body: dict[str, Any], sign_key: Ed25519PrivateKey) -> chain.SignedDocument:
    try:
        return chain.sign_document(body, sign_key)
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc) from exc


def verify_leaf(
    signer_chain: list[chain.SignedDocument],
    trust: TrustContext,
    now: int,
    roles: Collection[str] = ISSUER_ROLES,
) -> chain.CertificateBody:
    """The signer's chain with the given revocations, then a leaf of an allowed role
    (`not_allowed_recipient`): what every signed generation, grant or key grant needs."""
    try:
        leaf = chain.verify_chain(
            signer_chain,
            trust.root_public_key,
            trust.pinned_fingerprint,
            trust.commune,
            trust.revocations,
            now,
        )
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc, "chain") from exc
    if leaf.role not in roles:
        raise EnvelopeError("not_allowed_recipient", field="chain")
    return leaf


def verify_signer(
    doc: chain.SignedDocument,
    signer_chain: list[chain.SignedDocument],
    issuer: str,
    trust: TrustContext,
    now: int,
    roles: Collection[str] = ISSUER_ROLES,
) -> chain.CertificateBody:
    """Chain with the given revocations, a leaf of an allowed role, `issuer` its
    fingerprint, then the signature: the order both implementations follow."""
    try:
        signature = decode_fixed(doc.signature, 64)
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc, "chain") from exc
    leaf = verify_leaf(signer_chain, trust, now, roles)
    if issuer != chain.fingerprint(leaf.sign_key_raw):
        raise EnvelopeError("broken_chain", field="issuer")
    if not chain.signature_valid(leaf.sign_key_raw, doc.body, signature):
        raise EnvelopeError("bad_signature", field="signature")
    return leaf


def seal_secret(recipient_key: str, secret: bytes, *, info: bytes, aad: bytes) -> tuple[str, str]:
    """HPKE-seal raw key bytes to one device key: (enc, wrapped) as base64url."""
    try:
        enc, wrapped = hpke_seal(b64url_decode(recipient_key), secret, info=info, aad=aad)
    except (TrustError, HpkeFailure) as exc:
        raise EnvelopeError("malformed", "Clé de destinataire inutilisable.") from exc
    return b64url_encode(enc), b64url_encode(wrapped)


def open_secret(
    my_private_key: X25519PrivateKey, enc: str, wrapped: str, *, info: bytes, aad: bytes
) -> bytes:
    """Open what `seal_secret` sealed to this device (`undecryptable` on any failure)."""
    try:
        return hpke_open(
            my_private_key, b64url_decode(enc), b64url_decode(wrapped), info=info, aad=aad
        )
    except HpkeFailure as exc:
        raise EnvelopeError("undecryptable") from exc


def seal_private_key(
    recipient_key: str, private_key: X25519PrivateKey, *, info: bytes, aad: bytes
) -> tuple[str, str]:
    """HPKE-seal a generation's private half to one device key: (enc, wrapped)."""
    raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return seal_secret(recipient_key, raw, info=info, aad=aad)


def open_private_key(
    my_private_key: X25519PrivateKey, enc: str, wrapped: str, *, info: bytes, aad: bytes
) -> X25519PrivateKey:
    """Open a grant's wrapped private half (`undecryptable` on any failure)."""
    raw = open_secret(my_private_key, enc, wrapped, info=info, aad=aad)
    try:
        return X25519PrivateKey.from_private_bytes(raw)
    except ValueError as exc:
        raise EnvelopeError("undecryptable") from exc


def is_mine(recipient: str, recipient_key: str, my_device: str, mine: X25519PrivateKey) -> bool:
    """A grant names this device and its own enc key (`not_a_recipient` otherwise)."""
    return recipient == my_device and recipient_key == x25519_public_of(mine)
