"""`maillage commune create` and `maillage root certify|revoke`, run as management commands."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from maillage.members.models import CharterVersion, Invitation, MembershipStatus, Role
from maillage.members.tests import factory
from maillage.members.tests.authenticator import SoftAuthenticator
from maillage.members.tests.test_enrolment import enrol
from maillage.territory.models import Commune
from maillage.trust import rootkey
from maillage.trust.models import CommuneRoot, Device, DeviceStatus, RevocationList
from maillage.wire import chain

pytestmark = pytest.mark.django_db

PASSPHRASE = "correct cheval agrafe batterie"
LINK = re.compile(r"(http://\S+/rejoindre#jeton=([A-Za-z0-9_-]+)&racine=([A-Za-z0-9_-]{43}))")

PKCS7_DATA_OID = bytes.fromhex("06092a864886f70d010701")


@pytest.fixture
def passphrase_file(tmp_path: Path) -> Path:
    path = tmp_path / "phrase.txt"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


def create(tmp_path: Path, passphrase_file: Path, *extra: str) -> tuple[str, Path]:
    backup = tmp_path / "racine-mantes.p12"
    out = io.StringIO()
    call_command(
        "commune",
        "create",
        "--name",
        "Mantes-la-Jolie",
        "--insee",
        "78361",
        "--departement",
        "78",
        "--departement-name",
        "Yvelines",
        "--coordinator",
        "Dupont Marie",
        "--coordinator-email",
        "marie.dupont@mantes.fr",
        "--root-backup",
        str(backup),
        "--passphrase-file",
        str(passphrase_file),
        *extra,
        stdout=out,
    )
    return out.getvalue(), backup


def test_commune_create_prints_a_link_pinning_the_root_and_writes_an_encrypted_backup(
    tmp_path: Path, passphrase_file: Path
) -> None:
    output, backup = create(tmp_path, passphrase_file)
    commune = Commune.objects.get(insee_code="78361")
    root = CommuneRoot.objects.get(commune=commune)
    match = LINK.search(output)
    assert match, output
    assert match.group(3) == root.fingerprint
    assert "Commune créée : Mantes-la-Jolie (mantes-la-jolie)" in output
    assert f"maillage root certify --commune mantes-la-jolie --root-backup {backup}" in output

    # The backup is encrypted, private to its owner, and holds the root whose public half
    # (only) the server stored.
    assert PKCS7_DATA_OID in backup.read_bytes()[:64]  # a PKCS#12 container
    assert backup.stat().st_mode & 0o077 == 0
    key = rootkey.load_encrypted_backup(backup, PASSPHRASE.encode())
    assert chain.public_key_b64(key) == root.public_key
    assert root.demo_private_key == ""
    with pytest.raises(rootkey.RootKeyError):
        rootkey.load_encrypted_backup(backup, b"mauvaise phrase de passe")

    # List 0, empty and signed by the root; charter v1; one coordinator invitation.
    list_zero = RevocationList.objects.get(commune=commune)
    content = chain.verify_revocation_list(
        chain.SignedDocument(list_zero.body, list_zero.signature),
        [],
        root.public_key,
        root.fingerprint,
        str(commune.public_id),
        0,
        int(list_zero.created_at.timestamp()),
    )
    assert content.number == 0 and content.entries == ()
    charter = CharterVersion.objects.get(commune=commune)
    assert charter.version == 1 and "17" in charter.text and "RGPD" in charter.text
    invitation = Invitation.objects.get(commune=commune)
    assert invitation.role == Role.COORDINATOR
    assert invitation.display_name == "Dupont Marie"
    assert match.group(2) not in invitation.token_hash


def test_commune_create_refuses_short_passphrase_and_existing_backup(
    tmp_path: Path, passphrase_file: Path
) -> None:
    short = tmp_path / "court.txt"
    short.write_text("court\n", encoding="utf-8")
    with pytest.raises(CommandError, match="12 caractères"):
        create(tmp_path, short)
    assert not Commune.objects.exists()
    (tmp_path / "racine-mantes.p12").write_text("déjà là")
    with pytest.raises(CommandError, match="existe déjà"):
        create(tmp_path, passphrase_file)
    assert not Commune.objects.exists()


def test_failed_creation_leaves_no_backup_and_no_commune(
    tmp_path: Path, passphrase_file: Path
) -> None:
    with pytest.raises(CommandError, match="INSEE"):
        create(tmp_path, passphrase_file, "--insee", "123")
    assert not (tmp_path / "racine-mantes.p12").exists()
    assert not Commune.objects.exists()


def test_root_certify_signs_pending_coordinator_devices_with_the_root(
    tmp_path: Path, passphrase_file: Path
) -> None:
    output, backup = create(tmp_path, passphrase_file)
    match = LINK.search(output)
    assert match
    response, _ = enrol(Client(), match.group(2), SoftAuthenticator())
    assert response.status_code == 201, response.json()
    device = Device.objects.get(public_id=response.json()["device"]["id"])

    out = io.StringIO()
    call_command(
        "root",
        "certify",
        "--commune",
        "mantes-la-jolie",
        "--root-backup",
        str(backup),
        "--passphrase-file",
        str(passphrase_file),
        "--yes",
        stdout=out,
    )
    assert device.sign_key_fingerprint in out.getvalue()
    assert "1 appareil(s) certifié(s)." in out.getvalue()
    device.refresh_from_db()
    assert device.status == DeviceStatus.ACTIVE
    assert device.membership.status == MembershipStatus.ACTIVE
    certificate = device.certificates.get()
    body = chain.parse_certificate(chain.SignedDocument(certificate.body, certificate.signature))
    assert body.may_certify is True
    assert body.issuer == CommuneRoot.objects.get().fingerprint

    again = io.StringIO()
    call_command(
        "root",
        "certify",
        "--commune",
        "mantes-la-jolie",
        "--root-backup",
        str(backup),
        "--passphrase-file",
        str(passphrase_file),
        stdout=again,
    )
    assert "Aucun appareil de coordinateur en attente" in again.getvalue()


def test_root_commands_refuse_another_communes_root(tmp_path: Path, passphrase_file: Path) -> None:
    _, backup = create(tmp_path, passphrase_file)
    other = factory.make_commune()
    factory.make_member(Role.COORDINATOR, other, approved=False)
    with pytest.raises(CommandError, match="n'est pas celle de la commune"):
        call_command(
            "root",
            "certify",
            "--commune",
            other.slug,
            "--root-backup",
            str(backup),
            "--passphrase-file",
            str(passphrase_file),
            "--yes",
            stdout=io.StringIO(),
        )


def test_root_revoke_publishes_a_root_signed_list(tmp_path: Path, passphrase_file: Path) -> None:
    commune = factory.make_commune()
    backup = tmp_path / "racine.pem"
    rootkey.write_encrypted_backup(factory.root_key(commune), backup, PASSPHRASE.encode())
    coordinator = factory.make_member(Role.COORDINATOR, commune)
    assert coordinator.device is not None
    client = coordinator.client()
    out = io.StringIO()
    call_command(
        "root",
        "revoke",
        "--commune",
        commune.slug,
        "--device",
        str(coordinator.device.public_id),
        "--root-backup",
        str(backup),
        "--passphrase-file",
        str(passphrase_file),
        "--yes",
        stdout=out,
    )
    assert "liste de révocation n° 1" in out.getvalue()
    assert coordinator.refresh().device.status == DeviceStatus.REVOKED
    latest = RevocationList.objects.get(commune=commune, number=1)
    assert latest.signer_certificate is None
    root = CommuneRoot.objects.get(commune=commune)
    content = chain.verify_revocation_list(
        chain.SignedDocument(latest.body, latest.signature),
        [],
        root.public_key,
        root.fingerprint,
        str(commune.public_id),
        1,
        int(latest.created_at.timestamp()),
    )
    assert [e.device for e in content.entries] == [str(coordinator.device.public_id)]
    assert client.get("/api/v1/session").json()["code"] == "access_revoked"
