"""HPKE single-shot seal/open for the one suite of envelope v1 (docs/envelope.md).

Twin of `frontend/src/envelope/hpke.ts`.

Built on `pyhpke` rather than `cryptography.hazmat.primitives.hpke` (cryptography 50):
the latter only offers one-shot `encrypt`/`decrypt` with a random ephemeral key, so it
cannot reproduce the RFC 9180 vectors (fixed `skEm`, consecutive sequence numbers,
exports). pyhpke exposes the contexts and takes the ephemeral key pair as a parameter,
and it does its X25519, HKDF and AES-GCM through `cryptography` (OpenSSL).
"""

from __future__ import annotations

from typing import Final

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKey, KEMKeyPair, PyHPKEError

from maillage.wire.b64 import b64url_encode

__all__ = ["SUITE", "HpkeFailure", "hpke_open", "hpke_seal", "suite", "x25519_public_of"]

# Base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM: fixed by version 1.
SUITE: Final = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES128_GCM)


class HpkeFailure(Exception):
    """Opening failed: wrong key, altered `enc`/ciphertext/aad, or a degenerate key."""


def suite(aead_id: int) -> CipherSuite:
    """Another AEAD with the same KEM and KDF: only the RFC 9180 vector tests need it."""
    return CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId(aead_id))


def hpke_seal(
    public_raw: bytes,
    plaintext: bytes,
    *,
    info: bytes,
    aad: bytes,
    ephemeral: X25519PrivateKey | None = None,
) -> tuple[bytes, bytes]:
    """Return (enc, ciphertext) for one recipient, sequence number 0 only."""
    try:
        recipient = KEMKey.from_pyca_cryptography_key(X25519PublicKey.from_public_bytes(public_raw))
        eks = None
        if ephemeral is not None:
            eks = KEMKeyPair(
                KEMKey.from_pyca_cryptography_key(ephemeral),
                KEMKey.from_pyca_cryptography_key(ephemeral.public_key()),
            )
        enc, context = SUITE.create_sender_context(recipient, info, eks=eks)
        return enc, context.seal(plaintext, aad)
    except (PyHPKEError, ValueError) as exc:
        raise HpkeFailure(str(exc)) from exc


def hpke_open(
    private_key: X25519PrivateKey, enc: bytes, ciphertext: bytes, *, info: bytes, aad: bytes
) -> bytes:
    """Open a single-shot HPKE ciphertext; every failure is an `HpkeFailure`."""
    try:
        context = SUITE.create_recipient_context(
            enc, KEMKey.from_pyca_cryptography_key(private_key), info
        )
        return context.open(ciphertext, aad)
    except (PyHPKEError, ValueError) as exc:
        raise HpkeFailure(str(exc)) from exc


def x25519_public_of(key: X25519PrivateKey) -> str:
    """The raw public half of an X25519 key, base64url: how recipient keys travel."""
    return b64url_encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
