"""The live console in real Chromium (issue 8, "How it will be checked"): a shopkeeper sends
a report with a photo; the police console, left open, shows it without a reload, rings
(tab title, unread marker, the WebAudio signal) and decrypts the photo; the operator's
reply reaches the shop's home, live too.

pytest-django's live server cannot serve the stream (`/api/v1/stream` is a plain ASGI app
beside Django), so `app_url` is overridden here: the real ASGI application under uvicorn
(maillage.stream.tests.live), on a database the server thread shares with the test.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from maillage.members.models import Role
from maillage.stream.tests.live import live_db, serve

from .conftest import DESKTOP, PHONE, PersonFactory, save_screenshot
from .test_envelopes import demo, demo_sign_in, image_bytes, member, open_console, photo_with_gps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["demo", "live_db"]  # fixtures, shared with test_envelopes and the stream tests

TAB_TITLE = "Maillage — console"
LIVE = 30_000  # ms: generous, a delivery is checked here, never timed


@pytest.fixture
def app_url(live_db: None, settings: Any, built_frontend: Path) -> Iterator[str]:
    """The ASGI application (Django and the stream) on http://localhost:<port>."""
    with serve() as base:
        url = base.replace("127.0.0.1", "localhost")
        settings.WEBAUTHN_RP_ID = "localhost"
        settings.WEBAUTHN_ORIGINS = [url]
        settings.PUBLIC_URL = url
        settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
        settings.CSRF_TRUSTED_ORIGINS = [url]
        yield url


def console_root(page: Page) -> Any:
    return page.locator("section[data-signals]")


def test_a_report_reaches_the_open_console_live_and_the_reply_reaches_the_shop(
    open_browser: PersonFactory, demo: Any, tmp_path: Path
) -> None:
    merchant = member(demo, Role.MERCHANT)
    assert merchant.shop is not None
    enseigne = merchant.shop.enseigne
    text = f"Individu menaçant devant la vitrine {uuid.uuid4().hex}"
    answer = f"Une patrouille arrive {uuid.uuid4().hex}"

    operator_person = open_browser("operateur", viewport=DESKTOP, passkeys=False)
    operator = operator_person.page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)  # a click: the page may start sound from now on
    expect(
        operator.get_by_text("Clé de service créée sur cet appareil (génération 1).")
    ).to_be_visible()
    expect(operator.get_by_text("Aucun signalement pour l'instant.")).to_be_visible()
    expect(operator).to_have_title(TAB_TITLE)
    expect(console_root(operator)).to_have_attribute("data-signals", "0")

    shop_person = open_browser("commercant", viewport=PHONE, passkeys=False)
    shop = shop_person.page
    demo_sign_in(shop, merchant)
    shop.get_by_role("link", name="Signaler un incident").first.click()
    shop.get_by_label("Ce qui se passe (facultatif)").fill(text)
    shop.get_by_label("Ajouter une photo").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps("canari")}
    )
    shop.get_by_role("button", name="Envoyer le signalement").click()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()

    # The console, never reloaded nor refreshed, shows and signals it.
    expect(operator).to_have_title(f"(1) {TAB_TITLE}", timeout=LIVE)
    expect(console_root(operator)).to_have_attribute("data-signals", "1", timeout=LIVE)
    fresh = operator.locator("li.incident-unread").filter(has_text=enseigne)
    expect(fresh.locator(".badge-unread")).to_have_text("Nouveau")
    expect(operator.get_by_text("Non lus : 1")).to_be_visible()
    expect(
        operator.get_by_role("status").filter(has_text=f"Nouveau signalement : {enseigne}.")
    ).to_have_count(1)
    save_screenshot(operator, "console-signal", tmp_path)

    # The shop's home, open before the reply, waits for it.
    shop.goto("/")
    expect(shop.get_by_role("heading", name="Mes signalements")).to_be_visible()
    expect(shop.get_by_text("Nouvelle réponse")).to_have_count(0)

    # Opening it decrypts the text and the photo on the operator's device.
    operator.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click()
    expect(operator.get_by_text(text)).to_be_visible()
    photo = Image.open(io.BytesIO(image_bytes(operator, "Photo 1 du signalement")))
    photo.load()
    assert photo.format == "JPEG" and photo.size == (1600, 1200)
    expect(operator).to_have_title(TAB_TITLE)

    operator.get_by_label("Votre message").fill(answer)
    operator.get_by_role("button", name="Envoyer la réponse").click()
    expect(operator.get_by_text("Réponse envoyée au commerçant.")).to_be_visible()
    expect(console_root(operator)).to_have_attribute("data-signals", "1")  # our own reply: silent

    # The reply reaches the shop's page as it is, and decrypts there.
    expect(shop.locator(".badge-new")).to_have_text("Nouvelle réponse", timeout=LIVE)
    expect(shop.get_by_text("Nouvelle réponse de la police à votre signalement.")).to_be_visible()
    shop.get_by_role("button", name=re.compile(r"^Voir les échanges du signalement")).click()
    expect(shop.get_by_text(answer)).to_be_visible()
    expect(shop.get_by_text(text)).to_be_visible()

    # A quick reply is one tap, sealed and delivered as any reply.
    operator.get_by_role("group", name="Réponses rapides").get_by_role(
        "button", name="Patrouille en route."
    ).click()
    expect(operator.get_by_text("Réponse envoyée au commerçant.")).to_be_visible()
    expect(shop.get_by_text("Patrouille en route.", exact=True)).to_be_visible(timeout=LIVE)
    save_screenshot(shop, "reponse-recue", tmp_path)

    # CSP violations fail the test in `open_browser`; no script may have thrown either (the
    # console's first visit logs an expected 404: no service key existed yet).
    people = operator_person.console + shop_person.console
    assert [line for line in people if line.startswith("pageerror:")] == []
