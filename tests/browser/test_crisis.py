"""« Mode crise » in real Chromium (issue 10, point 7): a shop's home is open; the police
console opens (its flow publishes the commune's broadcast key and grants it to the shop's
device), the operator switches crisis mode on with instructions carrying a unique canary;
the shop's home, never reloaded, shows the « Mode crise » banner with the instructions
decrypted there; reloaded, it shows them again (GET /crisis on load). In a commune whose
neighbour alerts go out at once, the shop's alert to its neighbours now waits « en
attente de validation ». The operator ends crisis mode and the banner goes. Sealed end to
end: the canary is nowhere in the database.

The server is the real ASGI application under uvicorn (as in test_live_console), since
pytest-django's live server cannot serve the stream.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from maillage.crisis.models import CrisisMode
from maillage.incidents import alert_settings
from maillage.members.models import Role
from maillage.stream.action import CLI
from maillage.territory.models import Sector

from .a11y import audit, axe
from .conftest import DESKTOP, PHONE, PersonFactory, save_screenshot
from .test_envelopes import demo, demo_sign_in, member, open_console, rows_containing
from .test_live_console import app_url, live_db

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["app_url", "demo", "live_db"]  # fixtures

LIVE = 30_000  # ms: generous, a delivery is checked here, never timed


def test_crisis_mode_shows_its_instructions_on_the_open_shop_home_then_goes(
    open_browser: PersonFactory, demo: Any, tmp_path: Path
) -> None:
    canary = f"Manifestation place du marché : baissez vos rideaux, canari-{uuid.uuid4().hex}"
    warning = f"Vitrine brisée rue de la Paix {uuid.uuid4().hex}"
    # This commune lets a shop's neighbour alert go out at once…
    settings = alert_settings.for_commune(demo.commune).as_dict()
    settings["neighbour_validation"] = False
    alert_settings.change(CLI, demo.commune, settings)
    sectors = Sector.objects.filter(commune=demo.commune).count()

    shop_person = open_browser("commercant", viewport=PHONE, passkeys=False)
    shop = shop_person.page
    demo_sign_in(shop, member(demo, Role.MERCHANT))
    home = shop.locator(".crisis-home")
    expect(home).to_have_attribute("data-crisis", "off", timeout=LIVE)
    expect(shop.locator("section.crisis-banner")).to_have_count(0)

    operator_person = open_browser("operateur", viewport=DESKTOP, passkeys=False)
    operator = operator_person.page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    # The console's broadcast flow creates the commune key and grants it to the shop.
    expect(
        operator.locator("section.broadcast-panel").get_by_text(
            "Clé de diffusion créée sur cet appareil (génération 1)."
        )
    ).to_be_visible(timeout=LIVE)
    expect(
        operator.locator("section.neighbour-panel").get_by_text(
            f"Clés de secteur détenues : {sectors}."
        )
    ).to_be_visible(timeout=LIVE)
    panel = operator.locator("section.crisis-panel")
    expect(panel.get_by_role("heading", name="Mode crise")).to_be_visible()
    expect(panel).to_have_attribute("data-crisis", "off", timeout=LIVE)

    panel.get_by_label("Consignes à tous les commerces").fill(canary)
    panel.get_by_role("button", name="Activer le mode crise").click()
    expect(
        panel.get_by_text("Mode crise activé : les consignes sont affichées chez chaque commerce.")
    ).to_be_visible(timeout=LIVE)
    expect(panel).to_have_attribute("data-crisis", "on")
    expect(panel.get_by_text("Mode crise activé.", exact=True)).to_be_visible()
    expect(panel.get_by_text(canary)).to_be_visible()

    # Live on the shop's home, at the top, decrypted there, announced.
    banner = shop.locator("section.crisis-banner")
    expect(banner).to_be_visible(timeout=LIVE)
    expect(banner.get_by_role("heading", name="Mode crise")).to_be_visible()
    expect(banner.get_by_text(canary)).to_be_visible(timeout=LIVE)
    expect(home.get_by_role("status")).to_have_text(
        "Mode crise activé par la police municipale : lisez ses consignes en haut de la page."
    )
    # A message to every shop like the others: listed among the police's messages too.
    listed = shop.locator("section.police-messages li.broadcast").filter(has_text=canary)
    expect(listed).to_be_visible(timeout=LIVE)
    save_screenshot(shop, "mode-crise-commerce", tmp_path)
    assert audit(shop) == []
    assert axe(shop) == []
    assert audit(operator) == []
    assert axe(operator) == []

    # …but in « mode crise » it goes through the police first.
    warn = shop.locator("section.neighbour-alerts")
    warn.get_by_text("Prévenir les commerces voisins").click()
    warn.get_by_label("Message d'alerte").fill(warning)
    warn.get_by_role("button", name="Prévenir les voisins").click()
    expect(
        warn.get_by_text("Alerte envoyée : elle attend la validation de la police municipale.")
    ).to_be_visible(timeout=LIVE)
    mine = warn.locator("li.neighbour-alert").filter(has_text=warning)
    expect(mine.locator(".badge")).to_have_text("En attente de validation", timeout=LIVE)
    waiting = operator.locator("section.neighbour-panel li.neighbour-alert[data-status=pending]")
    expect(waiting.filter(has_text=warning)).to_be_visible(timeout=LIVE)

    # On load too: GET /crisis, the instructions opened again.
    shop.reload()
    expect(shop.locator("section.crisis-banner").get_by_text(canary)).to_be_visible(timeout=LIVE)

    # Sealed end to end: the server keeps the broadcast, never its text.
    crisis = CrisisMode.objects.get(commune=demo.commune)
    assert crisis.active and crisis.instructions is not None
    assert rows_containing(str(crisis.instructions.public_id)) != []
    assert rows_containing(canary) == []
    assert rows_containing("canari-") == []

    # The operator ends it: the banner goes from the open home.
    panel.get_by_role("button", name="Désactiver le mode crise").click()
    expect(panel.get_by_text("Mode crise désactivé.")).to_be_visible(timeout=LIVE)
    expect(panel).to_have_attribute("data-crisis", "off")
    expect(shop.locator(".crisis-home")).to_have_attribute("data-crisis", "off", timeout=LIVE)
    expect(shop.locator("section.crisis-banner")).to_have_count(0)
    expect(shop.locator(".crisis-home").get_by_role("status")).to_have_text(
        "Le mode crise est terminé."
    )

    people = operator_person.console + shop_person.console
    assert [line for line in people if line.startswith("pageerror:")] == []
