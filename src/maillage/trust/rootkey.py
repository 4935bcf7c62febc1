"""The commune root key on the mairie's machine: creation and its encrypted offline backup.

The private half never reaches the server (docs/trust.md). It lives in a PKCS#12 file
encrypted under a passphrase (PBES2, PBKDF2-HMAC-SHA256 with `KDF_ROUNDS` rounds,
AES-256-CBC, SHA-256 MAC); `maillage commune create` writes it once and the mairie keeps
it offline. Files from the first version (encrypted PKCS#8 PEM, a weaker KDF) still load,
so no commune has to re-create its root. Pure Python, no Django, like `chain.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12

from maillage.wire import chain

__all__ = [
    "KDF_ROUNDS",
    "MIN_PASSPHRASE_BYTES",
    "RootKeyError",
    "generate_root",
    "load_encrypted_backup",
    "public_key_b64",
    "root_fingerprint",
    "write_encrypted_backup",
]

# Stretching makes each guess cost; a short passphrase is still guessable.
MIN_PASSPHRASE_BYTES = 12
# OWASP's 2023 figure for PBKDF2-HMAC-SHA256; about 0.15 s here, paid once per use.
KDF_ROUNDS = 600_000
FRIENDLY_NAME = b"maillage-racine"
_PKCS8_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


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
    """Write the key as an encrypted PKCS#12 file readable only by its owner.

    Refuses to overwrite: losing the only copy of a root key means re-certifying every
    device of the commune. The file is created with mode 0600 atomically (O_EXCL), so
    there is no window where another user could read it.
    """
    _check_passphrase(passphrase)
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(passphrase)
    )
    sealed = pkcs12.serialize_key_and_certificates(FRIENDLY_NAME, key, None, None, encryption)
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
            handle.write(sealed)
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
    key: object
    if _PKCS8_PEM in data:
        key = _load_pkcs8(data, passphrase)
    else:
        if _opens_without_passphrase(data):
            raise RootKeyError("Ce fichier de clé racine n'est pas chiffré ; il est refusé.")
        try:
            key, _, _ = pkcs12.load_key_and_certificates(data, passphrase)
        except ValueError as exc:
            raise RootKeyError(
                "Phrase de passe incorrecte, ou fichier qui n'est pas une sauvegarde de clé "
                "racine (PKCS#12 chiffré) ou qui est endommagé."
            ) from exc
    if key is None:
        raise RootKeyError("Ce fichier ne contient pas de clé racine.")
    if not isinstance(key, Ed25519PrivateKey):
        raise RootKeyError("Ce fichier ne contient pas une clé racine Ed25519.")
    return key


def _load_pkcs8(data: bytes, passphrase: bytes) -> object:
    """First-version backups: encrypted PKCS#8 PEM."""
    try:
        return serialization.load_pem_private_key(data, password=passphrase)
    except ValueError as exc:
        raise RootKeyError(
            "Phrase de passe incorrecte, ou fichier de clé racine endommagé."
        ) from exc
    except TypeError as exc:
        raise RootKeyError("Ce fichier de clé racine n'est pas chiffré ; il est refusé.") from exc


def _opens_without_passphrase(data: bytes) -> bool:
    try:
        pkcs12.load_key_and_certificates(data, None)
    except ValueError:
        return False
    return True
