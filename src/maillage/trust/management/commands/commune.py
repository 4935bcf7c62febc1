"""`maillage commune create`: a new commune, its root key (offline backup), its first invitation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from maillage.errors import ApiError
from maillage.setup.commune import create_commune
from maillage.trust import rootkey
from maillage.trust.management.common import read_passphrase


class Command(BaseCommand):
    help = "Communes : « create » crée une commune, sa clé racine et la première invitation."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="create")
        create = sub.add_parser(
            "create", help="Créer une commune, sa clé racine et l'invitation du coordinateur."
        )
        create.add_argument("--name", required=True, help="Nom de la commune")
        create.add_argument("--insee", required=True, help="Code INSEE (5 caractères)")
        create.add_argument("--departement", required=True, help="Code du département (78)")
        create.add_argument("--departement-name", required=True, help="Nom du département")
        create.add_argument("--slug", help="Identifiant court (par défaut : tiré du nom)")
        create.add_argument(
            "--coordinator", required=True, help="Nom et prénom du premier coordinateur"
        )
        create.add_argument("--coordinator-email", default="", help="Courriel du coordinateur")
        create.add_argument(
            "--root-backup",
            required=True,
            help="Fichier où écrire la sauvegarde chiffrée de la clé racine (jamais écrasé)",
        )
        create.add_argument(
            "--passphrase-file",
            help="Fichier contenant la phrase de passe (sinon, saisie au clavier deux fois)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] != "create":  # pragma: no cover - argparse refuses others
            raise CommandError("Sous-commande inconnue.")
        create_commune_command(self, options)


def create_commune_command(command: BaseCommand, options: dict[str, Any]) -> None:
    backup = Path(options["root_backup"])
    if backup.exists():
        raise CommandError(f"Le fichier {backup} existe déjà ; il ne sera pas écrasé.")
    if not backup.parent.is_dir():
        raise CommandError(f"Le dossier {backup.parent} n'existe pas.")
    passphrase = read_passphrase(options.get("passphrase_file"), confirm=True)
    root_key = rootkey.generate_root()
    written = False
    try:
        with transaction.atomic():
            setup = create_commune(
                name=options["name"],
                insee_code=options["insee"],
                departement_code=options["departement"],
                departement_name=options["departement_name"],
                slug=options.get("slug"),
                coordinator_name=options["coordinator"],
                coordinator_email=options.get("coordinator_email") or "",
                root_key=root_key,
            )
            # Written last, inside the transaction: no commune without its backup, and
            # no backup of a commune that was not created.
            rootkey.write_encrypted_backup(root_key, backup, passphrase)
            written = True
    except BaseException as exc:
        if written:  # the commit itself failed: the backup belongs to nothing
            backup.unlink(missing_ok=True)
        if isinstance(exc, rootkey.RootKeyError | ApiError):
            raise CommandError(exc.message) from exc
        raise

    commune = setup.commune
    invitation = setup.invitation
    expires = timezone.localtime(invitation.invitation.expires_at).strftime("%d/%m/%Y à %H:%M")
    out = command.stdout
    out.write(
        f"Commune créée : {commune.name} ({commune.slug}), INSEE {commune.insee_code}, "
        f"département {commune.departement.code} {commune.departement.name}."
    )
    out.write(f"Clé racine : empreinte {setup.root.fingerprint}")
    out.write(f"  Sauvegarde chiffrée écrite dans {backup}.")
    out.write(
        "  Conservez-la hors ligne (clé USB au coffre), et la phrase de passe à part : "
        "le serveur ne garde que la clé publique."
    )
    out.write(f"Charte d'utilisation : version {setup.charter_version} publiée.")
    out.write(
        f"Invitation du premier coordinateur ({invitation.invitation.display_name}), "
        f"à usage unique, valable jusqu'au {expires} :"
    )
    out.write(f"  {invitation.url}")
    out.write(
        "Remettez ce lien en main propre (ou par QR code) : il contient l'empreinte de la clé "
        "racine que l'appareil du coordinateur retiendra."
    )
    out.write(
        "Une fois l'inscription faite, certifiez son appareil avec la clé racine :\n"
        f"  maillage root certify --commune {commune.slug} --root-backup {backup}"
    )
