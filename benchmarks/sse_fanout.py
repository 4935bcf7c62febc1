"""Fan-out of one event to N open SSE streams, per way of serving `/api/v1/stream` (issue 8).

Run: `.venv/bin/python -m benchmarks.sse_fanout [--connections 1000,5000]
[--servers django-uvicorn,lean-uvicorn,...] [--fanouts queue,event,condition] [--runs 3]
[--json benchmarks/results/NAME.json]`; `make bench` runs a small case.

For each configuration and run: start the server (benchmarks/sse/serve.py) as a
subprocess on a free 127.0.0.1 port, open N streams from one separate aiohttp client
process (benchmarks/sse/client.py), read the server's RSS (psutil, the server's whole
process tree) once every stream is up, then publish one warm-up and ROUNDS events one
INTERVAL apart. Reports, per configuration, the median over runs of each run's p50, p95,
p99 and max latency from publish (server clock) to receipt (client), of the server-side
time until the last stream's send returned, and of the RSS. No assertion: the figures go
in docs/decisions.md ("Serving the stream").
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

from benchmarks.sse.serve import raise_nofile

ROOT = Path(__file__).resolve().parent.parent
# name -> (server launcher, stream endpoint)
SERVERS: dict[str, tuple[str, str]] = {
    "django-uvicorn": ("uvicorn", "django"),
    "django-uvicorn-uvloop": ("uvicorn-uvloop", "django"),
    "lean-uvicorn": ("uvicorn", "lean"),
    "lean-uvicorn-uvloop": ("uvicorn-uvloop", "lean"),
    "lean-granian": ("granian", "lean"),
    "lean-hypercorn": ("hypercorn", "lean"),
}
DEFAULT_SERVERS = "django-uvicorn,lean-uvicorn,lean-uvicorn-uvloop,lean-granian"
MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree_rss(pid: int) -> int:
    process = psutil.Process(pid)
    total = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def wait_ready(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/stats", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server not ready")


def one_run(
    name: str, fanout: str, connections: int, rounds: int, interval: float, client_loop: str
) -> dict[str, Any]:
    launcher, stream = SERVERS[name]
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "SSE_BENCH_STREAM": stream,
        "SSE_BENCH_FANOUT": fanout,
        "MAILLAGE_DEBUG": "0",
        "DATABASE_URL": "sqlite:///" + str(ROOT / "var" / "bench-sse.sqlite3"),
    }
    (ROOT / "var").mkdir(exist_ok=True)
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "benchmarks.sse.serve", launcher, str(port)], cwd=ROOT, env=env
    )
    client: subprocess.Popen[str] | None = None
    try:
        wait_ready(port, server)
        time.sleep(0.5)
        idle = tree_rss(server.pid)
        url = f"http://127.0.0.1:{port}/api/v1/stream"
        client = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                *(sys.executable, "-m", "benchmarks.sse.client", url, str(connections)),
                *(str(rounds), str(interval), client_loop),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert client.stdin is not None and client.stdout is not None
        ready = json.loads(client.stdout.readline() or "{}")
        if "ready" not in ready:
            raise RuntimeError(f"client failed (exit {client.wait()})")
        time.sleep(1.0)
        loaded = tree_rss(server.pid)
        client.stdin.write("go\n")
        client.stdin.flush()
        result = json.loads(client.stdout.readline() or "{}")
        if "overall" not in result:
            raise RuntimeError(f"client failed (exit {client.wait()})")
        client.wait(timeout=60)
    finally:
        if client is not None and client.poll() is None:
            client.kill()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(server.pid).children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
            server.kill()
            server.wait()
    result.update(
        idle_rss=idle,
        rss=loaded,
        rss_per_connection=(loaded - idle) / connections,
        load=os.getloadavg(),
    )
    return result


def median_of(runs: list[dict[str, Any]]) -> dict[str, float]:
    def med(values: list[float]) -> float:
        return float(statistics.median(values))

    return {
        "p50": med([r["overall"]["p50"] for r in runs]),
        "p95": med([r["overall"]["p95"] for r in runs]),
        "p99": med([r["overall"]["p99"] for r in runs]),
        "max": med([r["overall"]["max"] for r in runs]),
        "server_ms": med([med(r["server_last_send_ms"]) for r in runs]),
        "rss_mib": med([r["rss"] / MIB for r in runs]),
        "idle_mib": med([r["idle_rss"] / MIB for r in runs]),
        "kib_per_conn": med([r["rss_per_connection"] / 1024 for r in runs]),
        "connect_s": med([r["connect_seconds"] for r in runs]),
        "missing": max(r["missing"] for r in runs),
    }


HEADER = (
    f"{'server':22} {'fan-out':9} {'conns':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}"
    f" {'srv':>7} {'RSS':>7} {'idle':>6} {'KiB/c':>6} {'up s':>6} {'lost':>5}"
)


def row(name: str, fanout: str, connections: int, m: dict[str, float]) -> str:
    return (
        f"{name:22} {fanout:9} {connections:>6} {m['p50']:>7.1f} {m['p95']:>7.1f}"
        f" {m['p99']:>7.1f} {m['max']:>7.1f} {m['server_ms']:>7.1f} {m['rss_mib']:>7.1f}"
        f" {m['idle_mib']:>6.1f} {m['kib_per_conn']:>6.1f} {m['connect_s']:>6.1f}"
        f" {int(m['missing']):>5}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sse_fanout", description=__doc__)
    parser.add_argument("--connections", default="1000,5000")
    parser.add_argument("--servers", default=DEFAULT_SERVERS, help=", ".join(SERVERS))
    parser.add_argument("--fanouts", default="queue", help="queue,event,condition")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--client-loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--json", type=Path, help="write every run's figures there")
    args = parser.parse_args(argv)
    raise_nofile()
    counts = [int(c) for c in args.connections.split(",")]
    servers = args.servers.split(",")
    fanouts = args.fanouts.split(",")
    for name in servers:
        if name not in SERVERS:
            parser.error(f"unknown server {name!r}; one of {', '.join(SERVERS)}")
    print(f"SSE fan-out: {args.runs} runs × {args.rounds} events, client loop {args.client_loop}")
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()}")
    print("latencies in ms (median over runs); srv = server-side time to the last send;")
    print("RSS in MiB of the server's processes with every stream up; KiB/c = (RSS-idle)/N")
    print(HEADER, flush=True)
    report: list[dict[str, Any]] = []
    for connections in counts:
        for name in servers:
            for fanout in fanouts:
                runs = []
                for _ in range(args.runs):
                    try:
                        runs.append(
                            one_run(
                                name,
                                fanout,
                                connections,
                                args.rounds,
                                args.interval,
                                args.client_loop,
                            )
                        )
                    except Exception as error:  # a failed run is reported, the rest go on
                        print(f"{name} {fanout} {connections}: run failed: {error}", flush=True)
                if not runs:
                    continue
                summary = median_of(runs)
                print(row(name, fanout, connections, summary), flush=True)
                report.append(
                    {
                        "server": name,
                        "fanout": fanout,
                        "connections": connections,
                        "median": summary,
                        "runs": runs,
                    }
                )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cpus": os.cpu_count(),
            "client_loop": args.client_loop,
            "rounds": args.rounds,
            "runs": args.runs,
        }
        args.json.write_text(json.dumps({"meta": meta, "results": report}, indent=1))
        print(f"written: {args.json}")


if __name__ == "__main__":
    main()
