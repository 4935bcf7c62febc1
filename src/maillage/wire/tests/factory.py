"""A small commune PKI for the client tests: root, coordinator, devices, revocations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.wire import chain
from maillage.wire.envelope import Opener, Recipient, Sender, TrustContext
from maillage.wire.hpke import x25519_public_of

ISSUED = 1764198000
EXPIRES = 1795734000
NOW = 1770000000


@dataclass
class Device:
    role: chain.Role
    shop: str | None
    sign: Ed25519PrivateKey
    enc: X25519PrivateKey
    chain: list[chain.SignedDocument]
    id: str
    serial: str

    @property
    def enc_public(self) -> str:
        return x25519_public_of(self.enc)

    def sender(self) -> Sender:
        return Sender(sign_key=self.sign, device=self.id, serial=self.serial, chain=self.chain)

    def recipient(self) -> Recipient:
        return Recipient(kind="device", id=self.id, key=self.enc_public)

    def opener(self) -> Opener:
        return Opener(kind="device", id=self.id, private_key=self.enc)

    def entry(self) -> dict[str, object]:
        """This device as the key directory lists it."""
        return {"device": self.id, "chain": [d.to_wire() for d in self.chain]}


@dataclass
class Commune:
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    shop: str = field(default_factory=lambda: str(uuid.uuid4()))
    root: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    revoked: list[chain.RevocationEntry] = field(default_factory=list)
    number: int = 0

    def __post_init__(self) -> None:
        self.coordinator = self.device("coordinateur", None, issuer=None)

    @property
    def root_public(self) -> str:
        return chain.public_key_b64(self.root)

    @property
    def fingerprint(self) -> str:
        return chain.fingerprint(chain.b64url_decode(self.root_public))

    def device(
        self,
        role: chain.Role,
        shop: str | None = None,
        *,
        issuer: Device | str | None = "coordinator",
        issuer_key: Ed25519PrivateKey | None = None,
        commune: str | None = None,
    ) -> Device:
        """A certified device; `issuer=None` is certified by the root itself."""
        sign, enc = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
        parent = self.coordinator if issuer == "coordinator" else issuer
        key = issuer_key or (parent.sign if isinstance(parent, Device) else self.root)
        device_id, serial = str(uuid.uuid4()), str(uuid.uuid4())
        certificate = chain.issue_certificate(
            key,
            commune=commune or self.id,
            device=device_id,
            member=str(uuid.uuid4()),
            role=role,
            shop=shop,
            enc_key=x25519_public_of(enc),
            sign_key=chain.public_key_b64(sign),
            may_certify=role == "coordinateur",
            issued_at=ISSUED,
            expires_at=EXPIRES,
            serial=serial,
        )
        rest = parent.chain if isinstance(parent, Device) and issuer_key is None else []
        return Device(role, shop, sign, enc, [certificate, *rest], device_id, serial)

    def revoke(self, device: Device, at: int) -> None:
        self.revoked.append(
            chain.RevocationEntry(serial=device.serial, device=device.id, reason="revoked", at=at)
        )
        self.number += 1

    def revocation_document(
        self, *, number: int | None = None, entries: Sequence[chain.RevocationEntry] | None = None
    ) -> dict[str, object]:
        doc = chain.issue_revocation_list(
            self.root,
            commune=self.id,
            number=self.number if number is None else number,
            issued_at=ISSUED,
            entries=list(self.revoked if entries is None else entries),
        )
        return {**doc.to_wire(), "chain": []}

    def revocations(self) -> chain.RevocationList:
        doc = self.revocation_document()
        return chain.verify_revocation_list(
            chain.SignedDocument.from_wire(doc),
            [],
            self.root_public,
            self.fingerprint,
            self.id,
            0,
            NOW,
        )

    def trust(self) -> TrustContext:
        return TrustContext(self.root_public, self.fingerprint, self.id, self.revocations())
