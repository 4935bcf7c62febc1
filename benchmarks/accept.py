"""`python -m benchmarks.accept`: the accept half of a report, timed from the device.

One `maillage serve` process (debug off) on a fresh database, PostgreSQL or SQLite, the
demo commune with a police service key and `--police` operator devices; one merchant
device (`maillage.client`, as the simulator and the delivery benchmark drive it) sends
reports one after another. For each report it times, from the client:

- `directory`: GET /api/v1/trust/recipients, the key directory the device fetches before
  sealing, fresh (no ETag kept: what every fetch cost before the ETag);
- `directory_304`: the same fetch revalidated with the kept ETag (a 304);
- `post`: POST /api/v1/incidents, text only, and `post_photo` with one sealed photo part
  (150 kB), sealed beforehand so that only the POST is timed.

Median and p95 of the wall time in ms, and the server's CPU time per request over each
phase (user + system, from /proc): on a shared machine the wall time follows the load,
the CPU time much less. `--src DIR` runs the server from another checkout's `src` (to
measure a branch against main: the client is this one's, which sends If-None-Match only
when it was given an ETag, so against a server without ETags `directory_304` is absent).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported at run time once src/ is on the path
    from maillage.client.device import MemberDevice

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fresh_postgres(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(database_url: str, data: Path, src: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "maillage.settings",
            "MAILLAGE_DEBUG": "0",
            "MAILLAGE_DEMO": "true",
            "MAILLAGE_DATA_DIR": str(data),
            "MAILLAGE_MEDIA_ROOT": str(data / "media"),
            "MAILLAGE_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(src),
            # Each police device signs in through the demo sign-in, rate-limited per address.
            "MAILLAGE_RATE_DEMO_LOGIN": "0/60",
        }
    )
    return env


def wait_ready(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/api/v1/meta", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server not ready")


def cpu_ms(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def phase(pid: int, calls: list[Any]) -> tuple[list[float], float]:
    """Wall time of each call (ms), and the server's CPU per call (ms) over the phase:
    CPU time does not grow with the machine's load, wall time does."""
    walls = []
    before = cpu_ms(pid)
    for call in calls:
        started = time.perf_counter()
        call()
        walls.append((time.perf_counter() - started) * 1000)
    return walls, (cpu_ms(pid) - before) / len(calls)


def _without_alert_limits(url: str, members: list[dict[str, Any]]) -> None:
    """One device sends every report: the commune's per-device limit (issue 9) would
    refuse most of them, and this measures the accept path, not the limit. A server from
    before issue 9 has no settings route: nothing to lift."""
    from maillage.client.device import MemberDevice
    from maillage.client.http import ClientApiError, MaillageClient

    coordinator = next(m for m in members if m["role"] == "coordinateur")
    device = MemberDevice(MaillageClient(url), label="Mairie")
    device.sign_in_demo(str(coordinator["id"]))
    try:
        current = device.client.get("/incidents/settings")
    except ClientApiError:
        return
    current["limits"] = {name: {"count": 0, "minutes": 10} for name in current["limits"]}
    device.client.request("PUT", "/incidents/settings", json=current)
    device.client.close()


def console_and_shop(url: str) -> tuple[list[dict[str, Any]], MemberDevice, MemberDevice]:
    """The demo's members, an operator device holding the service key and a shop device,
    the alert limits lifted (the queue and dispatch benchmarks start from them)."""
    from maillage.client.device import MemberDevice
    from maillage.client.http import MaillageClient

    probe = MaillageClient(url)
    members = probe.demo_members()
    probe.close()
    operator_member = next(m for m in members if m["role"] == "operateur")
    merchant = next(m for m in members if m["role"] == "commercant")
    operator = MemberDevice(MaillageClient(url), label="Console")
    operator.sign_in_demo(str(operator_member["id"]))
    operator.ensure_service_key()
    _without_alert_limits(url, members)
    shop = MemberDevice(MaillageClient(url), label="Téléphone boutique")
    shop.sign_in_demo(str(merchant["id"]))
    return members, operator, shop


def measure(url: str, pid: int, reports: int, police: int) -> dict[str, Any]:
    from maillage.client.device import MemberDevice
    from maillage.client.http import MaillageClient
    from maillage.wire.envelope import Attachment

    probe = MaillageClient(url)
    members = probe.demo_members()
    probe.close()
    operator = next(m for m in members if m["role"] == "operateur")
    merchant = next(m for m in members if m["role"] == "commercant")
    opened = []
    for index in range(police):
        device = MemberDevice(MaillageClient(url), label=f"Console {index}")
        device.sign_in_demo(str(operator["id"]))
        opened.append(device)
    opened[0].ensure_service_key()
    _without_alert_limits(url, members)
    shop = MemberDevice(MaillageClient(url), label="Téléphone boutique")
    shop.sign_in_demo(str(merchant["id"]))
    client = shop.client
    photo = Attachment(
        data=secrets.token_bytes(150_000), media="image/jpeg", width=1280, height=960
    )
    shop.send_report("Échauffement.")

    def fresh() -> None:
        client._directories.clear()
        client.recipients()

    results: dict[str, Any] = {}
    results["directory"] = phase(pid, [fresh] * reports)
    before = client.directory_revalidated
    results["directory_304"] = phase(pid, [client.recipients] * reports)
    if client.directory_revalidated - before < reports:  # a server without ETags
        del results["directory_304"]
    for name, attachments in (("post", []), ("post_photo", [photo])):
        prepared = [shop.prepare_report(f"Signalement {n}.", attachments) for n in range(reports)]
        results[name] = phase(
            pid,
            [lambda p=p: shop.post_report(p) for p in prepared],
        )
    for device in [*opened, shop]:
        device.client.close()
    return results


@contextlib.contextmanager
def demo_server(database: str, src: Path, label: str) -> Iterator[tuple[str, int]]:
    """One `maillage serve` (debug off) on a fresh demo database, PostgreSQL or SQLite:
    its URL and pid; everything dropped on exit (the queue benchmark runs on it too)."""
    data = Path(tempfile.mkdtemp(prefix=f"maillage-{label}-"))
    name = f"maillage_{label}_bench_{os.getpid()}"
    database_url = fresh_postgres(name) if database == "pg" else f"sqlite:///{data}/db.sqlite3"
    env = server_env(database_url, data, src)
    maillage = [sys.executable, "-c", "from maillage.cli import main; main()"]
    server = None
    try:
        subprocess.run(  # noqa: S603 -- our own command line
            [*maillage, "demo", "--no-serve"], env=env, check=True, capture_output=True
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603 -- our own command line
            [*maillage, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_ready(url, server)
        yield url, server.pid
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if database == "pg":
            drop_postgres(name)
        shutil.rmtree(data, ignore_errors=True)


def figures_of(phases: dict[str, tuple[list[float], float]]) -> dict[str, Any]:
    """Each phase's count, median and p95 wall time (ms) and server CPU per call (ms)."""
    return {
        name: {
            "n": len(walls),
            "median": statistics.median(walls),
            "p95": quantile(walls, 0.95),
            "server_cpu": cpu,
        }
        for name, (walls, cpu) in phases.items()
    }


def run(database: str, reports: int, police: int, src: Path) -> dict[str, Any]:
    with demo_server(database, src, "accept") as (url, pid):
        return figures_of(measure(url, pid, reports, police))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.accept", description=__doc__)
    parser.add_argument("--db", default="pg,sqlite", help="pg, sqlite or both (pg,sqlite)")
    parser.add_argument("--reports", type=int, default=60)
    parser.add_argument("--police", type=int, default=10, help="operator devices listed")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the server's src/")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    results = {}
    print(
        f"server from {args.src}; {args.reports} reports, {args.police} police devices;"
        f" {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )
    print(f"{'db':7} {'step':14} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'server CPU ms':>14}")
    for database in args.db.split(","):
        results[database] = run(database, args.reports, args.police, args.src.resolve())
        for step, figure in results[database].items():
            print(
                f"{database:7} {step:14} {figure['n']:>4} {figure['median']:>10.1f}"
                f" {figure['p95']:>8.1f} {figure['server_cpu']:>14.1f}",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps({"src": str(args.src), "results": results}, indent=1))


if __name__ == "__main__":
    main()
