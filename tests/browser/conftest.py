"""Real-browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

- The front end must be built first (`make test` does it; by hand: `make frontend`); a
  missing Vite manifest fails the tests with that instruction instead of skipping them.
- The live server listens on http://localhost:<port>: passkeys need a domain, and
  'localhost' is the one WebAuthn accepts over plain HTTP. The `settings` fixture points
  the relying party, its allowed origins and invitation links at that server.
- Passkeys come from the Chrome DevTools virtual authenticator (one per browser context,
  so each person has their own "phone").
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    CDPSession,
    Page,
    expect,
    sync_playwright,
)

from maillage.testing.duty import duty_clock_on_duty  # noqa: F401 -- autouse: a fixed duty clock

# The suite runs on every core beside other work: a page's live update may take longer
# than Playwright's 5 s default on a loaded machine (the contexts' own default is 15 s).
expect.set_options(timeout=15_000)

PROJECT_DIR = Path(__file__).resolve().parents[2]
MANIFEST = PROJECT_DIR / "frontend" / "dist" / ".vite" / "manifest.json"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get("MAILLAGE_BROWSER_ARTIFACTS", str(PROJECT_DIR / "var" / "browser-artifacts"))
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

# A shopkeeper's phone and a coordinator's office screen.
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/browser is a browser test, whatever its file forgot."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def built_frontend() -> Path:
    if not MANIFEST.is_file():
        pytest.fail(
            f"Le front end n'est pas construit : {MANIFEST.relative_to(PROJECT_DIR)} est absent. "
            "Lancez « make frontend » (ou « cd frontend && npm ci && npm run build ») "
            "avant les tests navigateur ; « make test » le fait pour vous.",
            pytrace=False,
        )
    return MANIFEST


ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module")
def browser(built_frontend: Path, django_db_setup: None) -> Iterator[Browser]:
    """One Chromium per test module.

    Playwright's sync API keeps an event loop in this thread while the browser lives, so
    the ORM calls a browser test makes between steps look "async" to Django: they are
    allowed for exactly that lifetime (the test database is created before, and the
    variable is restored after, so the rest of the suite keeps Django's safety check).
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium introuvable ({CHROMIUM}) : lancez « make chromium » "
            "ou « apt-get install chromium ».",
            pytrace=False,
        )
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield launched
            finally:
                launched.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def app_url(live_server: Any, settings: Any, built_frontend: Path) -> str:
    """The live server's base URL, with WebAuthn and invitation links configured for it."""
    url = str(live_server.url).rstrip("/")
    # Request threads that are not daemons are the ones socketserver keeps track of
    # (`settle_live_server` waits for them; Django's default, daemons, are untracked).
    live_server.thread.httpd.daemon_threads = False
    assert url.startswith("http://localhost:"), (
        f"Le serveur de test doit écouter sur localhost (WebAuthn), pas {url}"
    )
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGINS = [url]
    settings.PUBLIC_URL = url
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    settings.CSRF_TRUSTED_ORIGINS = [url]
    return url


@dataclass
class Person:
    """One person's browser: a context, its page, its virtual authenticator."""

    name: str
    context: BrowserContext
    page: Page
    cdp: CDPSession | None = None
    authenticator_id: str | None = None
    console: list[str] = field(default_factory=list)

    def credentials(self) -> list[dict[str, Any]]:
        assert self.cdp is not None and self.authenticator_id is not None
        result = self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id}
        )
        return list(result["credentials"])


def save_screenshot(page: Page, name: str, fallback_dir: Path) -> Path:
    """A full-page PNG, kept under $MAILLAGE_BROWSER_ARTIFACTS when set (to look at it)."""
    directory = ARTIFACTS if "MAILLAGE_BROWSER_ARTIFACTS" in os.environ else fallback_dir
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def add_virtual_authenticator(person: Person) -> str:
    """A platform authenticator with resident keys and user verification (CDP WebAuthn)."""
    cdp = person.context.new_cdp_session(person.page)
    cdp.send("WebAuthn.enable")
    result = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    person.cdp = cdp
    person.authenticator_id = str(result["authenticatorId"])
    return person.authenticator_id


PersonFactory = Callable[..., Person]

# Chromium also logs "Refused to … because it violates the following Content Security
# Policy directive"; the event catches what the console might word differently.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
});
"""


def csp_violations(console: list[str]) -> list[str]:
    return [
        line for line in console if "Content Security Policy" in line or "CSP violation" in line
    ]


@pytest.fixture
def open_browser(
    browser: Browser, app_url: str, request: pytest.FixtureRequest
) -> Iterator[PersonFactory]:
    """`open_browser("Claire", viewport=DESKTOP, passkeys=True)` → a fresh person's browser."""
    people: list[Person] = []

    def factory(
        name: str, *, viewport: dict[str, int] | None = None, passkeys: bool = True
    ) -> Person:
        context = browser.new_context(
            base_url=app_url,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            viewport=viewport or PHONE,  # type: ignore[arg-type]
        )
        context.set_default_timeout(15_000)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        person = Person(name=name, context=context, page=page)
        page.on("console", lambda msg: person.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: person.console.append(f"pageerror: {exc}"))
        if passkeys:
            add_virtual_authenticator(person)
        people.append(person)
        return person

    yield factory

    failed = getattr(request.node, "rep_call", None)
    for person in people:
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            slug = f"{request.node.name}-{person.name}".replace("/", "_")
            with contextlib.suppress(Exception):  # best effort on an already failed test
                person.page.screenshot(path=str(ARTIFACTS / f"{slug}.png"), full_page=True)
            (ARTIFACTS / f"{slug}.console.txt").write_text(
                "\n".join(person.console), encoding="utf-8"
            )
        person.context.close()
    settle_live_server(request)
    violations = [line for person in people for line in csp_violations(person.console)]
    if violations:
        pytest.fail("Violation de la politique CSP :\n" + "\n".join(violations), pytrace=False)


def settle_live_server(request: pytest.FixtureRequest, timeout: float = 30.0) -> None:
    """Wait for the requests pytest-django's live server is still answering once the
    browsers are closed: a console's last call (a key grant, a list) would otherwise run
    its queries while the test database is flushed, and on PostgreSQL the flush's TRUNCATE
    then deadlocks with it and leaves the next tests a dirty database."""
    if "live_server" not in request.fixturenames:
        return  # the ASGI server of stream.tests.live.serve waits for its own requests
    httpd = request.getfixturevalue("live_server").thread.httpd
    deadline = time.monotonic() + timeout
    for thread in list(vars(httpd).get("_threads", ())):
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so fixtures can save evidence on failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
