"""A software WebAuthn authenticator for tests: real ES256 keys, real CBOR, real signatures.

It builds what a browser returns from `navigator.credentials.create()` / `.get()` in the
`credential.toJSON()` form, with attestation "none", so py_webauthn verifies genuine
cryptography, not a mock.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from maillage.members.passkeys import NewPasskey
from maillage.wire.chain import b64url_decode, b64url_encode

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_AT = 0x40


def _b64decode(text: str) -> bytes:
    return b64url_decode(text.rstrip("="))


class SoftAuthenticator:
    """One authenticator holding one discoverable credential (like a phone's passkey)."""

    def __init__(self, origin: str = "http://localhost:8000") -> None:
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        self.user_handle: bytes | None = None
        self.rp_id: str | None = None

    def _cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def registered(self, rp_id: str) -> NewPasskey:
        """The passkey a verified registration of this credential gives the server, for
        factories that enrol through the action rather than the HTTP ceremony."""
        self.rp_id = rp_id
        self.user_handle = os.urandom(16)
        return NewPasskey(
            credential_id=self.credential_id,
            public_key=self._cose_public_key(),
            sign_count=self.sign_count,
            transports=["internal"],
            user_handle=self.user_handle,
        )

    def create(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """Answer creation options as navigator.credentials.create() + toJSON() would."""
        self.rp_id = options["rp"]["id"]
        assert self.rp_id is not None
        self.user_handle = _b64decode(options["user"]["id"])
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([FLAG_UP | FLAG_UV | FLAG_AT])
            + struct.pack(">I", self.sign_count)
            + bytes(16)  # AAGUID: none
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_public_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url_encode(self.credential_id),
            "rawId": b64url_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url_encode(client_data),
                "attestationObject": b64url_encode(attestation),
                "transports": ["internal", "hybrid"],
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }

    def get(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """Answer request options (discoverable: no allowCredentials) with a signed assertion."""
        rp_id = options.get("rpId") or self.rp_id
        assert rp_id is not None
        self.sign_count += 1
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([FLAG_UP | FLAG_UV])
            + struct.pack(">I", self.sign_count)
        )
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url_encode(self.credential_id),
            "rawId": b64url_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url_encode(client_data),
                "authenticatorData": b64url_encode(auth_data),
                "signature": b64url_encode(signature),
                "userHandle": b64url_encode(self.user_handle) if self.user_handle else None,
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }
