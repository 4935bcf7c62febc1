"""`python -m benchmarks.dispatch`: the server's time to accept a dispatch as grants grow.

One `maillage serve` process (debug off) on a fresh database, PostgreSQL or SQLite, the
demo commune. A dispatch carries one content-key grant per (message, agent device), and the
server checks each one (parse, signer, signature, recipient, its key) and stores it in the
same transaction (incidents/dispatch.py): its cost grows with messages × devices. For
each case, messages × devices = 1 × 1, 5 × 2, 20 × 3, 50 × 4 (1, 10, 60, 200 grants):

- the demo agent signs in on as many devices as the case needs (`maillage.client`, each
  certified by the demo sign-in), so every grant names a real certified device;
- `--runs` fresh incidents (a report, then its other messages, sent by a shop device),
  each taken in charge by the operator's device, which then opens every message and
  seals the grants as the console does (`MemberDevice.prepare_dispatch`: chains checked,
  one HPKE wrap per grant), untimed;
- only the POST /api/v1/incidents/{id}/dispatch is timed, one per incident.

Median and p95 of the wall time in ms and the server's CPU per request (from /proc), as
`benchmarks.accept` reports them, plus the CPU per grant. One warm-up dispatch first.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.accept import ROOT, console_and_shop, demo_server, figures_of, phase

# (messages, agent devices): 1, 10, 60 and 200 grants. Devices only grow from one case
# to the next: the agent's devices stay certified, and every dispatch must cover them all.
CASES = ((1, 1), (5, 2), (20, 3), (50, 4))


def measure(url: str, pid: int, runs: int, cases: list[tuple[int, int]]) -> dict[str, Any]:
    from maillage.client.device import MemberDevice
    from maillage.client.http import MaillageClient

    members, operator, shop = console_and_shop(url)
    agent = str(next(m for m in members if m["role"] == "agent")["id"])
    devices: list[MemberDevice] = [operator, shop]

    def reported(messages: int) -> str:
        incident = shop.send_report("Signalement, message 1.").incident
        for n in range(2, messages + 1):
            shop.send_message(incident, f"Message {n}.")
        operator.client.take_incident(incident)
        return incident

    def agent_devices(incident: str) -> int:
        listed = operator.client.dispatch_candidates(incident)["agents"]
        return len(next(a for a in listed if a["agent"] == agent)["devices"])

    def post(incident: str, grants: list[dict[str, str]]) -> None:
        answer = operator.client.dispatch(incident, [agent], grants)
        assert answer["dispatches"], answer

    results: dict[str, Any] = {}
    warm_up = True
    for messages, wanted in sorted(cases, key=lambda c: c[1]):
        incidents = [reported(messages) for _ in range(runs + warm_up)]
        # The demo seeds the agent with one certified device; each sign-in adds one.
        while (held := agent_devices(incidents[0])) < wanted:
            phone = MemberDevice(MaillageClient(url), label=f"Agent {held + 1}")
            phone.sign_in_demo(agent)
            devices.append(phone)
        if held != wanted:
            raise SystemExit(f"the agent already holds {held} devices; this case wants {wanted}")
        ready = [(i, operator.prepare_dispatch(i, [agent])) for i in incidents]
        assert all(len(grants) == messages * wanted for _, grants in ready)
        if warm_up:
            post(*ready.pop(0))
            warm_up = False
        results[f"{messages * wanted} grants ({messages}×{wanted})"] = phase(
            pid, [lambda i=i, g=g: post(i, g) for i, g in ready]
        )
    for device in devices:
        device.client.close()
    return results


def run(database: str, runs: int, cases: list[tuple[int, int]], src: Path) -> dict[str, Any]:
    with demo_server(database, src, "dispatch") as (url, pid):
        return figures_of(measure(url, pid, runs, cases))


def _cases(text: str) -> list[tuple[int, int]]:
    pairs = [part.split("x") for part in text.split(",")]
    return [(int(m), int(d)) for m, d in pairs]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dispatch", description=__doc__)
    parser.add_argument("--db", default="pg,sqlite", help="pg, sqlite or both (pg,sqlite)")
    parser.add_argument("--runs", type=int, default=9, help="dispatches timed per case")
    parser.add_argument(
        "--cases",
        default=",".join(f"{m}x{d}" for m, d in CASES),
        help="messages x agent devices, comma-separated (devices grow from case to case)",
    )
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the server's src/")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    cases = _cases(args.cases)
    print(f"{args.runs} dispatches per case; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(
        f"{'db':7} {'case':20} {'n':>4} {'median ms':>10} {'p95 ms':>8}"
        f" {'server CPU ms':>14} {'CPU ms/grant':>13}"
    )
    for database in args.db.split(","):
        for case, figure in run(database, args.runs, cases, args.src.resolve()).items():
            grants = int(case.split()[0])
            print(
                f"{database:7} {case:20} {figure['n']:>4} {figure['median']:>10.1f}"
                f" {figure['p95']:>8.1f} {figure['server_cpu']:>14.1f}"
                f" {figure['server_cpu'] / grants:>13.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
