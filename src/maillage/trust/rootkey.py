"""The commune root key on the mairie's machine: creation and its encrypted offline backup.

The private half never reaches the server (docs/trust.md). It lives in a PKCS#8 PEM file
encrypted under a passphrase; `maillage commune create` writes it once and the mairie
keeps it offline. Pure Python, no Django, like `chain.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from maillage.trust import chain

__all__ = [
    "MIN_PASSPHRASE_BYTES",
    "RootKeyError",
    "generate_root",
    "load_encrypted_backup",
    "public_key_b64",
    "root_fingerprint",
    "write_encrypted_backup",
]

# PKCS#8 encryption stretches the passphrase with PBKDF2; a short one is still guessable.
MIN_PASSPHRASE_BYTES = 12


class RootKeyError(Exception):
    """A root-key file problem, explained in French for the person at the mairie."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def generate_root() -> Ed25519PrivateKey:
    """A fresh Ed25519 root key from the operating system's random source."""
    return Ed25519PrivateKey.generate()


def public_key_b64(key: Ed25519PrivateKey) -> str:
    """The public half, raw and base64url: what the server stores."""
    return chain.public_key_b64(key)


def root_fingerprint(key: Ed25519PrivateKey) -> str:
    """What invitation links pin (`#racine=...`)."""
    return chain.fingerprint(chain.b64url_decode(public_key_b64(key)))


def _check_passphrase(passphrase: bytes) -> None:
    if not isinstance(passphrase, bytes):
        raise TypeError("passphrase must be bytes")
    if len(passphrase) < MIN_PASSPHRASE_BYTES:
        raise RootKeyError(
            f"La phrase de passe doit compter au moins {MIN_PASSPHRASE_BYTES} caractères."
        )


def write_encrypted_backup(key: Ed25519PrivateKey, path: Path | str, passphrase: bytes) -> None:
    """Write the key as an encrypted PKCS#8 PEM file readable only by its owner.

    Refuses to overwrite: losing the only copy of a root key means re-certifying every
    device of the commune. The file is created with mode 0600 atomically (O_EXCL), so
    there is no window where another user could read it.
    """
    _check_passphrase(passphrase)
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )
    target = Path(path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise RootKeyError(
            f"Le fichier {target} existe déjà ; il ne sera pas écrasé. Choisissez un autre chemin."
        ) from exc
    try:
        os.fchmod(fd, 0o600)  # O_CREAT's mode is filtered by the umask; be explicit.
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def load_encrypted_backup(path: Path | str, passphrase: bytes) -> Ed25519PrivateKey:
    """Read a backup written by `write_encrypted_backup`; French errors for people."""
    target = Path(path)
    try:
        data = target.read_bytes()
    except FileNotFoundError as exc:
        raise RootKeyError(f"Fichier de clé racine introuvable : {target}.") from exc
    if b"-----BEGIN ENCRYPTED PRIVATE KEY-----" not in data:
        raise RootKeyError(
            "Ce fichier n'est pas une sauvegarde chiffrée de clé racine (PKCS#8 chiffré)."
        )
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except ValueError as exc:
        raise RootKeyError(
            "Phrase de passe incorrecte, ou fichier de clé racine endommagé."
        ) from exc
    except TypeError as exc:
        raise RootKeyError("Ce fichier de clé racine n'est pas chiffré ; il est refusé.") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise RootKeyError("Ce fichier ne contient pas une clé racine Ed25519.")
    return key
