"""« Message à tous les commerces » in real Chromium (issue 8, item 6): a shop's home is
open and waits for the broadcast key; the police console opens, publishes generation 1
of the commune's group key and grants it to the shop's device; the operator sends a
message with a unique canary; the shop's home, never reloaded, shows it decrypted; the
canary is nowhere in the database (the broadcast itself is: the search can see).

The server is the real ASGI application under uvicorn (as in test_live_console), since
pytest-django's live server cannot serve the stream.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from maillage.members.models import Role

from .a11y import audit
from .conftest import DESKTOP, PHONE, PersonFactory, save_screenshot
from .test_envelopes import demo, demo_sign_in, member, open_console, rows_containing
from .test_live_console import app_url, live_db

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["app_url", "demo", "live_db"]  # fixtures

LIVE = 30_000  # ms: generous, a delivery is checked here, never timed


def test_a_message_to_every_shop_reaches_the_open_home_live_and_sealed(
    open_browser: PersonFactory, demo: Any, tmp_path: Path
) -> None:
    canary = f"Fermeture de la place du marché, canari-{uuid.uuid4().hex}"

    shop_person = open_browser("commercant", viewport=PHONE, passkeys=False)
    shop = shop_person.page
    demo_sign_in(shop, member(demo, Role.MERCHANT))
    messages = shop.locator("section.police-messages")
    expect(messages.get_by_role("heading", name="Messages de la police municipale")).to_be_visible()
    expect(messages.get_by_text("En attente de la clé de diffusion.")).to_be_visible()

    operator_person = open_browser("operateur", viewport=DESKTOP, passkeys=False)
    operator = operator_person.page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    panel = operator.locator("section.broadcast-panel")
    expect(
        panel.get_by_text("Clé de diffusion créée sur cet appareil (génération 1).")
    ).to_be_visible(timeout=LIVE)
    expect(panel.get_by_text("Aucun message envoyé pour l'instant.")).to_be_visible()
    holders = panel.locator("[data-holders]")
    expect(holders).to_contain_text("Appareils de commerçants détenant la clé :")
    assert int(holders.get_attribute("data-holders") or "0") >= 1

    # The shop's home, left open, receives its grant without a reload.
    expect(messages.get_by_text("En attente de la clé de diffusion.")).to_have_count(
        0, timeout=LIVE
    )
    expect(messages.get_by_text("Aucun message de la police pour l'instant.")).to_be_visible()

    # From here on the shop's home has its key: the broadcast must be opened from the
    # stream's inline copy, without listing GET /broadcasts again.
    listings: list[str] = []
    shop.on(
        "request",
        lambda request: (
            listings.append(request.url)
            if request.method == "GET" and "/api/v1/broadcasts" in request.url
            else None
        ),
    )
    panel.get_by_label("Message à envoyer à tous les commerces").fill(canary)
    panel.get_by_role("button", name="Envoyer à tous les commerces").click()
    expect(panel.get_by_text("Message envoyé à tous les commerces.")).to_be_visible(timeout=LIVE)
    sent = panel.locator("li.broadcast").filter(has_text=canary)
    expect(sent).to_have_count(1)
    broadcast_id = sent.get_attribute("data-broadcast")
    assert broadcast_id

    # Live on the shop's home: decrypted there, marked new, announced politely.
    arrived = messages.locator("li.broadcast").filter(has_text=canary)
    expect(arrived).to_be_visible(timeout=LIVE)
    expect(arrived.locator(".badge-new")).to_have_text("Nouveau")
    expect(arrived.get_by_text("Message de la police municipale")).to_be_visible()
    expect(
        messages.get_by_role("status").filter(has_text="Nouveau message de la police municipale.")
    ).to_have_count(1)
    assert listings == []
    save_screenshot(shop, "message-a-tous-les-commerces", tmp_path)
    assert audit(shop) == []
    assert audit(operator) == []
    messages.get_by_role("button", name="Marquer comme lus").click()
    expect(arrived.locator(".badge-new")).to_have_count(0)

    # Sealed end to end: the server kept the broadcast, never its text.
    assert rows_containing(broadcast_id) != []
    assert rows_containing(canary) == []
    assert rows_containing("canari-") == []

    people = operator_person.console + shop_person.console
    assert [line for line in people if line.startswith("pageerror:")] == []
