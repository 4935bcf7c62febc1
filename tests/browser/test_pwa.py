"""The installable app in Chromium: its own installability check finds nothing to object
to; once the service worker is active the app opens with no network at all (the shell
comes from Cache Storage, the server sees no request, the app boots and says the server
cannot be reached) and Cache Storage never holds an API answer; « Installer
l'application » opens the browser's own dialog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.signals import request_started
from playwright.sync_api import Browser, Page, expect

from maillage.members.models import Role

from .a11y import axe
from .conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REPORT_CSP_VIOLATIONS,
    PersonFactory,
    csp_violations,
    settle_live_server,
)
from .test_envelopes import demo, demo_sign_in, member

__all__ = ["demo"]  # fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Resolves once a worker is active for the page, and the page is under its control.
CONTROLLED = """async () => {
  const registration = await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) =>
      navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
  }
  return { scope: registration.scope, script: registration.active.scriptURL };
}"""

CACHED_URLS = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
  }
  return urls;
}"""

# Counts the calls of the browser's install dialog (headless Chromium cannot draw it).
COUNT_PROMPTS = """
window.__prompted = 0;
const prompt = BeforeInstallPromptEvent.prototype.prompt;
BeforeInstallPromptEvent.prototype.prompt = function () {
  window.__prompted += 1;
  return prompt.call(this);
};
"""


@pytest.fixture
def server_paths() -> Iterator[list[str]]:
    """The paths the live server is asked for (its request threads run in this process)."""
    paths: list[str] = []

    def record(sender: Any, environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if environ is not None:
            paths.append(str(environ.get("PATH_INFO", "")))

    request_started.connect(record, weak=False)
    yield paths
    request_started.disconnect(record)


def open_controlled(page: Page) -> dict[str, str]:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue sur Maillage")
    return dict(page.evaluate(CONTROLLED))


@pytest.fixture
def profile_page(
    browser: Browser, app_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A page of a Chromium with a profile on disk: Playwright's usual contexts are
    incognito ones, where Chromium never installs an app (its check says `in-incognito`)."""
    context = browser.browser_type.launch_persistent_context(
        tmp_path / "profil",
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        base_url=app_url,
        locale="fr-FR",
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(15_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    console: list[str] = []
    context.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    try:
        yield context.pages[0] if context.pages else context.new_page()
    finally:
        context.close()
    settle_live_server(request)
    assert csp_violations(console) == []


def test_chromium_finds_the_app_installable(profile_page: Page, app_url: str) -> None:
    page = profile_page
    worker = open_controlled(page)
    assert worker == {"scope": f"{app_url}/", "script": f"{app_url}/sw.js"}

    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == f"{app_url}/manifest.webmanifest"
    assert manifest["errors"] == []
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []


def test_the_app_opens_offline_from_its_cache(
    open_browser: PersonFactory, server_paths: list[str]
) -> None:
    person = open_browser("hors-ligne", passkeys=False)
    page, context = person.page, person.context
    open_controlled(page)
    # Online under the worker: the app's API calls pass through it, and the shell cache
    # holds the page and the build, never an API answer.
    page.goto("/connexion")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    assert any(path.startswith("/api/v1/") for path in server_paths)
    cached = page.evaluate(CACHED_URLS)
    assert "/" in cached and "/manifest.webmanifest" in cached
    assert any(path.startswith("/static/assets/main-") for path in cached), cached

    page.wait_for_load_state("networkidle")  # every online request answered
    context.set_offline(True)
    server_paths.clear()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    expect(page.get_by_role("alert")).to_contain_text("Le serveur est injoignable")
    # Another route, typed in the address bar: the same shell, the app's own page.
    page.goto("/incidents/inconnu-hors-ligne")
    expect(page.get_by_role("alert")).to_contain_text("Le serveur est injoignable")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue sur Maillage")
    assert server_paths == [], "hors ligne, le serveur ne doit rien recevoir"

    cached = page.evaluate(CACHED_URLS)
    assert [path for path in cached if path.startswith("/api")] == []
    assert axe(page) == []

    context.set_offline(False)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue sur Maillage")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert "/" in server_paths


def test_install_button_opens_the_browsers_dialog(profile_page: Page) -> None:
    """Chromium itself offers the installation (`beforeinstallprompt`, real here); the button
    opens its dialog once and goes, and goes too once the app is installed."""
    page = profile_page
    page.add_init_script(COUNT_PROMPTS)
    open_controlled(page)
    install = page.get_by_role("button", name="Installer l'application")
    expect(install).to_be_visible()
    assert axe(page) == []
    install.click()
    expect(install).to_have_count(0)
    assert page.evaluate("window.__prompted") == 1
    expect(page.locator("#contenu")).to_be_focused()

    # Offered again on the next visit; installed from the browser's own menu instead (its
    # event, which headless Chromium cannot send, is dispatched by the test).
    page.reload()
    page.get_by_role("button", name="Switch to English").click()
    installed = page.get_by_role("button", name="Install the app")
    expect(installed).to_be_visible()
    page.evaluate("window.dispatchEvent(new Event('appinstalled'))")
    expect(installed).to_have_count(0)
    assert page.evaluate("window.__prompted") == 0


def test_a_launch_of_the_installed_app_opens_each_roles_workspace(
    open_browser: PersonFactory, demo: Any, app_url: str
) -> None:
    """The manifest's one start URL (`/?source=pwa`) sends each member to their own page."""
    page = open_browser("lancement", passkeys=False).page
    for role, path, heading in [
        (Role.OPERATOR, "/console", "Console police"),
        (Role.AGENT, "/agent", "Mes interventions"),
        (Role.COORDINATOR, "/coordination", None),
        (Role.MERCHANT, "/", None),
    ]:
        who = member(demo, role)
        demo_sign_in(page, who)
        page.goto("/?source=pwa")
        expect(page).to_have_url(f"{app_url}{path}")
        if heading:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    # The shop's home, without the marker: a reload stays there.
    assert who.shop is not None
    expect(page.get_by_role("heading", level=1)).to_have_text(who.shop.enseigne)
