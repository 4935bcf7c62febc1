"""What the root-key commands share: reading the passphrase and the backup, French errors."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import CommandError

from maillage.territory.models import Commune
from maillage.trust import rootkey


def read_passphrase(path: str | None, *, confirm: bool) -> bytes:
    """From a file (first line, so a trailing newline does not count), else typed twice."""
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Impossible de lire le fichier de phrase de passe : {exc}") from exc
        lines = text.splitlines()
        passphrase = lines[0] if lines else ""
    else:
        if not sys.stdin.isatty():
            raise CommandError(
                "Pas de terminal pour saisir la phrase de passe : utilisez --passphrase-file."
            )
        passphrase = getpass.getpass("Phrase de passe de la clé racine : ")
        if confirm and getpass.getpass("Confirmez la phrase de passe : ") != passphrase:
            raise CommandError("Les deux saisies de la phrase de passe diffèrent.")
    data = passphrase.encode("utf-8")
    if len(data) < rootkey.MIN_PASSPHRASE_BYTES:
        raise CommandError(
            f"La phrase de passe doit compter au moins {rootkey.MIN_PASSPHRASE_BYTES} caractères."
        )
    return data


def load_root(path: str, passphrase_file: str | None) -> Ed25519PrivateKey:
    passphrase = read_passphrase(passphrase_file, confirm=False)
    try:
        return rootkey.load_encrypted_backup(path, passphrase)
    except rootkey.RootKeyError as exc:
        raise CommandError(exc.message) from exc


def commune_by_slug(slug: str) -> Commune:
    commune = Commune.objects.filter(slug=slug).first()
    if commune is None:
        raise CommandError(f"Commune inconnue : « {slug} ».")
    return commune


def confirm(question: str) -> bool:
    try:
        answer = input(f"{question} [o/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in {"o", "oui", "y", "yes"}
