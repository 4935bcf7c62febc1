"""`maillage demo`: migrate, seed the demo commune, print the demo logins, serve."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Prépare et sert la commune de démonstration (données fictives)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Prépare sans servir.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("Le mode démo n'est pas actif (MAILLAGE_DEMO).")
        from maillage.demo.seed import seed_demo

        call_command("migrate", interactive=False, verbosity=0)
        demo = seed_demo()
        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write(f"Commune de démonstration : {demo.commune.name}")
        self.stdout.write(
            f"  {demo.commune.sectors.count()} secteurs, {demo.commune.shops.count()} commerces"
        )
        self.stdout.write(f"Ouvrez {url}/demo et choisissez un compte :")
        for membership in demo.members:
            shop = f" – {membership.shop.enseigne}" if membership.shop else ""
            self.stdout.write(
                f"  • {membership.person.display_name} ({membership.get_role_display()}){shop}"
            )
        self.stdout.write(
            "Pour les clés d'accès (passkeys), utilisez http://localhost:"
            f"{options['port']} (une adresse IP ne peut pas porter de clé d'accès)."
        )
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"])
