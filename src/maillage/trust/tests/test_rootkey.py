"""The root key's encrypted backup: readable only with the passphrase, never overwritten."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from maillage.trust.rootkey import (
    KDF_ROUNDS,
    RootKeyError,
    generate_root,
    load_encrypted_backup,
    public_key_b64,
    root_fingerprint,
    write_encrypted_backup,
)
from maillage.wire.chain import b64url_decode, fingerprint
from maillage.wire.chain import public_key_b64 as chain_public_key

PASSPHRASE = b"correct horse battery staple"


def test_backup_round_trip(tmp_path: Path) -> None:
    key = generate_root()
    path = tmp_path / "racine.pem"
    write_encrypted_backup(key, path, PASSPHRASE)
    loaded = load_encrypted_backup(path, PASSPHRASE)
    assert public_key_b64(loaded) == public_key_b64(key)
    assert public_key_b64(key) == chain_public_key(key)
    assert len(public_key_b64(key)) == 43
    assert root_fingerprint(key) == fingerprint(b64url_decode(public_key_b64(key)))


def test_backup_is_private_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "racine.pem"
    write_encrypted_backup(generate_root(), path, PASSPHRASE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_backup_holds_no_raw_key_bytes(tmp_path: Path) -> None:
    key = generate_root()
    path = tmp_path / "racine.p12"
    write_encrypted_backup(key, path, PASSPHRASE)
    sealed = path.read_bytes()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    plain_pkcs8 = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    assert seed not in sealed
    assert plain_pkcs8 not in sealed
    assert base64.b64encode(seed)[:40] not in sealed
    assert PASSPHRASE not in sealed


# DER of the parameters the backup must carry: PBES2, PBKDF2 with KDF_ROUNDS, AES-256-CBC.
PBES2_OID = bytes.fromhex("06092a864886f70d01050d")
PBKDF2_OID = bytes.fromhex("06092a864886f70d01050c")
AES256_CBC_OID = bytes.fromhex("060960864801650304012a")


def test_backup_uses_a_slow_modern_kdf(tmp_path: Path) -> None:
    path = tmp_path / "racine.p12"
    write_encrypted_backup(generate_root(), path, PASSPHRASE)
    sealed = path.read_bytes()
    assert bytes.fromhex("06092a864886f70d010701") in sealed[:64]  # PKCS#12 (pkcs7-data)
    assert KDF_ROUNDS >= 600_000
    rounds = KDF_ROUNDS.to_bytes((KDF_ROUNDS.bit_length() + 8) // 8, "big")
    assert bytes([0x02, len(rounds)]) + rounds in sealed
    for oid in (PBES2_OID, PBKDF2_OID, AES256_CBC_OID):
        assert oid in sealed


def test_first_version_pkcs8_backups_still_load(tmp_path: Path) -> None:
    key = generate_root()
    path = tmp_path / "ancienne.pem"
    path.write_bytes(
        key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(PASSPHRASE))
    )
    assert public_key_b64(load_encrypted_backup(path, PASSPHRASE)) == public_key_b64(key)
    with pytest.raises(RootKeyError, match="Phrase de passe incorrecte"):
        load_encrypted_backup(path, b"pas la bonne phrase")


def test_wrong_passphrase_is_explained_in_french(tmp_path: Path) -> None:
    path = tmp_path / "racine.pem"
    write_encrypted_backup(generate_root(), path, PASSPHRASE)
    with pytest.raises(RootKeyError) as caught:
        load_encrypted_backup(path, b"wrong horse battery staple")
    assert "Phrase de passe incorrecte" in caught.value.message


def test_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "racine.pem"
    first = generate_root()
    write_encrypted_backup(first, path, PASSPHRASE)
    before = path.read_bytes()
    with pytest.raises(RootKeyError) as caught:
        write_encrypted_backup(generate_root(), path, PASSPHRASE)
    assert "existe déjà" in caught.value.message
    assert path.read_bytes() == before
    assert public_key_b64(load_encrypted_backup(path, PASSPHRASE)) == public_key_b64(first)


def test_short_passphrase_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "racine.pem"
    with pytest.raises(RootKeyError):
        write_encrypted_backup(generate_root(), path, b"court")
    assert not path.exists()


def test_unencrypted_or_foreign_files_are_refused(tmp_path: Path) -> None:
    plain = tmp_path / "clair.pem"
    plain.write_bytes(
        generate_root().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    with pytest.raises(RootKeyError):
        load_encrypted_backup(plain, PASSPHRASE)
    with pytest.raises(RootKeyError) as caught:
        load_encrypted_backup(tmp_path / "absent.pem", PASSPHRASE)
    assert "introuvable" in caught.value.message


def test_non_ed25519_backup_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

    path = tmp_path / "ec.pem"
    path.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(PASSPHRASE)
        )
    )
    with pytest.raises(RootKeyError) as caught:
        load_encrypted_backup(path, PASSPHRASE)
    assert "Ed25519" in caught.value.message
