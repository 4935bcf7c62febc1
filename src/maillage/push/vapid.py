"""The installation's VAPID key (RFC 8292): made at first use, then always the same.

Kept in the database rather than in settings or a file: every server process must sign
with one key, a fresh clone must work with nothing to configure, and a key in the
repository would let anyone push to our subscribers' browsers.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import IntegrityError, transaction
from py_vapid import Vapid

from maillage.push.models import VapidKey

KEY_ID = 1


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _generate() -> VapidKey:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return VapidKey(pk=KEY_ID, private_pem=pem, public_key=_b64url(point))


def current() -> VapidKey:
    """The key, created by whichever process asks first (the others read that one)."""
    found = VapidKey.objects.filter(pk=KEY_ID).first()
    if found is not None:
        return found
    made = _generate()
    try:
        with transaction.atomic():
            made.save(force_insert=True)
    except IntegrityError:
        return VapidKey.objects.get(pk=KEY_ID)
    return made


def application_server_key() -> str:
    """What a browser passes to `pushManager.subscribe` (base64url, 65 bytes)."""
    return current().public_key


def signer() -> Vapid:
    return Vapid.from_pem(current().private_pem.encode("ascii"))


def contact() -> str:
    """The `sub` claim: how a push service reaches whoever runs this installation."""
    return str(settings.PUSH_CONTACT)
