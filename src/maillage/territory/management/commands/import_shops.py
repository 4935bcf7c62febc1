"""`maillage import-shops FILE.csv --commune SLUG`: the mairie's shop list, all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.stream.action import CLI
from maillage.territory.actions import import_shops
from maillage.territory.models import Commune


class Command(BaseCommand):
    help = (
        "Importe les commerces d'un fichier CSV (colonnes : enseigne, raison_sociale, siret, "
        "adresse, latitude, longitude, secteur, activite). Si une ligne est refusée, rien "
        "n'est enregistré."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Fichier CSV (UTF-8, séparateur ; ou ,), - pour stdin.")
        parser.add_argument("--commune", required=True, help="Identifiant (slug) de la commune.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            commune = Commune.objects.get(slug=options["commune"])
        except Commune.DoesNotExist as error:
            raise CommandError(f"Commune « {options['commune']} » introuvable.") from error
        if options["file"] == "-":
            data = sys.stdin.buffer.read()
        else:
            path = Path(options["file"])
            try:
                data = path.read_bytes()
            except OSError as error:
                raise CommandError(f"Lecture impossible de {path} : {error.strerror}.") from error
        result = import_shops(CLI, commune, data)
        if not result.ok:
            for line in result.report_lines():
                self.stderr.write(line)
            raise CommandError(result.summary)
        self.stdout.write(result.summary)
