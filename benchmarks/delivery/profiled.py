"""`python -m benchmarks.delivery.profiled OUT.prof serve …`: `maillage` under cProfile (the
event loop's thread only), the profile written when the server stops (SIGTERM included).
Used when the benchmark runs with BENCH_PROFILE_SERVERS=1."""

from __future__ import annotations

import cProfile
import signal
import sys

from maillage.cli import main


def run() -> None:
    out, argv = sys.argv[1], sys.argv[2:]
    # uvicorn re-raises the signal that stopped it once it has shut down: exit normally then.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    profile = cProfile.Profile()
    profile.enable()
    try:
        main(argv)
    finally:
        profile.disable()
        profile.dump_stats(out)


if __name__ == "__main__":
    run()
