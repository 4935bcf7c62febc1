"""base64url without padding, the only encoding of bytes on the wire (docs/trust.md).

Twin of `frontend/src/trust/b64.ts`.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final

from maillage.wire.errors import TrustError

__all__ = ["b64url_decode", "b64url_encode", "decode_fixed"]

_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict decoding: no padding, no stray characters, no non-zero trailing bits.

    One byte string has exactly one accepted encoding, so nobody can vary a signature's
    or a key's text without the verifier noticing.
    """
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise TrustError("malformed", "Encodage base64url invalide.")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TrustError("malformed", "Encodage base64url invalide.") from exc
    if b64url_encode(data) != text:
        raise TrustError("malformed", "Encodage base64url invalide.")
    return data


def decode_fixed(text: object, length: int) -> bytes:
    """Decode a key, signature or digest that must be exactly `length` bytes."""
    if not isinstance(text, str):
        raise TrustError("malformed")
    data = b64url_decode(text)
    if len(data) != length:
        raise TrustError("malformed")
    return data
