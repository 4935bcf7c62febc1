"""Broadcasts, format v1 (docs/envelope.md, "Broadcasts and group keys").

A message to every member device of a scope (the commune, later a sector) is sealed ONCE
to the scope's current group-key generation: one HPKE wrap, so the bytes each device
receives do not grow with the audience. It reuses the envelope's wire object, content
object, part checks and sender checks (`envelope.py`, `opening.py`); only the header and
the associated data differ, so a broadcast part can never be filed as an incident
message's. Twin of `frontend/src/envelope/broadcast.ts`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from maillage.wire import chain
from maillage.wire.b64 import b64url_decode, b64url_encode, decode_fixed
from maillage.wire.canonical import canonical_json
from maillage.wire.envelope import (
    KEY_BYTES,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    MAX_CONTENT_BYTES,
    MAX_TEXT_CHARS,
    VERSION,
    WRAPPED_BYTES,
    Attachment,
    EnvelopeError,
    ParsedWire,
    Sealed,
    Sender,
    TrustContext,
    check_attachment_meta,
    check_parts,
    content_object,
    exact_keys,
    field_count,
    field_identifier,
    fixed_bytes,
    malformed,
    parse_body,
    parse_content,
    parse_signed_wire,
    part_nonce,
    sha256_b64,
)
from maillage.wire.errors import TrustError
from maillage.wire.group_key import COMMUNE_SCOPE, GroupKeyDocument, is_scope
from maillage.wire.hpke import HpkeFailure, hpke_open, hpke_seal, x25519_public_of
from maillage.wire.ids import is_count, is_identifier, is_int
from maillage.wire.opening import verify_sender
from maillage.wire.sealing import sign_header

__all__ = [
    "BROADCAST_TYPE",
    "BroadcastBinding",
    "BroadcastHeader",
    "GroupOpener",
    "OpenedBroadcast",
    "open_broadcast",
    "parse_broadcast",
    "seal_broadcast",
    "sender_roles",
]

BROADCAST_TYPE: Final = "maillage.broadcast"
PART_AAD_TYPE: Final = "maillage.broadcast.part"
KEY_AAD_TYPE: Final = "maillage.broadcast.key"
BROADCAST_INFO: Final = b"maillage.broadcast.v1"

_HEADER_KEYS: Final = frozenset(
    {
        "type",
        "v",
        "commune",
        "scope",
        "broadcast",
        "sender",
        "sent_at",
        "group",
        "content",
        "attachments",
    }
)
_GROUP_KEYS: Final = frozenset({"number", "key", "enc", "wrapped"})
_PART_KEYS: Final = frozenset({"size", "sha256"})


def sender_roles(scope: str) -> frozenset[str]:
    """Who may broadcast: operators to the commune; operators and merchants to a sector
    (the next issue's neighbour alerts)."""
    if scope == COMMUNE_SCOPE:
        return frozenset({"operateur"})
    return frozenset({"operateur", "commercant"})


@dataclass(frozen=True, slots=True)
class BroadcastBinding:
    """Where a broadcast belongs; its wrapped key and every part are bound to it."""

    commune: str
    scope: str
    broadcast: str


@dataclass(frozen=True, slots=True)
class BroadcastHeader:
    """A header that passed the shape checks; nothing in it is authenticated yet."""

    commune: str
    scope: str
    broadcast: str
    sender_device: str
    sender_serial: str
    sent_at: int
    number: int
    key: str
    enc: str
    wrapped: str
    content_size: int
    content_sha256: str
    attachments: list[tuple[int, str]]

    @property
    def binding(self) -> BroadcastBinding:
        return BroadcastBinding(self.commune, self.scope, self.broadcast)


@dataclass(frozen=True, slots=True)
class GroupOpener:
    """A generation this device holds, and when the next one was issued (None if this is
    the newest it knows): a broadcast sent at or after that time is refused."""

    scope: str
    number: int
    private_key: X25519PrivateKey
    superseded_at: int | None = None

    @property
    def public_key(self) -> str:
        return x25519_public_of(self.private_key)


@dataclass(frozen=True, slots=True)
class OpenedBroadcast:
    header: BroadcastHeader
    text: str | None
    fields: dict[str, Any]
    attachments: list[Attachment]
    sender: chain.CertificateBody


def _part_aad(binding: BroadcastBinding, index: int) -> bytes:
    return canonical_json(
        {
            "type": PART_AAD_TYPE,
            "v": VERSION,
            "commune": binding.commune,
            "scope": binding.scope,
            "broadcast": binding.broadcast,
            "part": index,
        }
    )


def _key_aad(binding: BroadcastBinding, number: int) -> bytes:
    return canonical_json(
        {
            "type": KEY_AAD_TYPE,
            "v": VERSION,
            "commune": binding.commune,
            "scope": binding.scope,
            "broadcast": binding.broadcast,
            "number": number,
        }
    )


def _parse_header(body: str) -> BroadcastHeader:
    """As an envelope header: `type`, then `v` (`unsupported_version`), then the fields."""
    obj = parse_body(body, "body")
    if obj.get("type") != BROADCAST_TYPE:
        raise malformed("type", "Ce document n'est pas une diffusion scellée.")
    version = obj.get("v")
    if not is_int(version):
        raise malformed("v")
    if version != VERSION:
        raise EnvelopeError("unsupported_version", field="v")
    exact_keys(obj, _HEADER_KEYS, "body")
    sender = exact_keys(obj["sender"], frozenset({"device", "serial"}), "sender")
    group = exact_keys(obj["group"], _GROUP_KEYS, "group")
    if not is_scope(obj["scope"]):
        raise malformed("scope")
    number = field_count(group, "number", "group")
    if number < 1:
        raise malformed("group")
    content = exact_keys(obj["content"], _PART_KEYS, "content")
    raw_attachments = obj["attachments"]
    if not isinstance(raw_attachments, list) or len(raw_attachments) > MAX_ATTACHMENTS:
        raise malformed("attachments", "Au plus 4 pièces jointes.")
    attachments = []
    for raw in raw_attachments:
        part = exact_keys(raw, _PART_KEYS, "attachments")
        attachments.append(
            (
                field_count(part, "size", "attachments"),
                fixed_bytes(part, "sha256", 32, "attachments"),
            )
        )
    header = BroadcastHeader(
        commune=field_identifier(obj, "commune", "commune"),
        scope=obj["scope"],
        broadcast=field_identifier(obj, "broadcast", "broadcast"),
        sender_device=field_identifier(sender, "device", "sender"),
        sender_serial=field_identifier(sender, "serial", "sender"),
        sent_at=field_count(obj, "sent_at", "sent_at"),
        number=number,
        key=fixed_bytes(group, "key", KEY_BYTES, "group"),
        enc=fixed_bytes(group, "enc", KEY_BYTES, "group"),
        wrapped=fixed_bytes(group, "wrapped", WRAPPED_BYTES, "group"),
        content_size=field_count(content, "size", "content"),
        content_sha256=fixed_bytes(content, "sha256", 32, "content"),
        attachments=attachments,
    )
    if header.content_size > MAX_CONTENT_BYTES:
        raise EnvelopeError("too_large", field="content")
    if any(size > MAX_ATTACHMENT_BYTES for size, _ in header.attachments):
        raise EnvelopeError("too_large", field="attachments")
    return header


def parse_broadcast(wire: object) -> ParsedWire[BroadcastHeader]:
    """Shape checks without any key: the server's gate, and steps 1-2 of opening."""
    return parse_signed_wire(wire, _parse_header)


def seal_broadcast(
    binding: BroadcastBinding,
    sender: Sender,
    group_key: GroupKeyDocument,
    *,
    text: str | None,
    fields: dict[str, Any],
    attachments: Sequence[Attachment],
    sent_at: int,
) -> Sealed:
    """Seal a broadcast to one generation of the scope's group key, verified beforehand
    with `verify_group_key` against the newest this device knows (a sender never seals
    to an older one). The result's size does not depend on how many devices hold it."""
    for name in ("commune", "broadcast"):
        if not is_identifier(getattr(binding, name)):
            raise malformed(name)
    if not is_scope(binding.scope):
        raise malformed("scope")
    if group_key.scope != binding.scope or group_key.commune != binding.commune:
        raise EnvelopeError("wrong_scope", field="scope")
    attachments = list(attachments)
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT_CHARS):
        raise malformed("text", "Le texte dépasse 4 000 caractères.")
    if not isinstance(fields, dict):
        raise malformed("fields")
    if len(attachments) > MAX_ATTACHMENTS:
        raise malformed("attachments", "Au plus 4 pièces jointes.")
    for attachment in attachments:
        check_attachment_meta(attachment.media, attachment.width, attachment.height)
    if not is_count(sent_at):
        raise malformed("sent_at")
    try:
        plaintext = canonical_json(content_object(text, fields, attachments))
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc, "fields") from exc

    key = os.urandom(KEY_BYTES)
    cipher = AESGCM(key)
    sealed_content = cipher.encrypt(part_nonce(0), plaintext, _part_aad(binding, 0))
    sealed_attachments = [
        cipher.encrypt(part_nonce(index), a.data, _part_aad(binding, index))
        for index, a in enumerate(attachments, start=1)
    ]
    if len(sealed_content) > MAX_CONTENT_BYTES:
        raise EnvelopeError("too_large", field="content")
    if any(len(part) > MAX_ATTACHMENT_BYTES for part in sealed_attachments):
        raise EnvelopeError("too_large", field="attachments")
    try:
        enc, wrapped = hpke_seal(
            decode_fixed(group_key.key, KEY_BYTES),
            key,
            info=BROADCAST_INFO,
            aad=_key_aad(binding, group_key.number),
        )
    except (TrustError, HpkeFailure) as exc:
        raise malformed("group", "Clé de diffusion inutilisable.") from exc
    header = {
        "type": BROADCAST_TYPE,
        "v": VERSION,
        "commune": binding.commune,
        "scope": binding.scope,
        "broadcast": binding.broadcast,
        "sender": {"device": sender.device, "serial": sender.serial},
        "sent_at": sent_at,
        "group": {
            "number": group_key.number,
            "key": group_key.key,
            "enc": b64url_encode(enc),
            "wrapped": b64url_encode(wrapped),
        },
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
    parse_broadcast(wire)
    return Sealed(wire=wire, attachments=sealed_attachments)


def open_broadcast(
    wire: object,
    attachments: Sequence[bytes],
    expected: BroadcastBinding,
    opener: GroupOpener,
    trust: TrustContext,
) -> OpenedBroadcast:
    """Open a broadcast; the checks run in the order of docs/envelope.md ("Opening a
    broadcast") and both implementations report the same code."""
    parsed = parse_broadcast(wire)
    header = parsed.header
    if header.binding != expected:
        raise EnvelopeError("wrong_context")
    leaf = verify_sender(
        parsed,
        header.sender_device,
        header.sender_serial,
        header.sent_at,
        trust,
        sender_roles(header.scope),
    )
    check_parts(header, parsed.content, attachments)
    if (
        header.scope != opener.scope
        or header.number != opener.number
        or header.key != opener.public_key
    ):
        raise EnvelopeError("not_a_recipient")
    if opener.superseded_at is not None and header.sent_at >= opener.superseded_at:
        raise EnvelopeError("stale_group_key", field="group")
    try:
        key = hpke_open(
            opener.private_key,
            b64url_decode(header.enc),
            b64url_decode(header.wrapped),
            info=BROADCAST_INFO,
            aad=_key_aad(expected, header.number),
        )
        if len(key) != KEY_BYTES:
            raise EnvelopeError("undecryptable")
        cipher = AESGCM(key)
        plaintext = cipher.decrypt(part_nonce(0), parsed.content, _part_aad(expected, 0))
        clear = [
            cipher.decrypt(part_nonce(index), bytes(data), _part_aad(expected, index))
            for index, data in enumerate(attachments, start=1)
        ]
    except (HpkeFailure, InvalidTag) as exc:
        raise EnvelopeError("undecryptable") from exc
    text, fields, metas = parse_content(plaintext, len(clear))
    return OpenedBroadcast(
        header=header,
        text=text,
        fields=fields,
        attachments=[
            Attachment(data=data, media=m["media"], width=m["width"], height=m["height"])
            for data, m in zip(clear, metas, strict=True)
        ],
        sender=leaf,
    )
