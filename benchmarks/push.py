"""`python -m benchmarks.push`: Web Push for a neighbour alert to a whole sector.

In one process, on a fresh SQLite database (or `--database` a PostgreSQL URL): a sector of
`--shops` merchants (150 by default: a commune's busiest street), each with one push
subscription at the loopback RFC 8030 receiver (maillage.testing.push_receiver, which
checks every VAPID signature and decrypts every RFC 8291 body, as a browser would). Each
run sends one neighbour alert, validates it, then times the push worker:

- fan-out: the log's events turned into one delivery per subscription (ms);
- sending: every delivery encrypted, signed and POSTed, attempts recorded (ms), and from
  it the server time per push (ms) and pushes per second;
- end to end: from the validation's commit to the last push received (ms).

Medians and p95 over `--runs`. The receiver's own decryption runs in its threads on the
same machine, so the figures are a floor on what a real push service would see.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 2),
        "p95": round(_pct(values, 0.95), 2),
        "min": round(min(values), 2),
    }


def measure(shops: int, runs: int) -> dict[str, Any]:
    from maillage.members.models import Role
    from maillage.members.tests import factory
    from maillage.neighbours.tests import helpers as street
    from maillage.push import subscriptions, worker
    from maillage.territory.tests import factory as territory_factory
    from maillage.testing.push_receiver import PushReceiver
    from maillage.trust.tests import group_key_factory as keys

    commune = factory.make_commune()
    sector = territory_factory.make_sector(commune, name="Centre")
    operator = factory.make_member(Role.OPERATOR, commune)
    merchants = []
    for n in range(shops):
        shop = territory_factory.make_shop(commune, sector, enseigne=f"Commerce {n}")
        merchants.append(factory.make_member(Role.MERCHANT, commune, shop))
    generation = keys.publish(
        operator, scope=f"sector:{sector.pk}", others=tuple(m.device for m in merchants)
    )
    fan_out, sending, per_push, rates, end_to_end = [], [], [], [], []
    with PushReceiver() as receiver:
        for merchant in merchants:
            info = receiver.subscription()
            subscriptions.subscribe(
                merchant.membership,
                merchant.device,
                info["endpoint"],
                info["keys"]["p256dh"],
                info["keys"]["auth"],
                consent=True,
            )
        worker.run_once()
        for run in range(runs):
            # A different shop each time: a device may send 3 neighbour alerts in 30 min.
            reporter = merchants[run % shops]
            before = len(receiver.messages)
            sent = street.send(reporter, generation, "Deux individus, vol à l'étalage.")
            assert sent.status_code == 201, sent.content
            alert = sent.json()["id"]
            url = f"{street.ALERTS}/{alert}/validate"
            assert operator.client().post(url).status_code == 200
            committed = time.monotonic()
            started = time.perf_counter()
            made = sum(worker.fan_out(commune.pk)[1] for _ in range(2))
            fanned = time.perf_counter()
            result = worker.send_due()
            done = time.perf_counter()
            arrived = receiver.wait(before + shops - 1, timeout=60)
            assert made == shops - 1 == result.sent, (made, result)
            assert receiver.rejected == []
            fan_out.append((fanned - started) * 1000)
            sending.append((done - fanned) * 1000)
            per_push.append((done - fanned) * 1000 / result.sent)
            rates.append(result.sent / (done - fanned))
            end_to_end.append((max(m.at for m in arrived[before:]) - committed) * 1000)
    return {
        "shops": shops,
        "pushes_per_alert": shops - 1,
        "runs": runs,
        "fan_out_ms": summary(fan_out),
        "sending_ms": summary(sending),
        "server_ms_per_push": summary(per_push),
        "pushes_per_second": summary(rates),
        "validation_to_last_push_ms": summary(end_to_end),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=150)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database", default="", help="a PostgreSQL URL (default: SQLite)")
    args = parser.parse_args(argv)
    src = Path(__file__).resolve().parents[1] / "src"
    sys.path.insert(0, str(src))
    folder = tempfile.mkdtemp(prefix="maillage-push-bench-")
    os.environ["DATABASE_URL"] = args.database or f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    os.environ["MAILLAGE_MEDIA_ROOT"] = folder
    # The factories post through Django's test client.
    os.environ["MAILLAGE_ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    print(json.dumps(measure(args.shops, args.runs), indent=2))


if __name__ == "__main__":
    main()
