"""`python -m benchmarks.queue`: the console's queue with many open reports.

One `maillage serve` process (debug off) on a fresh database, PostgreSQL or SQLite, the
demo commune; one shop device sends `--open` reports (the alert limits lifted), none taken
in charge; an operator device then lists the queue (GET /api/v1/incidents, what the
console reads on load and after each live event) `--reads` times, and takes one report in
charge each time the list has been read `--reads // 10` times, as a dispatcher works through it.

Median and p95 of the wall time in ms, and the server's CPU per request (from /proc), as
`benchmarks.accept` reports them. The issue's bar: the queue stays usable with 100 open
incidents; the query count of the list does not grow with them
(`incidents/tests/test_list_queries.py`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.accept import ROOT, console_and_shop, demo_server, figures_of, phase


def measure(url: str, pid: int, open_reports: int, reads: int) -> dict[str, Any]:
    _, operator, shop = console_and_shop(url)
    sent = [shop.send_report(f"Signalement {n}.").incident for n in range(open_reports)]
    client = operator.client
    listed = client.get("/incidents")
    assert len(listed) >= open_reports, len(listed)
    results: dict[str, Any] = {"list": phase(pid, [lambda: client.get("/incidents")] * reads)}
    every = max(1, reads // 10)
    takes = iter(sent)

    def read_and_work(index: int) -> None:
        client.get("/incidents")
        if index % every == 0:
            client.take_incident(next(takes))

    results["list_while_taking"] = phase(pid, [lambda i=i: read_and_work(i) for i in range(reads)])
    for device in (operator, shop):
        device.client.close()
    return results


def run(database: str, open_reports: int, reads: int, src: Path) -> dict[str, Any]:
    with demo_server(database, src, "queue") as (url, pid):
        return figures_of(measure(url, pid, open_reports, reads))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.queue", description=__doc__)
    parser.add_argument("--db", default="pg,sqlite", help="pg, sqlite or both (pg,sqlite)")
    parser.add_argument("--open", type=int, default=100, help="open reports in the queue")
    parser.add_argument("--reads", type=int, default=50)
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the server's src/")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    print(
        f"{args.open} open reports, {args.reads} reads; {os.cpu_count()} CPUs,"
        f" load {os.getloadavg()[0]:.1f}"
    )
    print(f"{'db':7} {'step':18} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'server CPU ms':>14}")
    for database in args.db.split(","):
        for step, figure in run(database, args.open, args.reads, args.src.resolve()).items():
            print(
                f"{database:7} {step:18} {figure['n']:>4} {figure['median']:>10.1f}"
                f" {figure['p95']:>8.1f} {figure['server_cpu']:>14.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
