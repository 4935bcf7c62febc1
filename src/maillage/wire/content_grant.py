"""Content-key grants: one message's key K handed to one device (docs/envelope.md,
"Dispatch: content-key grants").

An agent holds no service key (it would open every report), so the dispatching operator's
device, which opened the message, HPKE-seals that message's AES key to each of the
agent's certified devices and signs the grant. A grant can only hand over a key: the
parts are AES-GCM under K with the binding as associated data, so a K that is not the
message's fails as `undecryptable`. No Django: the server parses grants with
`parse_content_key_grant` and checks their signature with `verify_grant_signature`.
Twin of `frontend/src/envelope/contentGrant.ts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.wire import chain
from maillage.wire.b64 import decode_fixed
from maillage.wire.canonical import canonical_json, parse_canonical
from maillage.wire.envelope import (
    KEY_BYTES,
    WRAPPED_BYTES,
    Binding,
    EnvelopeError,
    Opened,
    TrustContext,
    check_binding,
    malformed,
)
from maillage.wire.errors import TrustError
from maillage.wire.generations import (
    as_of,
    fingerprint_of,
    is_mine,
    open_secret,
    seal_secret,
    sign_body,
    verify_leaf,
)
from maillage.wire.ids import (
    is_count,
    is_identifier,
    require_bytes,
    require_count,
    require_header,
    require_identifier,
    require_keys,
)
from maillage.wire.opening import open_parts, verify_through_parts

__all__ = [
    "CONTENT_GRANT_INFO",
    "CONTENT_GRANT_TYPE",
    "ContentKeyGrant",
    "open_content_key_grant",
    "open_envelope_with_grant",
    "parse_content_key_grant",
    "seal_content_key_grant",
    "verify_grant_signature",
]

CONTENT_GRANT_TYPE: Final = "maillage.content-key-grant"
CONTENT_GRANT_INFO: Final = b"maillage.content-key-grant.v1"

_GRANT_KEYS: Final = frozenset(
    {
        "type",
        "v",
        "commune",
        "incident",
        "message",
        "recipient",
        "recipient_key",
        "enc",
        "wrapped",
        "issued_at",
        "issuer",
    }
)


@dataclass(frozen=True, slots=True)
class ContentKeyGrant:
    """A grant's body after the shape checks; nothing in it is authenticated yet."""

    commune: str
    incident: str
    message: str
    recipient: str
    recipient_key: str
    enc: str
    wrapped: str
    issued_at: int
    issuer: str

    @property
    def binding(self) -> Binding:
        return Binding(self.commune, self.incident, self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": CONTENT_GRANT_TYPE,
            "v": 1,
            "commune": self.commune,
            "incident": self.incident,
            "message": self.message,
            "recipient": self.recipient,
            "recipient_key": self.recipient_key,
            "enc": self.enc,
            "wrapped": self.wrapped,
            "issued_at": self.issued_at,
            "issuer": self.issuer,
        }


def _grant_aad(binding: Binding, recipient: str) -> bytes:
    """HPKE associated data: K opens only for this message and this device."""
    return canonical_json(
        {
            "type": CONTENT_GRANT_TYPE,
            "v": 1,
            "commune": binding.commune,
            "incident": binding.incident,
            "message": binding.message,
            "recipient": recipient,
        }
    )


# --- shape ----------------------------------------------------------------------------


def parse_content_key_grant(doc: chain.SignedDocument) -> ContentKeyGrant:
    """Shape only, no signature check (the server stores grants it cannot open).

    Every failure is `bad_grant`, with the detail of the field at fault: canonical body,
    exact field set, `type` and `v` = 1 (no `unsupported_version`: a grant is read by
    the version of the envelope it opens), identifiers, `enc` 32 bytes, `wrapped` 48
    (K's 32 plus the tag), `issuer` 32, then the signature's 64 bytes, so that a parsed
    grant's signature can be checked without further decoding.
    """
    if not isinstance(doc, chain.SignedDocument):
        raise EnvelopeError("bad_grant", field="grant")
    try:
        obj = parse_canonical(doc.body)
        require_keys(obj, _GRANT_KEYS)
        require_header(obj, CONTENT_GRANT_TYPE)
        grant = ContentKeyGrant(
            commune=require_identifier(obj, "commune"),
            incident=require_identifier(obj, "incident"),
            message=require_identifier(obj, "message"),
            recipient=require_identifier(obj, "recipient"),
            recipient_key=require_bytes(obj, "recipient_key"),
            enc=require_bytes(obj, "enc"),
            wrapped=require_bytes(obj, "wrapped", WRAPPED_BYTES),
            issued_at=require_count(obj, "issued_at"),
            issuer=require_bytes(obj, "issuer"),
        )
        decode_fixed(doc.signature, 64)
    except TrustError as exc:
        raise EnvelopeError("bad_grant", exc.message, field="grant") from exc
    return grant


def _check_signed_by(doc: chain.SignedDocument, grant: ContentKeyGrant, signer: bytes) -> None:
    """`issuer` names the signer's key and the signature holds, else `bad_grant`."""
    if grant.issuer != chain.fingerprint(signer) or not chain.signature_valid(
        signer, doc.body, decode_fixed(doc.signature, 64)
    ):
        raise EnvelopeError("bad_grant", field="signature")


def verify_grant_signature(doc: chain.SignedDocument, sign_key: str) -> ContentKeyGrant:
    """Shape, then signed by `sign_key` (base64url Ed25519 public key, as a certificate's
    `sign_key` holds it) and naming it as `issuer` (`bad_grant` otherwise).

    For the server, which already knows the granting device (the session's) and its
    current certificate: no chain or role check here, the caller has done those.
    """
    grant = parse_content_key_grant(doc)
    try:
        signer = decode_fixed(sign_key, 32)
    except TrustError as exc:
        raise EnvelopeError("malformed", "Clé de signature inutilisable.") from exc
    _check_signed_by(doc, grant, signer)
    return grant


# --- granting -------------------------------------------------------------------------


def seal_content_key_grant(
    sign_key: Ed25519PrivateKey,
    *,
    commune: str,
    incident: str,
    message: str,
    recipient_device: str,
    recipient_key: str,
    content_key: bytes,
    issued_at: int,
) -> chain.SignedDocument:
    """Wrap message K for one device (whose chain the caller verified) and sign it.

    Inputs are checked first (`malformed`), so a bad call is the caller's error, not a
    `bad_grant` every opener would report.
    """
    binding = Binding(commune, incident, message)
    check_binding(binding)
    if not is_identifier(recipient_device):
        raise malformed("recipient")
    if not is_count(issued_at):
        raise malformed("issued_at")
    if not isinstance(content_key, bytes) or len(content_key) != KEY_BYTES:
        raise malformed("content_key", "Une clé de contenu fait 32 octets.")
    enc, wrapped = seal_secret(
        recipient_key,
        content_key,
        info=CONTENT_GRANT_INFO,
        aad=_grant_aad(binding, recipient_device),
    )
    body = ContentKeyGrant(
        commune=commune,
        incident=incident,
        message=message,
        recipient=recipient_device,
        recipient_key=recipient_key,
        enc=enc,
        wrapped=wrapped,
        issued_at=issued_at,
        issuer=fingerprint_of(sign_key),
    )
    doc = sign_body(body.to_json(), sign_key)
    parse_content_key_grant(doc)
    return doc


# --- opening --------------------------------------------------------------------------


def _verified_grant(
    doc: chain.SignedDocument, granter_chain: list[chain.SignedDocument], trust: TrustContext
) -> ContentKeyGrant:
    """Shape, granter's chain as of `issued_at` (trust codes), an `operateur` leaf
    (`not_allowed_recipient`), issuer and signature (`bad_grant`), commune.

    As of `issued_at`, as service-key grants are: an operator revoked after dispatching
    must not strand the agent it dispatched; the server keeps `issued_at` near its clock.
    """
    grant = parse_content_key_grant(doc)
    leaf = verify_leaf(granter_chain, as_of(trust, grant.issued_at), grant.issued_at)
    _check_signed_by(doc, grant, leaf.sign_key_raw)
    if grant.commune != trust.commune:
        raise EnvelopeError("wrong_commune", field="commune")
    return grant


def _unwrap(grant: ContentKeyGrant, my_device: str, my_private_key: X25519PrivateKey) -> bytes:
    """K, if the grant names this device and its key (`not_a_recipient`, `undecryptable`)."""
    if not is_mine(grant.recipient, grant.recipient_key, my_device, my_private_key):
        raise EnvelopeError("not_a_recipient", field="recipient")
    key = open_secret(
        my_private_key,
        grant.enc,
        grant.wrapped,
        info=CONTENT_GRANT_INFO,
        aad=_grant_aad(grant.binding, grant.recipient),
    )
    if len(key) != KEY_BYTES:
        raise EnvelopeError("undecryptable")
    return key


def open_content_key_grant(
    doc: chain.SignedDocument,
    granter_chain: list[chain.SignedDocument],
    my_device: str,
    my_private_key: X25519PrivateKey,
    trust: TrustContext,
) -> bytes:
    """The content key K granted to this device, once the grant is verified.

    Only the grant is checked: whether K opens a given message is for
    `open_envelope_with_grant`, which also checks the grant names that message.
    """
    return _unwrap(_verified_grant(doc, granter_chain, trust), my_device, my_private_key)


def open_envelope_with_grant(
    wire: object,
    attachments: Sequence[bytes],
    expected: Binding,
    grant_doc: chain.SignedDocument,
    granter_chain: list[chain.SignedDocument],
    my_device: str,
    my_private_key: X25519PrivateKey,
    trust: TrustContext,
) -> Opened:
    """Open a message through a grant: steps 1-6 of "Opening" unchanged, the grant
    verified, its commune, incident and message those of the message (`wrong_context`,
    checked before the recipient as for envelopes), then K opens the parts."""
    parsed, sender = verify_through_parts(wire, attachments, expected, trust)
    grant = _verified_grant(grant_doc, granter_chain, trust)
    if grant.binding != expected:
        raise EnvelopeError("wrong_context", field="grant")
    key = _unwrap(grant, my_device, my_private_key)
    return open_parts(key, parsed, attachments, sender)
