"""Opening an envelope, format v1 (docs/envelope.md, "Opening").

Twin of `frontend/src/envelope/opening.ts`: the checks run in the documented order and
both report the same code for the same input.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from maillage.wire import chain
from maillage.wire.b64 import b64url_decode
from maillage.wire.envelope import (
    HPKE_INFO,
    KEY_BYTES,
    Attachment,
    Binding,
    EnvelopeError,
    Header,
    Opened,
    Opener,
    ParsedWire,
    TrustContext,
    check_parts,
    key_aad,
    parse_content,
    parse_wire_full,
    part_aad,
    part_nonce,
)
from maillage.wire.errors import TrustError
from maillage.wire.hpke import HpkeFailure, hpke_open

__all__ = ["open_envelope", "open_parts", "verify_sender", "verify_through_parts"]


def verify_sender(
    parsed: ParsedWire[Any],
    device: str,
    serial: str,
    sent_at: int,
    trust: TrustContext,
    roles: Collection[str] | None = None,
) -> chain.CertificateBody:
    """Steps 4-5: the sender chain as of `sent_at`, the leaf is the announced sender (and,
    for broadcasts, of a role allowed to send), then the header signature."""
    try:
        leaf = chain.verify_chain(
            parsed.sender_chain,
            trust.root_public_key,
            trust.pinned_fingerprint,
            trust.commune,
            chain.revocations_as_of(trust.revocations, sent_at),
            sent_at,
        )
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc, "sender_chain") from exc
    if leaf.device != device or leaf.serial != serial:
        raise EnvelopeError("wrong_sender", field="sender")
    if roles is not None and leaf.role not in roles:
        raise EnvelopeError("not_allowed_sender", field="sender_chain")
    if not chain.signature_valid(leaf.sign_key_raw, parsed.document.body, parsed.signature):
        raise EnvelopeError("bad_signature", field="signature")
    return leaf


def verify_through_parts(
    wire: object, attachments: Sequence[bytes], expected: Binding, trust: TrustContext
) -> tuple[ParsedWire[Header], chain.CertificateBody]:
    """Steps 1-6, whatever key opens the message next: shape, binding, sender chain and
    signature, every part's size and hash."""
    parsed = parse_wire_full(wire)
    header = parsed.header
    if header.binding != expected:
        raise EnvelopeError("wrong_context")
    leaf = verify_sender(parsed, header.sender_device, header.sender_serial, header.sent_at, trust)
    check_parts(header, parsed.content, attachments)
    return parsed, leaf


def open_parts(
    key: bytes,
    parsed: ParsedWire[Header],
    attachments: Sequence[bytes],
    sender: chain.CertificateBody,
) -> Opened:
    """Steps 8-9 with the content key, however it was obtained (own entry, service key,
    content-key grant): a key that is not this message's fails as `undecryptable`."""
    binding = parsed.header.binding
    if len(key) != KEY_BYTES:
        raise EnvelopeError("undecryptable")
    try:
        cipher = AESGCM(key)
        plaintext = cipher.decrypt(part_nonce(0), parsed.content, part_aad(binding, 0))
        clear_attachments = [
            cipher.decrypt(part_nonce(index), bytes(data), part_aad(binding, index))
            for index, data in enumerate(attachments, start=1)
        ]
    except InvalidTag as exc:
        raise EnvelopeError("undecryptable") from exc

    text, fields, metas = parse_content(plaintext, len(clear_attachments))
    return Opened(
        header=parsed.header,
        text=text,
        fields=fields,
        attachments=[
            Attachment(data=data, media=m["media"], width=m["width"], height=m["height"])
            for data, m in zip(clear_attachments, metas, strict=True)
        ],
        sender=sender,
        content_key=key,
    )


def open_envelope(
    wire: object,
    attachments: Sequence[bytes],
    expected: Binding,
    opener: Opener,
    trust: TrustContext,
) -> Opened:
    """Open a sealed message; the checks run in the order of docs/envelope.md, "Opening"."""
    parsed, leaf = verify_through_parts(wire, attachments, expected, trust)
    entry = next(
        (r for r in parsed.header.recipients if (r.kind, r.id) == (opener.kind, opener.id)), None
    )
    if entry is None or entry.key != opener.public_key:
        raise EnvelopeError("not_a_recipient")
    try:
        key = hpke_open(
            opener.private_key,
            b64url_decode(entry.enc),
            b64url_decode(entry.wrapped),
            info=HPKE_INFO,
            aad=key_aad(expected, opener.kind, opener.id),
        )
    except HpkeFailure as exc:
        raise EnvelopeError("undecryptable") from exc
    return open_parts(key, parsed, attachments, leaf)
