"""`maillage serve`: the ASGI application under uvicorn."""

from __future__ import annotations

from typing import Any

import uvicorn
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Sert Maillage (ASGI, uvicorn)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument(
            "--migrate", action="store_true", help="Applique les migrations avant de démarrer."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        uvicorn.run(
            "maillage.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            proxy_headers=True,
            # Measured for the stream's fan-out (docs/decisions.md, "Serving the stream"):
            # half the time of asyncio + h11 for the same memory.
            loop="uvloop",
            http="httptools",
            # Live streams never end by themselves: give them 5 s, then cut them (their
            # clients reconnect, to another process, with Last-Event-ID).
            timeout_graceful_shutdown=5,
            log_level="info",
        )
