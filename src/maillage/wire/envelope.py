"""Sealed envelopes, format v1 (docs/envelope.md): the shape, its checks and the bindings.

What a sealed message looks like and what every party checks without a key: the server
runs `parse_wire` and `check_parts` to refuse bad uploads, `sealing.py` and `opening.py`
build on the rest. Twin of `frontend/src/envelope/envelope.ts`; both must pass
`tests/vectors/envelope-v1.json` and `envelope-v1-ts.json` with the same error codes, so
the order of the checks below is part of the format.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, Protocol, TypeVar, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.wire import chain
from maillage.wire.b64 import b64url_decode, b64url_encode, decode_fixed
from maillage.wire.canonical import canonical_json, parse_canonical
from maillage.wire.errors import TrustError
from maillage.wire.hpke import x25519_public_of
from maillage.wire.ids import is_count, is_identifier, is_int, require_keys

__all__ = [
    "ENVELOPE_MESSAGES",
    "ENVELOPE_TYPE",
    "HPKE_INFO",
    "KEY_BYTES",
    "KINDS",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_CONTENT_BYTES",
    "MAX_RECIPIENTS",
    "MAX_TEXT_CHARS",
    "MEDIA_TYPES",
    "VERSION",
    "WRAPPED_BYTES",
    "Attachment",
    "Binding",
    "EnvelopeError",
    "Header",
    "HeaderRecipient",
    "Opened",
    "Opener",
    "ParsedWire",
    "PartsHeader",
    "Recipient",
    "Sealed",
    "Sender",
    "TrustContext",
    "check_attachment_meta",
    "check_binding",
    "check_parts",
    "check_recipients",
    "content_object",
    "exact_keys",
    "field_count",
    "field_identifier",
    "fixed_bytes",
    "key_aad",
    "malformed",
    "parse_body",
    "parse_content",
    "parse_signed_wire",
    "parse_wire",
    "parse_wire_full",
    "part_aad",
    "part_nonce",
    "sha256_b64",
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
    "stale_group_key": "La clé de diffusion reçue est plus ancienne que la dernière vérifiée.",
    "wrong_group_key": "La clé de diffusion ne suit pas les générations déjà vérifiées.",
    "wrong_scope": "Cette clé ou ce message concerne une autre diffusion.",
    "not_allowed_sender": "Cet appareil n'a pas le rôle requis pour envoyer ce message.",
    "bad_grant": "Cette autorisation de lecture est mal formée ou sa signature est invalide.",
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


def malformed(field: str, what: str | None = None) -> EnvelopeError:
    """`malformed` naming the wire field at fault (API errors carry it)."""
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
        return x25519_public_of(self.private_key)


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
    # The message's AES key K, for an operator device to grant to an agent's devices
    # (docs/envelope.md, "Dispatch"); kept out of repr so it never lands in a log.
    content_key: bytes = dataclasses.field(repr=False)


# --- small helpers --------------------------------------------------------------------

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
KINDS: Final = ("device", "service")
# base64url text longer than this cannot decode to ≤ MAX_CONTENT_BYTES: refuse undecoded.
_MAX_CONTENT_TEXT: Final = (MAX_CONTENT_BYTES * 4 + 2) // 3


def sha256_b64(data: bytes) -> str:
    return b64url_encode(hashlib.sha256(data).digest())


def field_identifier(obj: dict[str, Any], name: str, field: str) -> str:
    value = obj[name]
    if not is_identifier(value):
        raise malformed(field)
    return value


def field_count(obj: dict[str, Any], name: str, field: str) -> int:
    value = obj[name]
    if not is_count(value):
        raise malformed(field)
    return int(value)


def fixed_bytes(obj: dict[str, Any], name: str, length: int, field: str) -> str:
    value = obj[name]
    try:
        decode_fixed(value, length)
    except TrustError as exc:
        raise malformed(field) from exc
    return str(value)


def exact_keys(obj: object, keys: frozenset[str], field: str) -> dict[str, Any]:
    try:
        if not isinstance(obj, dict):
            raise TrustError("malformed")
        require_keys(obj, keys)
    except TrustError as exc:
        raise malformed(field, f"Champs inattendus ou manquants dans « {field} ».") from exc
    return obj


def parse_body(text: str, field: str) -> dict[str, Any]:
    """Parse a signed body exactly as trust.md does (`malformed`, `not_canonical`)."""
    try:
        return parse_canonical(text)
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc, field) from exc


def part_aad(binding: Binding, index: int) -> bytes:
    """Associated data of part `index`: binds it to commune, incident and message."""
    return canonical_json(
        {
            "type": PART_AAD_TYPE,
            "v": VERSION,
            "commune": binding.commune,
            "incident": binding.incident,
            "message": binding.message,
            "part": index,
        }
    )


def key_aad(binding: Binding, kind: str, recipient_id: str) -> bytes:
    """Associated data of one wrapped key: the binding plus who it is wrapped for."""
    return canonical_json(
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


def part_nonce(index: int) -> bytes:
    """Each part's nonce is its index: a content key seals at most 1 + 4 parts, once."""
    return index.to_bytes(12, "big")


# --- wire shape (steps 1-2 and size limits) -------------------------------------------


H = TypeVar("H")


@dataclass(frozen=True, slots=True)
class ParsedWire(Generic[H]):
    """What the shape checks found: the header, the sealed content, what steps 4-5 need."""

    header: H
    document: chain.SignedDocument
    signature: bytes
    sender_chain: list[chain.SignedDocument]
    content: bytes


def _parse_header(body: str) -> Header:
    """Steps 1-2 on the body text. `type` and `v` are read before the other fields so
    that a later version, whose fields may differ, is reported as `unsupported_version`."""
    obj = parse_body(body, "body")
    if obj.get("type") != ENVELOPE_TYPE:
        raise malformed("type", "Ce document n'est pas une enveloppe scellée.")
    version = obj.get("v")
    if not is_int(version):
        raise malformed("v")
    if version != VERSION:
        raise EnvelopeError("unsupported_version", field="v")
    exact_keys(obj, _HEADER_KEYS, "body")

    sender = exact_keys(obj["sender"], frozenset({"device", "serial"}), "sender")
    raw_recipients = obj["recipients"]
    if not isinstance(raw_recipients, list) or not 1 <= len(raw_recipients) <= MAX_RECIPIENTS:
        raise malformed("recipients", "Entre 1 et 500 destinataires sont attendus.")
    recipients = []
    for raw in raw_recipients:
        entry = exact_keys(raw, _RECIPIENT_KEYS, "recipients")
        kind = entry["kind"]
        if kind not in KINDS:
            raise malformed("recipients")
        recipients.append(
            HeaderRecipient(
                kind=cast(Literal["device", "service"], kind),
                id=field_identifier(entry, "id", "recipients"),
                key=fixed_bytes(entry, "key", KEY_BYTES, "recipients"),
                enc=fixed_bytes(entry, "enc", KEY_BYTES, "recipients"),
                wrapped=fixed_bytes(entry, "wrapped", WRAPPED_BYTES, "recipients"),
            )
        )
    order = [(r.kind, r.id) for r in recipients]
    if any(a >= b for a, b in itertools.pairwise(order)):
        raise malformed("recipients", "Destinataires non triés ou en double.")

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
    header = Header(
        commune=field_identifier(obj, "commune", "commune"),
        incident=field_identifier(obj, "incident", "incident"),
        message=field_identifier(obj, "message", "message"),
        sender_device=field_identifier(sender, "device", "sender"),
        sender_serial=field_identifier(sender, "serial", "sender"),
        sent_at=field_count(obj, "sent_at", "sent_at"),
        recipients=recipients,
        content_size=field_count(content, "size", "content"),
        content_sha256=fixed_bytes(content, "sha256", 32, "content"),
        attachments=attachments,
    )
    if header.content_size > MAX_CONTENT_BYTES:
        raise EnvelopeError("too_large", field="content")
    if any(size > MAX_ATTACHMENT_BYTES for size, _ in header.attachments):
        raise EnvelopeError("too_large", field="attachments")
    return header


def parse_wire_full(wire: object) -> ParsedWire[Header]:
    """Step 1-2 in a fixed order: wire keys, header (canonical, type, version, fields,
    declared sizes), signature, sender chain, then the content text."""
    return parse_signed_wire(wire, _parse_header)


def parse_signed_wire(wire: object, parse_header: Callable[[str], H]) -> ParsedWire[H]:
    """The wire object around a signed header (envelopes and broadcasts alike): wire
    keys, the header by `parse_header`, signature, sender chain, then the content text."""
    obj = exact_keys(wire, _WIRE_KEYS, "envelope")
    body = obj["body"]
    if not isinstance(body, str):
        raise malformed("body")
    header = parse_header(body)
    signature = fixed_bytes(obj, "signature", 64, "signature")
    raw_chain = obj["sender_chain"]
    if not isinstance(raw_chain, list) or not 1 <= len(raw_chain) <= chain.MAX_CHAIN_LENGTH:
        raise malformed("sender_chain")
    sender_chain = []
    for item in raw_chain:
        doc = exact_keys(item, frozenset({"body", "signature"}), "sender_chain")
        if not isinstance(doc["body"], str) or not isinstance(doc["signature"], str):
            raise malformed("sender_chain")
        sender_chain.append(chain.SignedDocument(body=doc["body"], signature=doc["signature"]))
    content_text = obj["content"]
    if not isinstance(content_text, str):
        raise malformed("content")
    if len(content_text) > _MAX_CONTENT_TEXT:
        raise EnvelopeError("too_large", field="content")
    try:
        content = b64url_decode(content_text)
    except TrustError as exc:
        raise malformed("content") from exc
    if len(content) > MAX_CONTENT_BYTES:
        raise EnvelopeError("too_large", field="content")
    return ParsedWire(
        header=header,
        document=chain.SignedDocument(body=body, signature=signature),
        signature=b64url_decode(signature),
        sender_chain=sender_chain,
        content=content,
    )


def parse_wire(wire: object) -> tuple[Header, bytes]:
    """Shape checks without any key (steps 1-2 and size limits): the server's gate.

    Returns the header (unauthenticated: only the opener checks the signature, against
    the pinned root) and the sealed content bytes.
    """
    parsed = parse_wire_full(wire)
    return parsed.header, parsed.content


class PartsHeader(Protocol):
    """What `check_parts` reads of a header (an envelope's or a broadcast's)."""

    @property
    def content_size(self) -> int: ...
    @property
    def content_sha256(self) -> str: ...
    @property
    def attachments(self) -> list[tuple[int, str]]: ...


def check_parts(header: PartsHeader, content: bytes, attachments: Sequence[bytes]) -> None:
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


# --- inputs and the content object ----------------------------------------------------


def check_binding(binding: Binding) -> None:
    for name in ("commune", "incident", "message"):
        if not is_identifier(getattr(binding, name)):
            raise malformed(name)


def check_recipients(recipients: Sequence[Recipient]) -> list[Recipient]:
    """Sorted by (kind, id) as the header requires; 1 to 500 of them, none twice."""
    ordered = sorted(recipients, key=lambda r: (r.kind, r.id))
    if not 1 <= len(ordered) <= MAX_RECIPIENTS:
        raise malformed("recipients", "Entre 1 et 500 destinataires sont attendus.")
    for r in ordered:
        if r.kind not in KINDS or not is_identifier(r.id):
            raise malformed("recipients")
    if any((a.kind, a.id) == (b.kind, b.id) for a, b in itertools.pairwise(ordered)):
        raise malformed("recipients", "Destinataire en double.")
    return ordered


def check_attachment_meta(media: object, width: object, height: object) -> None:
    if not isinstance(media, str) or media not in MEDIA_TYPES:
        raise malformed("attachments", "Type de pièce jointe inconnu.")
    if not is_count(width) or not is_count(height):
        raise malformed("attachments", "Dimensions de pièce jointe invalides.")


def content_object(
    text: str | None, fields: dict[str, Any], attachments: Sequence[Attachment]
) -> dict[str, Any]:
    """The content part's plaintext object (before canonical JSON)."""
    return {
        "type": CONTENT_TYPE,
        "v": VERSION,
        "text": text,
        "attachments": [
            {"media": a.media, "width": a.width, "height": a.height} for a in attachments
        ],
        "fields": fields,
    }


def parse_content(
    plaintext: bytes, count: int
) -> tuple[str | None, dict[str, Any], list[dict[str, Any]]]:
    """Step 9: the decrypted content object has exactly the v1 shape."""
    try:
        obj = parse_canonical(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, TrustError) as exc:
        raise malformed("content", "Contenu déchiffré illisible ou non canonique.") from exc
    exact_keys(obj, _CONTENT_KEYS, "content")
    if obj["type"] != CONTENT_TYPE or not is_count(obj["v"]) or obj["v"] != VERSION:
        raise malformed("content", "Contenu d'un type ou d'une version inconnus.")
    text = obj["text"]
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT_CHARS):
        raise malformed("content", "Texte invalide ou de plus de 4 000 caractères.")
    fields = obj["fields"]
    if not isinstance(fields, dict):
        raise malformed("content", "Champ « fields » invalide.")
    metas = obj["attachments"]
    if not isinstance(metas, list) or len(metas) != count:
        raise malformed("content", "Description des pièces jointes incohérente.")
    for meta in metas:
        exact_keys(meta, _ATTACHMENT_META_KEYS, "content")
        check_attachment_meta(meta["media"], meta["width"], meta["height"])
    return text, fields, metas
