"""`maillage root certify|revoke`: what only the commune's root key signs, at the mairie."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from maillage.errors import ApiError
from maillage.stream.action import CLI
from maillage.trust import certificates, devices, revocations, roots
from maillage.trust.management.common import commune_by_slug, confirm, load_root
from maillage.trust.models import Device


class Command(BaseCommand):
    help = (
        "Clé racine de la commune : « certify » certifie les appareils des coordinateurs, "
        "« revoke » révoque des appareils."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="certify|revoke")
        for name, text in (
            ("certify", "Certifier les appareils de coordinateur en attente."),
            ("revoke", "Révoquer des appareils (par exemple un téléphone perdu)."),
        ):
            command = sub.add_parser(name, help=text)
            command.add_argument("--commune", required=True, help="Identifiant de la commune")
            command.add_argument(
                "--root-backup", required=True, help="Sauvegarde chiffrée de la clé racine"
            )
            command.add_argument("--passphrase-file", help="Fichier de la phrase de passe")
            command.add_argument(
                "--yes", action="store_true", help="Ne pas demander de confirmation"
            )
            command.add_argument(
                "--device",
                action="append",
                default=[],
                required=name == "revoke",
                help="Identifiant d'appareil (répétable)",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        commune = commune_by_slug(options["commune"])
        try:
            if options["subcommand"] == "certify":
                certify_command(self, commune, options)
            else:
                revoke_command(self, commune, options)
        except ApiError as exc:
            raise CommandError(exc.message) from exc


def _device_ids(values: list[str]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise CommandError(f"Identifiant d'appareil invalide : « {value} ».") from None
    return ids


def _describe(device: Device) -> str:
    membership = device.membership
    created = timezone.localtime(device.created_at).strftime("%d/%m/%Y %H:%M")
    return (
        f"Appareil « {device.label} » de {membership.person.display_name} "
        f"({membership.get_role_display()}), enregistré le {created}\n"
        f"    identifiant : {device.public_id}\n"
        f"    empreinte   : {device.sign_key_fingerprint}"
    )


def certify_command(command: BaseCommand, commune: Any, options: dict[str, Any]) -> None:
    pending = devices.pending_coordinator_devices(commune)
    wanted = _device_ids(options["device"])
    if wanted:
        pending = [d for d in pending if d.public_id in wanted]
    if not pending:
        command.stdout.write("Aucun appareil de coordinateur en attente de certificat.")
        return
    root_key = load_root(options["root_backup"], options.get("passphrase_file"))
    roots.check_root_key(commune, root_key)
    done = 0
    for device in pending:
        command.stdout.write(_describe(device))
        if not options["yes"] and not confirm(
            "Comparez l'empreinte avec celle affichée sur l'appareil. Certifier cet appareil ?"
        ):
            command.stdout.write("  Ignoré.")
            continue
        certificate = certificates.certify_with_root(CLI, device, root_key)
        until = timezone.localtime(certificate.expires_at).strftime("%d/%m/%Y")
        command.stdout.write(
            f"  Certifié (certificat {certificate.serial}, valable jusqu'au {until}) : "
            "ce coordinateur peut désormais approuver les autres appareils."
        )
        done += 1
    command.stdout.write(f"{done} appareil(s) certifié(s).")


def revoke_command(command: BaseCommand, commune: Any, options: dict[str, Any]) -> None:
    ids = _device_ids(options["device"])
    devices = list(
        Device.objects.filter(public_id__in=ids, membership__commune=commune).select_related(
            "membership", "membership__person", "membership__commune"
        )
    )
    missing = set(ids) - {d.public_id for d in devices}
    if missing:
        raise CommandError(
            "Appareil(s) introuvable(s) dans cette commune : "
            + ", ".join(str(m) for m in sorted(missing, key=str))
        )
    root_key = load_root(options["root_backup"], options.get("passphrase_file"))
    roots.check_root_key(commune, root_key)
    for device in devices:
        command.stdout.write(_describe(device))
    if not options["yes"] and not confirm("Révoquer ces appareils ?"):
        command.stdout.write("Rien n'a été révoqué.")
        return
    published = revocations.revoke_devices_with_root(CLI, commune, root_key, devices)
    if published is None:
        command.stdout.write("Appareil(s) révoqué(s) ; aucun certificat en cours à retirer.")
    else:
        command.stdout.write(
            f"Appareil(s) révoqué(s) ; liste de révocation n° {published.number} publiée, "
            "signée par la clé racine."
        )
