"""Tap → signal in a real browser: Debian's Chromium (Playwright, headless, the flags of
tests/browser/conftest.py) with the police console open on server 1, reports POSTed to
server 0 by the Python client, and the time the console's visual signal changed.

The console root exposes `data-signals` (frontend/src/live/signal.ts); a MutationObserver
stamps each change with `performance.timeOrigin + performance.now()` (wall clock, ms), and
the sender stamps `time.time()` twice: before it fetches the directory and seals (the
tap) and just before the POST. Reports are 2.5 s apart: the console rings at most once
every 1.5 s (QUIET_MS), and a silenced report leaves `data-signals` unchanged.
"""

from __future__ import annotations

import os
import time
from typing import Any

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARGS.append("--disable-component-update")
SPACING = 2.5

OBSERVE = """
() => {
  window.__signals = [];
  const root = document.querySelector("section[data-signals]");
  new MutationObserver(() => {
    window.__signals.push(performance.timeOrigin + performance.now());
  }).observe(root, { attributes: true, attributeFilter: ["data-signals"] });
}
"""


def measure(
    urls: list[str], console_name: str, posters: list[str], options: Any, *, direct: bool
) -> dict[str, Any]:
    from playwright.sync_api import expect, sync_playwright

    from benchmarks.delivery.run import Poster, summary

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop in this thread
    tap: list[float] = []
    post: list[float] = []
    missed = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = browser.new_context(
                base_url=urls[1],
                locale="fr-FR",
                timezone_id="Europe/Paris",
                viewport={"width": 1280, "height": 900},
            )
            context.set_default_timeout(30_000)
            page = context.new_page()
            page.goto("/demo")
            page.get_by_role("button", name=f"Se connecter en tant que {console_name}").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(f"Bonjour {console_name}")
            page.get_by_role("link", name="Ouvrir la console police").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Console police")
            page.wait_for_selector("section[data-signals]")
            page.wait_for_timeout(2000)  # the console's first loads and its stream
            page.evaluate(OBSERVE)
            poster = Poster(urls[0], posters[0], direct=direct)
            try:
                for index in range(options.browser_reports + 1):
                    seen = page.evaluate("window.__signals.length")
                    tapped = time.time()
                    prepared = poster.prepare(f"Console {index}")
                    posted = time.time()
                    poster.post(prepared)
                    deadline = time.monotonic() + 10
                    while page.evaluate("window.__signals.length") <= seen:
                        if time.monotonic() > deadline:
                            break
                        page.wait_for_timeout(5)
                    stamps = page.evaluate("window.__signals")
                    if len(stamps) <= seen:
                        missed += 1
                    elif index > 0:  # the first report warms the page up
                        signalled = float(stamps[seen]) / 1000
                        tap.append((signalled - tapped) * 1000)
                        post.append((signalled - posted) * 1000)
                    page.wait_for_timeout(SPACING * 1000)
            finally:
                poster.close()
        finally:
            browser.close()
    return {
        "reports": len(tap),
        "missed": missed,
        "tap_to_signal": summary(tap),
        "post_to_signal": summary(post),
        "tap_ms": tap,
        "post_ms": post,
    }
