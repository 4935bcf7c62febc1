"""Broadcast group keys: generation documents and grants (docs/envelope.md, "Broadcasts
and group keys").

A commune-wide key (scope `commune`) and one per sector (`sector:<id>`), in numbered
generations linked by `previous` (the SHA-256 of the previous generation's body), each
signed by an operator device; its private half reaches every member device by a signed
grant, as the police service key does (the shared rules are `generations.py`). A
broadcast is then sealed once to the generation (`broadcast.py`), whatever the audience.
Twin of `frontend/src/envelope/groupKey.ts`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.wire import chain
from maillage.wire.b64 import b64url_encode
from maillage.wire.canonical import canonical_json, parse_canonical
from maillage.wire.envelope import EnvelopeError, TrustContext
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
    is_identifier,
    require_bytes,
    require_count,
    require_header,
    require_identifier,
    require_keys,
)

__all__ = [
    "COMMUNE_SCOPE",
    "GROUP_GRANT_TYPE",
    "GROUP_KEY_TYPE",
    "SECTOR_PREFIX",
    "GroupGrantBody",
    "GroupKeyDocument",
    "body_digest",
    "generate_group_key",
    "is_scope",
    "issue_group_key",
    "open_group_grant",
    "parse_group_grant",
    "parse_group_key_document",
    "seal_group_grant",
    "verify_group_key",
]

GROUP_KEY_TYPE: Final = "maillage.group-key"
GROUP_GRANT_TYPE: Final = "maillage.group-key-grant"
GROUP_GRANT_INFO: Final = b"maillage.group-key.v1"
COMMUNE_SCOPE: Final = "commune"
SECTOR_PREFIX: Final = "sector:"

_DOCUMENT_KEYS: Final = frozenset(
    {"type", "v", "commune", "scope", "number", "previous", "key", "issued_at", "issuer"}
)
_GRANT_KEYS: Final = frozenset(
    {
        "type",
        "v",
        "commune",
        "scope",
        "number",
        "recipient",
        "recipient_key",
        "enc",
        "wrapped",
        "issued_at",
        "issuer",
    }
)


def is_scope(value: object) -> bool:
    """`commune`, or `sector:<sector public_id>`; an identifier either way."""
    if not is_identifier(value):
        return False
    if value == COMMUNE_SCOPE:
        return True
    rest = value.removeprefix(SECTOR_PREFIX)
    return rest != value and ":" not in rest and is_identifier(rest)


def body_digest(body: str) -> str:
    """What the next generation's `previous` names: SHA-256 of this body's UTF-8 text."""
    return b64url_encode(hashlib.sha256(body.encode("utf-8")).digest())


@dataclass(frozen=True, slots=True)
class GroupKeyDocument:
    commune: str
    scope: str
    number: int
    previous: str | None
    key: str
    issued_at: int
    issuer: str
    # Not a field of the body: its digest, which the next generation names as `previous`.
    digest: str

    def to_json(self) -> dict[str, Any]:
        return {
            "type": GROUP_KEY_TYPE,
            "v": 1,
            "commune": self.commune,
            "scope": self.scope,
            "number": self.number,
            "previous": self.previous,
            "key": self.key,
            "issued_at": self.issued_at,
            "issuer": self.issuer,
        }


@dataclass(frozen=True, slots=True)
class GroupGrantBody:
    commune: str
    scope: str
    number: int
    recipient: str
    recipient_key: str
    enc: str
    wrapped: str
    issued_at: int
    issuer: str

    def to_json(self) -> dict[str, Any]:
        return {
            "type": GROUP_GRANT_TYPE,
            "v": 1,
            "commune": self.commune,
            "scope": self.scope,
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
    """Parse a signed body as trust.md does: exact fields, type, scope, number ≥ 1."""
    if not isinstance(doc, chain.SignedDocument):
        raise EnvelopeError("malformed")
    try:
        obj = parse_canonical(doc.body)
        require_keys(obj, keys)
        require_header(obj, doc_type)
        if not is_scope(obj["scope"]):
            raise TrustError("malformed", "Périmètre de diffusion inconnu.")
        if require_count(obj, "number") < 1:
            raise TrustError("malformed", "Les générations commencent à 1.")
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc) from exc
    return obj


def parse_group_key_document(doc: chain.SignedDocument) -> GroupKeyDocument:
    """Shape only, no signature check. `previous` is null for generation 1 and the
    previous body's digest for every later one."""
    obj = _fields(doc, GROUP_KEY_TYPE, _DOCUMENT_KEYS)
    try:
        number = require_count(obj, "number")
        previous = None if obj["previous"] is None else require_bytes(obj, "previous")
        if (number == 1) != (previous is None):
            raise TrustError("malformed", "Champ « previous » invalide.")
        return GroupKeyDocument(
            commune=require_identifier(obj, "commune"),
            scope=obj["scope"],
            number=number,
            previous=previous,
            key=require_bytes(obj, "key"),
            issued_at=require_count(obj, "issued_at"),
            issuer=require_bytes(obj, "issuer"),
            digest=body_digest(doc.body),
        )
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc) from exc


def parse_group_grant(doc: chain.SignedDocument) -> GroupGrantBody:
    """Shape only, no signature check (the server stores grants it cannot open)."""
    obj = _fields(doc, GROUP_GRANT_TYPE, _GRANT_KEYS)
    try:
        wrapped = require_bytes(obj, "wrapped", 48)
        return GroupGrantBody(
            commune=require_identifier(obj, "commune"),
            scope=obj["scope"],
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


def generate_group_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def issue_group_key(
    sign_key: Ed25519PrivateKey,
    *,
    commune: str,
    scope: str,
    number: int,
    previous: str | None,
    public_key: str,
    issued_at: int,
) -> chain.SignedDocument:
    """Sign generation `number` of `scope` (`previous` = `body_digest` of generation
    number − 1, None for 1) with the operator device's key; checked like a verifier."""
    body = {
        "type": GROUP_KEY_TYPE,
        "v": 1,
        "commune": commune,
        "scope": scope,
        "number": number,
        "previous": previous,
        "key": public_key,
        "issued_at": issued_at,
        "issuer": fingerprint_of(sign_key),
    }
    doc = sign_body(body, sign_key)
    parse_group_key_document(doc)
    return doc


def _grant_aad(commune: str, scope: str, number: int, recipient: str) -> bytes:
    return canonical_json(
        {
            "type": GROUP_GRANT_TYPE,
            "v": 1,
            "commune": commune,
            "scope": scope,
            "number": number,
            "recipient": recipient,
        }
    )


def seal_group_grant(
    sign_key: Ed25519PrivateKey,
    *,
    commune: str,
    scope: str,
    number: int,
    recipient_device: str,
    recipient_key: str,
    group_private_key: X25519PrivateKey,
    issued_at: int,
) -> chain.SignedDocument:
    """Wrap a generation's private half for one member device (whose chain the caller
    verified) and sign the grant."""
    enc, wrapped = seal_private_key(
        recipient_key,
        group_private_key,
        info=GROUP_GRANT_INFO,
        aad=_grant_aad(commune, scope, number, recipient_device),
    )
    body = GroupGrantBody(
        commune=commune,
        scope=scope,
        number=number,
        recipient=recipient_device,
        recipient_key=recipient_key,
        enc=enc,
        wrapped=wrapped,
        issued_at=issued_at,
        issuer=fingerprint_of(sign_key),
    )
    doc = sign_body(body.to_json(), sign_key)
    parse_group_grant(doc)
    return doc


# --- verifying ------------------------------------------------------------------------


def verify_group_key(
    wire: object,
    trust: TrustContext,
    now: int,
    scope: str,
    last: GroupKeyDocument | None = None,
    *,
    as_of_issue: bool = False,
) -> GroupKeyDocument:
    """Accept a generation of `scope`: signed by a certified, unrevoked operator device of
    this commune, and continuing the newest generation of that scope this device verified
    (`last`): the same document again, or number + 1 naming it as `previous`. Older is
    `stale_group_key` (a sender must seal to the newest); a fork or a gap is
    `wrong_group_key` (fetch the missing generations first, in order).

    `as_of_issue` is for an older generation received to read past broadcasts: its signer
    is judged as of `issued_at` and an older number is expected; the link to `last` is
    still checked when it is number + 1.
    """
    if not isinstance(wire, dict):
        raise EnvelopeError("malformed")
    try:
        doc = chain.SignedDocument.from_wire(wire)
        signer_chain = chain.parse_chain(wire.get("chain"))
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc) from exc
    body = parse_group_key_document(doc)
    if as_of_issue:
        verify_signer(doc, signer_chain, body.issuer, as_of(trust, body.issued_at), body.issued_at)
    else:
        verify_signer(doc, signer_chain, body.issuer, trust, now)
    if body.commune != trust.commune:
        raise EnvelopeError("wrong_commune", field="commune")
    if body.scope != scope:
        raise EnvelopeError("wrong_scope", field="scope")
    if last is None:
        return body
    if last.scope != scope or last.commune != body.commune:
        raise EnvelopeError("wrong_scope", field="scope")
    if body.number == last.number + 1:
        if body.previous != last.digest:
            raise EnvelopeError("wrong_group_key", field="previous")
    elif body.number == last.number:
        if body.digest != last.digest:
            raise EnvelopeError("wrong_group_key", field="number")
    elif body.number < last.number:
        if not as_of_issue:
            raise EnvelopeError("stale_group_key", field="number")
    elif not as_of_issue:
        raise EnvelopeError("wrong_group_key", field="number")
    return body


def open_group_grant(
    doc: chain.SignedDocument,
    granter_chain: list[chain.SignedDocument],
    my_device: str,
    my_private_key: X25519PrivateKey,
    group_key: GroupKeyDocument,
    trust: TrustContext,
) -> X25519PrivateKey:
    """Unwrap a generation's private half granted to this device and prove it is the
    private half of the verified document (`wrong_group_key` otherwise). The granter is
    judged as of the grant's `issued_at`, as for the police service key."""
    grant = parse_group_grant(doc)
    verify_signer(doc, granter_chain, grant.issuer, as_of(trust, grant.issued_at), grant.issued_at)
    if grant.commune != trust.commune:
        raise EnvelopeError("wrong_commune", field="commune")
    if grant.scope != group_key.scope:
        raise EnvelopeError("wrong_scope", field="scope")
    if grant.number != group_key.number or grant.commune != group_key.commune:
        raise EnvelopeError("wrong_group_key", field="number")
    if not is_mine(grant.recipient, grant.recipient_key, my_device, my_private_key):
        raise EnvelopeError("not_a_recipient", field="recipient")
    private = open_private_key(
        my_private_key,
        grant.enc,
        grant.wrapped,
        info=GROUP_GRANT_INFO,
        aad=_grant_aad(grant.commune, grant.scope, grant.number, grant.recipient),
    )
    if x25519_public_of(private) != group_key.key:
        raise EnvelopeError("wrong_group_key")
    return private
