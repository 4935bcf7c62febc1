"""Start one benchmark server: `python -m benchmarks.sse.serve SERVER PORT`.

Raises the open-files limit to its hard maximum first (inherited by granian's and
hypercorn's worker processes), then runs uvicorn in this process or execs the other
server's command line. Stream kind and fan-out come from the environment (app.py).
"""

from __future__ import annotations

import os
import resource
import sys

TARGET = "benchmarks.sse.app:application"
BACKLOG = 16384
SERVERS = ("uvicorn", "uvicorn-uvloop", "granian", "hypercorn")


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def main(server: str, port: int) -> None:
    raise_nofile()
    if server in ("uvicorn", "uvicorn-uvloop"):
        import uvicorn

        fast = server == "uvicorn-uvloop"
        uvicorn.run(
            TARGET,
            host="127.0.0.1",
            port=port,
            # Explicit: uvicorn's "auto" would pick uvloop/httptools whenever installed.
            loop="uvloop" if fast else "asyncio",
            http="httptools" if fast else "h11",
            backlog=BACKLOG,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_keep_alive=60,
        )
    elif server == "granian":
        argv = [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1"]
        argv += ["--port", str(port), "--workers", "1", "--http", "1", "--loop", "uvloop"]
        # Granian's default backpressure (backlog / workers = 1024) caps concurrent
        # requests, hence open streams, per worker.
        argv += ["--backlog", str(BACKLOG), "--backpressure", str(BACKLOG * 2)]
        argv += ["--no-access-log", "--log-level", "warning", "--no-ws", TARGET]
        os.execv(sys.executable, argv)  # noqa: S606 - fixed argv, benchmark only
    elif server == "hypercorn":
        argv = [sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}"]
        argv += ["--backlog", str(BACKLOG), "--workers", "1", "--worker-class", "uvloop"]
        argv += ["--keep-alive", "60", TARGET]
        os.execv(sys.executable, argv)  # noqa: S606 - fixed argv, benchmark only
    else:
        raise SystemExit(f"unknown server {server!r}; one of {', '.join(SERVERS)}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
