"""The public pages in French: a screenshot smoke test, keyboard basics, an accessibility audit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .a11y import audit
from .conftest import DESKTOP, PHONE, PersonFactory, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_in_french_smoke(open_browser: PersonFactory, tmp_path: Path) -> None:
    visitor = open_browser("visiteur", viewport=PHONE, passkeys=False)
    page = visitor.page
    page.goto("/")

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue sur Maillage")
    expect(
        page.get_by_role("button", name="Se connecter avec une clé d'accès (passkey)")
    ).to_be_visible()
    expect(page.get_by_role("contentinfo")).to_contain_text("Appelez le 17")
    expect(page).to_have_title("Bienvenue sur Maillage – Maillage")

    shot = save_screenshot(page, "accueil-fr", tmp_path)
    assert shot.stat().st_size > 10_000, "la capture d'écran de l'accueil semble vide"
    assert not [line for line in visitor.console if line.startswith(("error", "pageerror"))], (
        visitor.console
    )


def test_keyboard_reaches_the_skip_link_the_menu_and_the_sign_in_button(
    open_browser: PersonFactory,
) -> None:
    page = open_browser("clavier", viewport=DESKTOP, passkeys=False).page
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # First stop: the skip link, visible when focused; it moves focus to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"

    # From the content, the main action is the next stop.
    page.keyboard.press("Tab")
    expect(
        page.get_by_role("button", name="Se connecter avec une clé d'accès (passkey)")
    ).to_be_focused()

    # The menu works from the keyboard, and focus lands on the new page's heading.
    nav = page.get_by_role("navigation", name="Navigation principale")
    nav.get_by_role("link", name="Se connecter").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/connexion$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    # The focus ring is drawn (WCAG 2.4.7): a visible outline on the focused button.
    button = page.get_by_role("button", name="Se connecter avec ma clé d'accès")
    button.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = button.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"


def test_language_switch_is_remembered(open_browser: PersonFactory) -> None:
    page = open_browser("langue", passkeys=False).page
    page.goto("/")
    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Maillage")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Maillage")
    page.get_by_role("button", name="Passer en français").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue sur Maillage")
    expect(page.locator("html")).to_have_attribute("lang", "fr")


@pytest.mark.parametrize("path", ["/", "/connexion", "/rejoindre", "/page-inconnue"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["telephone", "bureau"])
def test_public_pages_pass_the_accessibility_audit(
    open_browser: PersonFactory, path: str, viewport: dict[str, int]
) -> None:
    page = open_browser("audit", viewport=viewport, passkeys=False).page
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert audit(page) == []


def test_invalid_invitation_link_is_explained_in_french(open_browser: PersonFactory) -> None:
    page = open_browser("lien", passkeys=False).page
    page.goto("/rejoindre#jeton=abc")
    expect(page.get_by_role("alert")).to_contain_text(
        "Ce lien d'invitation est incomplet ou abîmé."
    )


def test_the_api_docs_load_swagger_ui_from_our_own_origin(open_browser: PersonFactory) -> None:
    """Swagger UI comes from ninja's static files under the strict CSP (no CDN, no inline)."""
    reader = open_browser("développeuse", viewport=DESKTOP, passkeys=False)
    origins: set[str] = set()
    reader.page.on("request", lambda request: origins.add(request.url.split("/")[2]))
    reader.page.goto("/api/v1/docs")
    expect(reader.page.locator(".swagger-ui .info .title")).to_contain_text("Maillage API")
    expect(reader.page.locator(".opblock").first).to_be_visible()
    assert origins == {reader.page.url.split("/")[2]}
