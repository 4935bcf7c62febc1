"""Demo mode: "Se connecter en tant que…", and a banner on every page saying the server
holds the demo root key. Outside demo mode the page says it does not exist."""

from __future__ import annotations

import importlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from maillage.members.models import Role
from maillage.trust.models import ServiceKey

from .a11y import audit
from .conftest import DESKTOP, PHONE, PersonFactory, save_screenshot
from .test_envelopes import demo_sign_in, open_console, report, shows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_page_does_not_exist_outside_demo_mode(open_browser: PersonFactory) -> None:
    page = open_browser("visiteur", passkeys=False).page
    page.goto("/demo")
    expect(page.get_by_role("main")).to_contain_text(
        "Cette page n'existe qu'en mode démonstration."
    )
    expect(page.get_by_role("note", name="Mode démonstration")).to_have_count(0)
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Démo")).to_have_count(0)


@pytest.fixture
def demo(settings: Any, app_url: str) -> Any:
    settings.DEMO_MODE = True
    try:  # imported late: the demo seeding is another engineer's module
        seed = importlib.import_module("maillage.demo.seed")
    except ImportError:
        pytest.fail(
            "Le mode démo n'est pas encore livré : ce test attend maillage.demo.seed.seed_demo() "
            "et les points d'API GET /api/v1/demo/members et POST /api/v1/demo/login.",
            pytrace=False,
        )
    return seed.seed_demo()


def test_demo_sign_in_as_a_merchant_then_a_coordinator(
    open_browser: PersonFactory, demo: Any, tmp_path: Path
) -> None:
    merchant = next(m for m in demo.members if m.role == Role.MERCHANT)
    coordinator = next(m for m in demo.members if m.role == Role.COORDINATOR)
    page = open_browser("demo", viewport=PHONE, passkeys=False).page

    page.goto("/")
    banner = page.get_by_role("note", name="Mode démonstration")
    expect(banner).to_contain_text("Le serveur détient la clé racine de démonstration")
    page.get_by_role("link", name="Essayer la démonstration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter en tant que…")
    expect(page.get_by_role("main")).to_contain_text(
        "en mode démonstration, le serveur garde la clé racine"
    )
    assert audit(page) == []
    save_screenshot(page, "demo-choix", tmp_path)

    page.get_by_role(
        "button", name=f"Se connecter en tant que {merchant.person.display_name}"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(merchant.shop.enseigne)
    expect(banner).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(merchant.shop.sector.name)

    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Démo"
    ).click()
    page.get_by_role(
        "button", name=f"Se connecter en tant que {coordinator.person.display_name}"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Bonjour {coordinator.person.display_name}"
    )
    page.get_by_role("link", name="Ouvrir la coordination").click()
    expect(page.get_by_text("Votre appareil est certifié")).to_be_visible()
    # The demo device pinned the root from the server, and the page says so.
    expect(page.get_by_text("n'a pas reçu l'empreinte de la clé racine")).to_be_visible()
    expect(banner).to_be_visible()


def session_device(page: Any) -> str:
    return str(
        page.evaluate("async () => (await (await fetch('/api/v1/session')).json()).device.id")
    )


def test_one_browser_plays_the_shop_then_the_police_and_reads_the_report(
    open_browser: PersonFactory, demo: Any
) -> None:
    """A newcomer with one browser: the operator's device comes back with its police key
    after the shopkeeper's turn, so the console opens what the shop just sent."""
    operator = next(m for m in demo.members if m.role == Role.OPERATOR)
    merchant = next(m for m in demo.members if m.role == Role.MERCHANT)
    page = open_browser("demo", passkeys=False).page

    demo_sign_in(page, operator)
    open_console(page)
    shows(page, "Clé de service créée sur cet appareil (génération 1).")
    holder = ServiceKey.objects.get().signer_device

    demo_sign_in(page, merchant)
    text = f"Rayon parfumerie vidé, deux individus. {uuid.uuid4().hex}"
    report(page, text)
    expect(page.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()

    demo_sign_in(page, operator)
    assert session_device(page) == str(holder.public_id)
    open_console(page)
    shows(page, "Cet appareil détient la clé de service (génération 1).")
    page.get_by_role("button", name=f"Ouvrir le signalement de {merchant.shop.enseigne}").click()
    expect(page.get_by_text(text)).to_be_visible()
