"""Sealing an envelope, format v1 (docs/envelope.md, "Sealing").

Twin of `frontend/src/envelope/sealing.ts`. Inputs and output go through the checks an
opener applies (envelope.py), so a device never sends what its recipients or the server
would refuse.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from maillage.wire import chain
from maillage.wire.b64 import b64url_encode, decode_fixed
from maillage.wire.canonical import canonical_json
from maillage.wire.envelope import (
    ENVELOPE_TYPE,
    HPKE_INFO,
    KEY_BYTES,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    MAX_CONTENT_BYTES,
    MAX_TEXT_CHARS,
    VERSION,
    Attachment,
    Binding,
    EnvelopeError,
    Recipient,
    Sealed,
    Sender,
    check_attachment_meta,
    check_binding,
    check_recipients,
    content_object,
    key_aad,
    malformed,
    parse_wire_full,
    part_aad,
    part_nonce,
    sha256_b64,
)
from maillage.wire.errors import TrustError
from maillage.wire.hpke import HpkeFailure, hpke_seal
from maillage.wire.ids import is_count

__all__ = ["seal", "seal_part", "sign_header", "wrap_key"]


def seal_part(key: bytes, binding: Binding, index: int, plaintext: bytes) -> bytes:
    """AES-256-GCM of part `index` (0 = content), nonce = index, bound to the binding."""
    return AESGCM(key).encrypt(part_nonce(index), plaintext, part_aad(binding, index))


def wrap_key(key: bytes, binding: Binding, recipient: Recipient) -> tuple[str, str]:
    """HPKE-seal the content key to one recipient: (enc, wrapped) as base64url."""
    try:
        public_raw = decode_fixed(recipient.key, KEY_BYTES)
        enc, wrapped = hpke_seal(
            public_raw, key, info=HPKE_INFO, aad=key_aad(binding, recipient.kind, recipient.id)
        )
    except (TrustError, HpkeFailure) as exc:
        raise malformed("recipients", "Clé de destinataire inutilisable.") from exc
    return b64url_encode(enc), b64url_encode(wrapped)


def sign_header(header: dict[str, Any], sign_key: Ed25519PrivateKey) -> tuple[str, str]:
    """Canonicalise and sign a header object: (body, signature)."""
    try:
        document = chain.sign_document(header, sign_key)
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc, "body") from exc
    return document.body, document.signature


def seal(
    binding: Binding,
    sender: Sender,
    *,
    text: str | None,
    fields: dict[str, Any],
    attachments: Sequence[Attachment],
    recipients: Sequence[Recipient],
    sent_at: int,
) -> Sealed:
    """Seal a message for `recipients` (already verified: see `recipients.py`).

    Inputs are checked with the rules an opener applies, so nothing gets sealed that its
    recipients would refuse.
    """
    check_binding(binding)
    attachments = list(attachments)
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT_CHARS):
        raise malformed("text", "Le texte dépasse 4 000 caractères.")
    if not isinstance(fields, dict):
        raise malformed("fields")
    if len(attachments) > MAX_ATTACHMENTS:
        raise malformed("attachments", "Au plus 4 pièces jointes.")
    for attachment in attachments:
        check_attachment_meta(attachment.media, attachment.width, attachment.height)
    ordered = check_recipients(recipients)
    if not is_count(sent_at):
        raise malformed("sent_at")
    try:
        plaintext = canonical_json(content_object(text, fields, attachments))
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc, "fields") from exc

    key = os.urandom(KEY_BYTES)
    sealed_content = seal_part(key, binding, 0, plaintext)
    sealed_attachments = [
        seal_part(key, binding, index, a.data) for index, a in enumerate(attachments, start=1)
    ]
    if len(sealed_content) > MAX_CONTENT_BYTES:
        raise EnvelopeError("too_large", field="content")
    if any(len(part) > MAX_ATTACHMENT_BYTES for part in sealed_attachments):
        raise EnvelopeError("too_large", field="attachments")

    entries = []
    for r in ordered:
        enc, wrapped = wrap_key(key, binding, r)
        entries.append({"kind": r.kind, "id": r.id, "key": r.key, "enc": enc, "wrapped": wrapped})
    header = {
        "type": ENVELOPE_TYPE,
        "v": VERSION,
        "commune": binding.commune,
        "incident": binding.incident,
        "message": binding.message,
        "sender": {"device": sender.device, "serial": sender.serial},
        "sent_at": sent_at,
        "recipients": entries,
        "content": {"size": len(sealed_content), "sha256": sha256_b64(sealed_content)},
        "attachments": [{"size": len(p), "sha256": sha256_b64(p)} for p in sealed_attachments],
    }
    body, signature = sign_header(header, sender.sign_key)
    wire = {
        "body": body,
        "signature": signature,
        "sender_chain": [doc.to_wire() for doc in sender.chain],
        "content": b64url_encode(sealed_content),
    }
    parse_wire_full(wire)  # what we send must pass the checks every opener and the server apply
    return Sealed(wire=wire, attachments=sealed_attachments)
