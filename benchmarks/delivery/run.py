"""The driver of the end-to-end delivery benchmark (see benchmarks/delivery/__init__.py)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from benchmarks.sse.serve import raise_nofile
from benchmarks.sse_fanout import tree_rss
from maillage.testing.servers import (
    ServerProcess,
    admin,
    create_database,
    database_exists,
    drop_database,
    release,
    stop_all,
)

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
SEED_VERSION = 2  # bump when maillage.testing.seed changes what it makes (cached seeds unused)
POSTERS = 20  # merchants (one shop each) who send the reports of a burst
POSTER_PREFIX = "Émetteur"
OPERATOR_PREFIX = "Opérateur"
MERCHANT_PREFIX = "Destinataire"  # the broadcast case's N merchant devices (seeded in bulk)
# The cases that need N operator devices (reports to the police); `broadcast` needs N
# merchant devices instead.
REPORT_CASES = frozenset({"isolated", "burst", "queries", "browser"})
CONSOLE_NAME = "Opératrice Console"
# The real client seals to every police device, up to the envelope's 500 recipients
# (envelope.MAX_RECIPIENTS, with the service key and the shop's own devices).
DIRECT_LIMIT = 480


@dataclass
class Options:
    devices: list[int]
    cases: list[str]
    alerts: int
    broadcasts: int
    bursts: int
    burst_size: int
    burst_rate: float
    browser_reports: int
    pg: str
    database: str
    seed_cache: bool
    client_loop: str
    json_path: Path | None


# --- PostgreSQL --------------------------------------------------------------------------


def seed_parts(options: Options) -> str:
    """What a seed holds: `r` N operator devices (reports), `b` N merchant devices
    (broadcasts); a cached seed is reused only for the same parts."""
    return ("r" if REPORT_CASES & set(options.cases) else "") + (
        "b" if "broadcast" in options.cases else ""
    )


def seed_name(options: Options, n: int) -> str:
    return f"{options.database}_seed{SEED_VERSION}_{n}_{seed_parts(options)}"


# --- the seeded commune (in this process, through the actions) ---------------------------


def close_django() -> None:
    """Pooled connections would keep the database in use (a copy needs it idle)."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        release(connection)


def prepare_database(options: Options, n: int) -> dict[str, float]:
    """The run database for N devices: a copy of the cached seed, or seeded now."""
    close_django()
    template = seed_name(options, n)
    if options.seed_cache and database_exists(options.pg, template):
        started = time.monotonic()
        create_database(options.pg, options.database, template)
        return {"copied_seed_s": time.monotonic() - started}
    from django.core.management import call_command

    from maillage.members.models import Role
    from maillage.testing import seed

    create_database(options.pg, options.database)
    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    timings = {"migrate_s": time.monotonic() - started}
    parts = seed_parts(options)
    made = seed.make_commune(shops=max(POSTERS, 20))
    seed.add_members(made, Role.MERCHANT, POSTERS, prefix=POSTER_PREFIX)
    seed.add_members(made, Role.OPERATOR, 1, prefix=CONSOLE_NAME)
    if "r" in parts:
        print(f"  seeding {n} operator devices in bulk…", flush=True)
        seed.bulk_members(made, Role.OPERATOR, n, prefix=OPERATOR_PREFIX)
        print(f"  … in {made.seconds[f'bulk.{Role.OPERATOR}']:.1f} s", flush=True)
        seed.publish_service_key(made, made.operators[1:])
    if "b" in parts:
        print(f"  seeding {n} merchant devices in bulk…", flush=True)
        seed.bulk_members(made, Role.MERCHANT, n, prefix=MERCHANT_PREFIX)
        print(f"  … in {made.seconds[f'bulk.{Role.MERCHANT}']:.1f} s", flush=True)
    started_sessions = time.monotonic()
    seed.sign_in(made.operators[1:] + made.merchants[POSTERS:])
    made.seconds["sessions"] = time.monotonic() - started_sessions
    timings.update({f"seed_{k}": v for k, v in made.seconds.items()})
    timings["seed_total_s"] = time.monotonic() - started
    if options.seed_cache:
        close_django()
        create_database(options.pg, template, options.database)
    return timings


def device_sessions(prefix: str) -> list[str]:
    """Session keys of the seeded devices whose member's name starts with `prefix`; their
    expiry is moved forward (a cached seed may be older than a session's life)."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from maillage.members.models import MemberSession

    keys = list(
        MemberSession.objects.filter(membership__person__display_name__startswith=prefix)
        .order_by("pk")
        .values_list("session_key", flat=True)
    )
    Session.objects.filter(session_key__in=keys).update(
        expire_date=timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    )
    return keys


def member_ids(prefix: str) -> list[str]:
    from maillage.members.models import Membership

    return [
        str(m)
        for m in Membership.objects.filter(person__display_name__startswith=prefix)
        .order_by("pk")
        .values_list("public_id", flat=True)
    ]


# --- processes -----------------------------------------------------------------------------


class Processes:
    """The servers and the client; all stopped on exit, Ctrl-C or SIGTERM."""

    def __init__(self, options: Options, logs: Path) -> None:
        self.options = options
        self.logs = logs
        self.servers: list[ServerProcess] = []
        self.urls: list[str] = []
        self.client: subprocess.Popen[str] | None = None
        self.media = tempfile.TemporaryDirectory(prefix="maillage-bench-media-")

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
            "DATABASE_URL": f"{self.options.pg}/{self.options.database}",
            "MAILLAGE_DEBUG": "0",
            "MAILLAGE_DEMO": "true",
            "MAILLAGE_LOG_LEVEL": "WARNING",
            "MAILLAGE_MEDIA_ROOT": self.media.name,
            "MAILLAGE_ALLOWED_HOSTS": "localhost,127.0.0.1",
        }

    def start_servers(self, count: int = 2) -> list[str]:
        for index in range(count):
            command = None
            if os.environ.get("BENCH_PROFILE_SERVERS"):  # the event loop's thread only
                out = self.logs / f"server-{index}.prof"
                command = [sys.executable, "-m", "benchmarks.delivery.profiled", str(out)]
            log = self.logs / f"server-{index}.log"
            log.unlink(missing_ok=True)
            self.servers.append(
                ServerProcess(self.env(), log, url_host="localhost", command=command, cwd=ROOT)
            )
        for server in self.servers:
            server.start()
        for server in self.servers:
            server.wait_ready()
        self.urls = [server.url for server in self.servers]
        return self.urls

    def start_client(self, devices: list[tuple[str, str]]) -> dict[str, Any]:
        path = self.logs / "devices.json"
        path.write_text(json.dumps(devices))
        self.client = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                *(sys.executable, "-m", "benchmarks.delivery.client"),
                *(str(path), self.options.client_loop),
            ],
            cwd=ROOT,
            env=self.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        answer = self.read()
        if "ready" not in answer:
            raise RuntimeError(f"streams failed to open: {answer}")
        return answer

    def read(self) -> dict[str, Any]:
        assert self.client is not None and self.client.stdout is not None
        line = self.client.stdout.readline()
        if not line:
            raise RuntimeError(f"client exited ({self.client.wait()})")
        result: dict[str, Any] = json.loads(line)
        return result

    def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.client is not None and self.client.stdin is not None
        self.client.stdin.write(json.dumps(command) + "\n")
        self.client.stdin.flush()
        return self.read()

    def server_pids(self) -> list[int]:
        return [s.pid for s in self.servers]

    def stop(self) -> None:
        if self.client is not None and self.client.poll() is None:
            with contextlib.suppress(Exception):
                self.ask_quit()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.client.wait(timeout=10)
            if self.client.poll() is None:
                self.client.kill()
                self.client.wait()
        self.client = None
        stop_all(self.servers)
        self.servers, self.urls = [], []

    def stop_client(self) -> None:
        """End the devices' process (its streams close), keep the servers."""
        if self.client is not None and self.client.poll() is None:
            with contextlib.suppress(Exception):
                self.ask_quit()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.client.wait(timeout=30)
            if self.client.poll() is None:
                self.client.kill()
                self.client.wait()
        self.client = None

    def ask_quit(self) -> None:
        assert self.client is not None and self.client.stdin is not None
        self.client.stdin.write('{"cmd": "quit"}\n')
        self.client.stdin.flush()

    def close(self) -> None:
        self.stop()
        self.media.cleanup()


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        process = psutil.Process(pid)
        for p in [process, *process.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = p.cpu_times()
                total += times.user + times.system
    return total


# --- figures ---------------------------------------------------------------------------------


def quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile of sorted values."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(q * len(values) + 0.5) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "n": len(values),
        "p50": quantile(values, 0.50),
        "p95": quantile(values, 0.95),
        "p99": quantile(values, 0.99),
        "max": values[-1] if values else float("nan"),
    }


@dataclass
class Sent:
    key: str  # the message id (or broadcast id) the stream's frame names
    started_ns: int  # CLOCK_MONOTONIC just before the POST
    started_wall: float  # time.time() at the same moment (the event's `at` is wall-clock)
    answered_ns: int  # the 201 received
    envelope_bytes: int


@dataclass
class CaseResult:
    case: str
    devices: int
    latencies: list[float] = field(default_factory=list)
    local: list[float] = field(default_factory=list)  # devices on the server that accepted
    remote: list[float] = field(default_factory=list)  # devices on the other server
    per_alert_p99: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    event_ms: list[float] = field(default_factory=list)  # POST start → event appended
    after_201: list[float] = field(default_factory=list)  # 201 received → receipt
    missing: int = 0
    unsealed: int = 0
    frame_bytes: list[int] = field(default_factory=list)
    envelope_bytes: list[int] = field(default_factory=list)
    cpu_s: float = 0.0
    alerts: int = 0
    ended: int = 0

    def add(self, sent: list[Sent], answer: dict[str, Any], servers: list[int]) -> None:
        """`servers[i]`: index of the server stream i is on (0 accepted the POSTs)."""
        keys = answer["keys"]
        self.ended = max(self.ended, len(answer["ended"]))
        for item in sent:
            self.alerts += 1
            self.post_ms.append((item.answered_ns - item.started_ns) / 1e6)
            self.envelope_bytes.append(item.envelope_bytes)
            entry = keys.get(item.key)
            if entry is None:
                self.missing += len(servers)
                continue
            self.frame_bytes.append(int(entry["bytes"]))
            if entry["event_at"]:
                appended = datetime.fromisoformat(entry["event_at"].replace("Z", "+00:00"))
                self.event_ms.append((appended.timestamp() - item.started_wall) * 1000)
            self.unsealed += sum(1 for at in entry["at"] if at is not None) - int(entry["sealed"])
            alert = []
            for index, at in enumerate(entry["at"]):
                if at is None:
                    self.missing += 1
                    continue
                ms = (at - item.started_ns) / 1e6
                alert.append(ms)
                self.after_201.append((at - item.answered_ns) / 1e6)
                (self.local if servers[index] == 0 else self.remote).append(ms)
            self.latencies.extend(alert)
            self.per_alert_p99.append(summary(alert)["p99"])

    def figures(self) -> dict[str, Any]:
        overall = summary(self.latencies)
        return {
            "case": self.case,
            "devices": self.devices,
            "alerts": self.alerts,
            **{k: overall[k] for k in ("p50", "p95", "p99", "max")},
            "p99_median_of_alerts": (
                statistics.median(self.per_alert_p99) if self.per_alert_p99 else float("nan")
            ),
            "p99_local": summary(self.local)["p99"],
            "p99_remote": summary(self.remote)["p99"],
            "post_ms_median": statistics.median(self.post_ms) if self.post_ms else float("nan"),
            "event_ms_median": statistics.median(self.event_ms) if self.event_ms else float("nan"),
            "after_201": summary(self.after_201),
            "missing": self.missing,
            "unsealed": self.unsealed,
            "ended_streams": self.ended,
            "frame_bytes": statistics.median(self.frame_bytes) if self.frame_bytes else 0,
            "envelope_bytes": (
                statistics.median(self.envelope_bytes) if self.envelope_bytes else 0
            ),
            "server_cpu_s_per_alert": self.cpu_s / self.alerts if self.alerts else float("nan"),
        }


# --- sending ---------------------------------------------------------------------------------


class Poster:
    """A shop's device (maillage.client), signed in through the demo sign-in."""

    def __init__(self, url: str, member: str, direct: bool) -> None:
        from maillage.client.device import MemberDevice
        from maillage.client.http import MaillageClient

        self.device = MemberDevice(MaillageClient(url, timeout=120), label="Banc d'essai")
        self.device.sign_in_demo(member)
        self.direct = direct

    def prepare(self, text: str) -> Any:
        """Sealed as the app seals: to every police device the directory lists and the
        service key; beyond DIRECT_LIMIT police devices (more than an envelope's 500
        recipients), to the service key and the shop's own devices only."""
        from maillage.client.device import PreparedReport
        from maillage.wire import sealing
        from maillage.wire.envelope import Binding
        from maillage.wire.recipients import resolve_recipients

        if self.direct:
            return self.device.prepare_report(text)
        import uuid

        device = self.device
        directory = device.client.recipients()
        resolution = resolve_recipients(directory, device._state(), int(time.time()))
        police = {
            str(entry["device"])
            for entry in directory["devices"]
            if json.loads(entry["chain"][0]["body"])["role"] != "commercant"
        }
        recipients = [r for r in resolution.recipients if r.kind == "service" or r.id not in police]
        incident, message = str(uuid.uuid4()), str(uuid.uuid4())
        sealed = sealing.seal(
            Binding(commune=device.commune, incident=incident, message=message),
            device.sender(),
            text=text,
            fields={},
            attachments=[],
            recipients=recipients,
            sent_at=int(time.time()),
        )
        return PreparedReport(incident, message, sealed, resolution, {"category": "vol"})

    def post(self, prepared: Any) -> Sent:
        wall, started = time.time(), time.monotonic_ns()
        self.device.post_report(prepared)
        answered = time.monotonic_ns()
        size = len(json.dumps(prepared.sealed.wire))
        return Sent(prepared.message, started, wall, answered, size)

    def close(self) -> None:
        self.device.client.close()


class Broadcaster:
    """The police console's device (maillage.client), signed in through the demo sign-in:
    a new operator device, certified by the demo root, that holds the group key."""

    def __init__(self, url: str, member: str) -> None:
        from maillage.client.device import MemberDevice
        from maillage.client.http import MaillageClient

        self.device = MemberDevice(MaillageClient(url, timeout=900), label="Console (banc)")
        self.device.sign_in_demo(member)

    def holders(self) -> int:
        latest = self.device.client.group_key("commune")
        return int((latest or {}).get("merchant_holders") or 0)

    def prepare(self, text: str) -> Any:
        return self.device.broadcasts.prepare(text)

    def post(self, prepared: Any) -> Sent:
        wall, started = time.time(), time.monotonic_ns()
        self.device.broadcasts.post(prepared)
        answered = time.monotonic_ns()
        size = len(json.dumps(prepared.sealed.wire))
        return Sent(prepared.broadcast, started, wall, answered, size)

    def close(self) -> None:
        self.device.client.close()


def send_schedule(posters: list[Poster], prepared: list[Any], spacing: float) -> list[Sent]:
    """POST each prepared report at its slot (`spacing` seconds apart), each from its own
    thread so a slow answer does not delay the next slot."""
    sent: list[Sent | None] = [None] * len(prepared)
    errors: list[BaseException] = []
    begin = time.monotonic() + 0.05

    def one(index: int) -> None:
        time.sleep(max(0.0, begin + index * spacing - time.monotonic()))
        try:
            sent[index] = posters[index % len(posters)].post(prepared[index])
        except BaseException as error:  # reported after the others finished
            errors.append(error)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(prepared))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [s for s in sent if s is not None]


# --- one size ----------------------------------------------------------------------------------


def run_size(options: Options, n: int, logs: Path) -> dict[str, Any]:
    print(f"\n== {n} devices ==", flush=True)
    setup: dict[str, Any] = {"devices": n}
    setup.update(prepare_database(options, n))
    reports = bool(REPORT_CASES & set(options.cases))
    keys = device_sessions(OPERATOR_PREFIX) if reports else []
    posters_ids = member_ids(POSTER_PREFIX)
    if reports and len(keys) != n:
        raise RuntimeError(f"seed has {len(keys)} operator sessions, expected {n}")
    processes = Processes(options, logs)
    results: list[CaseResult] = []
    try:
        urls = processes.start_servers(2)
        time.sleep(1.0)
        pids = processes.server_pids()
        setup["idle_rss_mib"] = sum(tree_rss(p) for p in pids) / MIB
        if reports:
            run_reports(options, n, processes, urls, keys, posters_ids, setup, results)
            processes.stop_client()
        if "broadcast" in options.cases:
            results.append(run_broadcasts(options, n, processes, urls, setup))
        if "browser" in options.cases:
            run_browser(options, urls, posters_ids, setup, n)
    finally:
        processes.close()
    if "queries" in options.cases:
        from benchmarks.delivery import queries

        setup["queries"] = queries.measure(posters_ids[0], direct=n <= DIRECT_LIMIT)
        q = setup["queries"]
        print(f"  SQL queries: {json.dumps(q['counts'])}", flush=True)
    return {"setup": setup, "cases": [r.figures() | {"raw": raw(r)} for r in results]}


def run_reports(
    options: Options,
    n: int,
    processes: Processes,
    urls: list[str],
    keys: list[str],
    posters_ids: list[str],
    setup: dict[str, Any],
    results: list[CaseResult],
) -> None:
    """The report cases: N operator devices connected, reports POSTed by shops."""
    pids = processes.server_pids()
    # Devices alternate over the two servers; every report is POSTed to server 0.
    placement = [i % 2 for i in range(n)]
    ready = processes.start_client([(urls[placement[i]], key) for i, key in enumerate(keys)])
    setup["connect_s"] = ready["connect_seconds"]
    time.sleep(1.0)
    rss = sum(tree_rss(p) for p in pids) / MIB
    setup["connected_rss_mib"] = rss
    setup["kib_per_device"] = (rss - setup["idle_rss_mib"]) * 1024 / n
    print(
        f"  {n} streams open in {ready['connect_seconds']:.1f} s; servers' RSS "
        f"{setup['idle_rss_mib']:.0f} MiB idle, {rss:.0f} MiB connected",
        flush=True,
    )
    direct = n <= DIRECT_LIMIT
    posters = [Poster(urls[0], member, direct) for member in posters_ids]
    # Warm-up: one report, so first-request costs (imports, connections) are not timed.
    warm = posters[0].post(posters[0].prepare("Échauffement"))
    processes.ask({"cmd": "wait", "kind": "incident.reported", "count": 1, "timeout": 30})
    del warm
    if "isolated" in options.cases:
        result = CaseResult("isolated", n)
        for index in range(options.alerts):
            prepared = posters[index % len(posters)].prepare(f"Alerte isolée {index}")
            before = cpu_seconds(pids)
            sent = [posters[index % len(posters)].post(prepared)]
            answer = processes.ask(
                {"cmd": "wait", "kind": "incident.reported", "count": 1, "timeout": 30}
            )
            result.cpu_s += cpu_seconds(pids) - before
            result.add(sent, answer, placement)
            time.sleep(0.5)
        results.append(result)
        print_row(result.figures())
    if "burst" in options.cases:
        result = CaseResult("burst", n)
        for burst in range(options.bursts):
            prepared = [
                posters[i % len(posters)].prepare(f"Rafale {burst}.{i}")
                for i in range(options.burst_size)
            ]
            before = cpu_seconds(pids)
            sent = send_schedule(posters, prepared, 1.0 / options.burst_rate)
            answer = processes.ask(
                {
                    "cmd": "wait",
                    "kind": "incident.reported",
                    "count": options.burst_size,
                    "timeout": 60,
                }
            )
            result.cpu_s += cpu_seconds(pids) - before
            result.add(sent, answer, placement)
            time.sleep(2.0)
        results.append(result)
        print_row(result.figures())
    for poster in posters:
        poster.close()


def run_browser(
    options: Options, urls: list[str], posters_ids: list[str], setup: dict[str, Any], n: int
) -> None:
    """Last: the console page runs the group-key lifecycle as a real console does, and
    would hold the broadcast case's key before the benchmark's own sender."""
    from benchmarks.delivery import browser

    setup["browser"] = browser.measure(
        urls, f"{CONSOLE_NAME} 00001", posters_ids, options, direct=n <= DIRECT_LIMIT
    )
    b = setup["browser"]
    print(
        f"  browser: tap→signal median {b['tap_to_signal']['p50']:.0f} ms, "
        f"p95 {b['tap_to_signal']['p95']:.0f} ms; POST→signal median "
        f"{b['post_to_signal']['p50']:.0f} ms ({b['reports']} reports)",
        flush=True,
    )


def run_broadcasts(
    options: Options, n: int, processes: Processes, urls: list[str], setup: dict[str, Any]
) -> CaseResult:
    """« Message à tous les commerces »: the console's device (maillage.client) publishes
    the commune's group key and grants it to every holder the server lists (verifying each
    chain, as the console does), N merchant devices connect, then each broadcast is
    POSTed to server 0 and timed to its receipt, with the sealed copy inline, on all N."""
    pids = processes.server_pids()
    keys = device_sessions(MERCHANT_PREFIX)
    if len(keys) != n:
        raise RuntimeError(f"seed has {len(keys)} merchant sessions, expected {n}")
    sender = Broadcaster(urls[0], member_ids(f"{CONSOLE_NAME} 00001")[0])
    started = time.monotonic()
    number = sender.device.broadcasts.ensure()
    holders = sender.holders()
    setup["broadcast_key_s"] = time.monotonic() - started
    setup["broadcast_holders"] = holders
    print(
        f"  group key generation {number} granted to {holders} merchant devices "
        f"in {setup['broadcast_key_s']:.1f} s (client side: verify each chain, wrap, POST)",
        flush=True,
    )
    before_rss = sum(tree_rss(p) for p in pids) / MIB
    placement = [i % 2 for i in range(n)]
    ready = processes.start_client([(urls[placement[i]], key) for i, key in enumerate(keys)])
    setup["broadcast_connect_s"] = ready["connect_seconds"]
    time.sleep(1.0)
    rss = sum(tree_rss(p) for p in pids) / MIB
    setup["broadcast_connected_rss_mib"] = rss
    setup["broadcast_kib_per_device"] = (rss - before_rss) * 1024 / n
    print(
        f"  {n} merchant streams open in {ready['connect_seconds']:.1f} s; servers' RSS "
        f"{before_rss:.0f} MiB before, {rss:.0f} MiB connected",
        flush=True,
    )
    sender.post(sender.prepare("Échauffement"))
    processes.ask({"cmd": "wait", "kind": "broadcast.sent", "count": 1, "timeout": 60})
    result = CaseResult("broadcast", n)
    for index in range(options.broadcasts):
        prepared = sender.prepare(f"Message à tous les commerces n° {index} : fermeture à 18 h.")
        before = cpu_seconds(pids)
        sent = [sender.post(prepared)]
        answer = processes.ask({"cmd": "wait", "kind": "broadcast.sent", "count": 1, "timeout": 60})
        result.cpu_s += cpu_seconds(pids) - before
        result.add(sent, answer, placement)
        time.sleep(0.5)
    print_row(result.figures())
    burst = CaseResult("bc burst", n)
    for round_ in range(options.bursts):
        prepared = [
            sender.prepare(f"Alerte {round_}.{i} : restez à l'intérieur.")
            for i in range(options.burst_size)
        ]
        before = cpu_seconds(pids)
        sent = send_schedule([sender], prepared, 1.0 / options.burst_rate)  # type: ignore[list-item]
        answer = processes.ask(
            {"cmd": "wait", "kind": "broadcast.sent", "count": options.burst_size, "timeout": 120}
        )
        burst.cpu_s += cpu_seconds(pids) - before
        burst.add(sent, answer, placement)
        time.sleep(2.0)
    sender.close()
    processes.stop_client()
    print_row(burst.figures())
    setup["broadcast_burst"] = burst.figures() | {"raw": raw(burst)}
    return result


def raw(result: CaseResult) -> dict[str, Any]:
    return {"per_alert_p99": result.per_alert_p99, "post_ms": result.post_ms}


HEADER = (
    f"{'case':9} {'devices':>7} {'alerts':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}"
    f" {'p99 loc':>7} {'p99 rem':>7} {'POST':>6} {'event':>6} {'201→50':>6} {'201→99':>6}"
    f" {'KiB/dev':>7} {'cpu ms':>7} {'lost':>5}"
)


def print_row(f: dict[str, Any]) -> None:
    print(
        f"{f['case']:9} {f['devices']:>7} {f['alerts']:>6} {f['p50']:>7.1f} {f['p95']:>7.1f}"
        f" {f['p99']:>7.1f} {f['max']:>7.1f} {f['p99_local']:>7.1f} {f['p99_remote']:>7.1f}"
        f" {f['post_ms_median']:>6.1f} {f['event_ms_median']:>6.1f}"
        f" {f['after_201']['p50']:>6.1f} {f['after_201']['p99']:>6.1f}"
        f" {f['frame_bytes'] / 1024:>7.1f}"
        f" {f['server_cpu_s_per_alert'] * 1000:>7.1f} {f['missing'] + f['unsealed']:>5}",
        flush=True,
    )


def configure_django(options: Options) -> None:
    os.environ["DATABASE_URL"] = f"{options.pg}/{options.database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "maillage.settings"
    os.environ.setdefault("MAILLAGE_DEBUG", "0")
    os.environ["MAILLAGE_DEMO"] = "true"
    os.environ["MAILLAGE_LOG_LEVEL"] = "WARNING"
    sys.path[:0] = [str(ROOT / "src")]
    import django

    django.setup()


@contextlib.contextmanager
def terminated_on_sigterm() -> Iterator[None]:
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.delivery",
        description="End-to-end delivery: POST of a sealed report to receipt at N devices.",
    )
    parser.add_argument("--devices", default="140", help="comma-separated N (e.g. 140,1000)")
    parser.add_argument(
        "--cases",
        default="isolated,burst,queries",
        help="isolated,burst,queries,browser,broadcast",
    )
    parser.add_argument("--alerts", type=int, default=10, help="isolated reports per size")
    parser.add_argument("--broadcasts", type=int, default=10, help="broadcasts per size")
    parser.add_argument("--bursts", type=int, default=3, help="bursts per size")
    parser.add_argument("--burst-size", type=int, default=20)
    parser.add_argument("--burst-rate", type=float, default=2.0, help="reports per second")
    parser.add_argument("--browser-reports", type=int, default=10)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="maillage_bench_delivery")
    parser.add_argument(
        "--no-seed-cache",
        action="store_true",
        help="seed every time and keep no template database (default: keep one per N)",
    )
    parser.add_argument("--drop-seeds", action="store_true", help="drop cached seeds and exit")
    parser.add_argument("--client-loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--json", type=Path, help="results file (default: benchmarks/results/)")
    args = parser.parse_args(argv)
    options = Options(
        devices=[int(n) for n in args.devices.split(",")],
        cases=args.cases.split(","),
        alerts=args.alerts,
        broadcasts=args.broadcasts,
        bursts=args.bursts,
        burst_size=args.burst_size,
        burst_rate=args.burst_rate,
        browser_reports=args.browser_reports,
        pg=args.pg.rstrip("/"),
        database=args.database,
        seed_cache=not args.no_seed_cache,
        client_loop=args.client_loop,
        json_path=args.json,
    )
    if args.drop_seeds:
        with admin(options.pg) as conn:
            names = conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                [f"{options.database}_seed%"],
            ).fetchall()
        for (name,) in names:
            drop_database(options.pg, name)
            print(f"dropped {name}")
        raise SystemExit(0)
    return options


def main(argv: list[str] | None = None) -> None:
    options = parse(argv)
    raise_nofile()
    configure_django(options)
    logs = ROOT / "var" / "bench-delivery"
    logs.mkdir(parents=True, exist_ok=True)
    print(
        "Delivery, end to end: POST /api/v1/incidents (or /broadcasts) on server 0 → receipt"
        " at each device;\n"
        "2 `maillage serve` processes on one PostgreSQL, devices alternate over both;\n"
        f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()}; latencies in ms",
        flush=True,
    )
    report: list[dict[str, Any]] = []
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    try:
        with terminated_on_sigterm():
            for n in options.devices:
                print(HEADER, flush=True)
                report.append(run_size(options, n, logs))
    except KeyboardInterrupt:
        print("interrupted: servers stopped, database dropped", flush=True)
    finally:
        close_django()
        drop_database(options.pg, options.database)
    if report:
        print("\n" + HEADER)
        for size in report:
            for case in size["cases"]:
                print_row(case)
        path = options.json_path or (
            ROOT / "benchmarks" / "results" / f"delivery-{time.strftime('%Y-%m-%d-%H%M')}.json"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "date": started,
            "cpus": os.cpu_count(),
            "load_end": os.getloadavg(),
            "options": {k: str(v) for k, v in vars(options).items()},
        }
        path.write_text(json.dumps({"meta": meta, "sizes": report}, indent=1))
        print(f"written: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
