"""`python -m benchmarks.push_browser`: from a report's POST to the notification on the
police device, in Chromium.

One `maillage serve` on a fresh SQLite database seeded with the demo commune, its push
worker ticking as in production (`MAILLAGE_PUSH_TICK_SECONDS`, 1 s by default). The police
console is opened in Debian's Chromium (a profile on disk, the service worker in control,
notifications allowed) and its device subscribes, through `POST /push/subscriptions`, at
the loopback RFC 8030 receiver (maillage.testing.push_receiver), which plays the push
service: it checks VAPID and decrypts RFC 8291, and each body it receives is handed at
once to the service worker through DevTools (`ServiceWorker.deliverPushMessage`). A
merchant's device (maillage.client) seals and POSTs `--reports` reports, one every
`--spacing` seconds, and for each:

- POST → push received: the server's part (waiting for the tick, fan-out, encryption,
  VAPID, the POST to the push service);
- push received → notification: the service worker's part (session, root, chain and
  revocation list fetched, the envelope opened, `showNotification`), stamped by the
  notification's own `timestamp`;
- POST → notification, the sum.

Medians, p95 and max; the first report warms everything up and is not counted. The
frontend must be built (`make demo` or `cd frontend && npx vite build`).
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

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

CONTROLLED = """async () => {
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) =>
      navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
  }
}"""

SUBSCRIBE = """async (subscription) => {
  const token = document.cookie.split("; ").find((c) => c.startsWith("maillage_csrf="));
  const answer = await fetch("/api/v1/push/subscriptions", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": token.split("=")[1] },
    body: JSON.stringify({ ...subscription, consent: true }),
  });
  return answer.status;
}"""

NOTIFIED = """async (tag) => {
  const registration = await navigator.serviceWorker.ready;
  const found = await registration.getNotifications({ tag });
  if (found.length === 0) return null;
  const stamp = found[0].timestamp;
  for (const n of found) n.close();
  return stamp;
}"""


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "median": round(statistics.median(values), 1),
        "p95": round(_pct(values, 0.95), 1),
        "max": round(max(values), 1),
    }


def pushed_for(receiver: Any, incident: str, timeout: float = 15) -> Any:
    """The push the receiver got for this incident's report, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in receiver.wait(len(receiver.messages) + 1, timeout=0.005):
            if message.json().get("incident") == incident:
                return message
    return None


def seed() -> tuple[str, str]:
    """The demo commune; the console's display name, a merchant's membership id."""
    from django.core.management import call_command

    from maillage.demo.seed import seed_demo
    from maillage.incidents import alert_settings
    from maillage.members.models import Role
    from maillage.stream.action import CLI

    call_command("migrate", verbosity=0)
    made = seed_demo()
    # One device sends every report: its limits off (a count of 0), as a coordinator may.
    current = alert_settings.for_commune(made.commune).as_dict()
    for limit in current["limits"].values():
        limit["count"] = 0
    alert_settings.change(CLI, made.commune, current)
    operator = next(m for m in made.members if m.role == Role.OPERATOR)
    merchant = next(m for m in made.members if m.role == Role.MERCHANT)
    return operator.person.display_name, str(merchant.public_id)


def measure(
    url: str, console_name: str, merchant: str, reports: int, spacing: float
) -> dict[str, Any]:
    from playwright.sync_api import expect, sync_playwright

    from benchmarks.delivery.run import Poster
    from maillage.testing.push_receiver import PushReceiver

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop in this thread
    to_push: list[float] = []
    to_show: list[float] = []
    total: list[float] = []
    missed_pushes = missed_notices = redelivered = 0
    profile = tempfile.mkdtemp(prefix="maillage-push-browser-")
    with PushReceiver() as receiver, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            base_url=url,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            viewport={"width": 1280, "height": 900},
        )
        try:
            context.set_default_timeout(30_000)
            context.grant_permissions(["notifications"], origin=url)
            page = context.pages[0] if context.pages else context.new_page()
            page.goto("/demo")
            page.get_by_role("button", name=f"Se connecter en tant que {console_name}").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(f"Bonjour {console_name}")
            page.get_by_role("link", name="Ouvrir la console police").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Console police")
            page.evaluate(CONTROLLED)
            status = page.evaluate(SUBSCRIBE, receiver.subscription())
            if status != 201:
                raise SystemExit(f"abonnement refusé ({status})")
            cdp = context.new_cdp_session(page)
            registrations: list[str] = []
            cdp.on(
                "ServiceWorker.workerRegistrationUpdated",
                lambda event: registrations.extend(
                    r["registrationId"] for r in event["registrations"] if not r["isDeleted"]
                ),
            )
            cdp.send("ServiceWorker.enable")
            while not registrations:
                page.wait_for_timeout(50)
            page.wait_for_timeout(2000)  # the console's first loads and its stream

            poster = Poster(url, merchant, direct=True)
            try:
                for index in range(reports + 1):
                    prepared = poster.prepare(f"Banc Web Push {index}")
                    posted = time.time()
                    poster.post(prepared)
                    message = pushed_for(receiver, prepared.incident)
                    if message is None:
                        missed_pushes += 1
                        continue
                    received = time.time()
                    stamp = None
                    # DevTools now and then drops a delivery to a worker it is stopping (a
                    # push service would retry): delivered again, and counted.
                    for attempt in range(3):
                        if attempt:
                            redelivered += 1
                        cdp.send(
                            "ServiceWorker.deliverPushMessage",
                            {
                                "origin": url,
                                "registrationId": registrations[-1],
                                "data": message.plaintext.decode(),
                            },
                        )
                        deadline = time.monotonic() + 5
                        while stamp is None and time.monotonic() < deadline:
                            stamp = page.evaluate(NOTIFIED, prepared.incident)
                            if stamp is None:
                                page.wait_for_timeout(5)
                        if stamp is not None:
                            break
                    if stamp is None:
                        missed_notices += 1
                    elif index > 0 and attempt == 0:
                        shown = float(stamp) / 1000
                        to_push.append((received - posted) * 1000)
                        to_show.append((shown - received) * 1000)
                        total.append((shown - posted) * 1000)
                    page.wait_for_timeout(spacing * 1000)
            finally:
                poster.close()
        finally:
            context.close()
    return {
        "reports": len(total),
        "missed_pushes": missed_pushes,
        "missed_notifications": missed_notices,
        "redelivered": redelivered,
        "post_to_push_received_ms": summary(to_push),
        "push_received_to_notification_ms": summary(to_show),
        "post_to_notification_ms": summary(total),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--spacing", type=float, default=1.3, help="seconds between reports")
    args = parser.parse_args(argv)
    if not (ROOT / "frontend" / "dist" / "sw.js").exists():
        raise SystemExit("Construisez d'abord le frontend : cd frontend && npx vite build")
    sys.path.insert(0, str(ROOT / "src"))
    folder = Path(tempfile.mkdtemp(prefix="maillage-push-browser-bench-"))
    env = {
        "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
        "MAILLAGE_DEMO": "true",
        "MAILLAGE_MEDIA_ROOT": str(folder),
        "MAILLAGE_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "MAILLAGE_PUSH_ALLOW_LOOPBACK": "true",
        "MAILLAGE_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    import django

    django.setup()
    console_name, merchant = seed()

    from maillage.testing.servers import ServerProcess

    server = ServerProcess(
        {**os.environ, "PYTHONPATH": str(ROOT / "src")},
        folder / "server.log",
        url_host="localhost",
        cwd=ROOT,
    )
    server.start()
    try:
        server.wait_ready()
        result = measure(server.url, console_name, merchant, args.reports, args.spacing)
    finally:
        server.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
