"""`maillage demo`: migrate, seed the demo commune, print the demo logins, serve.

While it serves, the simulator (`maillage.client.simulate`) has the demo shops send a
sealed report now and then (about one every two minutes), so that a visitor who opens the
console hears it ring; `--no-simulate` (`make demo SIMULATE=0`) turns it off.
"""

from __future__ import annotations

import logging
import sys
import threading
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
        parser.add_argument(
            "--no-simulate",
            action="store_true",
            help="Sans signalements simulés (sinon : environ un toutes les deux minutes).",
        )
        parser.add_argument(
            "--simulate-rate",
            type=float,
            default=None,
            help="Signalements simulés par minute (défaut : 0,5).",
        )

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
        if options["no_serve"]:
            return
        simulation = None
        if not options["no_simulate"]:
            simulation = _start_simulator(_local_url(options["host"], options["port"]), options)
            self.stdout.write(
                "Des commerces envoient des signalements simulés (--no-simulate pour arrêter)."
            )
        try:
            call_command("serve", host=options["host"], port=options["port"])
        finally:
            if simulation is not None:
                simulator, thread = simulation
                simulator.stop()
                thread.join(timeout=20)


def _local_url(host: str, port: int) -> str:
    """Where this process reaches its own server: loopback when it listens everywhere."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 -- a comparison, not a bind
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _start_simulator(url: str, options: dict[str, Any]) -> tuple[Any, threading.Thread]:
    """The simulator on a thread of this process: it waits for the server, then sends at
    the demo's gentle pace until the server stops (stop() wakes it from any wait)."""
    from maillage.client.simulate import DEFAULT_RATE, Simulator

    rate = options["simulate_rate"] or DEFAULT_RATE

    def log(line: str) -> None:
        print(f"[simulateur] {line}", file=sys.stdout, flush=True)

    logging.getLogger("httpx").setLevel(logging.WARNING)  # its own line per request says it
    simulator = Simulator(url, log=log)

    def run() -> None:
        try:
            if simulator.wait_for_server():
                simulator.run(rate)
        finally:
            simulator.close()

    thread = threading.Thread(target=run, name="maillage-simulator", daemon=True)
    thread.start()
    return simulator, thread
