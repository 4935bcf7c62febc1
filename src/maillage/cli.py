"""The `maillage` command: Django management commands under the product's name.

`maillage serve`, `maillage demo`, `maillage commune create …`, `maillage import-shops FILE.csv`
are management commands of the domain apps; this wrapper picks the settings module, maps
dashed names to the modules' underscores, and turns demo mode on for `maillage demo`.
`maillage simulate` is the exception: a client of a running server (`maillage.client`), it
starts without Django and without a database.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(argv if argv is not None else sys.argv[1:])
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    if args and args[0] == "simulate":
        sys.exit(simulate(args[1:]))
    if args and args[0] == "demo":
        os.environ["MAILLAGE_DEMO"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["maillage", *args])


def simulate_parser() -> argparse.ArgumentParser:
    from maillage.client.simulate import DEFAULT_RATE, DEFAULT_URL

    parser = argparse.ArgumentParser(
        prog="maillage simulate",
        description="Des commerces de la démo envoient des signalements chiffrés réalistes "
        "à un serveur en marche (mode démo).",
    )
    parser.add_argument("--url", default=DEFAULT_URL, help=f"serveur (défaut : {DEFAULT_URL})")
    parser.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        help=f"signalements par minute (défaut : {DEFAULT_RATE}, un toutes les deux minutes)",
    )
    parser.add_argument(
        "--duration", type=float, default=None, help="durée en secondes (défaut : sans fin)"
    )
    parser.add_argument(
        "--burst", type=int, default=None, metavar="N", help="envoie N signalements d'un coup"
    )
    parser.add_argument(
        "--spacing",
        type=float,
        default=0.0,
        metavar="S",
        help="avec --burst : S secondes entre deux signalements (défaut : 0, à la suite)",
    )
    parser.add_argument(
        "--continue",
        dest="then_continue",
        action="store_true",
        help="avec --burst : continuer ensuite au rythme --rate (sinon : s'arrêter)",
    )
    parser.add_argument(
        "--shops", type=int, default=None, metavar="K", help="nombre de commerçants joués"
    )
    parser.add_argument("--seed", type=int, default=None, help="graine des tirages (reproductible)")
    return parser


def simulate(argv: list[str]) -> int:
    """`maillage simulate`: runs until its duration, its burst, or Ctrl-C."""
    from maillage.client.simulate import Simulator, summary

    options = simulate_parser().parse_args(argv)
    if options.rate <= 0 or (options.burst is not None and options.burst < 1):
        print("--rate doit être positif et --burst au moins 1.", file=sys.stderr)
        return 2
    with Simulator(options.url, shops=options.shops, seed=options.seed) as simulator:

        def stop(signum: int, frame: object) -> None:
            simulator.stop()
            signal.signal(signum, signal.SIG_DFL)  # a second Ctrl-C stops at once

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        print(f"Simulateur vers {options.url} (Ctrl-C pour arrêter)", flush=True)
        try:
            outcomes = simulator.run(
                options.rate,
                options.duration,
                options.burst,
                spacing=options.spacing,
                then_continue=options.then_continue,
            )
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    figures = summary(outcomes)
    median = figures["post_median_ms"]
    timing = (
        f", POST médian {median:.0f} ms, max {figures['post_max_ms']:.0f} ms"
        if median is not None
        else ""
    )
    print(f"{figures['sent']} signalement(s) envoyé(s), {figures['failed']} échec(s){timing}")
    return 0


if __name__ == "__main__":
    main()
