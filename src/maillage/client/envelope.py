"""Sealed envelopes, format v1 (docs/envelope.md): seal, shape checks, open.

Pure Python, no Django: the server imports `parse_wire` and `check_parts` to refuse bad
uploads without any key, and devices (the Python client, tests, the simulator) seal and
open. `frontend/src/envelope/envelope.ts` is the twin; both must pass
`tests/vectors/envelope-v1.json` and `envelope-v1-ts.json` with the same error codes,
so the order of the checks below is part of the format.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from maillage.client import _hpke
from maillage.trust import chain

__all__ = [
    "ENVELOPE_MESSAGES",
    "ENVELOPE_TYPE",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_CONTENT_BYTES",
    "MAX_RECIPIENTS",
    "MAX_TEXT_CHARS",
    "MEDIA_TYPES",
    "VERSION",
    "Attachment",
    "Binding",
    "EnvelopeError",
    "Header",
    "HeaderRecipient",
    "Opened",
    "Opener",
    "Recipient",
    "Sealed",
    "Sender",
    "TrustContext",
    "check_parts",
    "open_envelope",
    "parse_wire",
    "seal",
    "seal_part",
    "sha256_b64",
    "sign_header",
    "wrap_key",
    "x25519_public_b64",
]

ENVELOPE_TYPE: Final = "maillage.envelope"
CONTENT_TYPE: Final = "maillage.content"
PART_AAD_TYPE: Final = "maillage.envelope.part"
KEY_AAD_TYPE: Final = "maillage.envelope.key"
VERSION: Final = 1
HPKE_INFO: Final = b"maillage.envelope.v1"
MAX_RECIPIENTS: Final = 500
MAX_ATTACHMENTS: Final = 4
MAX_CONTENT_BYTES: Final = 65536
MAX_ATTACHMENT_BYTES: Final = 3 * 1024 * 1024
MAX_TEXT_CHARS: Final = 4000
# Re-encoding always yields JPEG; PNG and WebP leave room for later clients. A closed
# list because a reader turns `media` into a Blob type: `text/html` must never get there.
MEDIA_TYPES: Final = frozenset({"image/jpeg", "image/png", "image/webp"})
KEY_BYTES: Final = 32
WRAPPED_BYTES: Final = KEY_BYTES + 16
TAG_BYTES: Final = 16

_ENVELOPE_ONLY_MESSAGES: Final[dict[str, str]] = {
    "unsupported_version": "Version d'enveloppe inconnue : mettez l'application à jour.",
    "wrong_context": "Cette enveloppe appartient à un autre signalement ou message.",
    "wrong_sender": "L'expéditeur annoncé ne correspond pas au certificat joint.",
    "tampered": "Le contenu chiffré a été modifié ou est incomplet.",
    "not_a_recipient": "Ce message n'a pas été chiffré pour cet appareil.",
    "undecryptable": "Impossible de déchiffrer ce message avec la clé de cet appareil.",
    "too_large": "Contenu chiffré trop volumineux.",
    "stale_service_key": "La clé de service reçue est plus ancienne que la dernière vérifiée.",
    "wrong_service_key": "La clé de service transmise ne correspond pas à la clé publiée.",
    "not_allowed_recipient": "Cet appareil n'a pas le rôle requis pour recevoir ce contenu.",
    "no_police_recipient": ("Aucun destinataire de la police n'a pu être vérifié : appelez le 17."),
}
# One table for every code an envelope operation can raise, trust codes included.
ENVELOPE_MESSAGES: Final[dict[str, str]] = {
    **{str(code): message for code, message in chain.TRUST_MESSAGES.items()},
    **_ENVELOPE_ONLY_MESSAGES,
}


class EnvelopeError(Exception):
    """Sealing or opening failed: stable `code`, French `message`, optional wire `field`."""

    def __init__(self, code: str, message: str | None = None, field: str | None = None) -> None:
        if code not in ENVELOPE_MESSAGES:
            raise ValueError(f"unknown envelope error code {code!r}")
        self.code = code
        self.message = message or ENVELOPE_MESSAGES[code]
        self.field = field
        super().__init__(f"{code}: {self.message}")

    @classmethod
    def from_trust(cls, error: chain.TrustError, field: str | None = None) -> EnvelopeError:
        return cls(error.code, error.message, field)


def _malformed(field: str, what: str | None = None) -> EnvelopeError:
    return EnvelopeError("malformed", what or f"Champ « {field} » invalide.", field)


# --- data -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Binding:
    """Where a message belongs; every wrapped key and sealed part is bound to it."""

    commune: str
    incident: str
    message: str


@dataclass(frozen=True, slots=True)
class Recipient:
    """A verified recipient: the key must come from a verified certificate or service key."""

    kind: Literal["device", "service"]
    id: str
    key: str


@dataclass(frozen=True, slots=True)
class Sender:
    sign_key: Ed25519PrivateKey
    device: str
    serial: str
    chain: list[chain.SignedDocument]


@dataclass(frozen=True, slots=True)
class Opener:
    kind: Literal["device", "service"]
    id: str
    private_key: X25519PrivateKey

    @property
    def public_key(self) -> str:
        return x25519_public_b64(self.private_key)


@dataclass(frozen=True, slots=True)
class TrustContext:
    """What the opener trusts: the pinned root and a revocation list it verified."""

    root_public_key: str
    pinned_fingerprint: str
    commune: str
    revocations: chain.RevocationList


@dataclass(frozen=True, slots=True)
class Attachment:
    data: bytes
    media: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class HeaderRecipient:
    kind: Literal["device", "service"]
    id: str
    key: str
    enc: str
    wrapped: str


@dataclass(frozen=True, slots=True)
class Header:
    """A header that passed the shape checks; nothing in it is authenticated yet."""

    commune: str
    incident: str
    message: str
    sender_device: str
    sender_serial: str
    sent_at: int
    recipients: list[HeaderRecipient]
    content_size: int
    content_sha256: str
    attachments: list[tuple[int, str]]

    @property
    def binding(self) -> Binding:
        return Binding(self.commune, self.incident, self.message)


@dataclass(frozen=True, slots=True)
class Sealed:
    """The JSON part (`body`, `signature`, `sender_chain`, `content`) and sealed attachments."""

    wire: dict[str, Any]
    attachments: list[bytes]


@dataclass(frozen=True, slots=True)
class Opened:
    header: Header
    text: str | None
    fields: dict[str, Any]
    attachments: list[Attachment]
    sender: chain.CertificateBody


# --- small helpers --------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_WIRE_KEYS: Final = frozenset({"body", "signature", "sender_chain", "content"})
_HEADER_KEYS: Final = frozenset(
    {
        "type",
        "v",
        "commune",
        "incident",
        "message",
        "sender",
        "sent_at",
        "recipients",
        "content",
        "attachments",
    }
)
_RECIPIENT_KEYS: Final = frozenset({"kind", "id", "key", "enc", "wrapped"})
_PART_KEYS: Final = frozenset({"size", "sha256"})
_CONTENT_KEYS: Final = frozenset({"type", "v", "text", "attachments", "fields"})
_ATTACHMENT_META_KEYS: Final = frozenset({"media", "width", "height"})
_KINDS: Final = ("device", "service")
# base64url text longer than this cannot decode to ≤ MAX_CONTENT_BYTES: refuse undecoded.
_MAX_CONTENT_TEXT: Final = (MAX_CONTENT_BYTES * 4 + 2) // 3


def x25519_public_b64(key: X25519PrivateKey) -> str:
    return chain.b64url_encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def sha256_b64(data: bytes) -> str:
    return chain.b64url_encode(hashlib.sha256(data).digest())


def _is_count(value: object) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 0 <= value <= chain.MAX_SAFE_INTEGER
    )


def _identifier(obj: dict[str, Any], name: str, field: str) -> str:
    value = obj[name]
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise _malformed(field)
    return value


def _count(obj: dict[str, Any], name: str, field: str) -> int:
    value = obj[name]
    if not _is_count(value):
        raise _malformed(field)
    return int(value)


def _fixed_bytes(obj: dict[str, Any], name: str, length: int, field: str) -> str:
    value = obj[name]
    try:
        if not isinstance(value, str) or len(chain.b64url_decode(value)) != length:
            raise _malformed(field)
    except chain.TrustError as exc:
        raise _malformed(field) from exc
    return value


def _exact_keys(obj: object, keys: frozenset[str], field: str) -> dict[str, Any]:
    if not isinstance(obj, dict) or set(obj) != keys:
        raise _malformed(field, f"Champs inattendus ou manquants dans « {field} ».")
    return obj


def _parse_body(text: str, field: str) -> dict[str, Any]:
    """Parse a signed body exactly as trust.md does (`malformed`, `not_canonical`)."""
    try:
        return chain._parse_canonical(text)
    except chain.TrustError as exc:
        raise EnvelopeError.from_trust(exc, field) from exc


def _part_aad(binding: Binding, index: int) -> bytes:
    return chain.canonical_json(
        {
            "type": PART_AAD_TYPE,
            "v": VERSION,
            "commune": binding.commune,
            "incident": binding.incident,
            "message": binding.message,
            "part": index,
        }
    )


def _key_aad(binding: Binding, kind: str, recipient_id: str) -> bytes:
    return chain.canonical_json(
        {
            "type": KEY_AAD_TYPE,
            "v": VERSION,
            "commune": binding.commune,
            "incident": binding.incident,
            "message": binding.message,
            "kind": kind,
            "id": recipient_id,
        }
    )


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


# --- wire shape (steps 1-2 and size limits) -------------------------------------------


@dataclass(frozen=True, slots=True)
class _Wire:
    header: Header
    document: chain.SignedDocument
    signature: bytes
    sender_chain: list[chain.SignedDocument]
    content: bytes


def _parse_header(body: str) -> Header:
    """Steps 1-2 on the body text. `type` and `v` are read before the other fields so
    that a later version, whose fields may differ, is reported as `unsupported_version`."""
    obj = _parse_body(body, "body")
    if obj.get("type") != ENVELOPE_TYPE:
        raise _malformed("type", "Ce document n'est pas une enveloppe scellée.")
    version = obj.get("v")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _malformed("v")
    if version != VERSION:
        raise EnvelopeError("unsupported_version", field="v")
    _exact_keys(obj, _HEADER_KEYS, "body")

    sender = _exact_keys(obj["sender"], frozenset({"device", "serial"}), "sender")
    raw_recipients = obj["recipients"]
    if not isinstance(raw_recipients, list) or not 1 <= len(raw_recipients) <= MAX_RECIPIENTS:
        raise _malformed("recipients", "Entre 1 et 500 destinataires sont attendus.")
    recipients = []
    for raw in raw_recipients:
        entry = _exact_keys(raw, _RECIPIENT_KEYS, "recipients")
        kind = entry["kind"]
        if kind not in _KINDS:
            raise _malformed("recipients")
        recipients.append(
            HeaderRecipient(
                kind=cast(Literal["device", "service"], kind),
                id=_identifier(entry, "id", "recipients"),
                key=_fixed_bytes(entry, "key", KEY_BYTES, "recipients"),
                enc=_fixed_bytes(entry, "enc", KEY_BYTES, "recipients"),
                wrapped=_fixed_bytes(entry, "wrapped", WRAPPED_BYTES, "recipients"),
            )
        )
    order = [(r.kind, r.id) for r in recipients]
    if any(a >= b for a, b in itertools.pairwise(order)):
        raise _malformed("recipients", "Destinataires non triés ou en double.")

    content = _exact_keys(obj["content"], _PART_KEYS, "content")
    raw_attachments = obj["attachments"]
    if not isinstance(raw_attachments, list) or len(raw_attachments) > MAX_ATTACHMENTS:
        raise _malformed("attachments", "Au plus 4 pièces jointes.")
    attachments = []
    for raw in raw_attachments:
        part = _exact_keys(raw, _PART_KEYS, "attachments")
        attachments.append(
            (
                _count(part, "size", "attachments"),
                _fixed_bytes(part, "sha256", 32, "attachments"),
            )
        )
    header = Header(
        commune=_identifier(obj, "commune", "commune"),
        incident=_identifier(obj, "incident", "incident"),
        message=_identifier(obj, "message", "message"),
        sender_device=_identifier(sender, "device", "sender"),
        sender_serial=_identifier(sender, "serial", "sender"),
        sent_at=_count(obj, "sent_at", "sent_at"),
        recipients=recipients,
        content_size=_count(content, "size", "content"),
        content_sha256=_fixed_bytes(content, "sha256", 32, "content"),
        attachments=attachments,
    )
    if header.content_size > MAX_CONTENT_BYTES:
        raise EnvelopeError("too_large", field="content")
    if any(size > MAX_ATTACHMENT_BYTES for size, _ in header.attachments):
        raise EnvelopeError("too_large", field="attachments")
    return header


def _parse(wire: object) -> _Wire:
    """Step 1-2 in a fixed order: wire keys, header (canonical, type, version, fields,
    declared sizes), signature, sender chain, then the content text."""
    obj = _exact_keys(wire, _WIRE_KEYS, "envelope")
    body = obj["body"]
    if not isinstance(body, str):
        raise _malformed("body")
    header = _parse_header(body)
    signature = _fixed_bytes(obj, "signature", 64, "signature")
    raw_chain = obj["sender_chain"]
    if not isinstance(raw_chain, list) or not 1 <= len(raw_chain) <= chain.MAX_CHAIN_LENGTH:
        raise _malformed("sender_chain")
    sender_chain = []
    for item in raw_chain:
        doc = _exact_keys(item, frozenset({"body", "signature"}), "sender_chain")
        if not isinstance(doc["body"], str) or not isinstance(doc["signature"], str):
            raise _malformed("sender_chain")
        sender_chain.append(chain.SignedDocument(body=doc["body"], signature=doc["signature"]))
    content_text = obj["content"]
    if not isinstance(content_text, str):
        raise _malformed("content")
    if len(content_text) > _MAX_CONTENT_TEXT:
        raise EnvelopeError("too_large", field="content")
    try:
        content = chain.b64url_decode(content_text)
    except chain.TrustError as exc:
        raise _malformed("content") from exc
    if len(content) > MAX_CONTENT_BYTES:
        raise EnvelopeError("too_large", field="content")
    return _Wire(
        header=header,
        document=chain.SignedDocument(body=body, signature=signature),
        signature=chain.b64url_decode(signature),
        sender_chain=sender_chain,
        content=content,
    )


def parse_wire(wire: object) -> tuple[Header, bytes]:
    """Shape checks without any key (steps 1-2 and size limits): the server's gate.

    Returns the header (unauthenticated: only the opener checks the signature, against
    the pinned root) and the sealed content bytes.
    """
    parsed = _parse(wire)
    return parsed.header, parsed.content


def check_parts(header: Header, content: bytes, attachments: Sequence[bytes]) -> None:
    """Step 6: the bytes are those the signed header describes, and none is too large.

    Count first (`tampered`), then each part in order, content first: over the limit
    (`too_large`), then size or SHA-256 differing from the header (`tampered`).
    """
    if len(attachments) != len(header.attachments):
        raise EnvelopeError("tampered", "Nombre de pièces jointes différent de l'en-tête.")
    parts = [(content, header.content_size, header.content_sha256, MAX_CONTENT_BYTES, "content")]
    parts += [
        (data, size, digest, MAX_ATTACHMENT_BYTES, "attachments")
        for data, (size, digest) in zip(attachments, header.attachments, strict=True)
    ]
    for data, size, digest, limit, field in parts:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise EnvelopeError("tampered", field=field)
        if len(data) > limit:
            raise EnvelopeError("too_large", field=field)
        if len(data) != size or sha256_b64(bytes(data)) != digest:
            raise EnvelopeError("tampered", field=field)


# --- sealing --------------------------------------------------------------------------


def _content_object(
    text: str | None, fields: dict[str, Any], attachments: list[Attachment]
) -> dict[str, Any]:
    return {
        "type": CONTENT_TYPE,
        "v": VERSION,
        "text": text,
        "attachments": [
            {"media": a.media, "width": a.width, "height": a.height} for a in attachments
        ],
        "fields": fields,
    }


def _check_binding(binding: Binding) -> None:
    for name in ("commune", "incident", "message"):
        value = getattr(binding, name)
        if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
            raise _malformed(name)


def seal_part(key: bytes, binding: Binding, index: int, plaintext: bytes) -> bytes:
    """AES-256-GCM of part `index` (0 = content), nonce = index, bound to the binding."""
    return AESGCM(key).encrypt(_nonce(index), plaintext, _part_aad(binding, index))


def wrap_key(key: bytes, binding: Binding, recipient: Recipient) -> tuple[str, str]:
    """HPKE-seal the content key to one recipient: (enc, wrapped) as base64url."""
    try:
        public_raw = chain.b64url_decode(recipient.key)
        if len(public_raw) != KEY_BYTES:
            raise _malformed("recipients")
        enc, wrapped = _hpke.seal(
            public_raw, key, info=HPKE_INFO, aad=_key_aad(binding, recipient.kind, recipient.id)
        )
    except (chain.TrustError, _hpke.HpkeFailure) as exc:
        raise _malformed("recipients", "Clé de destinataire inutilisable.") from exc
    return chain.b64url_encode(enc), chain.b64url_encode(wrapped)


def sign_header(header: dict[str, Any], sign_key: Ed25519PrivateKey) -> tuple[str, str]:
    """Canonicalise and sign a header object: (body, signature)."""
    try:
        document = chain.sign_document(header, sign_key)
    except chain.TrustError as exc:
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
    _check_binding(binding)
    attachments = list(attachments)
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT_CHARS):
        raise _malformed("text", "Le texte dépasse 4 000 caractères.")
    if not isinstance(fields, dict):
        raise _malformed("fields")
    if len(attachments) > MAX_ATTACHMENTS:
        raise _malformed("attachments", "Au plus 4 pièces jointes.")
    for attachment in attachments:
        _check_attachment_meta(attachment.media, attachment.width, attachment.height)
    ordered = sorted(recipients, key=lambda r: (r.kind, r.id))
    if not 1 <= len(ordered) <= MAX_RECIPIENTS:
        raise _malformed("recipients", "Entre 1 et 500 destinataires sont attendus.")
    for r in ordered:
        if r.kind not in _KINDS or not isinstance(r.id, str) or not _IDENTIFIER.fullmatch(r.id):
            raise _malformed("recipients")
    if any((a.kind, a.id) == (b.kind, b.id) for a, b in itertools.pairwise(ordered)):
        raise _malformed("recipients", "Destinataire en double.")
    if not _is_count(sent_at):
        raise _malformed("sent_at")
    try:
        plaintext = chain.canonical_json(_content_object(text, fields, attachments))
    except chain.TrustError as exc:
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
        "content": chain.b64url_encode(sealed_content),
    }
    _parse(wire)  # what we send must pass the checks every opener and the server apply
    return Sealed(wire=wire, attachments=sealed_attachments)


# --- opening --------------------------------------------------------------------------


def _check_attachment_meta(media: object, width: object, height: object) -> None:
    if not isinstance(media, str) or media not in MEDIA_TYPES:
        raise _malformed("attachments", "Type de pièce jointe inconnu.")
    if not _is_count(width) or not _is_count(height):
        raise _malformed("attachments", "Dimensions de pièce jointe invalides.")


def _parse_content(
    plaintext: bytes, count: int
) -> tuple[str | None, dict[str, Any], list[dict[str, Any]]]:
    """Step 9: the decrypted content object has exactly the v1 shape."""
    try:
        obj = chain._parse_canonical(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, chain.TrustError) as exc:
        raise _malformed("content", "Contenu déchiffré illisible ou non canonique.") from exc
    _exact_keys(obj, _CONTENT_KEYS, "content")
    if obj["type"] != CONTENT_TYPE or not _is_count(obj["v"]) or obj["v"] != VERSION:
        raise _malformed("content", "Contenu d'un type ou d'une version inconnus.")
    text = obj["text"]
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT_CHARS):
        raise _malformed("content", "Texte invalide ou de plus de 4 000 caractères.")
    fields = obj["fields"]
    if not isinstance(fields, dict):
        raise _malformed("content", "Champ « fields » invalide.")
    metas = obj["attachments"]
    if not isinstance(metas, list) or len(metas) != count:
        raise _malformed("content", "Description des pièces jointes incohérente.")
    for meta in metas:
        _exact_keys(meta, _ATTACHMENT_META_KEYS, "content")
        _check_attachment_meta(meta["media"], meta["width"], meta["height"])
    return text, fields, metas


def revocations_as_of(revocations: chain.RevocationList, sent_at: int) -> chain.RevocationList:
    """The list as it stood at `sent_at`: later revocations do not unsay earlier messages."""
    return chain.RevocationList(
        commune=revocations.commune,
        number=revocations.number,
        issued_at=revocations.issued_at,
        entries=tuple(e for e in revocations.entries if e.at <= sent_at),
        issuer=revocations.issuer,
    )


def open_envelope(
    wire: object,
    attachments: Sequence[bytes],
    expected: Binding,
    opener: Opener,
    trust: TrustContext,
) -> Opened:
    """Open a sealed message; the checks run in the order of docs/envelope.md, "Opening"."""
    parsed = _parse(wire)
    header = parsed.header
    if header.binding != expected:
        raise EnvelopeError("wrong_context")
    try:
        leaf = chain.verify_chain(
            parsed.sender_chain,
            trust.root_public_key,
            trust.pinned_fingerprint,
            trust.commune,
            revocations_as_of(trust.revocations, header.sent_at),
            header.sent_at,
        )
    except chain.TrustError as exc:
        raise EnvelopeError.from_trust(exc, "sender_chain") from exc
    if leaf.device != header.sender_device or leaf.serial != header.sender_serial:
        raise EnvelopeError("wrong_sender", field="sender")
    try:
        Ed25519PublicKey.from_public_bytes(leaf.sign_key_raw).verify(
            parsed.signature, parsed.document.body.encode("utf-8")
        )
    except (InvalidSignature, ValueError) as exc:
        raise EnvelopeError("bad_signature", field="signature") from exc
    check_parts(header, parsed.content, attachments)

    entry = next((r for r in header.recipients if (r.kind, r.id) == (opener.kind, opener.id)), None)
    if entry is None or entry.key != opener.public_key:
        raise EnvelopeError("not_a_recipient")
    try:
        key = _hpke.open_(
            opener.private_key,
            chain.b64url_decode(entry.enc),
            chain.b64url_decode(entry.wrapped),
            info=HPKE_INFO,
            aad=_key_aad(expected, opener.kind, opener.id),
        )
        if len(key) != KEY_BYTES:
            raise EnvelopeError("undecryptable")
        cipher = AESGCM(key)
        plaintext = cipher.decrypt(_nonce(0), parsed.content, _part_aad(expected, 0))
        clear_attachments = [
            cipher.decrypt(_nonce(index), bytes(data), _part_aad(expected, index))
            for index, data in enumerate(attachments, start=1)
        ]
    except (_hpke.HpkeFailure, InvalidTag) as exc:
        raise EnvelopeError("undecryptable") from exc

    text, fields, metas = _parse_content(plaintext, len(clear_attachments))
    return Opened(
        header=header,
        text=text,
        fields=fields,
        attachments=[
            Attachment(data=data, media=m["media"], width=m["width"], height=m["height"])
            for data, m in zip(clear_attachments, metas, strict=True)
        ],
        sender=leaf,
    )
